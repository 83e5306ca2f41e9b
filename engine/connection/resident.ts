/**
 * The resident shell: one long-lived `/bin/sh` per host (and per become user)
 * that runs every command of the run, one after the other. A command then
 * costs a fork of that shell plus the programs it runs itself, instead of a
 * new SSH channel, an sshd session, a login shell (and sudo) per command —
 * the difference between ~10 ms and ~1 ms a task.
 *
 * Wire protocol, on the shell's stdin:
 *
 *     <id> <stdin bytes> <inline: 0 or 1>\n
 *     <the command's lines>\n
 *     <token>\n
 *     <stdin bytes, if any>
 *
 * The driver reads the header and the lines with the `read` builtin (which
 * never reads past a newline), hands the command exactly its stdin bytes with
 * `head -c` (and drains what it leaves unread), runs it in a subshell (so `cd`,
 * `exit`, `set` or a variable cannot touch the next command; an `inline`
 * command, which promises to change nothing, runs in the shell itself), then prints
 * `\n<token> <id> <rc>\n` on stdout and `\n<token> <id>\n` on stderr. The token
 * is random per shell, so no output can fake the end of a command.
 *
 * A timeout kills the shell's whole session (the command, its children and
 * the shell) from a separate one-off command; the next command starts a new
 * resident shell. A command larger than the limits below, or any trouble
 * starting the shell, falls back to one process per command.
 */
import { randomBytes } from 'node:crypto';
import { quote } from './quote.js';
import { BECOME_PROMPT, buildShellLine, needsBecome, prepareCommand, TIMEOUT_RC, type RunningCommand } from './wrap.js';
import { UnreachableError, type BecomeSpec, type ExecOptions, type ExecResult } from './types.js';

/** stdin larger than this goes through a command of its own (the resident shell's pipe is not meant for bulk data). */
export const RESIDENT_STDIN_LIMIT = 4 * 1024 * 1024;
/** How long starting the shell (and sudo's password exchange) may take before we give up on it. */
const START_TIMEOUT_MS = 15_000;
/** Kill commands for a runaway shell get this long. */
const KILL_TIMEOUT_MS = 10_000;

/** What a resident shell needs from its connection. */
export interface ResidentTransport {
  readonly host: string;
  readonly loginUser: string;
  /** Start a long-running command line (the driver); it ends when its stdin closes. */
  start(line: string): Promise<RunningCommand>;
  /** Run a one-off command through the ordinary path (used to kill a runaway shell). */
  oneShot(command: string, options: ExecOptions): Promise<ExecResult>;
}

/**
 * The driver. Variables carry a prefix so a user's `shell:` line that uses `$n`
 * or `$s` does not see ours. It writes no file: a full or read-only /tmp does
 * not stop it.
 */
function driverScript(token: string): string {
  return [
    `printf '%s ready %s\\n' ${token} "$$"`,
    'while IFS=" " read -r __uxsv_id __uxsv_n __uxsv_inline; do',
    '  __uxsv_s=; __uxsv_ok=',
    '  while IFS= read -r __uxsv_l; do',
    `    if [ "$__uxsv_l" = ${token} ]; then __uxsv_ok=1; break; fi`,
    '    __uxsv_s="$__uxsv_s$__uxsv_l',
    '"',
    '  done',
    '  [ -n "$__uxsv_ok" ] || exit 0',
    '  if [ "$__uxsv_inline" = 1 ]; then',
    '    eval "$__uxsv_s" </dev/null',
    '  elif [ "$__uxsv_n" -gt 0 ]; then',
    // head reads exactly the command's stdin from ours; cat drains what the
    // command left unread, so the next header is where the loop expects it.
    '    head -c "$__uxsv_n" | { (eval "$__uxsv_s"); __uxsv_rc=$?; cat >/dev/null; exit "$__uxsv_rc"; }',
    '  else',
    '    (eval "$__uxsv_s") </dev/null',
    '  fi',
    '  __uxsv_rc=$?',
    `  printf '\\n%s %s %s\\n' ${token} "$__uxsv_id" "$__uxsv_rc"`,
    `  printf '\\n%s %s\\n' ${token} "$__uxsv_id" >&2`,
    'done',
  ].join('\n');
}

const SCANNER_KEEP_BYTES = 64 * 1024;

/** Finds a marker in a stream that arrives in chunks: a growing buffer, each byte searched about once. */
class MarkerScanner {
  private buffer = Buffer.alloc(SCANNER_KEEP_BYTES);
  private length = 0;
  /** Bytes before this offset hold no marker start (beyond a marker's length of overlap). */
  private searched = 0;

  push(chunk: Buffer): void {
    if (this.length + chunk.length > this.buffer.length) {
      const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + chunk.length));
      this.buffer.copy(bigger, 0, 0, this.length);
      this.buffer = bigger;
    }
    chunk.copy(this.buffer, this.length);
    this.length += chunk.length;
  }

  /**
   * If `marker` (and, with a terminator, the rest of its line) arrived: the
   * bytes before it and the rest of its line; what follows stays for later.
   */
  take(marker: Buffer, terminator?: number): { before: Buffer; tail: Buffer } | undefined {
    const all = this.buffer.subarray(0, this.length);
    const at = all.indexOf(marker, Math.max(0, this.searched - marker.length));
    if (at === -1) {
      this.searched = this.length;
      return undefined;
    }
    let end = at + marker.length;
    if (terminator !== undefined) {
      const stop = all.indexOf(terminator, end);
      if (stop === -1) {
        this.searched = at;   // the marker is there, its line is not complete yet
        return undefined;
      }
      end = stop + 1;
    }
    const result = { before: Buffer.from(all.subarray(0, at)), tail: Buffer.from(all.subarray(at + marker.length, end)) };
    this.keep(all.subarray(end));
    return result;
  }

  /** Everything received and not taken yet. */
  drain(): Buffer {
    const rest = Buffer.from(this.buffer.subarray(0, this.length));
    this.keep(Buffer.alloc(0));
    return rest;
  }

  private keep(rest: Buffer): void {
    if (this.buffer.length > SCANNER_KEEP_BYTES && rest.length <= SCANNER_KEEP_BYTES) {
      // One large output must not hold its buffer for the rest of the run.
      const smaller = Buffer.alloc(SCANNER_KEEP_BYTES);
      rest.copy(smaller, 0);
      this.buffer = smaller;
      this.length = rest.length;
      this.searched = 0;
      return;
    }
    rest.copy(this.buffer, 0);   // copy handles the overlap (rest is a later part of the same buffer)
    this.length = rest.length;
    this.searched = 0;
  }
}

interface Pending {
  id: number;
  stdoutDone?: { out: Buffer; rc: number };
  stderrDone?: Buffer;
  resolve(result: ExecResult): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
}

const NEWLINE = 0x0a;

/** One resident shell. Runs one command at a time; `busy` tells the caller to use another path meanwhile. */
export class ResidentShell {
  private running: RunningCommand | undefined;
  private readonly token = `uxsv-${randomBytes(12).toString('hex')}`;
  private readonly stdout = new MarkerScanner();
  private readonly stderr = new MarkerScanner();
  private pending: Pending | undefined;
  private nextId = 1;
  private shellPid: number | undefined;
  private started: Promise<void> | undefined;
  /** Set once the shell ended or was killed: the owner makes a new one. */
  dead = false;

  constructor(private readonly transport: ResidentTransport, private readonly become?: BecomeSpec) {}

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Starts the shell; rejects when it cannot be started (the caller then runs commands one by one). */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  private async startOnce(): Promise<void> {
    const prepared = prepareCommand(`exec /bin/sh -c ${quote(driverScript(this.token))}`, { become: this.become }, this.transport.loginUser);
    const running = await this.transport.start(prepared.line);
    this.running = running;
    running.stdin.on('error', () => { /* the shell died: completion reports it */ });
    const ready = new Promise<void>((resolve, reject) => {
      const readyMarker = Buffer.from(`${this.token} ready `);
      let settled = false;
      let prompts = 0;
      let stderrText = '';
      const timer = setTimeout(() => {
        fail(new Error(`the resident shell did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.dead = true;
        running.kill();
        reject(error);
      };
      const onStdout = (chunk: Buffer): void => {
        this.stdout.push(chunk);
        const found = this.stdout.take(readyMarker, NEWLINE);
        if (!found || settled) return;
        settled = true;
        clearTimeout(timer);
        this.shellPid = Number(found.tail.toString().trim());
        running.stdout.off('data', onStdout);
        running.stderr.off('data', onStartupStderr);
        this.listen(running);
        resolve();
      };
      // Only sudo talks on stderr before the shell is up: its password prompt.
      const onStartupStderr = (chunk: Buffer): void => {
        stderrText += chunk.toString('latin1');
        if (prepared.becomePassword === undefined) return;
        const seen = stderrText.split(BECOME_PROMPT).length - 1;
        if (seen > prompts) {
          prompts = seen;
          if (prompts === 1) running.stdin.write(`${prepared.becomePassword}\n`);
          else fail(new Error('sudo rejected the become password'));
        }
      };
      running.stdout.on('data', onStdout);
      running.stderr.on('data', onStartupStderr);
      running.completion.then(
        () => fail(new Error(`the resident shell ended at start: ${stderrText.split(BECOME_PROMPT).join('').trim()}`)),
        (error: unknown) => fail(error as Error),
      );
    });
    await ready;
  }

  private listen(running: RunningCommand): void {
    running.stdout.on('data', (chunk: Buffer) => {
      this.stdout.push(chunk);
      this.collect();
    });
    running.stderr.on('data', (chunk: Buffer) => {
      this.stderr.push(chunk);
      this.collect();
    });
    running.completion.then(
      () => this.ended(undefined),
      (error: unknown) => this.ended(error),
    );
    this.collect();
  }

  /** Runs one command. Never rejects for rc != 0; rejects with UnreachableError when the connection is lost. */
  run(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.pending || this.dead || !this.running) throw new Error('resident shell not available');
    const running = this.running;
    const id = this.nextId++;
    const script = buildShellLine(command, options);
    const input = options.stdin === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin);
    const inline = options.inline === true && options.cwd === undefined && Object.keys(options.env ?? {}).length === 0 && input.length === 0;
    return new Promise<ExecResult>((resolve, reject) => {
      const pending: Pending = { id, resolve, reject };
      this.pending = pending;
      if (options.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => this.timedOut(pending), options.timeoutMs);
      }
      // One write: the header, the command and its stdin go out in one packet when they fit.
      running.stdin.write(Buffer.concat([Buffer.from(`${id} ${input.length} ${inline ? 1 : 0}\n${script}\n${this.token}\n`), input]));
    });
  }

  private collect(): void {
    const pending = this.pending;
    if (!pending) return;
    if (!pending.stdoutDone) {
      const found = this.stdout.take(Buffer.from(`\n${this.token} ${pending.id} `), NEWLINE);
      if (found) pending.stdoutDone = { out: found.before, rc: Number(found.tail.toString().trim()) };
    }
    if (!pending.stderrDone) {
      const found = this.stderr.take(Buffer.from(`\n${this.token} ${pending.id}\n`));
      if (found) pending.stderrDone = found.before;
    }
    if (pending.stdoutDone && pending.stderrDone) {
      this.settle(pending);
      pending.resolve({ rc: pending.stdoutDone.rc, stdout: pending.stdoutDone.out, stderr: pending.stderrDone });
    }
  }

  private settle(pending: Pending): void {
    clearTimeout(pending.timer);
    if (this.pending === pending) this.pending = undefined;
  }

  /**
   * Answers at once (a daemon may hold the output open), then kills the
   * shell's session and process group from a one-off command, so nothing the
   * command started survives, as with GNU timeout in the one-off path.
   */
  private timedOut(pending: Pending): void {
    this.settle(pending);
    pending.resolve({
      rc: TIMEOUT_RC,
      stdout: this.stdout.drain(),
      stderr: this.stderr.drain(),
      timedOut: true,
    });
    this.dead = true;
    void this.killSession().finally(() => this.running?.kill());
  }

  private async killSession(): Promise<void> {
    if (this.shellPid === undefined || !Number.isInteger(this.shellPid) || this.shellPid <= 1) return;
    const pid = this.shellPid;
    // Fields 5 and 6 of /proc/PID/stat are the process group and the session.
    const script = [
      `read -r _ comm _ _ pg sid _ < /proc/${pid}/stat 2>/dev/null || exit 0`,
      '[ "$comm" = "(sh)" ] || exit 0',
      '[ "$sid" -gt 1 ] && { pkill -KILL -s "$sid" 2>/dev/null || :; }',
      '[ "$pg" -gt 1 ] && { kill -KILL -- "-$pg" 2>/dev/null || :; }',
      `kill -KILL ${pid} 2>/dev/null || :`,
    ].join('\n');
    await this.transport.oneShot(script, { become: this.become, timeoutMs: KILL_TIMEOUT_MS }).catch(() => undefined);
  }

  /** The shell's stream closed: a pending command fails (lost connection) or gets an explicit error. */
  private ended(error: unknown): void {
    this.dead = true;
    const pending = this.pending;
    if (!pending) return;
    this.settle(pending);
    if (error instanceof UnreachableError) {
      pending.reject(error);
      return;
    }
    pending.resolve({
      rc: -1,
      stdout: Buffer.alloc(0),
      stderr: Buffer.from(`uxsv: the remote shell on ${this.transport.host} ended during the command${error ? `: ${String(error)}` : ''}\n`),
    });
  }

  /** Closes stdin: the driver's read loop ends and the shell exits. */
  close(): void {
    this.dead = true;
    const running = this.running;
    if (!running) return;
    try {
      running.stdin.end();
    } catch {
      // already gone
    }
  }
}

/** Set UXSV_RESIDENT_SHELL=0 to run every command as a process of its own (the escape hatch, and the benchmark's baseline). */
export function residentShellEnabled(): boolean {
  return process.env['UXSV_RESIDENT_SHELL'] !== '0';
}

/**
 * The resident shells of one connection, one per become user. A command goes
 * to its shell when that shell is free; otherwise (a concurrent command, a
 * large stdin, a shell that would not start) through `oneShot`.
 */
export class ResidentShells {
  private readonly shells = new Map<string, ResidentShell>();
  /** Become users whose shell would not start: not tried again this run. */
  private readonly unavailable = new Set<string>();

  constructor(private readonly transport: ResidentTransport, private readonly enabled = residentShellEnabled()) {}

  async run(command: string, options: ExecOptions, oneShot: () => Promise<ExecResult>): Promise<ExecResult> {
    const stdinSize = options.stdin === undefined ? 0 : Buffer.byteLength(options.stdin);
    if (!this.enabled || stdinSize > RESIDENT_STDIN_LIMIT) return oneShot();
    const become = needsBecome(this.transport.loginUser, options.become) ? options.become : undefined;
    // A different password is a different credential: it gets its own start (and its own refusal).
    const key = become === undefined ? '' : `${become.user}\0${become.password ?? ''}`;
    if (this.unavailable.has(key)) return oneShot();
    let shell = this.shells.get(key);
    if (!shell || shell.dead) {
      shell = new ResidentShell(this.transport, become);
      this.shells.set(key, shell);
    }
    if (shell.busy) return oneShot();
    try {
      await shell.start();
    } catch (error) {
      if (error instanceof UnreachableError) throw error;
      this.unavailable.add(key);
      return oneShot();
    }
    if (shell.busy || shell.dead) return oneShot();
    return shell.run(command, options);
  }

  get count(): number {
    return this.shells.size;
  }

  close(): void {
    for (const shell of this.shells.values()) shell.close();
    this.shells.clear();
  }
}
