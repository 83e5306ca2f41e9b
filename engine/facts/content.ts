/**
 * The whole content of a small text file (a crontab, /etc/fstab, a sysctl or
 * known_hosts file), with the path as the host resolved it: `~/x` is the
 * home of the user the command runs as. Content travels base64-encoded, so
 * no byte of the file can break the parsing.
 */
import { quote } from '../connection/quote.js';
import type { Fact } from './types.js';
import { sectionsFact } from './sections.js';

export interface FileContent {
  /** The path, `~` expanded on the host. */
  path: string;
  exists: boolean;
  /** Exists and is a regular file (or a link to one). */
  isFile: boolean;
  content: string;
}

/** A path as a shell word: `~/rest` becomes "$HOME"/'rest', anything else is quoted. */
export function pathWord(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) return `"$HOME"/${quote(path.slice(2))}`;
  return quote(path);
}

export function contentSections({ path }: { path: string }): Record<string, string> {
  return {
    path: `printf '%s\\n' ${pathWord(path)}`,
    file: `p=${pathWord(path)}; if [ -f "$p" ]; then echo file; base64 -w0 < "$p" || exit 1; elif [ -e "$p" ] || [ -L "$p" ]; then echo other; fi`,
  };
}

export const fileContentFact: Fact<{ path: string }, FileContent> = sectionsFact('file.content', contentSections, (s, { path }) => {
  const resolved = s.path!.out.replace(/\n$/, '') || path;
  const out = s.file!.out;
  if (s.file!.rc !== 0) throw new Error(`cannot read ${resolved}`);
  if (out.startsWith('file\n')) {
    return { path: resolved, exists: true, isFile: true, content: Buffer.from(out.slice(5).trim(), 'base64').toString('utf8') };
  }
  return { path: resolved, exists: out.startsWith('other'), isFile: false, content: '' };
});
