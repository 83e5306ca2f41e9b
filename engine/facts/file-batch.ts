/**
 * The program behind the `file` fact: the state of any number of paths with a
 * fixed number of processes on the host, whatever the number of paths. A
 * task's cost on a host is mostly the programs it starts, and read-ahead
 * (engine/runner/read-ahead.ts) sends the reads of dozens of tasks at once:
 * one `stat` for every path, one `stat -L` for the paths read through links,
 * one `sha1sum` (per algorithm) for every regular file to hash. Only content
 * (`head | base64`), links (`readlink`) and the stat module's extras (`file`,
 * `lsattr`) cost processes per path.
 *
 * Wire format: NUL-separated tokens (no path, name or content can hold a
 * NUL). Records of the programs that take many paths carry the path as the
 * program printed it (stat's `%n`, sha1sum -z's name); the per-path records
 * carry the hex of the path, written by the controller. So the output of one
 * program for many queries answers each query by its path alone: the queries
 * of several tasks share one output (see `mergeFileQueries`).
 *
 *   S <stat fields>\x01<name>   lstat of every path
 *   T <stat fields>\x01<name>   stat through links (follow)
 *   @H <algorithm>, then <hex digest>  <name> per file
 *   C <hex> <base64>           content, up to the limit + 1 bytes
 *   L <hex> <target> / R <hex> <resolved>   a link's target, readlink -f
 *   A <hex> <rwx as 0/1>, M <hex> <file --mime>, X <hex> <lsattr -vd> (or Y <hex> <lsattr -d>), W <hex> EACCES
 *   @rc <program> <exit code>, @end
 */
import { createHash } from 'node:crypto';
import { quote } from '../connection/quote.js';
import type { ChecksumAlgorithm, FileQuery, RemoteFileState } from './file.js';
import { parseStatLine, STAT_FIELDS } from './stat-line.js';
import { hexOf } from './wire.js';

/** Files larger than this are not transferred by a content query (only hashed; their first 8 KiB are kept). */
export const CONTENT_LIMIT = 16 * 1024 * 1024;
const HEAD_SIZE = 8192;

/** What the program reads about one path, for all the queries that name it. */
interface PathNeeds {
  path: string;
  follow: boolean;
  hash: Set<ChecksumAlgorithm>;
  /** Bytes of content to transfer (the largest limit asked), when content is asked. */
  content?: number;
  access: boolean;
  mime: boolean;
  attributes: boolean;
  why: boolean;
}

const algorithmOf = (q: FileQuery): ChecksumAlgorithm | false => (q.checksum === undefined ? 'sha1' : q.checksum);
/** `stat -`, `sha1sum -` read stdin: a path that is exactly '-' is named './-' (the name in records, too). */
const argumentOf = (path: string): string => (path === '-' ? './-' : path);

function needsOf(queries: readonly FileQuery[]): PathNeeds[] {
  const byPath = new Map<string, PathNeeds>();
  for (const q of queries) {
    let n = byPath.get(q.path);
    if (!n) byPath.set(q.path, (n = { path: q.path, follow: false, hash: new Set(), access: false, mime: false, attributes: false, why: false }));
    n.follow ||= q.follow !== false;
    const algorithm = algorithmOf(q);
    if (algorithm) n.hash.add(algorithm);
    if (q.content) n.content = Math.max(n.content ?? 0, q.contentLimit ?? CONTENT_LIMIT);
    n.access ||= q.access === true;
    n.mime ||= q.mime === true;
    n.attributes ||= q.attributes === true;
    n.why ||= q.why === true;
  }
  return [...byPath.values()];
}

const statFormat = (tag: string): string => quote(`${tag} ${STAT_FIELDS}\\001%n\\000`);
const token = (text: string): string => `printf '\\000%s\\000' ${quote(text)}`;
const rcToken = (program: string): string => `printf '\\000@rc ${program} %s\\000' "$?"`;

/** The shell program reading every query's state. Quoted throughout; the positional parameters are its only variable. */
export function fileProgram(queries: readonly FileQuery[]): string {
  const needs = needsOf(queries);
  const lines = [token('@file 1')];
  const all = needs.map((n) => quote(argumentOf(n.path)));
  if (all.length) lines.push(`stat --printf ${statFormat('S')} -- ${all.join(' ')} 2>/dev/null; ${rcToken('S')}`);
  const followed = needs.filter((n) => n.follow).map((n) => quote(argumentOf(n.path)));
  if (followed.length) lines.push(`stat -L --printf ${statFormat('T')} -- ${followed.join(' ')} 2>/dev/null; ${rcToken('T')}`);
  for (const n of needs) lines.push(...perPath(n));
  for (const algorithm of new Set(needs.flatMap((n) => [...n.hash]))) {
    // Only regular files that can be read: a fifo or a device would never end.
    // Content is hashed too: the checksum of a file over the content limit.
    lines.push('set --');
    for (const n of needs.filter((x) => x.hash.has(algorithm))) {
      lines.push(`[ -f ${quote(n.path)} ] && [ -r ${quote(n.path)} ] && set -- "$@" ${quote(argumentOf(n.path))}`);
    }
    lines.push(`if [ $# -gt 0 ]; then ${token(`@H ${algorithm}`)}; ${algorithm}sum -z -- "$@" 2>/dev/null; ${rcToken('H')}; fi`);
  }
  lines.push(token('@end'));
  return lines.join('\n');
}

/** The per-path reads: content, links, and the stat module's extras. */
function perPath(n: PathNeeds): string[] {
  const p = quote(n.path);
  const hex = hexOf(n.path);
  const tagged = (tag: string) => `printf '\\000${tag} ${hex} '`;
  const inner: string[] = [`if [ -L ${p} ]; then ${tagged('L')}; readlink -n -- ${p}; ${tagged('R')}; readlink -n -f -- ${p}; fi`];
  if (n.content !== undefined) {
    inner.push(`if [ -f ${p} ] && [ -r ${p} ]; then ${tagged('C')}; head -c ${n.content + 1} < ${p} | base64 -w0; fi`);
  }
  if (n.access) {
    const bit = (test: string) => `{ [ ${test} ${p} ] && printf 1 || printf 0; }`;
    inner.push(`${tagged('A')}; ${bit('-r')}; ${bit('-w')}; ${bit('-x')}`);
  }
  if (n.mime) inner.push(`${tagged('M')}; file -b --mime-type --mime-encoding -- ${p} 2>/dev/null`);
  // Some file systems answer `lsattr -d` but not the version ioctl of `-v`: Ansible compares the flags of `-d`.
  if (n.attributes) inner.push(`${tagged('X')}; lsattr -vd -- ${p} 2>/dev/null || { ${tagged('Y')}; lsattr -d -- ${p} 2>/dev/null; }`);
  // Only links cost anything when nothing but the stat is asked: skip the test for the rest.
  const onlyLinks = inner.length === 1;
  const lines = onlyLinks ? inner : [`if [ -e ${p} ] || [ -L ${p} ]; then`, ...inner.map((l) => `  ${l}`)];
  if (n.why) {
    const denied = `stat -- ${p} 2>&1 >/dev/null | grep -q 'Permission denied' && printf '\\000W ${hex} EACCES\\000'`;
    lines.push(onlyLinks ? `if ! [ -e ${p} ] && ! [ -L ${p} ]; then ${denied}; fi` : `else ${denied}; fi`);
  } else if (!onlyLinks) lines.push('fi');
  return lines;
}

/** The output of fileProgram, indexed by path. */
interface FileOutputIndex {
  lstat: Map<string, string>;
  stat: Map<string, string>;
  hashes: Map<string, string>;
  tagged: Map<string, string>;
  rc: Map<string, number>;
  complete: boolean;
}

const indexes = new WeakMap<Buffer, FileOutputIndex>();

/** Splits the output once; every query answered from the same output (a shared read-ahead batch) reuses it. */
export function indexFileOutput(stdout: Buffer): FileOutputIndex {
  const known = indexes.get(stdout);
  if (known) return known;
  const index: FileOutputIndex = { lstat: new Map(), stat: new Map(), hashes: new Map(), tagged: new Map(), rc: new Map(), complete: false };
  let algorithm = '';
  for (const part of stdout.toString('utf8').split('\0')) {
    if (part === '') continue;
    if (part === '@end') index.complete = true;
    else if (part.startsWith('@H ')) algorithm = part.slice(3);
    else if (part.startsWith('@rc ')) {
      const [, program, code] = part.split(' ');
      if (program && code && /^\d+$/.test(code)) index.rc.set(program, Math.max(index.rc.get(program) ?? 0, Number(code)));
    } else if (part.startsWith('S ') || part.startsWith('T ')) {
      const record = part.slice(2);
      const cut = nthIndexOf(record, '\x01', 16);
      if (cut !== -1) (part[0] === 'S' ? index.lstat : index.stat).set(record.slice(cut + 1), record.slice(0, cut));
    } else if (/^[CLRAMXYW] [0-9a-f]* /.test(part)) {
      const space = part.indexOf(' ', 2);
      index.tagged.set(`${part[0]} ${part.slice(2, space)}`, part.slice(space + 1));
    } else {
      const hash = /^([0-9a-f]{32,128}) {2}([\s\S]*)$/.exec(part);
      if (hash && algorithm) index.hashes.set(`${algorithm} ${hash[2]}`, hash[1]!);
    }
  }
  indexes.set(stdout, index);
  return index;
}

function nthIndexOf(text: string, char: string, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = text.indexOf(char, at + 1);
    if (at === -1) return -1;
  }
  return at;
}

function parseMime(text: string): RemoteFileState['mime'] {
  // "text/plain; charset=us-ascii"
  const [type, charset] = text.trim().split(';');
  if (!type || charset === undefined || !charset.includes('=')) return undefined;
  return { mimetype: type.trim(), charset: charset.split('=')[1]!.trim() };
}

function parseAttributes(text: string): RemoteFileState['attributes'] {
  // "0 --------------e------- /path"
  const [version, flags] = text.trim().split(/\s+/);
  if (version === undefined || flags === undefined || version === '') return undefined;
  return { version, flags: flags.replace(/-/g, '') };
}

/** A problem of the whole read (a program missing, the output cut off), or undefined. */
export function fileOutputProblem(index: FileOutputIndex): string | undefined {
  if (!index.complete) return 'the output was cut off';
  for (const [program, code] of index.rc) {
    // 1: some path could not be read (it vanished meanwhile): that path is reported missing.
    if (code > 1) return `${program === 'H' ? 'the checksum program' : 'stat'} exited with ${code}${code === 127 ? ' (not installed?)' : ''}`;
  }
  return undefined;
}

/** One query's state from the indexed output. */
export function stateFromIndex(index: FileOutputIndex, q: FileQuery): RemoteFileState {
  const name = argumentOf(q.path);
  const hex = hexOf(q.path);
  const tagged = (tag: string) => index.tagged.get(`${tag} ${hex}`);
  const lstat = index.lstat.get(name);
  const state: RemoteFileState = { path: q.path, exists: false };
  if (lstat === undefined) {
    if (tagged('W') === 'EACCES') state.denied = true;
    return state;
  }
  const own = parseStatLine(lstat);
  if (!own.exists) return state;
  const followed = q.follow !== false && own.type === 'link' ? index.stat.get(name) : undefined;
  Object.assign(state, followed !== undefined ? parseStatLine(followed) : own);
  if (q.follow !== false && own.type === 'link' && followed === undefined) state.dangling = true;
  if (own.type === 'link') {
    const target = tagged('L');
    if (target !== undefined) state.linkTarget = target;
    const real = tagged('R');
    if (real) state.realPath = real;
  }
  const algorithm = algorithmOf(q);
  const regular = state.type === 'file';
  if (regular && q.content) {
    const content = tagged('C');
    const limit = q.contentLimit ?? CONTENT_LIMIT;
    if (content !== undefined) {
      const bytes = Buffer.from(content, 'base64');
      if (bytes.length <= limit) {
        state.content = bytes;
        state.checksum = createHash(algorithm || 'sha1').update(bytes).digest('hex');
      } else state.head = bytes.subarray(0, HEAD_SIZE);
    }
  }
  if (regular && state.checksum === undefined) {
    const hash = index.hashes.get(`${algorithm || 'sha1'} ${name}`);
    if (hash) state.checksum = hash;
  }
  if (q.access) {
    const bits = tagged('A');
    if (bits !== undefined && /^[01]{3}$/.test(bits)) state.access = { readable: bits[0] === '1', writeable: bits[1] === '1', executable: bits[2] === '1' };
  }
  if (q.mime) {
    const mime = tagged('M');
    if (mime !== undefined) state.mime = parseMime(mime);
  }
  if (q.attributes) {
    const attributes = tagged('X');
    if (attributes) state.attributes = parseAttributes(attributes);
    const flagsOnly = tagged('Y')?.trim().split(/\s+/)[0];
    state.attributeFlags = state.attributes?.flags ?? (flagsOnly ? flagsOnly.replace(/-/g, '') : undefined);
  }
  if (algorithm === 'sha1' && state.checksum) state.sha1 = state.checksum;
  if (!algorithm) delete state.checksum;
  return state;
}
