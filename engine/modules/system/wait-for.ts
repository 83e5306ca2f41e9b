/**
 * wait_for: wait on the target host for a TCP port or a path, like Ansible's
 * wait_for (states started/present, stopped/absent). The whole wait is one
 * bounded shell loop on the host; it also runs in check mode (it changes
 * nothing), and it never reports a change.
 */
import { quote } from '../../connection/quote.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readSections } from './util.js';

export interface WaitForArgs {
  host?: string;
  port?: number | string;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent';
  timeout?: number | string;
  delay?: number | string;
  sleep?: number | string;
  search_regex?: string;
  connect_timeout?: number | string;
  msg?: string;
}

export interface WaitForOutcome {
  /** 'met', 'timeout', or an error text. */
  status: string;
  elapsed: number;
  error?: string;
}

function numberArg(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a non-negative number: ${String(value)}`);
  return n;
}

export function validateWaitFor(args: WaitForArgs): string | undefined {
  const state = args.state ?? 'started';
  if (args.port !== undefined && args.path !== undefined) return 'port and path parameter can not both be passed to wait_for';
  if (args.path !== undefined && state === 'stopped') return 'state=stopped should only be used for checking a port in the wait_for module';
  if (args.port !== undefined && args.search_regex !== undefined) return 'search_regex is only supported with path in uxsv\'s wait_for';
  if (args.port !== undefined && !/^\d+$/.test(String(args.port))) return `invalid port: ${String(args.port)}`;
  return undefined;
}

/**
 * The wait loop. It prints "met ELAPSED" or "timeout ELAPSED". The port probe
 * is bash's /dev/tcp when bash exists, else `nc -z`; neither → exit 3.
 */
export function waitScript(args: WaitForArgs): string {
  const state = args.state ?? 'started';
  const want = state === 'stopped' || state === 'absent' ? 'gone' : 'there';
  const timeout = numberArg(args.timeout, 300);
  const delay = numberArg(args.delay, 0);
  const sleep = numberArg(args.sleep, 1);
  const connectTimeout = Math.max(1, Math.ceil(numberArg(args.connect_timeout, 5)));
  const out: string[] = [
    `start=$(date +%s); end=$((start + ${Math.ceil(timeout)}))`,
    delay > 0 ? `sleep ${delay}` : '',
  ];
  let probe: string;
  if (args.port !== undefined) {
    out.push(
      `h=${quote(args.host ?? '127.0.0.1')}; port=${quote(String(args.port))}`,
      'if command -v bash >/dev/null 2>&1; then',
      `  probe() { timeout ${connectTimeout} bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$h" "$port" 2>/dev/null; }`,
      'elif command -v nc >/dev/null 2>&1; then',
      `  probe() { nc -z -w ${connectTimeout} "$h" "$port" 2>/dev/null; }`,
      'else echo "wait_for needs bash or nc on the host" >&2; exit 3; fi',
    );
    probe = 'probe';
  } else if (args.path !== undefined) {
    out.push(`p=${quote(args.path)}`);
    probe = args.search_regex !== undefined && want === 'there'
      ? `{ [ -e "$p" ] && grep -E -q -- ${quote(args.search_regex)} "$p" 2>/dev/null; }`
      : '[ -e "$p" ]';
  } else {
    // Neither port nor path: Ansible just sleeps for `timeout`.
    out.push(`sleep ${timeout}`, 'echo "met $(( $(date +%s) - start ))"', 'exit 0');
    return out.filter(Boolean).join('\n');
  }
  const met = want === 'there' ? probe : `! ${probe}`;
  out.push(
    'while :; do',
    `  if ${met}; then echo "met $(( $(date +%s) - start ))"; exit 0; fi`,
    '  if [ "$(date +%s)" -ge "$end" ]; then echo "timeout $(( $(date +%s) - start ))"; exit 0; fi',
    `  sleep ${sleep}`,
    'done',
  );
  return out.filter(Boolean).join('\n');
}

export function timeoutMessage(args: WaitForArgs): string {
  const host = args.host ?? '127.0.0.1';
  const state = args.state ?? 'started';
  if (args.msg) return args.msg;
  if (state === 'stopped' || state === 'absent') {
    return args.port !== undefined ? `Timeout when waiting for ${host}:${args.port} to stop.` : `Timeout when waiting for ${args.path} to be absent.`;
  }
  if (args.port !== undefined) return `Timeout when waiting for ${host}:${args.port}`;
  if (args.search_regex !== undefined) return `Timeout when waiting for search string ${args.search_regex} in ${args.path}`;
  return `Timeout when waiting for file ${args.path}`;
}

async function runWait(ctx: ModuleContext, args: WaitForArgs): Promise<WaitForOutcome> {
  const invalid = validateWaitFor(args);
  if (invalid) return { status: 'invalid', elapsed: 0, error: invalid };
  const budget = numberArg(args.timeout, 300) + numberArg(args.delay, 0) + numberArg(args.connect_timeout, 5) + numberArg(args.sleep, 1) + 10;
  const out = await readSections(ctx, { wait: waitScript(args) }, { timeoutMs: budget * 1000 });
  const [status = '', elapsed = '0'] = out.wait!.out.trim().split(' ');
  if (out.wait!.rc !== 0 || (status !== 'met' && status !== 'timeout')) {
    return { status: 'error', elapsed: 0, error: `wait_for could not run on the host (rc ${out.wait!.rc})` };
  }
  return { status, elapsed: Number(elapsed) };
}

function planWaitFor(_ctx: ModuleContext, args: WaitForArgs, outcome: WaitForOutcome): Plan {
  const result: Record<string, unknown> = {
    state: args.state ?? 'started',
    port: args.port !== undefined ? Number(args.port) : null,
    path: args.path ?? null,
    search_regex: args.search_regex ?? null,
    elapsed: outcome.elapsed,
  };
  if (outcome.error) return { changed: false, failed: true, msg: outcome.error, result };
  if (outcome.status === 'timeout') return { changed: false, failed: true, msg: timeoutMessage(args), result };
  return { changed: false, result };
}

const num = { type: ['number', 'string'] };

export const waitFor: Module<WaitForArgs, WaitForOutcome> = {
  name: 'wait_for',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string' },
      port: { type: ['integer', 'string'] },
      path: { type: 'string' },
      state: { enum: ['started', 'stopped', 'present', 'absent'] },
      timeout: num,
      delay: num,
      sleep: num,
      search_regex: { type: 'string' },
      connect_timeout: num,
      msg: { type: 'string' },
    },
  },
  doc: {
    description:
      'Waits, on the target host, until a TCP port accepts connections (started) or refuses them (stopped), or a path ' +
      'exists (present/started, optionally until search_regex, an extended regex for grep -E, matches its content) or is ' +
      'gone (absent); with neither port nor path it sleeps `timeout` seconds. One bounded shell loop on the host ' +
      '(bash /dev/tcp or nc -z for ports). Never changed; fails with msg after timeout (default 300 s). Runs in check mode too. ' +
      'Not supported: state drained, search_regex on ports, match_groups.',
    returns: { elapsed: 'seconds waited', state: 'the state waited for', port: 'the port', path: 'the path' },
    example: '- name: Wait for named\n  wait_for:\n    port: 53\n    host: 127.0.0.1\n    timeout: 30\n',
  },
  read: runWait,
  plan: planWaitFor,
};
