/**
 * How much of a command's output the engine keeps. A host may print without
 * end (a runaway loop, `cat` of a disk image): each stream keeps its first
 * `limit` bytes, the rest is read and dropped as it arrives (so the command
 * is never blocked and never buffered), and the result says how many bytes
 * were dropped from each stream.
 *
 * The limit, per stream and per command: the connection variable
 * `uxsv_output_limit`, else the environment variable UXSV_OUTPUT_LIMIT, else
 * 32 MiB. A number of bytes, or with a binary suffix: `64k`, `32M`, `1GiB`.
 * A module that must read more (a fetched file) passes ExecOptions.outputLimit.
 */
import { UserError } from '../errors.js';

export const DEFAULT_OUTPUT_LIMIT = 32 * 1024 * 1024;
export const OUTPUT_LIMIT_ENV = 'UXSV_OUTPUT_LIMIT';
export const OUTPUT_LIMIT_VAR = 'uxsv_output_limit';
/** Below this, modules could not even read a file's state: smaller limits are refused. */
export const MIN_OUTPUT_LIMIT = 64 * 1024;
/** Above this a single stream could not become a JavaScript string anyway. */
export const MAX_OUTPUT_LIMIT = 512 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `33554432`, `32M`, `32MiB`, `32 mb`, `64k`: bytes, or undefined when it is not a size. */
export function parseByteSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const match = /^\s*(\d+)\s*(?:([kmg])(?:i?b)?|b)?\s*$/i.exec(text);
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A limit from a variable or the environment, checked; `where` names it in the error. */
export function checkedOutputLimit(value: string | number, where: string): number {
  const bytes = parseByteSize(value);
  if (bytes === undefined || bytes < MIN_OUTPUT_LIMIT || bytes > MAX_OUTPUT_LIMIT) {
    throw new UserError(
      `${where} must be a size from 64k to 512M (bytes, or with k, M or G), not ${JSON.stringify(value)}`,
    );
  }
  return bytes;
}

/** The limit when no connection variable sets one: UXSV_OUTPUT_LIMIT or 32 MiB. */
export function defaultOutputLimit(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env[OUTPUT_LIMIT_ENV];
  if (fromEnv === undefined || fromEnv === '') return DEFAULT_OUTPUT_LIMIT;
  return checkedOutputLimit(fromEnv, `the environment variable ${OUTPUT_LIMIT_ENV}`);
}

/**
 * One stream of one command: keeps the first `limit` bytes, counts the rest.
 * The bytes kept go into one buffer that grows by doubling, so keeping and
 * taking them never needs twice the limit (a list of chunks joined at the
 * end would).
 */
export class CappedOutput {
  private buffer = EMPTY;
  private kept = 0;
  /** Bytes received past the limit and dropped. */
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const take = Math.min(chunk.length, this.limit - this.kept);
    if (take > 0) {
      this.reserve(this.kept + take);
      chunk.copy(this.buffer, this.kept, 0, take);
      this.kept += take;
    }
    this.dropped += chunk.length - take;
  }

  get size(): number {
    return this.kept;
  }

  /** The kept bytes; the stream starts over empty. */
  take(): { bytes: Buffer; dropped: number } {
    // A buffer much larger than its content is not handed out: the result may live long.
    const bytes = this.buffer.length > 2 * this.kept + 4096
      ? Buffer.from(this.buffer.subarray(0, this.kept))
      : this.buffer.subarray(0, this.kept);
    const dropped = this.dropped;
    this.buffer = EMPTY;
    this.kept = 0;
    this.dropped = 0;
    return { bytes, dropped };
  }

  private reserve(size: number): void {
    if (size <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.limit, Math.max(size, 2 * this.buffer.length, 16 * 1024)));
    this.buffer.copy(grown, 0, 0, this.kept);
    this.buffer = grown;
  }
}

/** The ExecResult fields for two capped streams: `truncated` only when something was dropped. */
export function cappedResult(
  stdout: { bytes: Buffer; dropped: number },
  stderr: { bytes: Buffer; dropped: number },
): { stdout: Buffer; stderr: Buffer; truncated?: { stdout: number; stderr: number } } {
  const truncated = stdout.dropped > 0 || stderr.dropped > 0;
  return {
    stdout: stdout.bytes,
    stderr: stderr.bytes,
    ...(truncated ? { truncated: { stdout: stdout.dropped, stderr: stderr.dropped } } : {}),
  };
}
