/**
 * Run locks: two runs never work on the same host at once (a nightly
 * `uxsv check` and an operator's degrade). A run takes the lock of each host
 * when it first connects and releases it when it closes the connection. The
 * lock is a folder under /run on the host (gone after a reboot) holding who
 * took it and when; a lock left by a dead run expires: at once when the
 * holder was a process on this controller that no longer exists, otherwise
 * after `lockTtlSec`.
 */
import { hostname, userInfo } from 'node:os';
import type { Connection } from '../connection/types.js';
import { quote } from '../connection/quote.js';
import { UserError } from '../errors.js';

export const DEFAULT_LOCK_DIR = '/run/uxsv/locks';
export const DEFAULT_LOCK_TTL_SEC = 4 * 3600;

export interface LockHolder {
  controller: string;
  pid: number;
  since: string;
  command: string;
}

export function lockPath(dir: string, inventoryName: string): string {
  return `${dir.replace(/\/+$/, '')}/${inventoryName.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

function me(): LockHolder {
  return { controller: `${userInfo().username}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), command: `uxsv ${process.argv.slice(2).join(' ')}`.trim() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One round trip: take the lock, or report who holds it and its age. */
function acquireScript(path: string, info: string): string {
  const d = quote(path);
  return [
    `mkdir -p -- "$(dirname -- ${d})" || exit 3`,
    `if mkdir -- ${d} 2>/dev/null; then printf '%s' ${quote(info)} > ${d}/holder && echo ACQUIRED; exit 0; fi`,
    'echo HELD',
    `echo "$(( $(date +%s) - $(stat -c %Y -- ${d} 2>/dev/null || date +%s) ))"`,
    `cat -- ${d}/holder 2>/dev/null`,
  ].join('\n');
}

export interface LockOptions {
  dir: string;
  ttlSec: number;
  /** Recorded in the lock, shown to whoever finds it taken. */
  holder?: LockHolder;
}

/** Takes the host's lock; throws a UserError naming the holder when another live run has it. */
export async function acquireLock(conn: Connection, inventoryName: string, options: LockOptions): Promise<LockHolder> {
  const path = lockPath(options.dir, inventoryName);
  const mine = options.holder ?? me();
  const info = JSON.stringify(mine);
  for (let attempt = 0; attempt < 2; attempt++) {
    const r = await conn.exec(acquireScript(path, info), { timeoutMs: 30_000 });
    const out = r.stdout.toString('utf8').split('\n');
    if (r.rc !== 0) throw new UserError(`${inventoryName}: cannot take the run lock ${path}: ${r.stderr.toString().trim() || `rc ${r.rc}`}`);
    if (out[0] === 'ACQUIRED') return mine;
    const ageSec = Number(out[1] ?? 0);
    let holder: Partial<LockHolder> = {};
    try {
      holder = JSON.parse(out.slice(2).join('\n'));
    } catch {
      /* a lock without a readable holder is judged by its age */
    }
    const deadHere = holder.controller === mine.controller && typeof holder.pid === 'number' && holder.pid !== process.pid && !alive(holder.pid);
    const expired = ageSec > options.ttlSec;
    if (attempt === 0 && (deadHere || expired)) {
      // The run that held it is gone: take the lock over.
      await conn.exec(`rm -rf -- ${quote(path)}`, { timeoutMs: 30_000 });
      continue;
    }
    const who = holder.controller ? `${holder.controller} pid ${holder.pid} (${holder.command ?? 'uxsv'})` : 'an unknown run';
    throw new UserError(
      `${inventoryName} is locked by ${who} since ${holder.since ?? `${ageSec} s ago`}: another uxsv run is working on this host. ` +
        `Wait for it to finish; if that run is dead, the lock expires ${Math.max(0, Math.round((options.ttlSec - ageSec) / 60))} min from now, or remove ${path} on the host.`,
    );
  }
  throw new UserError(`${inventoryName}: the run lock ${path} was taken by another run at the same moment`);
}

/** Releases the lock if it is still ours. */
export async function releaseLock(conn: Connection, inventoryName: string, options: LockOptions, holder: LockHolder): Promise<void> {
  const path = quote(lockPath(options.dir, inventoryName));
  const ours = quote(JSON.stringify(holder));
  await conn.exec(`if [ "$(cat -- ${path}/holder 2>/dev/null)" = ${ours} ]; then rm -rf -- ${path}; fi`, { timeoutMs: 30_000 }).catch(() => undefined);
}
