/**
 * Runs commands on this machine with `/bin/sh -c` (ansible_connection=local).
 * Each command gets its own process group, so a timeout kills everything it
 * started, not just the shell.
 */
import { quote } from './quote.js';
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { driveCommand, prepareCommand, putFileCommand, signalExitCode, type RunningCommand } from './wrap.js';
import { defaultOutputLimit } from './output-limit.js';
import { ResidentShells } from './resident.js';
import type { BecomeSpec, Connection, ConnectionStats, ExecOptions, ExecResult } from './types.js';

export class LocalConnection implements Connection {
  readonly stats: ConnectionStats = { handshakes: 0, commands: 0, channels: 0, reused: 0 };
  private readonly loginUser = userInfo().username;
  private readonly resident: ResidentShells;
  /** Bytes kept of each output stream of a command. */
  private readonly outputLimit: number;

  constructor(readonly host: string = 'localhost', options: { outputLimit?: number } = {}) {
    this.outputLimit = options.outputLimit ?? defaultOutputLimit();
    this.resident = new ResidentShells({
      host,
      loginUser: this.loginUser,
      outputLimit: this.outputLimit,
      start: async (line) => {
        this.stats.channels++;
        return startLocal(line);
      },
      oneShot: (command, options) => this.execOneShot(command, options),
    });
  }

  async connect(): Promise<void> {
    // Nothing to open.
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.stats.commands++;
    return this.resident.run(command, options, () => this.execOneShot(command, options));
  }

  describe(command: string, options: ExecOptions = {}): string {
    return `/bin/sh -c ${quote(prepareCommand(command, options, this.loginUser).line)}`;
  }

  private async execOneShot(command: string, options: ExecOptions): Promise<ExecResult> {
    const prepared = prepareCommand(command, options, this.loginUser);
    this.stats.channels++;
    return driveCommand(startLocal(prepared.line), prepared, options.stdin, options.timeoutMs, options.outputLimit ?? this.outputLimit);
  }

  async putFile(content: Buffer, remotePath: string, options: { mode?: string; become?: BecomeSpec } = {}): Promise<void> {
    const result = await this.exec(putFileCommand(remotePath, options.mode), { stdin: content, become: options.become });
    if (result.rc !== 0) {
      throw new Error(`cannot write ${remotePath} on ${this.host} (rc ${result.rc}): ${result.stderr.toString().trim()}`);
    }
  }

  async close(_options?: { reset?: boolean }): Promise<void> {
    this.resident.close();
  }
}

function startLocal(line: string): RunningCommand {
  const child = spawn('/bin/sh', ['-c', line], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const completion = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    // 'close' waits for stdout/stderr to end, so no output is lost.
    child.once('close', (code, signal) => resolve(code ?? signalExitCode(signal)));
  });
  const kill = (): void => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    }
    // A process that left the group (a daemon) may still hold the pipes.
    child.stdin.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
  };
  return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, completion, kill };
}
