/**
 * command, shell and raw, with Ansible's arguments and result keys.
 *
 * `command` splits its text like Python's shlex and runs the words without a
 * shell: each word is quoted, with `$VAR` and `~` expanded by the host's
 * shell exactly where Python's expandvars/expanduser would expand them (and
 * nowhere else), and the program is `exec`ed so shell builtins are not
 * reachable. `shell` hands its text to /bin/sh (or `executable`). chdir is a
 * physical `cd -P` (the child sees the resolved folder, as after os.chdir),
 * creates/removes are glob patterns tested on the host before anything runs.
 */
import { quote } from '../../connection/quote.js';
import type { Fact } from '../../facts/types.js';
import { readFact, type FactRequest } from '../../facts/index.js';
import { boolSchema, text, textSchema, toBool } from '../lib/args.js';
import type { Module, ModuleContext, ModuleResult, Plan, ReadAheadContext } from '../types.js';
import { expandedWord, globWord, hasGlob, pathWord, pySplitlines, shlexSplit } from './shlex.js';

export interface CommandArgs {
  _raw_params?: string;
  cmd?: string;
  argv?: Array<string | number>;
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: unknown;
  strip_empty_ends?: unknown;
  executable?: string;
  expand_argument_vars?: unknown;
  warn?: unknown;
}

export const commonProperties = {
  _raw_params: { type: 'string', description: 'The command (the free-form text)' },
  cmd: { type: 'string', description: 'The command, as an argument instead of the free-form text' },
  chdir: { ...textSchema, description: 'Change into this folder first (a physical cd: symbolic links resolved)' },
  creates: { ...textSchema, description: 'A path or glob pattern: when it matches, the command does not run' },
  removes: { ...textSchema, description: 'A path or glob pattern: when it matches nothing, the command does not run' },
  stdin: { ...textSchema, description: 'Given to the command on standard input' },
  stdin_add_newline: { ...boolSchema, description: 'Add a newline to stdin (default true)' },
  strip_empty_ends: { ...boolSchema, description: 'Strip trailing newlines from stdout and stderr (default true)' },
};

// ------------------------------------------------------------- guards

export interface GuardParams {
  chdir?: string;
  creates?: string;
  removes?: string;
}

export interface GuardState {
  /** chdir given and the folder cannot be entered. */
  chdirFailed?: boolean;
  createsExists?: boolean;
  removesExists?: boolean;
}

/** Whether a pattern matches anything (lexists for a plain path, as glob.glob). */
function matchTest(path: string): string {
  if (!hasGlob(path)) {
    const p = pathWord(path);
    return `if [ -e ${p} ] || [ -L ${p} ]; then echo 1; else echo 0; fi`;
  }
  return `if ls -d -- ${globWord(path)} >/dev/null 2>&1; then echo 1; else echo 0; fi`;
}

/** The guards of command/shell/script: chdir entered first, then creates/removes matched relative to it. */
export const guardFact: Fact<GuardParams, GuardState> = {
  name: 'command.guards',
  // Shell builtins only, unless a glob needs ls; a chdir happens in a subshell of its own.
  inline: true,
  command: ({ chdir, creates, removes }) => {
    const tests = [creates !== undefined ? matchTest(creates) : 'echo -', removes !== undefined ? matchTest(removes) : 'echo -'];
    if (chdir === undefined) return tests.join('\n');
    return `(\nif ! cd -P -- ${pathWord(chdir)} 2>/dev/null; then echo nochdir; exit 0; fi\n${tests.join('\n')}\n)`;
  },
  parse: (output) => {
    const out = output.stdout.toString('utf8').split('\n');
    if (out[0] === 'nochdir') return { chdirFailed: true };
    const flag = (w: string | undefined) => (w === '1' ? true : w === '0' ? false : undefined);
    return { createsExists: flag(out[0]), removesExists: flag(out[1]) };
  },
};

/** The guard read of a command's arguments (normalised), or none without creates/removes. */
function guardRequest(args: GuardParams): FactRequest<GuardParams, GuardState> | undefined {
  if (args.creates === undefined && args.removes === undefined) return undefined;
  return [guardFact, { chdir: args.chdir, creates: args.creates, removes: args.removes }];
}

export async function readGuards(ctx: ModuleContext, args: GuardParams): Promise<GuardState> {
  const request = guardRequest(args);
  return request ? readFact(ctx, ...request) : {};
}

/**
 * A command skipped by creates/removes changes nothing: its guard is read
 * ahead with the tasks around it, and what was read ahead lives on past it.
 * A command that runs forgets it (its `ctx.run`).
 */
const guardReadAhead = (_ctx: ReadAheadContext, args: CommandArgs): FactRequest[] => {
  const request = guardRequest(normalizeArgs(args));
  return request ? [request] : [];
};

// ------------------------------------------------------------- running

/** Python's str(datetime.now()): local time, microseconds. */
export function pythonTimestamp(date: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}.${p(date.getMilliseconds() * 1000, 6)}`;
}

/** Python's str(timedelta) for a short duration: "0:00:01.234000". */
export function pythonDelta(ms: number): string {
  const total = Math.max(0, ms);
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = Math.floor((total % 60_000) / 1000);
  const micro = Math.round((total % 1000) * 1000);
  const base = `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return micro === 0 ? base : `${base}.${String(micro).padStart(6, '0')}`;
}

/** Printed on stderr (alone) when chdir cannot be entered: told apart from the command's own output. */
const CHDIR_FAILED = '@@uxsv-chdir-failed@@';
/** Printed on stderr (alone) when `command` finds no such program. */
const NOT_FOUND = '@@uxsv-not-found@@';

export function chdirPrefix(chdir: string | undefined): string {
  if (chdir === undefined || chdir === '') return '';
  return `if ! cd -P -- ${pathWord(chdir)} 2>/dev/null; then printf '%s\\n' ${quote(CHDIR_FAILED)} >&2; exit 1; fi\n`;
}

function chdirMessage(chdir: string): string {
  return `Unable to change directory before execution: [Errno 2] No such file or directory: '${chdir}'`;
}

function stripEnds(text: string, strip: boolean): string {
  return strip ? text.replace(/[\r\n]+$/, '') : text;
}

interface RunSpec {
  /** The shell text to run (after any chdir prefix). */
  line: string;
  /** The `cmd` result value. */
  shown: string | string[];
  chdir?: string;
  stdin?: string;
  stdinNewline: boolean;
  strip: boolean;
  /** The program looked up for Ansible's "No such file" failure (command only). */
  program?: string;
}

/** Run and build command's result dict (rc, stdout/stderr and their lines, start/end/delta, msg). */
export async function runCommand(ctx: ModuleContext, spec: RunSpec): Promise<ModuleResult> {
  const started = new Date();
  const stdin = spec.stdin !== undefined ? spec.stdin + (spec.stdinNewline ? '\n' : '') : undefined;
  const res = await ctx.run(chdirPrefix(spec.chdir) + spec.line, stdin !== undefined ? { stdin } : {});
  const ended = new Date();
  const rawErr = res.stderr.toString('utf8');
  if (spec.chdir !== undefined && res.rc === 1 && rawErr === `${CHDIR_FAILED}\n`) {
    const failed: Record<string, unknown> = { changed: false, failed: true, cmd: spec.shown, rc: null, stdout: '', stderr: '', start: null, end: null, delta: null, msg: chdirMessage(spec.chdir) };
    return failed as ModuleResult;
  }
  if (spec.program !== undefined && res.rc === 2 && rawErr === `${NOT_FOUND}\n`) {
    return { changed: false, failed: true, cmd: spec.shown, rc: 2, stdout: '', stderr: '', msg: `[Errno 2] No such file or directory: b'${spec.program}'` };
  }
  const stdout = stripEnds(res.stdout.toString('utf8'), spec.strip);
  const stderr = stripEnds(rawErr, spec.strip);
  const result: ModuleResult = {
    changed: true,
    cmd: spec.shown,
    rc: res.rc,
    stdout,
    stderr,
    stdout_lines: pySplitlines(stdout),
    stderr_lines: pySplitlines(stderr),
    start: pythonTimestamp(started),
    end: pythonTimestamp(ended),
    delta: pythonDelta(ended.getTime() - started.getTime()),
    msg: '',
  };
  if (res.timedOut) {
    result.failed = true;
    result.msg = `the command did not finish within ${Math.round((ctx.timeoutMs ?? 0) / 1000)} s and was ended (task timeout)`;
  } else if (res.rc !== 0) {
    result.failed = true;
    result.msg = 'non-zero return code';
  }
  return result;
}

// ------------------------------------------------------------- plans

/** The result of a command skipped by creates/removes. */
function guardSkip(ctx: ModuleContext, args: CommandArgs, guards: GuardState, shown: string | string[]): Plan | undefined {
  const verb = ctx.check ? 'Would' : 'Did';
  const base = { cmd: shown, rc: 0, stderr: '', stderr_lines: [], start: null, end: null, delta: null };
  if (guards.createsExists === true) {
    const stdout = `skipped, since ${args.creates} exists`;
    return { changed: false, result: { ...base, stdout, stdout_lines: [stdout] }, msg: `${verb} not run command since '${args.creates}' exists` };
  }
  if (guards.removesExists === false) {
    const stdout = `skipped, since ${args.removes} does not exist`;
    return { changed: false, result: { ...base, stdout, stdout_lines: [stdout] }, msg: `${verb} not run command since '${args.removes}' does not exist` };
  }
  return undefined;
}

export function planCommandRun(ctx: ModuleContext, args: CommandArgs, guards: GuardState, spec: Omit<RunSpec, 'stdinNewline' | 'strip' | 'chdir' | 'stdin'>, warnings: string[]): Plan {
  const extra = warnings.length > 0 ? { warnings } : {};
  if (guards.chdirFailed && args.chdir !== undefined) {
    return { changed: false, failed: true, msg: chdirMessage(args.chdir), result: { cmd: spec.shown, rc: null, stdout: '', stderr: '', ...extra } };
  }
  const skip = guardSkip(ctx, args, guards, spec.shown);
  if (skip) return { ...skip, result: { ...skip.result, ...extra } };
  const guarded = args.creates !== undefined || args.removes !== undefined;
  const wouldRun = 'Command would have run if not in check mode';
  if (ctx.check && !guarded) {
    // Ansible's command reports this itself (skipped, with its message) rather than being skipped by the engine.
    return { changed: false, result: { skipped: true, cmd: spec.shown, rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [], ...extra }, msg: wouldRun };
  }
  return {
    changed: true,
    result: { cmd: spec.shown, ...(ctx.check ? { rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] } : {}), ...extra },
    msg: ctx.check ? wouldRun : undefined,
    apply: async () => {
      const result = await runCommand(ctx, {
        ...spec,
        chdir: args.chdir,
        stdin: args.stdin,
        stdinNewline: toBool(args.stdin_add_newline, true),
        strip: toBool(args.strip_empty_ends, true),
      });
      return { ...result, ...extra };
    },
  };
}

/** Path and text arguments that YAML typed as numbers or booleans, as strings (Ansible's str/path types). */
function normalizeArgs(args: CommandArgs): CommandArgs {
  return { ...args, chdir: text(args.chdir), creates: text(args.creates), removes: text(args.removes), stdin: text(args.stdin) };
}

function commandWords(args: CommandArgs): { words?: string[]; error?: string } {
  const text = args._raw_params ?? args.cmd;
  const hasText = text !== undefined && text !== null && String(text).trim() !== '';
  if (!hasText && (!args.argv || args.argv.length === 0)) return { error: 'no command given' };
  if (hasText && args.argv && args.argv.length > 0) return { error: 'only command or argv can be given, not both' };
  if (args.argv && args.argv.length > 0) return { words: args.argv.map(String) };
  try {
    return { words: shlexSplit(String(text)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** `exec` the program (no shell builtins, as subprocess), failing like Python when it does not exist. */
export function execLine(words: string[], expand: boolean): string {
  const [program, ...rest] = words.map((w) => expandedWord(w, expand));
  const lookup = `if ! command -v -- ${program} >/dev/null 2>&1; then printf '%s\\n' ${quote(NOT_FOUND)} >&2; exit 2; fi`;
  return `${lookup}\nexec ${[program, ...rest].join(' ')}`;
}

export const command: Module<CommandArgs, GuardState> = {
  name: 'command',
  freeForm: true,
  schema: {
    type: 'object',
    properties: {
      ...commonProperties,
      argv: { type: 'array', items: { type: ['string', 'number'] }, description: 'The command as a list of words (instead of the text)' },
      executable: { type: 'string', description: 'Not supported by command (a warning; use shell)' },
      expand_argument_vars: { ...boolSchema, description: 'Expand $VAR and ~ in the words on the host (default true), as Python\'s expandvars/expanduser' },
      warn: { ...boolSchema, description: 'Ignored (removed in Ansible 2.14)' },
    },
    additionalProperties: false,
  },
  doc: {
    description:
      'Runs a program without a shell: the text is split like Python\'s shlex, each word quoted, `$VAR`/`${VAR}` and a ' +
      'leading `~` expanded on the host as Ansible does (a variable that is not set stays as written); pipes, redirections ' +
      'and shell builtins do not work. creates/removes (glob patterns, relative to chdir) make it idempotent; in check mode ' +
      'it reports "Command would have run" (skipped without creates/removes).',
    returns: {
      cmd: 'the command as a list of words',
      rc: 'exit status',
      stdout: 'standard output (trailing newlines stripped unless strip_empty_ends is false)',
      stderr: 'standard error',
      stdout_lines: 'stdout split into lines',
      stderr_lines: 'stderr split into lines',
      start: 'when it started (local time, "YYYY-MM-DD HH:MM:SS.ffffff")',
      end: 'when it ended',
      delta: 'how long it ran ("H:MM:SS.ffffff")',
      msg: '"non-zero return code" on failure, the skip reason with creates/removes, else empty',
    },
    example: '- command: /usr/sbin/named-checkconf /etc/bind/named.conf\n  changed_when: false',
  },
  read: (ctx, args) => readGuards(ctx, normalizeArgs(args)),
  readAhead: guardReadAhead,
  plan(ctx, rawArgs, guards) {
    const args = normalizeArgs(rawArgs);
    const { words, error } = commandWords(args);
    if (error || !words) return { changed: false, failed: true, msg: error, result: { rc: 256, cmd: null, stdout: '', stderr: '' } };
    const warnings = args.executable !== undefined && args.executable !== null
      ? [`As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '${args.executable}'.`]
      : [];
    const expand = toBool(args.expand_argument_vars, true);
    return planCommandRun(ctx, args, guards, { line: execLine(words, expand), shown: words, program: words[0] }, warnings);
  },
};

export const shell: Module<CommandArgs, GuardState> = {
  name: 'shell',
  freeForm: true,
  schema: {
    type: 'object',
    properties: {
      ...commonProperties,
      executable: { type: 'string', description: 'The shell to run the text with (`executable -c TEXT`) instead of /bin/sh' },
      warn: { ...boolSchema, description: 'Ignored (removed in Ansible 2.14)' },
    },
    additionalProperties: false,
  },
  doc: {
    description:
      'Runs the text with /bin/sh (or `executable`), so pipes, redirections, variables and builtins work. Same arguments ' +
      'and results as command, except `cmd` is the text as given.',
    returns: { cmd: 'the text as given', rc: 'exit status', stdout: 'standard output', stderr: 'standard error', stdout_lines: 'stdout lines', stderr_lines: 'stderr lines', start: 'start time', end: 'end time', delta: 'run time' },
    example: '- shell: journalctl -u named | tail -n 20\n  register: log',
  },
  read: (ctx, args) => readGuards(ctx, normalizeArgs(args)),
  readAhead: guardReadAhead,
  plan(ctx, rawArgs, guards) {
    const args = normalizeArgs(rawArgs);
    const text = args._raw_params ?? args.cmd;
    if (text === undefined || text === null || String(text).trim() === '') {
      return { changed: false, failed: true, msg: 'no command given', result: { rc: 256, cmd: null, stdout: '', stderr: '' } };
    }
    const line = args.executable ? `exec ${quote(args.executable)} -c ${quote(String(text))}` : String(text);
    return planCommandRun(ctx, args, guards, { line, shown: String(text) }, []);
  },
};

export const raw: Module<{ _raw_params: string; executable?: string }, void> = {
  name: 'raw',
  freeForm: true,
  schema: {
    type: 'object',
    properties: {
      _raw_params: { type: 'string', description: 'The command line, run as is' },
      executable: { type: 'string', description: 'Run the line with this shell (`executable -c LINE`)' },
    },
    required: ['_raw_params'],
    additionalProperties: false,
  },
  doc: {
    description: 'Runs a command line as is over the connection (no module, no quoting). Always changed; skipped in check mode.',
    returns: { rc: 'exit status', stdout: 'output', stdout_lines: 'output lines', stderr: 'error output', stderr_lines: 'error lines' },
    example: '- name: Bootstrap a host without Python\n  raw: apt-get install -y python3\n',
  },
  async read() {},
  plan(ctx, args) {
    return {
      changed: true,
      skipInCheckMode: true,
      apply: async () => {
        const line = args.executable ? `exec ${quote(args.executable)} -c ${quote(args._raw_params)}` : args._raw_params;
        const r = await ctx.run(line);
        const stdout = r.stdout.toString('utf8');
        const stderr = r.stderr.toString('utf8');
        const result: Record<string, unknown> = { rc: r.rc, stdout, stdout_lines: pySplitlines(stdout), stderr, stderr_lines: pySplitlines(stderr) };
        if (r.timedOut) Object.assign(result, { failed: true, msg: 'timed out' });
        else if (r.rc !== 0) Object.assign(result, { failed: true, msg: 'non-zero return code' });
        return result;
      },
    };
  },
};
