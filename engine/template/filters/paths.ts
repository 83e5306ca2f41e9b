/**
 * Paths, as Python's os.path (posixpath) and ntpath see them, on the
 * controller: basename, dirname, expanduser, expandvars, realpath, relpath,
 * splitext, path_join, the win_* filters and fileglob.
 */
import { lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isString, pyStr } from '../python.js';
import { FilterTypeError, bindArgs, strict, text, type FilterFn } from './support.js';

export function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** posixpath.dirname: the head keeps a run of only slashes ('//'), else loses its trailing slashes. */
export function dirname(p: string): string {
  const head = p.slice(0, p.lastIndexOf('/') + 1);
  if (head && !/^\/+$/.test(head)) return head.replace(/\/+$/, '');
  return head;
}

/** posixpath.join: an absolute component starts over. */
export function pathJoin(parts: string[]): string {
  let out = parts[0] ?? '';
  for (const part of parts.slice(1)) {
    if (part.startsWith('/')) out = part;
    else if (out === '' || out.endsWith('/')) out += part;
    else out += `/${part}`;
  }
  return out;
}

/** posixpath.normpath. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('//') && !p.startsWith('///') ? 2 : p.startsWith('/') ? 1 : 0;
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..' || (initial === 0 && parts.length === 0) || (parts.length > 0 && parts[parts.length - 1] === '..')) parts.push(part);
    else if (parts.length > 0) parts.pop();
  }
  const out = '/'.repeat(initial) + parts.join('/');
  return out || '.';
}

function abspath(p: string): string {
  return normpath(p.startsWith('/') ? p : pathJoin([process.cwd(), p]));
}

function homeOf(user: string): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields[0] === user && fields.length >= 6) return fields[5];
    }
  } catch {
    // no passwd file: the path stays as it is, as Python leaves it
  }
  return undefined;
}

/** posixpath.expanduser: `~` is $HOME, `~user` that user's home; anything else unchanged. */
function expanduser(p: string): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/', 1);
  const end = slash < 0 ? p.length : slash;
  const user = p.slice(1, end);
  let home = user === '' ? process.env.HOME ?? homedir() : homeOf(user);
  if (home === undefined) return p;
  home = home.replace(/\/+$/, '');
  return (home || '/') + p.slice(end);
}

/** posixpath.expandvars: $name and ${name} of the controller's environment; unknown names stay. */
function expandvars(p: string): string {
  if (!p.includes('$')) return p;
  return p.replace(/\$([A-Za-z0-9_]+|\{[^}]*\})/g, (whole, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const value = process.env[key];
    return value === undefined ? whole : value;
  });
}

/** posixpath.split. */
function split(p: string): [string, string] {
  const i = p.lastIndexOf('/') + 1;
  const head = p.slice(0, i);
  return [head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head, p.slice(i)];
}

/**
 * posixpath.realpath (not strict): each symlink of the existing part is
 * resolved; a symlink loop leaves the rest of the path as written.
 */
function joinRealpath(start: string, rest: string, seen: Map<string, string | null>): [string, boolean] {
  let path = start;
  if (rest.startsWith('/')) {
    rest = rest.slice(1);
    path = '/';
  }
  while (rest) {
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    rest = slash < 0 ? '' : rest.slice(slash + 1);
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (path) {
        const [head, tail] = split(path);
        path = tail === '..' ? pathJoin([head, '..', '..']) : head;
      } else path = '..';
      continue;
    }
    const next = pathJoin([path, name]);
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      isLink = false;
    }
    if (!isLink) {
      path = next;
      continue;
    }
    if (seen.has(next)) {
      const known = seen.get(next);
      if (known !== null && known !== undefined) {
        path = known;
        continue;
      }
      return [pathJoin([next, rest]), false];
    }
    seen.set(next, null);
    const [resolved, ok] = joinRealpath(path, readlinkSync(next), seen);
    if (!ok) return [pathJoin([resolved, rest]), false];
    path = resolved;
    seen.set(next, path);
  }
  return [path, true];
}

function realpath(p: string): string {
  return abspath(joinRealpath('', p, new Map())[0]);
}

/** posixpath.relpath. */
function relpath(value: unknown, ...args: unknown[]): string {
  const [start = '.'] = bindArgs('relpath', args, ['start']);
  const p = text(value);
  if (p === '') throw new RangeError('no path specified');
  const from = abspath(start === null ? '.' : pyStr(start)).split('/').filter(Boolean);
  const to = abspath(p).split('/').filter(Boolean);
  let common = 0;
  while (common < from.length && common < to.length && from[common] === to[common]) common++;
  const parts = [...Array.from({ length: from.length - common }, () => '..'), ...to.slice(common)];
  return parts.length === 0 ? '.' : parts.join('/');
}

/** posixpath.splitext: the extension starts at the last dot of the last component, not counting leading dots. */
export function splitext(p: string): [string, string] {
  const sep = p.lastIndexOf('/');
  const dot = p.lastIndexOf('.');
  if (dot > sep) {
    let first = sep + 1;
    while (first < dot) {
      if (p[first] !== '.') return [p.slice(0, dot), p.slice(dot)];
      first++;
    }
  }
  return [p, ''];
}

/** ntpath.splitdrive: a drive letter or a UNC share. */
export function winSplitdrive(p: string): [string, string] {
  if (p.length >= 2) {
    const norm = p.replace(/\//g, '\\');
    if (norm.startsWith('\\\\')) {
      const start = norm.slice(0, 8).toUpperCase() === '\\\\?\\UNC\\' ? 8 : 2;
      const index = norm.indexOf('\\', start);
      if (index < 0) return [p, ''];
      const index2 = norm.indexOf('\\', index + 1);
      if (index2 < 0) return [p, ''];
      return [p.slice(0, index2), p.slice(index2)];
    }
    if (norm[1] === ':') return [p.slice(0, 2), p.slice(2)];
  }
  return ['', p];
}

function winSplit(p: string): [string, string] {
  const [drive, rest] = winSplitdrive(p);
  let i = rest.length;
  while (i > 0 && !'/\\'.includes(rest[i - 1]!)) i--;
  const head = rest.slice(0, i);
  const tail = rest.slice(i);
  return [drive + (head.replace(/[/\\]+$/, '') || head), tail];
}

function pathJoinFilter(value: unknown): string {
  strict(value);
  if (isString(value)) return String(value);
  if (Array.isArray(value)) return pathJoin(value.map(text));
  throw new FilterTypeError(`|path_join expects string or sequence, got <class '${value === null ? 'NoneType' : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : typeof value === 'boolean' ? 'bool' : 'dict'}'> instead.`);
}

function fnmatchRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

const MAGIC = /[*?[]/;

/** glob.glob (not recursive): the matching paths, hidden names only for patterns starting with a dot. */
function glob(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((part, i) => part !== '' || i === 0);
  let candidates = [absolute ? '/' : ''];
  for (const part of absolute ? parts.slice(1) : parts) {
    const next: string[] = [];
    for (const base of candidates) {
      const join = (name: string) => (base === '' ? name : base.endsWith('/') ? base + name : `${base}/${name}`);
      if (!MAGIC.test(part)) {
        next.push(join(part));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(base === '' ? '.' : base);
      } catch {
        continue;
      }
      const re = fnmatchRegExp(part);
      for (const name of names) if ((part.startsWith('.') || !name.startsWith('.')) && re.test(name)) next.push(join(name));
    }
    candidates = next;
  }
  return candidates.filter((c) => {
    try {
      lstatSync(c);
      return true;
    } catch {
      return false;
    }
  });
}

function fileglob(value: unknown): string[] {
  return glob(text(value)).filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
}

export const pathFilters: Record<string, FilterFn> = {
  basename: (v) => basename(text(v)),
  dirname: (v) => dirname(text(v)),
  expanduser: (v) => expanduser(text(v)),
  expandvars: (v) => expandvars(text(v)),
  realpath: (v) => realpath(text(v)),
  relpath,
  splitext: (v) => splitext(text(v)),
  path_join: pathJoinFilter,
  win_basename: (v) => winSplit(text(v))[1],
  win_dirname: (v) => winSplit(text(v))[0],
  win_splitdrive: (v) => winSplitdrive(text(v)),
  fileglob,
};
