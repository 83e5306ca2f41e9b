/**
 * The `contents` fact: for several regular files, their sha1 and/or their
 * bytes (find's get_checksum and contains), in one command.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export interface ContentsQuery {
  paths: string[];
  checksum: boolean;
  content: boolean;
}

export interface FileData { sha1?: string; content?: Buffer }

export const contentsFact: Fact<ContentsQuery, Array<FileData | undefined>> = {
  name: 'contents',
  inline: true,
  command: (q) => [
    ...q.paths.map((path, i) => {
      const p = quote(path);
      const parts = [`printf 'F\\0%s\\0' ${i}`];
      if (q.checksum) parts.push(`{ sha1sum < ${p} 2>/dev/null | cut -c1-40 | tr -d '\\n'; }`, `printf '\\0'`);
      if (q.content) parts.push(`{ base64 -w0 < ${p} 2>/dev/null || printf '!'; }`, `printf '\\0'`);
      return `if [ -f ${p} ] && [ -r ${p} ]; then ${parts.join('; ')}; fi`;
    }),
    ':',
  ].join('\n'),
  parse(output: FactOutput, q): Array<FileData | undefined> {
    const f = output.stdout.toString('latin1').split('\0');
    const result: Array<FileData | undefined> = q.paths.map(() => undefined);
    for (let i = 0; i < f.length; i++) {
      if (f[i] !== 'F' || i + 1 >= f.length) continue;
      const index = Number(f[++i]);
      const data: FileData = {};
      if (q.checksum) {
        const hex = f[++i] ?? '';
        if (/^[0-9a-f]{40}$/.test(hex)) data.sha1 = hex;
      }
      if (q.content) {
        const b64 = f[++i] ?? '';
        if (b64 !== '!') data.content = Buffer.from(b64, 'base64');
      }
      if (index >= 0 && index < result.length) result[index] = data;
    }
    return result;
  },
};
