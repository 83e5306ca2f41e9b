/**
 * find: list files under folders by name pattern, type, age, size and
 * content. One `find -printf` per run (NUL-separated, so any name works),
 * plus one `grep` round trip when `contains` is given.
 */
import { posix } from 'node:path';
import type { Module, ModuleContext } from '../types.js';
import { quote } from '../../connection/quote.js';
import { boolSchema, pick, stringListSchema, stringSchema, toBool, toList } from '../lib/args.js';
import { pyRegex } from '../lib/pyregex.js';

export interface FoundFile {
  path: string;
  type: 'file' | 'directory' | 'link' | 'other';
  mode: string;
  size: number;
  mtime: number;
  atime: number;
  ctime: number;
  uid: number;
  gid: number;
  pw_name: string;
  gr_name: string;
  inode: number;
  nlink: number;
}

interface FindState { entries: FoundFile[]; examined: number; skipped: Record<string, string>; contentMatches?: Set<string> }

const FIELDS = '%y\\0%m\\0%s\\0%T@\\0%A@\\0%C@\\0%U\\0%G\\0%u\\0%g\\0%i\\0%n\\0%p\\0';
const FIELD_COUNT = 13;

function typeOf(letter: string): FoundFile['type'] {
  return letter === 'f' ? 'file' : letter === 'd' ? 'directory' : letter === 'l' ? 'link' : 'other';
}

export function parseFindOutput(out: Buffer): FoundFile[] {
  const fields = out.toString('utf8').split('\0');
  const entries: FoundFile[] = [];
  for (let i = 0; i + FIELD_COUNT <= fields.length; i += FIELD_COUNT) {
    const f = fields.slice(i, i + FIELD_COUNT);
    entries.push({
      type: typeOf(f[0]!), mode: f[1]!.padStart(4, '0'), size: Number(f[2]), mtime: Number(f[3]), atime: Number(f[4]), ctime: Number(f[5]),
      uid: Number(f[6]), gid: Number(f[7]), pw_name: f[8]!, gr_name: f[9]!, inode: Number(f[10]), nlink: Number(f[11]), path: f[12]!,
    });
  }
  return entries;
}

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

/** Ansible's pfilter: glob on the basename, or (use_regex) re.match at its start. */
function nameMatcher(patterns: string[], useRegex: boolean): (name: string) => boolean {
  const tests = patterns.map((p) => (useRegex ? anchoredAtStart(pyRegex(p)) : globToRegExp(p)));
  return (name) => tests.some((re) => re.test(name));
}

/** re.match: the match must begin at the start of the name. */
function anchoredAtStart(re: RegExp): RegExp {
  return new RegExp(`^(?:${re.source})`, re.flags);
}

/** "3d", "-1w", "30" (seconds) → seconds, keeping the sign. */
export function parseAge(age: string): number {
  const m = /^(-?\d+)([smhdw])?$/i.exec(age.trim());
  if (!m) throw new Error(`failed to process age: ${age}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[(m[2] ?? 's').toLowerCase() as 's']!;
  return Number(m[1]) * unit;
}

/** "10k", "-1m", "512" (bytes) → bytes, keeping the sign. */
export function parseSize(size: string): number {
  const m = /^(-?\d+)(b|k|m|g|t)?$/i.exec(size.trim());
  if (!m) throw new Error(`failed to process size: ${size}`);
  const unit = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? 'b').toLowerCase() as 'b']!;
  return Number(m[1]) * unit;
}

function findCommand(path: string, recurse: boolean, depth: number | undefined, follow: boolean): string {
  const max = recurse ? (depth !== undefined ? ` -maxdepth ${depth}` : '') : ' -maxdepth 1';
  return `find ${follow ? '-L ' : ''}${quote(path)} -mindepth 1${max} -printf ${quote(FIELDS.replace(/\\0/g, '\\0'))}`;
}

interface FindArgs {
  paths: string[]; patterns: string[]; excludes: string[]; contains?: string; fileType: string;
  recurse: boolean; hidden: boolean; follow: boolean; useRegex: boolean; age?: string; ageStamp: string; size?: string; depth?: number;
}

function normalise(args: Record<string, any>): FindArgs {
  return {
    paths: toList(pick(args, 'paths', 'name', 'path')),
    patterns: toList(pick(args, 'patterns', 'pattern')),
    excludes: toList(pick(args, 'excludes', 'exclude')),
    contains: args.contains,
    fileType: args.file_type ?? 'file',
    recurse: toBool(args.recurse, false),
    hidden: toBool(args.hidden, false),
    follow: toBool(args.follow, false),
    useRegex: toBool(args.use_regex, false),
    age: args.age === undefined ? undefined : String(args.age),
    ageStamp: args.age_stamp ?? 'mtime',
    size: args.size === undefined ? undefined : String(args.size),
    depth: args.depth === undefined ? undefined : Number(args.depth),
  };
}

function selectEntries(entries: FoundFile[], a: FindArgs, now: number): FoundFile[] {
  const include = a.patterns.length ? nameMatcher(a.patterns, a.useRegex) : () => true;
  const exclude = a.excludes.length ? nameMatcher(a.excludes, a.useRegex) : () => false;
  const age = a.age !== undefined ? parseAge(a.age) : undefined;
  const size = a.size !== undefined ? parseSize(a.size) : undefined;
  return entries.filter((e) => {
    const name = posix.basename(e.path);
    if (!a.hidden && name.startsWith('.')) return false;
    if (a.fileType !== 'any' && e.type !== a.fileType) return false;
    if (!include(name) || exclude(name)) return false;
    if (age !== undefined) {
      const stamp = a.ageStamp === 'atime' ? e.atime : a.ageStamp === 'ctime' ? e.ctime : e.mtime;
      const elapsed = now - stamp;
      if (age >= 0 ? elapsed < age : elapsed > Math.abs(age)) return false;
    }
    if (size !== undefined && e.type === 'file' && (size >= 0 ? e.size < size : e.size > Math.abs(size))) return false;
    return true;
  });
}

/** The second round trip for `contains`: which regular files have a line matching at its start. */
async function filesContaining(ctx: ModuleContext, files: string[], pattern: string): Promise<Set<string>> {
  if (!files.length) return new Set();
  // grep -P is PCRE, the nearest to Python's re; Ansible uses re.match per line.
  const res = await ctx.run(`grep -lZP -e ${quote(`^(?:${pattern})`)} -- ${files.map(quote).join(' ')}`);
  if (res.rc > 1) throw new Error(`cannot search contents: ${res.stderr.toString().trim()}`);
  return new Set(res.stdout.toString('utf8').split('\0').filter(Boolean));
}

function fileInfo(e: FoundFile): Record<string, unknown> {
  const mode = parseInt(e.mode, 8);
  return {
    path: e.path, mode: e.mode, isdir: e.type === 'directory', isreg: e.type === 'file', islnk: e.type === 'link',
    size: e.size, mtime: e.mtime, atime: e.atime, ctime: e.ctime, uid: e.uid, gid: e.gid, pw_name: e.pw_name, gr_name: e.gr_name,
    inode: e.inode, nlink: e.nlink, xusr: (mode & 0o100) !== 0, wusr: (mode & 0o200) !== 0, rusr: (mode & 0o400) !== 0,
  };
}

export const find: Module<Record<string, any>, FindState> = {
  name: 'find',
  schema: {
    type: 'object',
    properties: {
      paths: stringListSchema, name: stringListSchema, path: stringListSchema,
      patterns: stringListSchema, pattern: stringListSchema, excludes: stringListSchema, exclude: stringListSchema,
      contains: stringSchema, file_type: { enum: ['any', 'directory', 'file', 'link'] },
      recurse: boolSchema, hidden: boolSchema, follow: boolSchema, use_regex: boolSchema, get_checksum: boolSchema,
      age: { type: ['string', 'integer'] }, age_stamp: { enum: ['atime', 'ctime', 'mtime'] },
      size: { type: ['string', 'integer'] }, depth: { type: 'integer', minimum: 1 }, read_whole_file: boolSchema,
    },
    anyOf: [{ required: ['paths'] }, { required: ['name'] }, { required: ['path'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'List files under the given folders matching name patterns (globs, or Python regexes with use_regex, on the base name), file_type, age (e.g. 2d, -1h), size (e.g. 10m, -1k) and contents (`contains`: a regex matched at the start of a line). recurse descends into sub-folders; hidden includes dot files. Never changes anything.',
    returns: { files: 'list of dicts: path, mode, isdir, isreg, islnk, size, mtime, uid, gid, pw_name, gr_name...', matched: 'number of files found', examined: 'number of entries looked at', skipped_paths: 'paths that could not be searched, with the reason' },
    example: [
      '- name: Old mail queue files',
      '  find:',
      '    paths: /var/spool/exim4/input',
      "    age: 7d",
      '    recurse: true',
      '  register: stale',
    ].join('\n'),
  },
  async read(ctx, args) {
    const a = normalise(args);
    const command = a.paths.map((p) => `if [ -d ${quote(p)} ]; then ${findCommand(p, a.recurse, a.depth, a.follow)} 2>/dev/null; else printf 'SKIP\\0%s\\0' ${quote(p)} >&2; fi`).join('; ');
    const res = await ctx.run(command);
    const skipped: Record<string, string> = {};
    const skipFields = res.stderr.toString('utf8').split('\0');
    skipFields.forEach((field, i) => {
      if (field === 'SKIP' && skipFields[i + 1] !== undefined) skipped[skipFields[i + 1]!] = `'${skipFields[i + 1]}' is not a directory`;
    });
    const entries = parseFindOutput(res.stdout);
    const state: FindState = { entries, examined: entries.length, skipped };
    if (a.contains !== undefined) {
      const candidates = selectEntries(entries, a, Date.now() / 1000).filter((e) => e.type === 'file').map((e) => e.path);
      state.contentMatches = await filesContaining(ctx, candidates, a.contains);
    }
    return state;
  },
  plan(_ctx, args, state) {
    const a = normalise(args);
    let selected = selectEntries(state.entries, a, Date.now() / 1000);
    if (state.contentMatches) selected = selected.filter((e) => e.type === 'file' && state.contentMatches!.has(e.path));
    selected.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const files = selected.map(fileInfo);
    const skipped = Object.keys(state.skipped).map((p) => `Skipped '${p}' path due to this access issue: ${state.skipped[p]}`);
    return {
      changed: false,
      result: { files, matched: files.length, examined: state.examined, skipped_paths: state.skipped, ...(skipped.length ? { msg: skipped.join('\n') } : {}) },
    };
  },
};
