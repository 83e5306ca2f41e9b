/**
 * What both connections share: turning a command plus ExecOptions into one
 * shell line (cwd, env, sudo), and driving a started command (stdin, the sudo
 * password exchange, output collection, timeout) into an ExecResult.
 */
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import { posix as posixPath } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { cappedResult, CappedOutput } from './output-limit.js';
import { quote } from './quote.js';
import type { BecomeSpec, ExecOptions, ExecResult } from './types.js';

/** rc reported for a command ended by timeoutMs (the convention of GNU `timeout`). */
export const TIMEOUT_RC = 124;

/** The prompt sudo prints when it wants the become password; stripped from stderr. */
export const BECOME_PROMPT = '<uxsv-become-prompt>';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A shell line ready to send, and what the sudo exchange needs when a password is involved. */
export interface PreparedCommand {
  line: string;
  /** Set when sudo may ask for a password: it is sent only after sudo prompts. */
  becomePassword?: string;
  /** Printed on stderr by the become shell once sudo let it run; the caller's stdin goes after it. */
  becomeMarker?: string;
}

/** sudo is needed only to change user: becoming the login user is a no-op. */
export function needsBecome(loginUser: string, become?: BecomeSpec): become is BecomeSpec {
  return become !== undefined && (become.user !== loginUser || become.allowSameUser === true);
}

/**
 * `cd` and `export` go on their own lines before the command, so a command
 * made of several statements (`a; b`) cannot escape the `|| exit` of a failed cd.
 */
export function buildShellLine(
  command: string,
  options: Pick<ExecOptions, 'env' | 'cwd'> = {},
  remoteKillAfterMs?: number,
): string {
  const lines: string[] = [];
  if (options.cwd !== undefined) lines.push(`cd -- ${quote(options.cwd)} || exit`);
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${quote(value)}`);
  }
  lines.push(remoteKillAfterMs === undefined ? command : underRemoteTimeout(command, remoteKillAfterMs));
  return lines.join('\n');
}

/** How long after the caller's timeout the remote `timeout` kills what is left. */
export const REMOTE_KILL_GRACE_MS = 500;

/**
 * Over ssh, killing the process the channel started does not kill its
 * children. GNU `timeout` runs the command in its own process group and kills
 * the whole group: when its own time runs out (a little after ours, so our
 * timer decides the result), or when it receives TERM (forwarded to the group,
 * KILL one second later for processes that ignore TERM).
 */
function underRemoteTimeout(command: string, timeoutMs: number): string {
  const seconds = ((timeoutMs + REMOTE_KILL_GRACE_MS) / 1000).toFixed(3);
  return `exec timeout -k 1 -s KILL ${seconds} /bin/sh -c ${quote(command)}`;
}

/**
 * The whole line for `/bin/sh -c` (or the ssh exec request). cwd and env are
 * applied inside the sudo shell: sudo resets the environment, and the
 * directory must be reachable by the become user. A transport that cannot
 * kill a process group itself (ssh) gets a remote `timeout` for timeoutMs.
 */
export function prepareCommand(
  command: string,
  options: ExecOptions,
  loginUser: string,
  transport: { killsProcessGroup: boolean } = { killsProcessGroup: true },
): PreparedCommand {
  const remoteKill = transport.killsProcessGroup ? undefined : options.timeoutMs;
  const inner = buildShellLine(command, options, remoteKill);
  const become = options.become;
  if (!needsBecome(loginUser, become)) return { line: inner };
  if (become.password === undefined) {
    return { line: `sudo -H -S -n -u ${quote(become.user)} -- /bin/sh -c ${quote(inner)}` };
  }
  // The marker tells us sudo accepted (or did not need) the password, so the
  // password is never fed to the command itself when sudo does not ask for it.
  const marker = `uxsv-become-ok-${randomBytes(8).toString('hex')}`;
  const guarded = `printf '%s\\n' ${marker} >&2\n${inner}`;
  return {
    line: `sudo -H -S -p ${quote(BECOME_PROMPT)} -u ${quote(become.user)} -- /bin/sh -c ${quote(guarded)}`,
    becomePassword: become.password,
    becomeMarker: marker,
  };
}

/**
 * One command line that writes stdin to a temp file next to the target and
 * renames it over the target, so readers never see a partial file. Without a
 * mode, an existing target keeps its mode and owner; a new one gets 0666 & ~umask.
 */
export function putFileCommand(remotePath: string, mode?: string): string {
  const target = quote(remotePath);
  let dir = posixPath.dirname(remotePath);
  if (!dir.startsWith('/')) dir = `./${dir}`;   // a relative dir starting with '-' must not read as an option
  const chmod = mode !== undefined
    ? `chmod -- ${quote(mode)} "$tmp"`
    : `{ if [ -e ${target} ]; then chmod --reference=${target} "$tmp" && { chown --reference=${target} "$tmp" 2>/dev/null || :; }; ` +
      `else chmod "$(printf %o $((0666 & ~$(umask))))" "$tmp"; fi; }`;
  return `tmp=$(mktemp ${quote(dir)}/.uxsv.XXXXXX) || exit\n` +
    `{ cat > "$tmp" && ${chmod} && mv -f -- "$tmp" ${target}; } || { rc=$?; rm -f -- "$tmp"; exit "$rc"; }`;
}

/** exit code of a command ended by a signal, as a shell reports it. */
export function signalExitCode(signal: string | null | undefined): number {
  if (!signal) return -1;
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof osConstants.signals;
  const number = osConstants.signals[name];
  return number === undefined ? -1 : 128 + number;
}

/** A started command, whatever carries it (a local child process or an ssh channel). */
export interface RunningCommand {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Settles with the exit code once the command ended and its output is drained; rejects on transport loss. */
  completion: Promise<number>;
  /** Kill the command (and what it started, where the transport allows) and release its streams. */
  kill(): void;
}

/**
 * Feed stdin, collect output and enforce the timeout. On timeout the result is
 * returned at once, without waiting for output to close: a daemon the command
 * started may hold stdout open forever. Each stream keeps `outputLimit` bytes;
 * the rest is read and dropped (ExecResult.truncated counts it).
 */
export function driveCommand(
  running: RunningCommand,
  prepared: PreparedCommand,
  stdin: string | Buffer | undefined,
  timeoutMs: number | undefined,
  outputLimit: number,
): Promise<ExecResult> {
  const input = stdin === undefined ? undefined : Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin);
  const stdout = new CappedOutput(outputLimit);
  const stderr = new StderrFilter(prepared, running.stdin, input, outputLimit);
  running.stdin.on('error', () => { /* EPIPE: the command did not read all of its stdin */ });
  running.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  running.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  if (prepared.becomePassword === undefined) writeAndClose(running.stdin, input);

  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    const timer = timeoutMs !== undefined
      ? setTimeout(() => {
        settled = true;
        running.kill();
        resolve({ rc: TIMEOUT_RC, ...cappedResult(stdout.take(), stderr.result()), timedOut: true });
      }, timeoutMs)
      : undefined;
    running.completion.then(
      (rc) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ rc, ...cappedResult(stdout.take(), stderr.result()) });
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function writeAndClose(stream: Writable, input: Buffer | undefined): void {
  if (stream.destroyed || stream.writableEnded) return;
  if (input !== undefined && input.length > 0) stream.write(input);
  stream.end();
}

/** What sudo may say before the command starts is kept up to this size (its tail). */
const SUDO_CHATTER_LIMIT = 64 * 1024;

/**
 * Passes stderr through, except while a sudo password exchange is going on:
 * then it answers the first prompt with the password, gives up (closes stdin,
 * so sudo fails instead of waiting) on a second prompt, and releases the
 * caller's stdin once the become shell printed its marker. Prompts and the
 * marker never reach the result.
 */
class StderrFilter {
  private readonly output: CappedOutput;
  /** stderr held back (latin1, so bytes survive) until the marker shows up; only its tail is kept. */
  private pending = '';
  /** Where the search for the next prompt in `pending` starts. */
  private promptScan = 0;
  private promptsSeen = 0;
  private gateOpen: boolean;
  private promptsAnswered = 0;
  private rejected = false;

  constructor(
    private readonly prepared: PreparedCommand,
    private readonly stdin: Writable,
    private readonly input: Buffer | undefined,
    outputLimit: number,
  ) {
    this.output = new CappedOutput(outputLimit);
    this.gateOpen = prepared.becomePassword === undefined;
  }

  push(chunk: Buffer): void {
    if (this.gateOpen) {
      this.output.push(chunk);
      return;
    }
    this.pending += chunk.toString('latin1');
    this.answerPrompts();
    this.openGateOnMarker();
    if (!this.gateOpen && this.pending.length > SUDO_CHATTER_LIMIT) {
      // Keep the tail: a prompt or the marker may be arriving across chunks.
      const cut = this.pending.length - SUDO_CHATTER_LIMIT / 2;
      this.pending = this.pending.slice(cut);
      this.promptScan = Math.max(0, this.promptScan - cut);
    }
  }

  private answerPrompts(): void {
    for (let at = this.pending.indexOf(BECOME_PROMPT, this.promptScan); at !== -1; at = this.pending.indexOf(BECOME_PROMPT, this.promptScan)) {
      this.promptsSeen++;
      this.promptScan = at + BECOME_PROMPT.length;
    }
    while (this.promptsAnswered < this.promptsSeen) {
      this.promptsAnswered++;
      if (this.promptsAnswered === 1) {
        this.stdin.write(`${this.prepared.becomePassword}\n`);
      } else if (!this.rejected) {
        this.rejected = true;
        this.stdin.end();
      }
    }
  }

  private openGateOnMarker(): void {
    const markerLine = `${this.prepared.becomeMarker}\n`;
    const at = this.pending.indexOf(markerLine);
    if (at === -1) return;
    this.gateOpen = true;
    // Everything before the marker is sudo's own chatter about the password.
    const rest = this.pending.slice(at + markerLine.length);
    this.pending = '';
    if (rest.length > 0) this.output.push(Buffer.from(rest, 'latin1'));
    writeAndClose(this.stdin, this.input);
  }

  result(): { bytes: Buffer; dropped: number } {
    if (this.gateOpen) return this.output.take();
    // sudo never ran the command: keep its messages, minus our prompts.
    let text = this.pending.split(BECOME_PROMPT).join('');
    if (this.rejected) text += 'uxsv: sudo rejected the become password\n';
    return { bytes: Buffer.from(text, 'latin1'), dropped: 0 };
  }
}
