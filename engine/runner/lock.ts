/**
 * Run locks: two runs never work on the same host at once (a nightly
 * `uxsv check` and an operator's degrade). A run takes the lock of each host
 * when it first connects and releases it when it closes the connection. The
 * lock is a folder under /run on the host (gone after a reboot) holding who
 * took it and when; a lock left by a dead run expires: at once when the
 * holder was a process on this controller that no longer exists, otherwise
 * after `lockTtlSec`.
 *
 * The lock records which command took it, without the values of options
 * that may be secret (`-e password=...`): see `describeCommand`. A host
 * refused because another run holds its lock is remembered (`lockRefusals`)
 * so the command can exit with its own code (EXIT.LOCKED).
 */
import { hostname, userInfo } from 'node:os';
import { posix } from 'node:path';
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

/** Options whose value is shown in the lock: paths and host or tag selections, never variables or arguments. */
const SHOWN_VALUES = new Set([
  '-i', '--inventory', '--inventory-file', '-l', '--limit', '-t', '--tags', '--skip-tags', '-m', '--module-name',
  '--vault-password-file', '--vault-pass-file', '--become-password-file', '--become-pass-file', '--connection-password-file', '--conn-pass-file',
  '--private-key', '--key-file', '--known-hosts', '--report', '--playbook-dir',
]);
/** Options that take no value. Any other option is taken to take the next word as its value, and that value is not recorded. */
const FLAGS = new Set([
  '-C', '--check', '-D', '--diff', '-v', '--verbose', '-b', '--become', '-k', '--ask-pass', '-K', '--ask-become-pass', '--ask-become-password',
  '-J', '--ask-vault-pass', '--ask-vault-password', '-o', '--one-line', '-y', '--yaml', '-h', '--help', '-V', '--version',
  '--accept-new-host-keys', '--export', '--flush-cache', '--force-handlers', '--graph', '--json', '--list', '--list-hosts', '--list-tags',
  '--list-tasks', '--markdown', '--planned', '--schema', '--step', '--syntax-check', '--toml', '--vars',
]);
const HIDDEN = '…';

const shown = (name: string, value: string): string => (SHOWN_VALUES.has(name) ? value : HIDDEN);

/**
 * The command line as the lock records it: the subcommand, its arguments
 * (playbooks, host names) and every option's name, but an option's value
 * only when it is a path or a selection (SHOWN_VALUES). `-e password=x`
 * becomes `-e …`; an option this list does not know hides its next word.
 */
export function describeCommand(argv: readonly string[]): string {
  const out = ['uxsv'];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      out.push(word);
      continue;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq > 0 ? word.slice(0, eq) : word;
      if (FLAGS.has(name) && eq < 0) out.push(name);
      else if (eq > 0) out.push(`${name}=${shown(name, word.slice(eq + 1))}`);
      else if (i + 1 < argv.length) out.push(name, shown(name, argv[++i]!));
      else out.push(name);
      continue;
    }
    // Short options: a bundle of flags (-vvv, -CD), or one option with its value attached (-efoo=1) or next.
    let j = 1;
    while (j < word.length && FLAGS.has(`-${word[j]}`)) j++;
    if (j === word.length) {
      out.push(word);
      continue;
    }
    const name = `-${word[j]}`;
    const flags = j > 1 ? word.slice(0, j) : '';
    if (flags) out.push(flags);
    if (j + 1 < word.length) out.push(`${name}${shown(name, word.slice(j + 1))}`);
    else if (i + 1 < argv.length) out.push(name, shown(name, argv[++i]!));
    else out.push(name);
  }
  return out.join(' ');
}

function me(): LockHolder {
  return { controller: `${userInfo().username}@${hostname()}`, pid: process.pid, since: new Date().toISOString(), command: describeCommand(process.argv.slice(2)) };
}

/** Hosts refused since the last `takeLockRefusals` because another run held their lock. */
const refusals = new Set<string>();

/** The hosts refused because of another run's lock since the last call (and forgets them). */
export function takeLockRefusals(): Set<string> {
  const taken = new Set(refusals);
  refusals.clear();
  return taken;
}

/** Another live run holds the host's lock (remembered for the exit code). */
export class LockHeldError extends UserError {
  constructor(
    message: string,
    readonly host: string,
  ) {
    super(message);
  }
}

function refused(error: LockHeldError): LockHeldError {
  refusals.add(error.host);
  return error;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One round trip: take the lock, or report who holds it and its age. Taking
 * a free lock starts one process (mkdir); the folder above it is made only
 * when it is missing (after a reboot).
 */
function acquireScript(path: string, info: string): string {
  const d = quote(path);
  return [
    `if ! mkdir -- ${d} 2>/dev/null; then`,
    `  mkdir -p -- ${quote(posix.dirname(path))} || exit 3`,
    `  if ! mkdir -- ${d} 2>/dev/null; then`,
    '    echo HELD',
    `    echo "$(( $(date +%s) - $(stat -c %Y -- ${d} 2>/dev/null || date +%s) ))"`,
    `    cat -- ${d}/holder 2>/dev/null`,
    '    exit 0',
    '  fi',
    'fi',
    `printf '%s' ${quote(info)} > ${d}/holder && echo ACQUIRED`,
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
    throw refused(new LockHeldError(
      `${inventoryName} is locked by ${who} since ${holder.since ?? `${ageSec} s ago`}: another uxsv run is working on this host. ` +
        `Wait for it to finish; if that run is dead, the lock expires ${Math.max(0, Math.round((options.ttlSec - ageSec) / 60))} min from now, or remove ${path} on the host.`,
      inventoryName,
    ));
  }
  throw refused(new LockHeldError(`${inventoryName}: the run lock ${path} was taken by another run at the same moment`, inventoryName));
}

/** Releases the lock if it is still ours. */
export async function releaseLock(conn: Connection, inventoryName: string, options: LockOptions, holder: LockHolder): Promise<void> {
  const path = quote(lockPath(options.dir, inventoryName));
  const ours = quote(JSON.stringify(holder));
  // `read` is a builtin: a release starts one process (rm), none when the lock is not ours. The holder is one line, without a newline.
  await conn.exec(`h=; [ -f ${path}/holder ] && IFS= read -r h < ${path}/holder; if [ "$h" = ${ours} ]; then rm -rf -- ${path}; fi`, { timeoutMs: 30_000 }).catch(() => undefined);
}
