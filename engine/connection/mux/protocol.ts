/**
 * The multiplexer's protocol on its Unix sockets.
 *
 * 1. The run sends one JSON line, Hello: who it is (protocol and build) and
 *    the connection it wants (the SshTarget and its key). The multiplexer
 *    answers one JSON line, HelloReply. A build or protocol that differs is
 *    never served: the multiplexer retires and the run starts a new one.
 * 2. Then binary frames both ways: a 4-byte big-endian length of what
 *    follows, a type byte, a 4-byte channel number (chosen by the run), the
 *    payload. A channel is one command: OPEN with its command line, DATA and
 *    EOF for its stdin (within the window the multiplexer grants with
 *    WINDOW), KILL; back come OPENED or OPEN_FAILED, OUT and ERR,
 *    and at the end EXIT with the exit code or LOST when the connection to
 *    the host dropped during the command. RESET (channel 0) asks that the
 *    connection not be kept after this run.
 */
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import type { SshTarget } from '../ssh-target.js';

/** Changes whenever the frames or the hello change. */
export const MUX_PROTOCOL = 1;

export interface Hello {
  protocol: number;
  /** The build of the run (muxIdentity of the program it would start as multiplexer). */
  identity: string;
  /** targetKey(target): the multiplexer checks it and keys the connection by it. */
  key: string;
  target: SshTarget;
  /** Seconds to keep the connection after this run leaves it. */
  persistSec: number;
}

export type ConnectFailure = { kind: 'hostkey' | 'unreachable' | 'transient'; message: string };

export type HelloReply =
  | { ok: true; fresh: boolean; pid: number }
  | { ok: false; why: 'identity' | 'retiring' | 'key' | 'bad-hello'; pid: number; message?: string }
  | { ok: false; why: 'connect'; pid: number; error: ConnectFailure };

/** Longest JSON line accepted (a target with a long ProxyCommand fits easily). */
export const MAX_HELLO_BYTES = 64 * 1024;
/** A frame larger than this is a protocol error. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** stdin is sent in pieces of at most this size. */
export const DATA_CHUNK_BYTES = 64 * 1024;
/**
 * stdin a run may send on a channel before the multiplexer says the channel
 * took it (Window frames), as SSH's own channel windows do: a command slow to
 * read its stdin holds up only its own channel, and the multiplexer holds at
 * most this much of it.
 */
export const STDIN_WINDOW_BYTES = 1024 * 1024;

export const FrameType = {
  // run -> multiplexer
  Open: 1,
  Data: 2,
  Eof: 3,
  Kill: 4,
  /** Channel 0: do not keep this connection for later runs (reset_connection). */
  Reset: 5,
  // multiplexer -> run
  Opened: 10,
  OpenFailed: 11,
  Out: 12,
  Err: 13,
  Exit: 14,
  Lost: 15,
  /** A channel's stdin took this many bytes (u32): the run may send that much more. */
  Window: 16,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  channel: number;
  payload: Buffer;
}

const HEADER = 9;   // length (4) + type (1) + channel (4)

export function encodeFrame(type: FrameType, channel: number, payload: Buffer | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame.writeUInt32BE(5 + body.length, 0);
  frame.writeUInt8(type, 4);
  frame.writeUInt32BE(channel >>> 0, 5);
  body.copy(frame, HEADER);
  return frame;
}

export function u32Payload(value: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(value >>> 0, 0);
  return payload;
}

export function exitPayload(code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeInt32BE(code, 0);
  return payload;
}

/** Splits a byte stream into frames; `error` is set (and nothing more is read) on a malformed one. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  error: string | undefined;

  push(chunk: Buffer): Frame[] {
    if (this.error) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.buffer.length - at >= 4) {
      const length = this.buffer.readUInt32BE(at);
      if (length < 5 || length > MAX_FRAME_BYTES) {
        this.error = `bad frame length ${length}`;
        return frames;
      }
      if (this.buffer.length - at < 4 + length) break;
      frames.push({
        type: this.buffer.readUInt8(at + 4) as FrameType,
        channel: this.buffer.readUInt32BE(at + 5),
        // A view, not a copy: it keeps at most the chunk it came in alive.
        payload: this.buffer.subarray(at + HEADER, at + 4 + length),
      });
      at += 4 + length;
    }
    this.buffer = at === 0 ? this.buffer : Buffer.from(this.buffer.subarray(at));
    return frames;
  }
}

/**
 * Reads the first line of a socket (the hello and its reply), bounded; the
 * bytes after it are handed on with the line.
 */
export function readLine(socket: NodeJS.ReadableStream & { destroy(): void }, timeoutMs: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const done = (error: Error | undefined, value?: { line: string; rest: Buffer }): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onError);
      if (error) reject(error);
      else resolve(value!);
    };
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf(0x0a);
      if (end !== -1) {
        socket.pause();
        done(undefined, { line: buffer.subarray(0, end).toString('utf8'), rest: Buffer.from(buffer.subarray(end + 1)) });
      } else if (buffer.length > MAX_HELLO_BYTES) {
        done(new Error('the first line is too long'));
      }
    };
    const onEnd = (): void => done(new Error('closed before the first line'));
    const onError = (error: Error): void => done(error);
    const timer = setTimeout(() => done(new Error(`no first line within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/**
 * The build of a multiplexer program: protocol, Node version and the file
 * (path, size, modification time). A new uxsv installed over the old one is
 * another identity, so its runs replace the old multiplexer.
 */
export function muxIdentity(entryFile: string): string {
  let file = entryFile;
  let stamp = 'missing';
  try {
    file = realpathSync(entryFile);
    const stat = statSync(file);
    stamp = `${stat.size}:${stat.mtimeMs}`;
  } catch {
    // an identity nobody else has: never matched
  }
  return createHash('sha256').update(`${MUX_PROTOCOL}\0${process.version}\0${file}\0${stamp}`).digest('hex').slice(0, 32);
}
