/**
 * The `fragments` fact: the regular files directly in a folder (links to
 * files count, as os.path.isfile says), with their content, for assemble.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export interface Fragments {
  path: string;
  /** 'missing', 'not-directory', or undefined when the folder was read. */
  problem?: 'missing' | 'not-directory';
  /** Every name in the folder, files or not. */
  names: string[];
  /** name -> content, for the regular files. */
  files: Map<string, Buffer>;
}

export const fragmentsFact: Fact<{ path: string }, Fragments> = {
  name: 'fragments',
  inline: true,
  command: ({ path }) => {
    const p = quote(path);
    return [
      `if [ ! -e ${p} ]; then printf 'M\\0'`,
      `elif [ ! -d ${p} ]; then printf 'N\\0'`,
      `else printf 'D\\0'; find ${p}/ -mindepth 1 -maxdepth 1 -printf 'E\\0%f\\0'`,
      `  find -L ${p}/ -mindepth 1 -maxdepth 1 -type f -printf 'F\\0%f\\0' -exec base64 -w0 {} \\; -printf '\\0' 2>/dev/null`,
      'fi',
    ].join('\n');
  },
  parse(output: FactOutput, { path }): Fragments {
    const fields = output.stdout.toString('utf8').split('\0');
    const result: Fragments = { path, names: [], files: new Map() };
    if (fields[0] === 'M') return { ...result, problem: 'missing' };
    if (fields[0] === 'N') return { ...result, problem: 'not-directory' };
    for (let i = 1; i < fields.length; i++) {
      if (fields[i] === 'E' && i + 1 < fields.length) result.names.push(fields[++i]!);
      else if (fields[i] === 'F' && i + 2 < fields.length) {
        result.files.set(fields[i + 1]!, Buffer.from(fields[i + 2]!, 'base64'));
        i += 2;
      }
    }
    return result;
  },
};
