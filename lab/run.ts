// Small process helpers for the lab: every external command goes through here,
// as an argv (never a shell string), with a time limit. Node's spawn does all
// of it; a process library such as zx would put a shell between the lab and
// every command (and zx alone takes longer to load than the whole engine).
import { spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Don't throw on a non-zero exit. */
  allowFail?: boolean;
  /** Kill the command after this many milliseconds (default 120 s). */
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${argv.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-2000)}`);
    this.name = 'CommandError';
  }
}

export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [command, ...args] = argv;
  if (!command) throw new Error('run: empty argv');
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    // Node's own time limit: it sends killSignal when it runs out (child.killed tells afterwards).
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (child.killed) stderr += `\n(killed after ${timeoutMs} ms)`;
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code !== 0 && !options.allowFail) reject(new CommandError(argv, result));
      else resolve(result);
    });
    if (child.stdin) {
      // A command that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Runs a command with this process's terminal, for interactive use (`lab ssh`, `lab exec`). */
export function runInteractive(argv: readonly string[], stdio: StdioOptions = 'inherit'): Promise<number> {
  const [command, ...args] = argv;
  if (!command) throw new Error('runInteractive: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` until it returns a value other than undefined, at most `attempts`
 * times and for at most `timeoutMs`; returns undefined when both run out.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs, intervalMs, attempts = 1000 }: { timeoutMs: number; intervalMs: number; attempts?: number },
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < attempts && Date.now() < deadline; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(intervalMs);
  }
  return undefined;
}

/** The process exists and is not a zombie (an exited child nobody has reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
