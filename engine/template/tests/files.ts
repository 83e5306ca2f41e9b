/**
 * Path tests on the controller (as Python's os.path sees it, relative to the
 * current directory): directory, file, link, exists, link_exists, abs,
 * same_file and mount, each also under its old is_* name.
 */
import { lstatSync, statSync, type BigIntStats } from 'node:fs';
import { isString, pyStr } from '../python.js';
import { strict, type TestFn } from '../filters/support.js';

function pathOf(value: unknown): string | undefined {
  strict(value);
  return isString(value) ? String(value) : undefined;
}

function stat(path: string | undefined, follow = true): BigIntStats | undefined {
  if (path === undefined || path.includes('\0')) return undefined;
  try {
    return follow ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/** os.path.samefile: both must exist (a missing one is Python's FileNotFoundError). */
function sameFile(value: unknown, other: unknown): boolean {
  const paths = [value, other].map((v) => pyStr(strict(v)));
  const stats = paths.map((p) => {
    const s = stat(p);
    if (!s) throw new RangeError(`[Errno 2] No such file or directory: '${p}'`);
    return s;
  });
  return stats[0]!.dev === stats[1]!.dev && stats[0]!.ino === stats[1]!.ino;
}

/** os.path.ismount: not a symlink, and on another device than its parent (or the root itself). */
function isMount(value: unknown): boolean {
  const path = pathOf(value);
  const self = stat(path, false);
  if (!path || !self || self.isSymbolicLink()) return false;
  const parent = stat(`${path.replace(/\/+$/, '') || '/'}/..`, false);
  if (!parent) return false;
  return self.dev !== parent.dev || self.ino === parent.ino;
}

const directory: TestFn = (v) => stat(pathOf(v))?.isDirectory() ?? false;
const file: TestFn = (v) => stat(pathOf(v))?.isFile() ?? false;
const link: TestFn = (v) => stat(pathOf(v), false)?.isSymbolicLink() ?? false;
const exists: TestFn = (v) => stat(pathOf(v)) !== undefined;
const abs: TestFn = (v) => (pathOf(v) ?? '').startsWith('/');
const same: TestFn = (v, other) => sameFile(v, other);

export const fileTests: Record<string, TestFn> = {
  directory,
  is_dir: directory,
  file,
  is_file: file,
  link,
  is_link: link,
  exists,
  link_exists: (v) => stat(pathOf(v), false) !== undefined,
  abs,
  is_abs: abs,
  same_file: same,
  is_same_file: same,
  mount: isMount,
  is_mount: isMount,
};
