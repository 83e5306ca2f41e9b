/**
 * find: files below folders by name (globs or Python regexes), type, age,
 * size and content, as Ansible's find walks them (os.walk: a folder's files
 * then its sub-folders, in listing order; hidden folders walked; depth
 * counted from the path). One `find` lists every path; a second command
 * reads the checksums and contents it needs.
 */
import { posix } from 'node:path';
import type { Module, ModuleContext } from '../types.js';
import { readFact } from '../../facts/index.js';
import { contentsFact, type FileData } from '../../facts/contents.js';
import { listingFact, type Listing, type ListedEntry } from '../../facts/listing.js';
import { boolSchema, pick, stringListSchema, stringSchema, toBool, toList } from '../lib/args.js';
import { pyRegex } from '../lib/pyregex.js';

/** fnmatch: * ? [seq] [!seq] on the whole name. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) { out += '\\['; continue; }
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** re.match: the match must begin at the start of the text. */
function anchoredAtStart(re: RegExp): RegExp {
  return new RegExp(`^(?:${re.source})`, re.flags);
}

/** Ansible's pfilter: a pattern matches and no exclude does. */
export function nameFilter(patterns: string[], excludes: string[], useRegex: boolean): (name: string) => boolean {
  const compile = (p: string) => (useRegex ? anchoredAtStart(pyRegex(p)) : globToRegExp(p));
  const include = patterns.map(compile);
  const exclude = excludes.map(compile);
  return (name) => include.some((re) => re.test(name)) && !exclude.some((re) => re.test(name));
}

/** "3d", "-1w", "30" (seconds) → seconds, keeping the sign. */
export function parseAge(age: string): number {
  const m = /^(-?\d+)([smhdw])?$/.exec(age.trim().toLowerCase());
  if (!m) throw new Error('failed to process age');
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[(m[2] ?? 's') as 's'];
}

/** "10k", "-1m", "512" (bytes) → bytes, keeping the sign. */
export function parseSize(size: string): number {
  const m = /^(-?\d+)([bkmgt])?$/.exec(size.trim().toLowerCase());
  if (!m) throw new Error('failed to process size');
  return Number(m[1]) * { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? 'b') as 'b'];
}

export interface FindArgs {
  paths: string[];
  patterns: string[];
  excludes: string[];
  contains?: string;
  readWholeFile: boolean;
  fileType: 'any' | 'directory' | 'file' | 'link';
  age?: number;
  ageStamp: 'atime' | 'ctime' | 'mtime';
  size?: number;
  recurse: boolean;
  hidden: boolean;
  follow: boolean;
  getChecksum: boolean;
  useRegex: boolean;
  depth?: number;
}

export function findArgs(args: Record<string, any>): FindArgs | { error: string; result?: Record<string, unknown> } {
  const useRegex = toBool(args.use_regex, false);
  const patterns = toList(pick(args, 'patterns', 'pattern'));
  const a: FindArgs = {
    paths: toList(pick(args, 'paths', 'name', 'path')),
    patterns: patterns.length ? patterns : [useRegex ? '.*' : '*'],
    excludes: toList(pick(args, 'excludes', 'exclude')),
    contains: args.contains === undefined || args.contains === null ? undefined : String(args.contains),
    readWholeFile: toBool(args.read_whole_file, false),
    fileType: args.file_type ?? 'file',
    ageStamp: args.age_stamp ?? 'mtime',
    recurse: toBool(args.recurse, false),
    hidden: toBool(args.hidden, false),
    follow: toBool(args.follow, false),
    getChecksum: toBool(args.get_checksum, false),
    useRegex,
    depth: args.depth === undefined || args.depth === null ? undefined : Number(args.depth),
  };
  if (!a.paths.length) return { error: 'missing required arguments: paths' };
  if (args.age !== undefined && args.age !== null) {
    try {
      a.age = parseAge(String(args.age));
    } catch {
      return { error: 'failed to process age', result: { age: String(args.age) } };
    }
  }
  if (args.size !== undefined && args.size !== null) {
    try {
      a.size = parseSize(String(args.size));
    } catch {
      return { error: 'failed to process size', result: { size: String(args.size) } };
    }
  }
  return a;
}

function isFindArgs(a: ReturnType<typeof findArgs>): a is FindArgs {
  return !('error' in a);
}

/** Python's os.path.normpath for the paths find builds (no .. handling needed beyond the root). */
function normpath(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

/** Ansible's statinfo. */
export function entryInfo(e: ListedEntry): Record<string, unknown> {
  const mode = e.mode;
  return {
    mode: (mode & 0o7777).toString(8).padStart(4, '0'),
    isdir: e.type === 'd', ischr: e.type === 'c', isblk: e.type === 'b', isreg: e.type === 'f', isfifo: e.type === 'p', islnk: e.type === 'l', issock: e.type === 's',
    uid: e.uid, gid: e.gid, size: e.size, inode: e.inode, dev: e.dev, nlink: e.nlink,
    atime: e.atime, mtime: e.mtime, ctime: e.ctime, gr_name: e.group, pw_name: e.owner,
    wusr: (mode & 0o200) !== 0, rusr: (mode & 0o400) !== 0, xusr: (mode & 0o100) !== 0,
    wgrp: (mode & 0o020) !== 0, rgrp: (mode & 0o040) !== 0, xgrp: (mode & 0o010) !== 0,
    woth: (mode & 0o002) !== 0, roth: (mode & 0o004) !== 0, xoth: (mode & 0o001) !== 0,
    isuid: (mode & 0o4000) !== 0, isgid: (mode & 0o2000) !== 0,
  };
}

export interface Candidate { path: string; entry: ListedEntry; needsContent: boolean; needsChecksum: boolean }

export interface WalkOutcome {
  candidates: Candidate[];
  examined: number;
  skipped: Record<string, string>;
}

/**
 * os.walk over the listing: per folder, its non-folders then its folders
 * (links to folders count as folders; entered only with follow); `depth`
 * stops the descent below that level; every entry of a walked folder is
 * examined. Filters other than the content are applied here.
 */
export function walk(listing: Listing, a: FindArgs, now: number): WalkOutcome {
  const children = new Map<string, ListedEntry[]>();
  for (const e of listing.entries) {
    const parent = posix.dirname(e.path);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(e);
  }
  const names = nameFilter(a.patterns, a.excludes, a.useRegex);
  const out: WalkOutcome = { candidates: [], examined: 0, skipped: {} };
  const ageOk = (e: ListedEntry) => {
    if (a.age === undefined) return true;
    const elapsed = now - e[a.ageStamp];
    return a.age >= 0 ? elapsed >= Math.abs(a.age) : elapsed <= Math.abs(a.age);
  };
  const sizeOk = (e: ListedEntry) => a.size === undefined || (a.size >= 0 ? e.size >= Math.abs(a.size) : e.size <= Math.abs(a.size));
  for (const root of listing.roots) {
    if (!root.isDir) {
      out.skipped[root.path] = `'${root.path}' is not a directory`;
      continue;
    }
    const rootDepth = (root.path.replace(/\/+$/, '') + '/').split('/').length - 1;
    const visit = (dir: string): void => {
      const entries = children.get(dir) ?? [];
      const isDir = (e: ListedEntry) => e.type === 'd' || (e.type === 'l' && e.targetType === 'd');
      const files = entries.filter((e) => !isDir(e));
      const dirs = entries.filter(isDir);
      out.examined += files.length + dirs.length;
      let descend = true;
      for (const e of [...files, ...dirs]) {
        const fsname = normpath(e.path);
        const name = posix.basename(e.path);
        if (a.depth) {
          const depth = fsname.split('/').length - 1 - rootDepth + 1;
          if (depth > a.depth) {
            descend = false;
            continue;
          }
        }
        if (name.startsWith('.') && !a.hidden) continue;
        if (!names(name) || !ageOk(e)) continue;
        const regular = e.type === 'f';
        if (a.fileType === 'any') {
          if (regular && !sizeOk(e)) continue;
          out.candidates.push({ path: fsname, entry: e, needsContent: false, needsChecksum: regular && a.getChecksum });
        } else if (a.fileType === 'directory' && e.type === 'd') {
          out.candidates.push({ path: fsname, entry: e, needsContent: false, needsChecksum: false });
        } else if (a.fileType === 'file' && regular) {
          if (!sizeOk(e)) continue;
          out.candidates.push({ path: fsname, entry: e, needsContent: a.contains !== undefined, needsChecksum: a.getChecksum });
        } else if (a.fileType === 'link' && e.type === 'l') {
          out.candidates.push({ path: fsname, entry: e, needsContent: false, needsChecksum: false });
        }
      }
      if (!a.recurse || !descend) return;
      for (const d of dirs) if (d.type === 'd' || a.follow) visit(d.path);
    };
    visit(root.path.replace(/(.)\/+$/, '$1'));
    if (root.errors.length) out.skipped[root.path] = root.errors[0]!.replace(/^find: /, '');
  }
  return out;
}

/**
 * Ansible's contentfilter: Python's re.match on each line (newline kept,
 * universal newlines), or re.search on the whole text; a file that is not
 * UTF-8 text matches nothing after its first bad byte.
 */
export function contentMatches(content: Buffer, pattern: string, wholeFile: boolean): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    if (wholeFile) return false;
    const good = content.subarray(0, firstInvalidUtf8(content));
    text = good.toString('utf8');
    text = text.slice(0, text.lastIndexOf('\n') + 1);
  }
  text = text.replace(/\r\n?/g, '\n');
  if (wholeFile) return pyRegex(pattern).test(text);
  const re = anchoredAtStart(pyRegex(pattern));
  return text.split(/(?<=\n)/).some((line) => line !== '' && re.test(line));
}

function firstInvalidUtf8(buf: Buffer): number {
  for (let end = buf.length; end > 0; end--) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, end));
      return end;
    } catch {
      // shorter
    }
  }
  return 0;
}

interface FindState { listing: Listing; data: Array<FileData | undefined>; candidates: string[]; now: number; error?: string }

async function readFind(ctx: ModuleContext, args: Record<string, any>): Promise<FindState> {
  const now = Date.now() / 1000;
  const a = findArgs(args);
  if (!isFindArgs(a)) return { listing: { roots: [], entries: [] }, data: [], candidates: [], now, error: a.error };
  const maxDepth = !a.recurse ? 1 : a.depth ? a.depth + 1 : undefined;
  const listing = await readFact(ctx, listingFact, { roots: a.paths, maxDepth, follow: a.follow });
  const walked = walk(listing, a, now);
  const wanted = walked.candidates.filter((c) => c.needsContent || c.needsChecksum);
  if (!wanted.length) return { listing, data: [], candidates: [], now };
  const data = await readFact(ctx, contentsFact, { paths: wanted.map((c) => c.path), checksum: a.getChecksum, content: a.contains !== undefined });
  return { listing, data, candidates: wanted.map((c) => c.path), now };
}

function planFind(_ctx: ModuleContext, args: Record<string, any>, state: FindState) {
  const a = findArgs(args);
  if (!isFindArgs(a)) return { changed: false, failed: true, msg: a.error, result: a.result ?? {} };
  if (state.error) return { changed: false, failed: true, msg: state.error };
  const walked = walk(state.listing, a, state.now);
  const data = new Map(state.candidates.map((path, i) => [path, state.data[i]]));
  const files: Record<string, unknown>[] = [];
  for (const c of walked.candidates) {
    const found = data.get(c.path);
    if (c.needsContent && !(found?.content && contentMatches(found.content, a.contains!, a.readWholeFile))) continue;
    const info: Record<string, unknown> = { path: c.path, ...entryInfo(c.entry) };
    if (c.needsChecksum && found?.sha1) info.checksum = found.sha1;
    files.push(info);
  }
  const warnings = Object.entries(walked.skipped).map(([path, why]) => `Skipped '${path}' path due to this access issue: ${why}\n`);
  return {
    changed: false,
    result: {
      files,
      msg: warnings.length ? 'Not all paths examined, check warnings for details' : 'All paths examined',
      matched: files.length,
      examined: walked.examined,
      skipped_paths: walked.skipped,
      ...(warnings.length ? { warnings } : {}),
    },
  };
}

export const find: Module<Record<string, any>, FindState> = {
  name: 'find',
  schema: {
    type: 'object',
    properties: {
      paths: { ...stringListSchema, description: 'Folders to search (aliases name, path).' },
      name: stringListSchema, path: stringListSchema,
      patterns: { ...stringListSchema, description: 'Globs (or Python regexes with use_regex) on the base name; default all (alias pattern).' },
      pattern: stringListSchema,
      excludes: { ...stringListSchema, description: 'Names to leave out, same syntax (alias exclude).' },
      exclude: stringListSchema,
      contains: { ...stringSchema, description: 'A Python regex matched at the start of a line (re.match), or searched in the whole file with read_whole_file; regular files only.' },
      read_whole_file: { ...boolSchema, description: 'contains searches the whole file instead of each line.', default: false },
      file_type: { enum: ['any', 'directory', 'file', 'link'], description: 'Type of the entries returned.', default: 'file' },
      recurse: { ...boolSchema, description: 'Descend into sub-folders.', default: false },
      depth: { type: 'integer', description: 'With recurse: how many levels down (1: only the folder\'s own entries).' },
      hidden: { ...boolSchema, description: 'Include names starting with a dot.', default: false },
      follow: { ...boolSchema, description: 'Descend through links to folders.', default: false },
      get_checksum: { ...boolSchema, description: 'sha1 of the regular files found.', default: false },
      use_regex: { ...boolSchema, description: 'patterns and excludes are Python regexes (re.match) instead of globs.', default: false },
      age: { type: ['string', 'integer'], description: 'At least this old (2d, 3h, 1w, seconds); negative: at most.' },
      age_stamp: { enum: ['atime', 'ctime', 'mtime'], description: 'The time age compares.', default: 'mtime' },
      size: { type: ['string', 'integer'], description: 'At least this large (10m, 1g, bytes); negative: at most.' },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'List files below folders as Ansible\'s find: name patterns (globs, or Python regexes with use_regex), excludes, file_type, age, size, contents (`contains`), hidden names, recurse with depth, follow links. Results are in os.walk\'s order. Never changes anything.',
    returns: {
      files: 'list of dicts: path, mode, isdir, isreg, islnk, ischr, isblk, isfifo, issock, uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime, ctime, the permission bits, checksum (get_checksum)',
      matched: 'number of files found', examined: 'number of entries looked at',
      msg: "'All paths examined', or 'Not all paths examined, check warnings for details'",
      skipped_paths: 'paths that could not be searched, with the reason',
    },
    example: [
      '- name: Old mail queue files',
      '  find:',
      '    paths: /var/spool/exim4/input',
      '    age: 7d',
      '    recurse: true',
      '  register: stale',
    ].join('\n'),
  },
  read: readFind,
  plan: planFind,
};
