/**
 * One `stat` line: the fields of a path's lstat or stat as the file fact and
 * the modules that report what a file became print them. Every field is
 * numeric, hex or a user/group name between \x01 separators.
 */
import { quote } from '../connection/quote.js';
import type { FileType, RemoteFileState } from './file.js';

const SEP = '\\001';
/** st_mode in hex, permissions, ids, size, times with nanoseconds, inode, device, links, blocks, blksize, rdev, names. */
export const STAT_FIELDS = ['%f', '%a', '%u', '%g', '%s', '%.9X', '%.9Y', '%.9Z', '%i', '%d', '%h', '%b', '%o', '%r', '%U', '%G'].join(SEP);
const STAT_PRINTF = quote(`${STAT_FIELDS}\\n`);

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

