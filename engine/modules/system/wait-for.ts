/**
 * wait_for: wait for a TCP port, a path (and a Python regex in it), or for a
 * port's connections to drain, like Ansible's wait_for. The loop runs here,
 * on the controller, one short command per try (a builtin test, a connection
 * probe with bash's /dev/tcp or nc, a read of the file or of /proc/net/tcp),
 * so the timing and the regex (Python syntax, match_groups) are Ansible's.
 * Ansible's wait_for does not support check mode: it is skipped there.
 */
import { quote } from '../../connection/quote.js';
import { lines } from '../../facts/sections.js';
import { pyRegex } from '../lib/pyregex.js';
import type { Module, ModuleContext, Plan } from '../types.js';

export interface WaitForArgs {
  host?: string;
  port?: number | string;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent' | 'drained';
  timeout?: number | string;
  delay?: number | string;
  sleep?: number | string;
  search_regex?: string;
  connect_timeout?: number | string;
  msg?: string;
  active_connection_states?: string[];
  exclude_hosts?: string[];
}

const STATE_IDS: Record<string, string> = {
  ESTABLISHED: '01', SYN_SENT: '02', SYN_RECV: '03', FIN_WAIT1: '04', FIN_WAIT2: '05', TIME_WAIT: '06',
  CLOSE: '07', CLOSE_WAIT: '08', LAST_ACK: '09', LISTEN: '0A', CLOSING: '0B',
};
const DEFAULT_ACTIVE = ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'];

function seconds(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a non-negative number: ${String(value)}`);
  return Math.trunc(n);
}

export function validateWaitFor(args: WaitForArgs): string | undefined {
  const state = args.state ?? 'started';
  if (args.port !== undefined && args.path !== undefined) return 'port and path parameter can not both be passed to wait_for';
  if (args.path !== undefined && state === 'stopped') return 'state=stopped should only be used for checking a port in the wait_for module';
  if (args.path !== undefined && state === 'drained') return 'state=drained should only be used for checking a port in the wait_for module';
  if (args.exclude_hosts !== undefined && state !== 'drained') return 'exclude_hosts should only be with state=drained';
  for (const s of args.active_connection_states ?? []) if (!(s in STATE_IDS)) return `unknown active_connection_state (${s}) defined`;
  if (args.port !== undefined && !/^\d+$/.test(String(args.port))) return `invalid port: ${String(args.port)}`;
  if (args.search_regex !== undefined) {
    try {
      pyRegex(args.search_regex, { multiline: true });
    } catch (err) {
      return `Invalid regular expression: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** One try at connecting: rc 0 when the port accepts; with `read`, what the peer sends within that time on stdout (base64). */
export function probeCommand(host: string, port: number, connectTimeout: number, read: boolean): string {
  const h = quote(host);
  const p = quote(String(port));
  const t = Math.max(1, connectTimeout);
  // With read: connect (bounded by the connect timeout), then take what the peer sends within a second.
  const body = read
    ? `exec 3<>"/dev/tcp/$0/$1" || exit 7; timeout 1 cat <&3 | head -c 1048576 | base64 -w0; exit 0`
    : 'exec 3<>"/dev/tcp/$0/$1"';
  return [
    'if command -v bash >/dev/null 2>&1; then',
    `  timeout ${read ? t + 2 : t} bash -c ${quote(body)} ${h} ${p} 2>/dev/null`,
    'elif command -v nc >/dev/null 2>&1; then',
    read ? `  timeout ${t + 2} nc -w 1 ${h} ${p} </dev/null 2>/dev/null | head -c 1048576 | base64 -w0` : `  nc -z -w ${t} ${h} ${p} 2>/dev/null`,
    'else echo "wait_for needs bash or nc on the host" >&2; exit 3; fi',
  ].join('\n');
}

/** /proc/net/tcp entries on the port in an active state, Ansible's TCPConnectionInfo count. */
export function countActive(procNet: string, port: number, ips: Set<string>, excluded: Set<string>, states: string[]): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const wanted = new Set(states.map((s) => STATE_IDS[s]));
  let count = 0;
  for (const line of lines(procNet)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === 'local_address' || f.length < 4) continue;
    if (!wanted.has(f[3]!.toUpperCase())) continue;
    const [localIp = '', localPort = ''] = f[1]!.split(':');
    if (localPort.toUpperCase() !== hexPort) continue;
    const remoteIp = f[2]!.split(':')[0]!.toUpperCase();
    if (excluded.has(remoteIp)) continue;
    const ip = localIp.toUpperCase();
    const mapped = ip.startsWith('0000000000000000FFFF0000') && ips.has('0000000000000000FFFF000000000000');
    if (ips.has(ip) || ips.has('00000000') || ips.has('00000000000000000000000000000000') || mapped) count++;
  }
  return count;
}

/** An address as /proc/net/tcp writes it (32-bit words in host order, little endian here). */
export function procHex(address: string): string | undefined {
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) return v4.slice(1).reverse().map((n) => Number(n).toString(16).toUpperCase().padStart(2, '0')).join('');
  if (!address.includes(':')) return undefined;
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return undefined;
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [(n >> 8) & 0xff, n & 0xff];
  });
  let out = '';
  for (let i = 0; i < 16; i += 4) out += bytes.slice(i, i + 4).reverse().map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

interface Outcome {
  failed?: string;
  elapsed: number;
  match_groups: unknown[];
  match_groupdict: Record<string, unknown>;
}

async function resolve(ctx: ModuleContext, names: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const name of names) {
    const direct = procHex(name);
    if (direct) {
      out.add(direct);
      continue;
    }
    const res = await ctx.run(`getent ahosts -- ${quote(name)} | awk '{print $1}' | sort -u`);
    for (const ip of lines(res.stdout.toString())) {
      const hex = procHex(ip);
      if (hex) out.add(hex);
    }
  }
  return out;
}

export async function waitFor(ctx: ModuleContext, args: WaitForArgs): Promise<Outcome> {
  const state = args.state ?? 'started';
  const host = args.host ?? '127.0.0.1';
  const timeout = seconds(args.timeout, 300);
  const delay = seconds(args.delay, 0);
  const pause = seconds(args.sleep, 1) * 1000;
  const connectTimeout = seconds(args.connect_timeout, 5);
  const port = args.port !== undefined ? Number(args.port) : undefined;
  const regex = args.search_regex !== undefined ? pyRegex(args.search_regex, { multiline: true }) : undefined;
  const start = Date.now();
  const elapsed = () => Math.floor((Date.now() - start) / 1000);
  const outcome: Outcome = { elapsed: 0, match_groups: [], match_groupdict: {} };
  const fail = (message: string): Outcome => ({ ...outcome, failed: args.msg ?? message, elapsed: elapsed() });
  if (delay) await sleep(delay * 1000);
  const end = start + timeout * 1000;
  const p = args.path !== undefined ? quote(args.path) : '';

  if (port === undefined && args.path === undefined && state !== 'drained') {
    await sleep(timeout * 1000);
    return { ...outcome, elapsed: elapsed() };
  }
  if (state === 'absent' || state === 'stopped') {
    while (Date.now() < end) {
      if (args.path !== undefined) {
        if ((await ctx.run(`[ -e ${p} ]`, { inline: true })).rc !== 0) return { ...outcome, elapsed: elapsed() };
      } else if ((await ctx.run(probeCommand(host, port!, connectTimeout, false))).rc !== 0) {
        return { ...outcome, elapsed: elapsed() };
      }
      await sleep(pause);
    }
    return fail(port !== undefined ? `Timeout when waiting for ${host}:${port} to stop.` : `Timeout when waiting for ${args.path} to be absent.`);
  }
  if (state === 'drained') {
    const ips = await resolve(ctx, [host]);
    const excluded = await resolve(ctx, args.exclude_hosts ?? []);
    const states = args.active_connection_states ?? DEFAULT_ACTIVE;
    while (Date.now() < end) {
      const res = await ctx.run('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; true', { inline: true });
      if (port === undefined || countActive(res.stdout.toString(), port, ips, excluded, states) === 0) return { ...outcome, elapsed: elapsed() };
      await sleep(pause);
    }
    return fail(`Timeout when waiting for ${host}:${port} to drain`);
  }
  while (Date.now() < end) {
    if (args.path !== undefined) {
      if (!regex) {
        if ((await ctx.run(`[ -e ${p} ]`, { inline: true })).rc === 0) return { ...outcome, elapsed: elapsed() };
      } else {
        const res = await ctx.run(`if [ -e ${p} ]; then base64 -w0 < ${p}; else exit 1; fi`);
        if (res.rc === 0) {
          const m = regex.exec(Buffer.from(res.stdout.toString().trim(), 'base64').toString('latin1'));
          if (m) return { ...outcome, elapsed: elapsed(), match_groups: m.slice(1).map((g) => g ?? null), match_groupdict: { ...(m.groups ?? {}) } };
        }
      }
    } else {
      const remaining = Math.ceil((end - Date.now()) / 1000);
      const res = await ctx.run(probeCommand(host, port!, Math.min(connectTimeout, Math.max(1, remaining)), regex !== undefined));
      if (res.rc === 3) return fail(res.stderr.toString().trim());
      if (res.rc === 0 && (!regex || regex.test(Buffer.from(res.stdout.toString().trim(), 'base64').toString('latin1')))) {
        return { ...outcome, elapsed: elapsed() };
      }
    }
    await sleep(pause);
  }
  if (port !== undefined) {
    return fail(regex ? `Timeout when waiting for search string ${args.search_regex} in ${host}:${port}` : `Timeout when waiting for ${host}:${port}`);
  }
  return fail(regex ? `Timeout when waiting for search string ${args.search_regex} in ${args.path}` : `Timeout when waiting for file ${args.path}`);
}

export function planWaitFor(ctx: ModuleContext, args: WaitForArgs): Plan {
  const invalid = validateWaitFor(args);
  if (invalid) return { changed: false, failed: true, msg: invalid, result: { elapsed: 0 } };
  return {
    changed: false,
    skipInCheckMode: true,
    apply: async () => {
      const outcome = await waitFor(ctx, args);
      const result: Record<string, unknown> = {
        state: args.state ?? 'started',
        port: args.port !== undefined ? Number(args.port) : null,
        search_regex: args.search_regex ?? null,
        match_groups: outcome.match_groups,
        match_groupdict: outcome.match_groupdict,
        path: args.path ?? null,
        elapsed: outcome.elapsed,
      };
      if (outcome.failed !== undefined) return { failed: true, msg: outcome.failed, elapsed: outcome.elapsed };
      return result;
    },
  };
}

const num = { type: ['integer', 'string'] };

export const waitForModule: Module<WaitForArgs, void> = {
  name: 'wait_for',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', description: 'Address to connect to (default 127.0.0.1)' },
      port: { type: ['integer', 'string'], description: 'TCP port' },
      path: { type: 'string', description: 'A file that must exist (or be gone)' },
      state: { enum: ['started', 'stopped', 'present', 'absent', 'drained'], description: 'default started' },
      timeout: { ...num, description: 'Seconds to wait (default 300)' },
      delay: { ...num, description: 'Seconds before the first try' },
      sleep: { ...num, description: 'Seconds between tries (default 1)' },
      search_regex: { type: 'string', description: 'A Python regex to find in the file, or in what the port sends' },
      connect_timeout: { ...num, description: 'Seconds a connection try may take (default 5)' },
      msg: { type: 'string', description: 'The failure message instead of the default' },
      active_connection_states: { type: 'array', items: { type: 'string' }, description: 'TCP states that count as active for drained' },
      exclude_hosts: { type: 'array', items: { type: 'string' }, description: 'Remote hosts whose connections do not count (drained)' },
    },
  },
  doc: {
    description:
      'Waits on the target host like Ansible\'s wait_for: a TCP port that accepts connections (started; with ' +
      'search_regex, until the peer sends a match) or refuses them (stopped), a path that exists (present/started; with ' +
      'search_regex, a Python regex on its content, whose groups are returned) or is gone (absent), the connections of a ' +
      'port to drain (drained, from /proc/net/tcp), or with neither port nor path just `timeout` seconds. Never changed; ' +
      'fails with msg after timeout. Skipped in check mode, as in Ansible.',
    returns: {
      elapsed: 'seconds waited', state: 'the state waited for', port: 'the port', path: 'the path', search_regex: 'the regex',
      match_groups: 'the regex groups (list)', match_groupdict: 'the named regex groups',
    },
    example: '- name: Wait for named\n  wait_for:\n    port: 53\n    host: 127.0.0.1\n    timeout: 30\n',
  },
  async read() {},
  plan: (ctx, args) => planWaitFor(ctx, args),
};
