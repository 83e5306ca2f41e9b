/**
 * Files the engine keeps for itself between runs (the compile cache, parsed
 * YAML): read only when private to this user, written all at once.
 */
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import vm from 'node:vm';

/** A private folder the engine keeps things in, and the name of the build that made them (another build's are never read). */
export interface PrivateCache {
  dir: string;
  build: string;
}

/**
 * The content of `file` if it is a plain file of this user that no one else
 * can read or write, opened without following a link; undefined when there
 * is none, or why it cannot be used.
 */
export function readPrivateFile(file: string): Buffer | undefined | string {
  let fd: number;
  try {
    // O_NOFOLLOW: a link in the cache folder is never followed.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return `${file} is not a plain file`;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${file} belongs to another user`;
    if (st.mode & 0o077) return `${file} is open to other users`;
    const data = Buffer.alloc(st.size);
    for (let at = 0; at < st.size;) {
      const n = readSync(fd, data, at, st.size - at, at);
      if (n <= 0) break;
      at += n;
    }
    return data;
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `file` all at once: a temporary file of this process, then a rename. */
export function writePrivateFile(file: string, data: Buffer): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // never made
    }
  }
}

/**
 * What became of compiled code kept in a private file: `used`; `made` (there
 * was none) or `rejected` (V8 refused it: another version, other flags, a
 * damaged file), both then for the caller to write at the end of the run; or
 * refused, with why (a file that is not private, left alone).
 */
export type KeptCode = 'used' | 'made' | 'rejected' | `refused: ${string}`;

/** `source` compiled with the V8 code kept in `entry`, when that file is private. */
export function compileWithKeptCode(source: string, filename: string, entry: string): { script: vm.Script; kept: KeptCode } {
  const read = readPrivateFile(entry);
  const cachedData = Buffer.isBuffer(read) ? read : undefined;
  const script = new vm.Script(source, { filename, ...(cachedData ? { cachedData } : {}) });
  if (typeof read === 'string') return { script, kept: `refused: ${read}` };
  return { script, kept: !cachedData ? 'made' : script.cachedDataRejected ? 'rejected' : 'used' };
}

/** Whether the run should write the script's code at its end (none was used). */
export const keepsNewCode = (kept: KeptCode): boolean => kept === 'made' || kept === 'rejected';

