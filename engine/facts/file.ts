/**
 * The `file` fact: what is at some paths on a host (type, mode, owner, size,
 * times, links, checksum, optionally the content, the access the connecting
 * user has, the MIME type and the ext2 attributes), for any number of paths
 * in one command.
 *
 * Wire format: one record per path, `@R <index>` then tagged lines. Every
 * value is numeric, hex, base64 or a user/group name between \x01
 * separators, so no file name or content can break the parsing.
 */
import { createHash } from 'node:crypto';
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

export type FileType = 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'char' | 'block' | 'other';

export interface RemoteFileState {
  path: string;
  exists: boolean;
  /**
   * 'file', 'directory', 'link' or 'other' (fifo, socket, devices: see `kind`).
   * Kept coarse because most modules only tell these four apart.
   */
  type?: 'file' | 'directory' | 'link' | 'other';
  /** The precise type. */
  kind?: FileType;
  /** 4-digit octal, e.g. '0644'. */
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch, as Python's float st_mtime. */
  mtime?: number;
  atime?: number;
  ctime?: number;
  inode?: number;
  dev?: number;
  nlink?: number;
  /** 512-byte blocks allocated (st_blocks). */
  blocks?: number;
  /** Preferred I/O size (st_blksize). */
  blockSize?: number;
  /** Device number of a device file (st_rdev). */
  rdev?: number;
  /** sha1 of a regular file's content (when the checksum asked for is sha1, the default). */
  sha1?: string;
  /** The checksum asked for, in hex (sha1 unless another algorithm was requested). */
  checksum?: string;
  /** When requested, for regular files up to the query's contentLimit bytes. */
  content?: Buffer;
  /** When the content was requested but the file is larger: its first 8 KiB. */
  head?: Buffer;
  /** For symbolic links (whatever `follow` says). */
  linkTarget?: string;
  /** For symbolic links: the fully resolved path (readlink -f), as Ansible's lnk_source. */
  realPath?: string;
  /** follow was asked and the path is a link to nothing: the other fields describe the link. */
  dangling?: boolean;
  /** What the connecting (or become) user may do, as os.access. */
  access?: { readable: boolean; writeable: boolean; executable: boolean };
  /** `file --mime-type --mime-encoding`, when asked and available. */
  mime?: { mimetype: string; charset: string };
  /** `lsattr -vd`, when asked and available (empty for links and unsupported file systems). */
  attributes?: { version: string; flags: string };
  /** With `why`: the path could not be looked at (a folder on the way is not searchable). */
  denied?: boolean;
}

export interface FileQuery {
  path: string;
  /** Describe the link's target (default true); false describes a link itself. */
  follow?: boolean;
  /** Also return the content of a regular file up to `contentLimit` bytes. */
  content?: boolean;
  /** Bytes up to which the content is transferred (default CONTENT_LIMIT); larger files give their first 8 KiB (`head`). */
  contentLimit?: number;
  /** Checksum of regular files; default 'sha1', false for none. */
  checksum?: ChecksumAlgorithm | false;
  /** readable/writeable/executable for the user running the command. */
  access?: boolean;
  mime?: boolean;
  attributes?: boolean;
  /** For a path that cannot be seen: tell "permission denied" from "missing" (one more process then). */
  why?: boolean;
}

/** Files larger than this are not transferred by a content query (only hashed). */
export const CONTENT_LIMIT = 16 * 1024 * 1024;

const SEP = '\\001';
/** st_mode in hex, permissions, ids, size, times with nanoseconds, inode, device, links, blocks, blksize, rdev, names. */
const STAT_FORMAT = ['%f', '%a', '%u', '%g', '%s', '%.9X', '%.9Y', '%.9Z', '%i', '%d', '%h', '%b', '%o', '%r', '%U', '%G'].join(SEP);
const STAT_PRINTF = quote(`${STAT_FORMAT}\\n`);

/**
 * A command printing the lstat of a path as an `S ` line, for commands that
 * change a file and report what it became. `pathExpression` is shell text
 * (quoted, or a variable such as "$p").
 */
export function statLineCommand(pathExpression: string): string {
  return `printf 'S '; stat --printf ${STAT_PRINTF} -- ${pathExpression} || echo`;
}

/** The state printed by statLineCommand in some output (exists: false when there is none). */
export function parseStatLineIn(path: string, stdout: Buffer | string): RemoteFileState {
  const line = stdout.toString().split('\n').find((l) => l.startsWith('S '));
  const parsed = line ? parseStatLine(line.slice(2)) : {};
  return parsed.exists ? { path, ...parsed, exists: true } : { path, exists: false };
}

function recordScript(q: FileQuery, index: number): string {
  const p = quote(q.path);
  const follow = q.follow !== false;
  const algorithm = q.checksum === undefined ? 'sha1' : q.checksum;
  // With follow, [ -e ] sees the target: a link to nothing is described as itself ('D').
  const statLines = follow
    ? `  if [ -e ${p} ]; then printf 'S '; stat -L --printf ${STAT_PRINTF} -- ${p} || echo; else printf 'D '; stat --printf ${STAT_PRINTF} -- ${p} || echo; fi`
    : `  printf 'S '; stat --printf ${STAT_PRINTF} -- ${p} || echo`;
  const isRegular = follow ? `[ -f ${p} ]` : `[ -f ${p} ] && [ ! -L ${p} ]`;
  const hash = algorithm ? `printf 'H '; ${algorithm}sum < ${p} || echo;` : '';
  // With the content, its hash is computed here, not on the host.
  const limit = q.contentLimit ?? CONTENT_LIMIT;
  const body = q.content
    ? `if [ "$(stat -L -c %s -- ${p})" -le ${limit} ]; then printf 'C '; base64 -w0 < ${p}; echo; else printf 'P '; head -c 8192 < ${p} | base64 -w0; echo; ${hash} fi`
    : hash;
  // A task's cost is mostly the processes it starts on the host: no variable
  // (so the resident shell can run this without a subshell) and no command
  // substitution but the size check. `|| echo` ends a line whose command printed nothing.
  const lines = [
    `echo '@R ${index}'`,
    `if [ -e ${p} ] || [ -L ${p} ]; then`,
    statLines,
    `  if [ -L ${p} ]; then printf 'L '; readlink -- ${p} | base64 -w0; echo; printf 'R '; readlink -f -- ${p} | base64 -w0; echo; fi`,
  ];
  if (body) lines.push(`  if ${isRegular} && [ -r ${p} ]; then ${body} fi`);
  if (q.access) {
    const bit = (test: string) => `{ [ ${test} ${p} ] && printf 1 || printf 0; }`;
    lines.push(`  printf 'A '; ${bit('-r')}; ${bit('-w')}; ${bit('-x')}; echo`);
  }
  if (q.mime) lines.push(`  printf 'M '; file -b --mime-type --mime-encoding -- ${p} 2>/dev/null | base64 -w0; echo`);
  if (q.attributes) lines.push(`  printf 'X '; lsattr -vd -- ${p} 2>/dev/null | base64 -w0; echo`);
  if (q.why) lines.push(`else stat -- ${p} 2>&1 >/dev/null | grep -q 'Permission denied' && echo 'W EACCES' || :`);
  lines.push('fi');
  return lines.join('\n');
}

/** Python's float st_mtime: seconds + nanoseconds * 1e-9, in that order (so the same double). */
export function parseStatTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[2]);
  const nanoseconds = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  const value = seconds + nanoseconds * 1e-9;
  return m[1] ? -value : value;
}

const KIND_BY_BITS: Record<number, FileType> = {
  0o100000: 'file', 0o040000: 'directory', 0o120000: 'link', 0o010000: 'fifo', 0o140000: 'socket', 0o020000: 'char', 0o060000: 'block',
};

function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

/** One stat line (fields separated by \x01). Garbage gives an empty object, never an exception. */
export function parseStatLine(line: string): Partial<RemoteFileState> {
  const f = line.replace(/\n$/, '').split('\x01');
  if (f.length < 16 || !/^[0-9a-f]+$/i.test(f[0]!) || !/^[0-7]+$/.test(f[1]!)) return {};
  const rawMode = parseInt(f[0]!, 16);
  const kind = KIND_BY_BITS[rawMode & 0o170000] ?? 'other';
  const type = kind === 'file' || kind === 'directory' || kind === 'link' ? kind : 'other';
  // stat prints UNKNOWN for an id without a name (Ansible then leaves pw_name out).
  const name = (value: string | undefined) => (value === undefined || value === 'UNKNOWN' ? undefined : value);
  return {
    exists: true,
    type,
    kind,
    mode: (parseInt(f[1]!, 8) & 0o7777).toString(8).padStart(4, '0'),
    uid: toNumber(f[2]),
    gid: toNumber(f[3]),
    size: toNumber(f[4]),
    atime: parseStatTime(f[5]),
    mtime: parseStatTime(f[6]),
    ctime: parseStatTime(f[7]),
    inode: toNumber(f[8]),
    dev: toNumber(f[9]),
    nlink: toNumber(f[10]),
    blocks: toNumber(f[11]),
    blockSize: toNumber(f[12]),
    rdev: toNumber(f[13]),
    owner: name(f[14]),
    group: name(f[15]),
  };
}

function fromBase64Line(value: string): string {
  return Buffer.from(value.trim(), 'base64').toString('utf8').replace(/\n$/, '');
}

function parseMime(text: string): RemoteFileState['mime'] {
  // "text/plain; charset=us-ascii"
  const [type, charset] = text.split(';');
  if (!type || charset === undefined || !charset.includes('=')) return undefined;
  return { mimetype: type.trim(), charset: charset.split('=')[1]!.trim() };
}

function parseAttributes(text: string): RemoteFileState['attributes'] {
  // "0 --------------e------- /path"
  const [version, flags] = text.split(/\s+/);
  if (version === undefined || flags === undefined || version === '') return undefined;
  return { version, flags: flags.replace(/-/g, '') };
}

/** The records of a file fact's output, one state per query, in order. */
export function parseFileRecords(out: string, queries: FileQuery[]): RemoteFileState[] {
  const states: RemoteFileState[] = queries.map((q) => ({ path: q.path, exists: false }));
  let current: RemoteFileState | undefined;
  let query: FileQuery | undefined;
  for (const line of out.split('\n')) {
    const tag = line.slice(0, 2);
    const value = line.slice(2);
    if (tag === '@R') {
      const index = Number(line.slice(3));
      current = states[index];
      query = queries[index];
      continue;
    }
    if (!current || !query) continue;
    if (tag === 'S ' || tag === 'D ') {
      Object.assign(current, parseStatLine(value));
      if (tag === 'D ' && current.exists) current.dangling = true;
    } else if (tag === 'L ') current.linkTarget = fromBase64Line(value);
    else if (tag === 'R ') current.realPath = fromBase64Line(value) || undefined;
    else if (tag === 'H ') {
      const hex = /^[0-9a-f]{32,128}/.exec(value)?.[0];   // "<hash>  -"
      if (hex) current.checksum = hex;
    } else if (tag === 'C ') {
      current.content = Buffer.from(value, 'base64');
      current.checksum = createHash(query.checksum || 'sha1').update(current.content).digest('hex');
    } else if (tag === 'P ') current.head = Buffer.from(value, 'base64');
    else if (tag === 'A ' && /^[01]{3}$/.test(value)) {
      current.access = { readable: value[0] === '1', writeable: value[1] === '1', executable: value[2] === '1' };
    } else if (tag === 'M ') current.mime = parseMime(fromBase64Line(value));
    else if (tag === 'X ') current.attributes = parseAttributes(fromBase64Line(value));
    else if (tag === 'W ' && value === 'EACCES' && !current.exists) current.denied = true;
  }
  for (const [i, state] of states.entries()) {
    const algorithm = queries[i]!.checksum === undefined ? 'sha1' : queries[i]!.checksum;
    if (algorithm === 'sha1' && state.checksum) state.sha1 = state.checksum;
    if (!algorithm) delete state.checksum;
  }
  return states;
}

export const fileFact: Fact<FileQuery[], RemoteFileState[]> = {
  name: 'file',
  inline: true,
  command: (queries) => queries.map(recordScript).join('\n'),
  parse(output: FactOutput, queries) {
    if (output.rc !== 0) {
      const why = output.stderr.trim() || `rc ${output.rc}, no error output (the command was cut off?)`;
      throw new Error(`cannot stat ${[...new Set(queries.map((q) => q.path))].join(', ')}: ${why}`);
    }
    return parseFileRecords(output.stdout.toString('utf8'), queries);
  },
};
