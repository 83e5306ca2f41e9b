/**
 * The resident shell: one long-lived `/bin/sh` per host (and per become user)
 * that runs every command of the run, one after the other. A command then
 * costs a fork of that shell plus the programs it runs itself, instead of a
 * new SSH channel, an sshd session, a login shell (and sudo) per command —
 * the difference between ~10 ms and ~1 ms a task.
 *
 * The wire format and the driver are in resident-frames.ts. Each command runs
 * in a subshell (so `cd`, `exit`, `set` or a variable cannot touch the next
 * command; an `inline` command, which promises to change nothing, runs in the
 * shell itself); its output, whatever its size or bytes, is read into capped
 * buffers until the frame that ends it.
 *
 * A timeout kills the shell's whole session (the command, its children and
 * the shell) from a separate one-off command; the next command starts a new
 * resident shell. A command larger than the limits below, or any trouble
 * starting the shell, falls back to one process per command.
 */
import { randomBytes } from 'node:crypto';
import { quote } from './quote.js';
import { driverScript, FrameReader, STARTED_LINE, type Frame } from './resident-frames.js';
import { cappedResult } from './output-limit.js';
import { BECOME_PROMPT, buildShellLine, needsBecome, prepareCommand, TIMEOUT_RC, type RunningCommand } from './wrap.js';
import { UnreachableError, type BecomeSpec, type ExecOptions, type ExecResult } from './types.js';

/** stdin larger than this goes through a command of its own (the resident shell's pipe is not meant for bulk data). */
export const RESIDENT_STDIN_LIMIT = 4 * 1024 * 1024;
/** How long starting the shell (and sudo's password exchange) may take before we give up on it. */
const START_TIMEOUT_MS = 15_000;
/** Kill commands for a runaway shell get this long. */
const KILL_TIMEOUT_MS = 10_000;
/** What sudo may say before the shell starts is kept up to this size (its tail). */
const STARTUP_STDERR_LIMIT = 64 * 1024;

/** What a resident shell needs from its connection. */
export interface ResidentTransport {
  readonly host: string;
  readonly loginUser: string;
  /** Bytes kept of each output stream of a command, unless ExecOptions.outputLimit says otherwise. */
  readonly outputLimit: number;
  /** Start a long-running command line (the driver); it ends when its stdin closes. */
  start(line: string): Promise<RunningCommand>;
  /** Run a one-off command through the ordinary path (used to kill a runaway shell). */
  oneShot(command: string, options: ExecOptions): Promise<ExecResult>;
}

interface Pending {
  id: number;
  stdoutDone?: { output: Frame['output']; rc: number };
  stderrDone?: Frame['output'];
  resolve(result: ExecResult): void;
  reject(error: unknown): void;
  timer?: NodeJS.Timeout;
}

/** One resident shell. Runs one command at a time; `busy` tells the caller to use another path meanwhile. */
export class ResidentShell {
  private running: RunningCommand | undefined;
  private readonly token = `uxsv-${randomBytes(16).toString('hex')}`;
  private readonly stdout: FrameReader;
  private readonly stderr: FrameReader;
  private pending: Pending | undefined;
  private nextId = 1;
  private shellPid: number | undefined;
  private started: Promise<void> | undefined;
  /** Called once with the shell's pid when its ready frame arrives. */
  private onReady: ((pid: number) => void) | undefined;
  /** Set once the shell ended or was killed: the owner makes a new one. */
  dead = false;

  constructor(private readonly transport: ResidentTransport, private readonly become?: BecomeSpec) {
    this.stdout = new FrameReader(this.token, transport.outputLimit, (frame) => this.stdoutFrame(frame));
    this.stderr = new FrameReader(this.token, transport.outputLimit, (frame) => this.stderrFrame(frame));
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Starts the shell; rejects when it cannot be started (the caller then runs commands one by one). */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  private async startOnce(): Promise<void> {
    const prepared = prepareCommand(`exec /bin/sh -c ${quote(driverScript())}`, { become: this.become }, this.transport.loginUser);
    const running = await this.transport.start(prepared.line);
    this.running = running;
    running.stdin.on('error', () => { /* the shell died: completion reports it */ });
    await new Promise<void>((resolve, reject) => {
      const startedLine = `${STARTED_LINE}\n`;
      let settled = false;
      let prompts = 0;
      let stderrText = '';
      let tokenSent = false;
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
      this.onReady = (pid) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.shellPid = pid;
        resolve();
      };
      // Before the shell runs, stderr is sudo's: its password prompt, its refusal.
      const onStartupStderr = (chunk: Buffer): void => {
        stderrText += chunk.toString('latin1');
        const at = stderrText.indexOf(startedLine);
        if (at !== -1) {
          running.stderr.off('data', onStartupStderr);
          running.stderr.on('data', (more: Buffer) => this.fromStderr(more));
          const rest = stderrText.slice(at + startedLine.length);
          if (rest.length > 0) this.fromStderr(Buffer.from(rest, 'latin1'));
          tokenSent = true;
          running.stdin.write(`${this.token}\n`);
          return;
        }
        if (prepared.becomePassword !== undefined) {
          const seen = stderrText.split(BECOME_PROMPT).length - 1;
          if (seen > prompts) {
            prompts = seen;
            if (prompts === 1) running.stdin.write(`${prepared.becomePassword}\n`);
            else fail(new Error('sudo rejected the become password'));
          }
        }
        if (stderrText.length > STARTUP_STDERR_LIMIT) stderrText = stderrText.slice(-STARTUP_STDERR_LIMIT / 2);
      };
      running.stdout.on('data', (chunk: Buffer) => this.fromStdout(chunk));
      running.stderr.on('data', onStartupStderr);
      running.completion.then(
        (rc) => {
          this.ended(undefined);
          const said = stderrText.split(BECOME_PROMPT).join('').trim();
          fail(new Error(`the resident shell ended at start (rc ${rc}${tokenSent ? '' : ', before it ran'})${said ? `: ${said}` : ''}`));
        },
        (error: unknown) => {
          this.ended(error);
          fail(error as Error);
        },
      );
    });
  }

  private fromStdout(chunk: Buffer): void {
    this.stdout.push(chunk);
    if (this.stdout.broken !== undefined) this.desync(`stdout: ${this.stdout.broken}`);
  }

  private fromStderr(chunk: Buffer): void {
    this.stderr.push(chunk);
    if (this.stderr.broken !== undefined) this.desync(`stderr: ${this.stderr.broken}`);
  }

  private stdoutFrame(frame: Frame): void {
    const ready = /^ready (\d+)$/.exec(frame.line);
    if (ready) {
      // What came before the shell ran (a login script's output) is not a command's.
      if (this.onReady) this.onReady(Number(ready[1]));
      else this.desync('a second ready frame');
      this.onReady = undefined;
      return;
    }
    const done = /^(\d+) (\d+)$/.exec(frame.line);
    const pending = this.pending;
    if (!done || !pending || Number(done[1]) !== pending.id || pending.stdoutDone) {
      this.desync(`unexpected frame ${JSON.stringify(frame.line)} on stdout`);
      return;
    }
    pending.stdoutDone = { output: frame.output, rc: Number(done[2]) };
    this.finish(pending);
  }

  private stderrFrame(frame: Frame): void {
    const pending = this.pending;
    if (!/^\d+$/.test(frame.line) || !pending || Number(frame.line) !== pending.id || pending.stderrDone) {
      this.desync(`unexpected frame ${JSON.stringify(frame.line)} on stderr`);
      return;
    }
    pending.stderrDone = frame.output;
    this.finish(pending);
  }

  private finish(pending: Pending): void {
    if (!pending.stdoutDone || !pending.stderrDone) return;
    this.settle(pending);
    pending.resolve({ rc: pending.stdoutDone.rc, ...cappedResult(pending.stdoutDone.output, pending.stderrDone) });
  }

  /**
   * The streams no longer follow the protocol (which no command output can
   * cause: only a broken shell): the command gets an error result and the
   * shell is killed; the next command starts a new one.
   */
  private desync(why: string): void {
    if (this.dead) return;
    this.dead = true;
    const pending = this.pending;
    if (pending) {
      this.settle(pending);
      pending.resolve({
        rc: -1,
        stdout: Buffer.alloc(0),
        stderr: Buffer.from(`uxsv: the remote shell on ${this.transport.host} broke its protocol (${why}); it was stopped\n`),
      });
    }
    void this.killSession().finally(() => this.running?.kill());
  }

  /** Runs one command. Never rejects for rc != 0; rejects with UnreachableError when the connection is lost. */
  run(command: string, options: ExecOptions): Promise<ExecResult> {
    if (this.pending || this.dead || !this.running) throw new Error('resident shell not available');
    const running = this.running;
    const id = this.nextId++;
    const script = buildShellLine(command, options);
    const input = options.stdin === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.stdin) ? options.stdin : Buffer.from(options.stdin);
    const inline = options.inline === true && options.cwd === undefined && Object.keys(options.env ?? {}).length === 0 && input.length === 0;
    const limit = options.outputLimit ?? this.transport.outputLimit;
    this.stdout.setLimit(limit);
    this.stderr.setLimit(limit);
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
      ...cappedResult(pending.stdoutDone?.output ?? this.stdout.drain(), pending.stderrDone ?? this.stderr.drain()),
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
