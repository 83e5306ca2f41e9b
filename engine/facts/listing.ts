/**
 * The `listing` fact: everything below some folders with the lstat of each
 * entry (Ansible's find reports os.lstat), what a link leads to, and the
 * errors met, NUL-separated so any name works. With follow the walk goes
 * through links to folders (find -L) and each entry is still described by
 * its own lstat.
 */
import { quote } from '../connection/quote.js';
import { parseStatTime } from './file.js';
import type { Fact, FactOutput } from './types.js';

export interface ListedEntry {
  /** The path as find printed it (root + '/' + names). */
  path: string;
  /** lstat type letter: f d l p s c b. */
  type: string;
  /** For a link: the type of what it leads to (find's %Y: f d l N ...). */
  targetType: string;
  mode: number;
  size: number;
  atime: number;
  mtime: number;
  ctime: number;
  uid: number;
  gid: number;
  /** Names, '' when the id has none. */
  owner: string;
  group: string;
  inode: number;
  dev: number;
  nlink: number;
}

export interface ListingQuery {
  roots: string[];
  /** find's -maxdepth (undefined: no limit). */
  maxDepth?: number;
  follow: boolean;
}

export interface Listing {
  /** Per root: whether it is a folder (following links), and the find errors met below it. */
  roots: Array<{ path: string; isDir: boolean; errors: string[] }>;
  entries: ListedEntry[];
}

const PRINTF = '%y\\0%Y\\0%m\\0%s\\0%A@\\0%T@\\0%C@\\0%U\\0%G\\0%u\\0%g\\0%i\\0%D\\0%n\\0%p\\0';
const FIELDS = 15;
/** stat's lstat of the same fields, for walks that follow links (find -L describes targets). */
const STAT_FORMAT = '%F\\0%a\\0%s\\0%.9X\\0%.9Y\\0%.9Z\\0%u\\0%g\\0%U\\0%G\\0%i\\0%d\\0%h\\0%n\\0';

function rootScript(root: string, index: number, q: ListingQuery): string {
  const p = quote(root);
  const depth = q.maxDepth !== undefined ? ` -maxdepth ${q.maxDepth}` : '';
  // Errors go to stdout as records, so a folder that cannot be read is reported, not lost.
  const errors = `2>&1 >&3 | tr '\\n' '\\0' | sed -z 's/^/X\\x00${index}\\x00/' ) 3>&1`;
  if (!q.follow) {
    return `if [ -d ${p} ]; then printf 'D\\0%s\\0' ${index}; ( find ${p} -mindepth 1${depth} -printf 'E\\0${PRINTF}' ${errors}; else printf 'N\\0%s\\0' ${index}; fi`;
  }
  return [
    `if [ -d ${p} ]; then printf 'D\\0%s\\0' ${index}`,
    `  ( find -L ${p} -mindepth 1${depth} -printf 'T\\0%Y\\0%p\\0' ${errors}`,
    `  find -L ${p} -mindepth 1${depth} -exec stat --printf 'S\\0${STAT_FORMAT}' -- {} + 2>/dev/null`,
    `else printf 'N\\0%s\\0' ${index}; fi`,
  ].join('\n');
}

const TYPE_BY_NAME: Record<string, string> = {
  'regular file': 'f', 'regular empty file': 'f', directory: 'd', 'symbolic link': 'l', fifo: 'p', socket: 's',
  'character special file': 'c', 'block special file': 'b',
};

/** find's %T@ has ten decimals: nanoseconds are the first nine. */
function findTime(text: string | undefined): number {
  const m = /^(-?\d+)(?:\.(\d{1,9})\d*)?$/.exec(text ?? '');
  return m ? parseStatTime(m[2] ? `${m[1]}.${m[2]}` : m[1]!) ?? 0 : 0;
}

function num(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

/** find's %u prints the number when the id has no name: Ansible then gives ''. */
function name(text: string | undefined, id: string | undefined): string {
  return text === undefined || text === id ? '' : text;
}

export function parseListing(out: Buffer, q: ListingQuery): Listing {
  const f = out.toString('utf8').split('\0');
  const listing: Listing = { roots: q.roots.map((path) => ({ path, isDir: false, errors: [] })), entries: [] };
  const targets = new Map<string, string>();
  const byPath = new Map<string, ListedEntry>();
  for (let i = 0; i < f.length; i++) {
    const tag = f[i];
    if ((tag === 'D' || tag === 'N') && i + 1 < f.length) {
      const root = listing.roots[num(f[++i])];
      if (root) root.isDir = tag === 'D';
    } else if (tag === 'X' && i + 2 < f.length) {
      const root = listing.roots[num(f[++i])];
      const message = f[++i]!;
      if (root && message) root.errors.push(message);
    } else if (tag === 'E' && i + FIELDS < f.length) {
      const v = f.slice(i + 1, i + 1 + FIELDS);
      i += FIELDS;
      const entry: ListedEntry = {
        type: v[0]!, targetType: v[1]!, mode: parseInt(v[2]!, 8) || 0, size: num(v[3]),
        atime: findTime(v[4]), mtime: findTime(v[5]), ctime: findTime(v[6]),
        uid: num(v[7]), gid: num(v[8]), owner: name(v[9], v[7]), group: name(v[10], v[8]),
        inode: num(v[11]), dev: num(v[12]), nlink: num(v[13]), path: v[14]!,
      };
      listing.entries.push(entry);
    } else if (tag === 'T' && i + 2 < f.length) {
      targets.set(f[i + 2]!, f[i + 1]!);
      i += 2;
    } else if (tag === 'S' && i + 14 < f.length) {
      const v = f.slice(i + 1, i + 15);
      i += 14;
      const path = v[13]!;
      const entry: ListedEntry = {
        type: TYPE_BY_NAME[v[0]!] ?? '?', targetType: '', mode: parseInt(v[1]!, 8) || 0, size: num(v[2]),
        atime: parseStatTime(v[3]) ?? 0, mtime: parseStatTime(v[4]) ?? 0, ctime: parseStatTime(v[5]) ?? 0,
        uid: num(v[6]), gid: num(v[7]), owner: v[8] === 'UNKNOWN' ? '' : v[8]!, group: v[9] === 'UNKNOWN' ? '' : v[9]!,
        inode: num(v[10]), dev: num(v[11]), nlink: num(v[12]), path,
      };
      byPath.set(path, entry);
    }
  }
  // A followed walk: find -L's order, each entry with its own lstat and what it leads to.
  for (const [path, targetType] of targets) {
    const entry = byPath.get(path);
    if (entry) listing.entries.push({ ...entry, targetType });
  }
  return listing;
}

export const listingFact: Fact<ListingQuery, Listing> = {
  name: 'listing',
  command: (q) => q.roots.map((root, i) => rootScript(root, i, q)).join('\n'),
  parse: (output: FactOutput, q) => parseListing(output.stdout, q),
};
