/**
 * reboot: restart the host and wait until it is back, as Ansible's reboot
 * action: read the boot id, run `shutdown -r 0 "MSG"` (found in
 * search_paths), close the connection, then reconnect (through the
 * connection's own reconnect) until the boot id differs and test_command
 * succeeds, with Ansible's growing pauses, all bounded by reboot_timeout.
 */
import { LocalConnection } from '../../connection/local.js';
import { quote, shellJoin } from '../../connection/quote.js';
import { UnreachableError } from '../../connection/types.js';
import type { Module, ModuleContext, Plan } from '../types.js';

export interface RebootArgs {
  pre_reboot_delay?: number | string;
  post_reboot_delay?: number | string;
  reboot_timeout?: number | string;
  connect_timeout?: number | string;
  test_command?: string;
  msg?: string;
  search_paths?: string | string[];
  boot_time_command?: string;
  reboot_command?: string;
}

const DEFAULT_SEARCH_PATHS = ['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin'];

/** Ansible's _check_delay: a whole number of seconds, negative values count as 0. */
function seconds(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${String(value)}`);
  return Math.max(0, Math.trunc(n));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The command line after the shutdown program: Linux's `-r MINUTES "MESSAGE"`, or the words given with reboot_command. */
export function shutdownArguments(args: RebootArgs): string {
  if (args.reboot_command !== undefined) return args.reboot_command.includes(' ') ? args.reboot_command.slice(args.reboot_command.indexOf(' ') + 1) : '';
  const minutes = Math.floor(seconds(args.pre_reboot_delay, 0) / 60);
  return `-r ${minutes} ${quote(args.msg ?? 'Reboot initiated by Ansible')}`;
}

/** Finds the program in search_paths unless it is absolute, as Ansible's find module does. */
export function locateCommand(program: string, searchPaths: string[]): string {
  if (program.startsWith('/')) return `printf '%s\\n' ${quote(program)}`;
  return `for d in ${shellJoin(searchPaths)}; do if [ -e "$d"/${quote(program)} ]; then printf '%s\\n' "$d"/${quote(program)}; exit 0; fi; done; exit 1`;
}

class Timeout extends Error {}

/** Ansible's do_until_success_or_timeout: 2^n + random pauses, at most 12 s, until the end. */
async function untilSuccess(ctx: ModuleContext, end: number, timeout: number, what: string, attempt: () => Promise<void>): Promise<void> {
  let failures = 0;
  while (Date.now() < end) {
    try {
      await attempt();
      return;
    } catch (err) {
      // A dead link is closed so the next try opens a new one.
      if (err instanceof UnreachableError) await ctx.conn.close().catch(() => undefined);
      const jitter = Math.random();
      const pause = Math.min(2 ** failures + jitter, 12 + jitter);
      failures++;
      await sleep(Math.max(0, Math.min(pause * 1000, end - Date.now())));
    }
  }
  throw new Timeout(`Timed out waiting for ${what} (timeout=${timeout})`);
}

async function reboot(ctx: ModuleContext, args: RebootArgs): Promise<Record<string, unknown>> {
  const bootCommand = args.boot_time_command ?? 'cat /proc/sys/kernel/random/boot_id';
  const testCommand = args.test_command ?? 'whoami';
  const timeout = seconds(args.reboot_timeout, 600);
  const boot = await ctx.run(bootCommand);
  if (boot.rc !== 0) {
    return { failed: true, reboot: false, msg: `Failed to get system boot time: ${boot.stderr.toString().trim() || boot.stdout.toString().trim()}` };
  }
  const previous = boot.stdout.toString().trim();
  const program = (args.reboot_command ?? 'shutdown').split(' ')[0]!;
  const paths = args.search_paths === undefined ? DEFAULT_SEARCH_PATHS : Array.isArray(args.search_paths) ? args.search_paths : [args.search_paths];
  const found = await ctx.run(locateCommand(program, paths));
  if (found.rc !== 0) return { failed: true, rebooted: false, msg: `Unable to find command "${program}" in search paths: ${JSON.stringify(paths)}` };
  const command = `${quote(found.stdout.toString().trim())} ${shutdownArguments(args)}`;
  const start = Date.now();
  try {
    const res = await ctx.run(command, { timeoutMs: 60_000 });
    if (res.rc !== 0) {
      return {
        failed: true, rebooted: false, elapsed: Math.floor((Date.now() - start) / 1000),
        msg: `Reboot command failed. Error was: '${res.stdout.toString().trim()}, ${res.stderr.toString().trim()}'`,
      };
    }
  } catch (err) {
    // The link going down while shutdown runs is the reboot starting.
    if (!(err instanceof UnreachableError)) throw err;
  }
  // The old link dies with the host: the next command opens a new one.
  await ctx.conn.close().catch(() => undefined);
  const postDelay = seconds(args.post_reboot_delay, 0);
  if (postDelay > 0) await sleep(postDelay * 1000);
  const end = Date.now() + timeout * 1000;
  try {
    await untilSuccess(ctx, end, timeout, 'last boot time check', async () => {
      const now = await ctx.run(bootCommand, { timeoutMs: seconds(args.connect_timeout, 30) * 1000 });
      const id = now.stdout.toString().trim();
      if (now.rc !== 0 || id === '' || id === previous) throw new Error('boot time has not changed');
    });
    await untilSuccess(ctx, end, timeout, 'post-reboot test command', async () => {
      const res = await ctx.run(testCommand);
      if (res.rc !== 0) throw new Error(`Test command failed: ${res.stderr.toString()} ${res.stdout.toString()}`);
    });
  } catch (err) {
    if (err instanceof Timeout) return { failed: true, rebooted: true, msg: err.message, elapsed: Math.floor((Date.now() - start) / 1000) };
    throw err;
  }
  return { rebooted: true, changed: true, elapsed: Math.floor((Date.now() - start) / 1000) };
}

export function planReboot(ctx: ModuleContext, args: RebootArgs): Plan {
  if (ctx.conn instanceof LocalConnection || ctx.vars.ansible_connection === 'local') {
    return { changed: false, failed: true, msg: 'Running reboot with local connection would reboot the control node.', result: { elapsed: 0, rebooted: false } };
  }
  // Check mode reports the reboot that would happen (Ansible: changed, elapsed 0).
  return { changed: true, result: { elapsed: 0, rebooted: true }, apply: () => reboot(ctx, args) };
}

const num = { type: ['number', 'string'] };

export const rebootModule: Module<RebootArgs, void> = {
  name: 'reboot',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      pre_reboot_delay: { ...num, description: 'Seconds before the reboot (shutdown counts whole minutes)' },
      post_reboot_delay: { ...num, description: 'Seconds to wait after the reboot command before checking' },
      reboot_timeout: { ...num, description: 'Seconds to wait for the host to come back and pass test_command (default 600)' },
      connect_timeout: { ...num, description: 'Seconds one boot id check may take' },
      test_command: { type: 'string', description: 'Must succeed after the reboot (default whoami)' },
      msg: { type: 'string', description: 'The shutdown message (default "Reboot initiated by Ansible")' },
      search_paths: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Where to find shutdown' },
      boot_time_command: { type: 'string', description: 'Prints something that changes at every boot (default the boot id)' },
      reboot_command: { type: 'string', description: 'The reboot command instead of shutdown -r' },
    },
  },
  doc: {
    description:
      'Reboots the host and waits until it is back, like Ansible\'s reboot: `shutdown -r 0 "MSG"`, then new connections until ' +
      'the boot id changes and test_command succeeds (pauses of 1, 2, 4... up to 12 s), within reboot_timeout. Refused on ' +
      'the local connection; in check mode reported changed without rebooting.',
    returns: { rebooted: 'the host rebooted', elapsed: 'seconds from the reboot command to the end' },
    example: '- name: Reboot after the kernel upgrade\n  reboot:\n    reboot_timeout: 300\n',
  },
  async read() {},
  plan: (ctx, args) => planReboot(ctx, args),
};
