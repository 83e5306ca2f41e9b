/**
 * The `tree` fact: everything below a folder (type, mode, size, mtime, link
 * text, sha1 of regular files), NUL-separated so any name works. Used to
 * compare two folders on a host (copy with remote_src) in one round trip.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export interface TreeEntry {
  /** Path relative to the folder. */
  rel: string;
  type: 'file' | 'directory' | 'link' | 'other';
  mode: string;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkTarget?: string;
  /** For a link: what it leads to ('missing' when nothing). */
  targetType?: 'file' | 'directory' | 'other' | 'missing';
  sha1?: string;
}

export interface TreeQuery {
  path: string;
  /** sha1 of regular files (one more pass). */
  checksums?: boolean;
  /** Walk through links (find -L): entries describe what links lead to. */
  follow?: boolean;
}

export interface Tree {
  path: string;
  exists: boolean;
  entries: TreeEntry[];
}

const TYPE: Record<string, TreeEntry['type']> = { f: 'file', d: 'directory', l: 'link' };

export const treeFact: Fact<TreeQuery, Tree> = {
  name: 'tree',
  inline: true,
  command: ({ path, checksums, follow }) => {
    const p = quote(path.replace(/\/+$/, '') || '/');
    return [
      `if [ -d ${p} ]; then printf 'T\\0'`,
      `  find ${follow ? '-L ' : ''}${p} -mindepth 1 -printf 'E\\0%y\\0%m\\0%s\\0%T@\\0%l\\0%P\\0%Y\\0%U\\0%G\\0'`,
      checksums ? `  find ${p} -mindepth 1 -type f -exec sha1sum -z -- {} + 2>/dev/null | sed -z 's/^/H\\x00/'` : '',
      'fi',
    ].filter(Boolean).join('\n');
  },
  parse(output: FactOutput, { path }): Tree {
    const fields = output.stdout.toString('utf8').split('\0');
    if (fields[0] !== 'T') return { path, exists: false, entries: [] };
    const entries: TreeEntry[] = [];
    const root = path.replace(/\/+$/, '') || '/';
    const byPath = new Map<string, TreeEntry>();
    for (let i = 1; i < fields.length; i++) {
      if (fields[i] === 'E' && i + 9 < fields.length) {
        const [type, mode, size, mtime, link, rel, followed, uid, gid] = fields.slice(i + 1, i + 10);
        const entry: TreeEntry = {
          rel: rel!, type: TYPE[type!] ?? 'other', mode: (parseInt(mode!, 8) || 0).toString(8).padStart(4, '0'),
          uid: Number(uid), gid: Number(gid), size: Number(size) || 0, mtime: Number(mtime) || 0,
          ...(type === 'l' ? { linkTarget: link, targetType: followed === 'f' ? 'file' : followed === 'd' ? 'directory' : followed === 'N' || followed === 'L' ? 'missing' : 'other' } : {}),
        };
        entries.push(entry);
        byPath.set(`${root === '/' ? '' : root}/${entry.rel}`, entry);
        i += 9;
      } else if (fields[i] === 'H' && i + 1 < fields.length) {
        // "<sha1>  <path>"
        const m = /^([0-9a-f]{40}) [ *](.*)$/s.exec(fields[i + 1]!);
        const entry = m ? byPath.get(m[2]!) : undefined;
        if (entry) entry.sha1 = m![1];
        i += 1;
      }
    }
    return { path, exists: true, entries };
  },
};
