/**
 * Where the multiplexer's sockets live, and the checks made before trusting
 * any of them: the folder is the user's own and private (0700, not a
 * symlink, in a parent nobody else may rename things in), and a socket is a
 * socket of the user's, readable by nobody else (0600). Anything else is not
 * used: it is removed (the folder is ours) and replaced.
 */
import { lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const PERSIST_DIR_ENV = 'UXSV_SSH_PERSIST_DIR';
/** The multiplexer's own socket, where connections are made; each kept connection has `<key>.sock`. */
export const CONTROL_SOCKET = 'mux.sock';

/** root: /run/uxsv/mux (gone at reboot); other users: ~/.uxsv/mux. UXSV_SSH_PERSIST_DIR overrides. */
export function defaultPersistDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[PERSIST_DIR_ENV];
  if (fromEnv) return fromEnv;
  return process.geteuid?.() === 0 ? '/run/uxsv/mux' : join(homedir(), '.uxsv', 'mux');
}

export function connectionSocket(dir: string, key: string): string {
  return join(dir, `${key}.sock`);
}

export function controlSocket(dir: string): string {
  return join(dir, CONTROL_SOCKET);
}

const uid = (): number => process.geteuid?.() ?? -1;

/** Creates the folder (0700) if missing; throws with the reason when it cannot be trusted. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}

export function checkPrivateDir(dir: string): void {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`);
  if (stat.uid !== uid()) throw new Error(`${dir} belongs to uid ${stat.uid}, not to this user (${uid()})`);
  if ((stat.mode & 0o077) !== 0) throw new Error(`${dir} has mode ${(stat.mode & 0o777).toString(8)}; it must be 0700`);
  // Whoever may write to the parent could swap the folder for another.
  const parent = lstatSync(dirname(dir));
  const parentTrusted = parent.uid === uid() || parent.uid === 0;
  const othersMayWrite = (parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0;
  if (!parentTrusted || othersMayWrite) {
    throw new Error(`the folder holding ${dir} may be changed by other users (owner uid ${parent.uid}, mode ${(parent.mode & 0o7777).toString(8)})`);
  }
}

/** Why a socket file must not be used, or undefined when it may be. */
export function socketProblem(stat: Stats): string | undefined {
  if (!stat.isSocket()) return 'not a socket';
  if (stat.uid !== uid()) return `owned by uid ${stat.uid}`;
  if ((stat.mode & 0o177) !== 0) return `mode ${(stat.mode & 0o777).toString(8)} (must be 0600)`;
  return undefined;
}

export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Removes `path` if it is still the file `expected` (same inode): never someone else's newer socket. */
export function unlinkIfSame(path: string, expected: { ino: number; dev: number } | undefined): void {
  if (!expected) return;
  const now = lstatOrUndefined(path);
  if (!now || now.ino !== expected.ino || now.dev !== expected.dev) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
