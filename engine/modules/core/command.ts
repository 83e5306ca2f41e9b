/**
 * command, shell and raw. `command` splits its text like Ansible (shlex) and
 * quotes every word, so no shell syntax is interpreted; `shell` hands the text
 * to /bin/sh. creates/removes make them idempotent and predictable in check mode.
 */
import { quote, shellJoin } from '../../connection/quote.js';
import type { Module, ModuleContext, ModuleResult, Plan } from '../types.js';
import { shlexSplit } from './shlex.js';

interface CommandArgs {
  _raw_params?: string;
  cmd?: string;
  argv?: string[];
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
  executable?: string;
}

const commonProperties = {
  _raw_params: { type: 'string', description: 'The command (free-form text)' },
  cmd: { type: 'string', description: 'The command, as an argument' },
  chdir: { type: 'string', description: 'Change into this folder first' },
  creates: { type: 'string', description: 'Skip the command when this path exists' },
  removes: { type: 'string', description: 'Run the command only when this path exists' },
  stdin: { type: 'string', description: 'Given to the command on standard input' },
  stdin_add_newline: { type: 'boolean', default: true },
  strip_empty_ends: { type: 'boolean', default: true },
  warn: { type: 'boolean', description: 'Ignored (removed in Ansible 2.14)' },
};

interface GuardState {
  createsExists?: boolean;
  removesExists?: boolean;
}

async function readGuards(ctx: ModuleContext, args: CommandArgs): Promise<GuardState> {
  if (!args.creates && !args.removes) return {};
  const test = (p: string) => `if [ -e ${quote(p)} ]; then echo 1; else echo 0; fi`;
  const cmd = [args.creates ? test(args.creates) : 'echo -', args.removes ? test(args.removes) : 'echo -'].join('; ');
  const cd = args.chdir ? `cd -- ${quote(args.chdir)} && ` : '';
  // Without chdir the test is builtins only: the resident shell answers it without a process.
  const r = await ctx.run(`${cd}{ ${cmd}; }`, { inline: cd === '' });
  const [c, rm] = r.stdout.toString().trim().split('\n');
  return { createsExists: c === '1' ? true : c === '0' ? false : undefined, removesExists: rm === '1' ? true : rm === '0' ? false : undefined };
}

function strip(s: string, yes: boolean): string {
  return yes ? s.replace(/\n+$/, '') : s;
}

function commandPlan(ctx: ModuleContext, args: CommandArgs, guards: GuardState, line: string, shown: string | string[]): Plan {
  if (guards.createsExists === true) return { changed: false, result: { cmd: shown, rc: 0, stdout: `skipped, since ${args.creates} exists`, stdout_lines: [`skipped, since ${args.creates} exists`] }, msg: 'Did not run command since path exists' };
  if (guards.removesExists === false) return { changed: false, result: { cmd: shown, rc: 0, stdout: `skipped, since ${args.removes} does not exist`, stdout_lines: [`skipped, since ${args.removes} does not exist`] }, msg: 'Did not run command since path does not exist' };
  const guarded = args.creates !== undefined || args.removes !== undefined;
  return {
    changed: true,
    // With creates/removes the effect is predictable: Ansible reports "would have run". Without, check mode skips.
    skipInCheckMode: !guarded,
    msg: ctx.check && guarded ? 'Command would have run if not in check mode' : undefined,
    apply: async () => {
      const started = new Date();
      const cd = args.chdir ? `cd -- ${quote(args.chdir)} && ` : '';
      const stdin = args.stdin !== undefined ? args.stdin + (args.stdin_add_newline === false ? '' : '\n') : undefined;
      const r = await ctx.run(`${cd}${line}`, { stdin });
      const ended = new Date();
      const stripEnds = args.strip_empty_ends !== false;
      const stdout = strip(r.stdout.toString('utf8'), stripEnds);
      const stderr = strip(r.stderr.toString('utf8'), stripEnds);
      const result: ModuleResult = {
        changed: true,
        cmd: shown,
        rc: r.rc,
        stdout,
        stderr,
        stdout_lines: stdout ? stdout.split('\n') : [],
        stderr_lines: stderr ? stderr.split('\n') : [],
        start: started.toISOString(),
        end: ended.toISOString(),
        delta: `${((ended.getTime() - started.getTime()) / 1000).toFixed(3)}s`,
      };
      if (r.timedOut) {
        result.failed = true;
        result.msg = `the command did not finish within ${Math.round((ctx.timeoutMs ?? 0) / 1000)} s and was ended (task timeout)`;
      } else if (r.rc !== 0) {
        result.failed = true;
        result.msg = 'non-zero return code';
      }
      return result;
    },
  };
}

export const command: Module<CommandArgs, GuardState> = {
  name: 'command',
  freeForm: true,
  schema: {
    type: 'object',
    properties: { ...commonProperties, argv: { type: 'array', items: { type: ['string', 'number'] } } },
    additionalProperties: false,
    anyOf: [{ required: ['_raw_params'] }, { required: ['cmd'] }, { required: ['argv'] }],
  },
  doc: {
    description: 'Runs a command without a shell: words are split like a shell would, but pipes, redirections and variables are not interpreted. Idempotent with creates/removes; skipped in check mode otherwise.',
    returns: { rc: 'exit status', stdout: 'standard output', stderr: 'standard error', stdout_lines: 'stdout split by lines', cmd: 'the command as run' },
    example: '- command: /usr/sbin/named-checkconf /etc/bind/named.conf\n  changed_when: false',
  },
  read: readGuards,
  plan(ctx, args, guards) {
    const words = args.argv ? args.argv.map(String) : shlexSplit(args.cmd ?? args._raw_params ?? '');
    if (!words.length) return { changed: false, failed: true, msg: 'no command given' };
    return commandPlan(ctx, args, guards, shellJoin(words), args.argv ? words : (args.cmd ?? args._raw_params ?? ''));
  },
};

export const shell: Module<CommandArgs, GuardState> = {
  name: 'shell',
  freeForm: true,
  schema: {
    type: 'object',
    properties: { ...commonProperties, executable: { type: 'string', description: 'Shell to use instead of /bin/sh' } },
    additionalProperties: false,
    anyOf: [{ required: ['_raw_params'] }, { required: ['cmd'] }],
  },
  doc: {
    description: 'Runs a command through /bin/sh (or `executable`), so pipes, redirections and variables work.',
    returns: { rc: 'exit status', stdout: 'standard output', stderr: 'standard error' },
    example: '- shell: journalctl -u named | tail -n 20\n  register: log',
  },
  read: readGuards,
  plan(ctx, args, guards) {
    const text = args.cmd ?? args._raw_params ?? '';
    const line = args.executable ? `${quote(args.executable)} -c ${quote(text)}` : text;
    return commandPlan(ctx, args, guards, line, text);
  },
};

export const raw: Module<{ _raw_params: string; executable?: string }, void> = {
  name: 'raw',
  freeForm: true,
  schema: { type: 'object', properties: { _raw_params: { type: 'string' }, executable: { type: 'string' } }, required: ['_raw_params'], additionalProperties: false },
  doc: { description: 'Runs a command line as is over the connection. Not supported in check mode (skipped).', returns: { rc: 'exit status', stdout: 'output' }, example: '- raw: apt-get install -y python3' },
  async read() {},
  plan(ctx, args) {
    return {
      changed: true,
      skipInCheckMode: true,
      apply: async () => {
        const line = args.executable ? `${quote(args.executable)} -c ${quote(args._raw_params)}` : args._raw_params;
        const r = await ctx.run(line);
        const stdout = r.stdout.toString('utf8');
        const stderr = r.stderr.toString('utf8');
        return { rc: r.rc, stdout, stderr, stdout_lines: stdout.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1), ...(r.rc !== 0 ? { failed: true, msg: 'non-zero return code' } : {}), ...(r.timedOut ? { failed: true, msg: 'timed out' } : {}) };
      },
    };
  },
};
