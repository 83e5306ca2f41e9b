/**
 * A connection kept by the multiplexer, as a run uses it (client.ts attaches
 * it): commands on channels over one Unix socket, shaped like the channels
 * of a connection of the run's own (the same RunningCommand, exit codes and
 * ConnectionLostError when the connection to the host drops).
 */
import type { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import type { SshLink } from '../ssh-client.js';
import { targetName, type SshTarget } from '../ssh-target.js';
import { ConnectionLostError } from '../types.js';
import type { RunningCommand } from '../wrap.js';
import { DATA_CHUNK_BYTES, encodeFrame, FrameDecoder, FrameType, STDIN_WINDOW_BYTES, type Frame } from './protocol.js';

/** A connection kept by the multiplexer, seen from the run: channels over one Unix socket. */
export class MuxLink implements SshLink {
  private readonly decoder = new FrameDecoder();
  private readonly channels = new Map<number, MuxChannel>();
  private readonly opening = new Map<number, { resolve(channel: MuxChannel): void; reject(error: Error): void }>();
  private nextChannel = 1;
  private closed = false;
  private readonly closedPromise: Promise<void>;

  constructor(private readonly socket: Socket, rest: Buffer, private readonly target: SshTarget) {
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('close', () => this.lost(`ssh to ${targetName(target)}: connection lost (the multiplexer went away)`));
    if (rest.length > 0) this.received(rest);
    socket.resume();
  }

  get alive(): boolean {
    return !this.closed;
  }

  exec(line: string): Promise<RunningCommand> {
    if (this.closed) return Promise.reject(this.lostError('connection lost'));
    const channel = this.nextChannel++;
    return new Promise<RunningCommand>((resolve, reject) => {
      this.opening.set(channel, { resolve, reject });
      this.socket.write(encodeFrame(FrameType.Open, channel, line));
    });
  }

  async close(options: { reset?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (options.reset) this.socket.write(encodeFrame(FrameType.Reset, 0));
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Writes a frame; false when the socket's buffer is full (then wait with whenDrained). */
  write(frame: Buffer): boolean {
    return this.socket.write(frame);
  }

  /** `then` once the socket's buffer drained, or at once if the link is gone meanwhile. */
  whenDrained(then: () => void): void {
    const go = (): void => {
      this.socket.off('drain', go);
      this.socket.off('close', go);
      then();
    };
    this.socket.on('drain', go);
    this.socket.on('close', go);
  }

  lostError(why: string): ConnectionLostError {
    return new ConnectionLostError(`ssh to ${targetName(this.target)}: ${why}`, this.target.host);
  }

  send(type: FrameType, channel: number): void {
    if (!this.closed) this.socket.write(encodeFrame(type, channel));
  }

  private received(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) this.handle(frame);
    if (this.decoder.error) this.socket.destroy();
  }

  private handle(frame: Frame): void {
    switch (frame.type) {
      case FrameType.Opened: {
        const waiting = this.opening.get(frame.channel);
        if (!waiting) return;
        this.opening.delete(frame.channel);
        const channel = new MuxChannel(this, frame.channel);
        this.channels.set(frame.channel, channel);
        waiting.resolve(channel);
        return;
      }
      case FrameType.OpenFailed: {
        const waiting = this.opening.get(frame.channel);
        this.opening.delete(frame.channel);
        waiting?.reject(new ConnectionLostError(frame.payload.toString('utf8'), this.target.host));
        return;
      }
      case FrameType.Out:
        this.channels.get(frame.channel)?.stdout.push(frame.payload);
        return;
      case FrameType.Err:
        this.channels.get(frame.channel)?.stderr.push(frame.payload);
        return;
      case FrameType.Window:
        this.channels.get(frame.channel)?.granted(frame.payload.readUInt32BE(0));
        return;
      case FrameType.Exit:
        this.channels.get(frame.channel)?.exited(frame.payload.readInt32BE(0));
        this.channels.delete(frame.channel);
        return;
      case FrameType.Lost:
        // The multiplexer's connection to the host dropped: this link is done, whatever else is in flight.
        this.lost(frame.payload.toString('utf8'));
        this.socket.destroy();
        return;
      default:
        this.socket.destroy();
    }
  }

  private lost(message: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiting of this.opening.values()) waiting.reject(new ConnectionLostError(message, this.target.host));
    this.opening.clear();
    for (const channel of this.channels.values()) channel.lost(new ConnectionLostError(message, this.target.host));
    this.channels.clear();
  }

}

/** One command on a MuxLink, shaped like any other RunningCommand. */
class MuxChannel implements RunningCommand {
  readonly stdout = new Readable({ read() { /* pushed as frames arrive */ } });
  readonly stderr = new Readable({ read() { /* pushed as frames arrive */ } });
  readonly stdin: Writable;
  readonly completion: Promise<number>;
  private settle!: { resolve(code: number): void; reject(error: Error): void };
  private finished = false;
  /** stdin bytes the multiplexer will still take without a new Window frame. */
  private credit = STDIN_WINDOW_BYTES;
  private waitingForCredit: (() => void) | undefined;

  constructor(private readonly link: MuxLink, private readonly id: number) {
    this.stdin = new Writable({
      write: (chunk: Buffer, _encoding, done) => this.sendStdin(chunk, done),
      final: (done) => {
        link.send(FrameType.Eof, id);
        done();
      },
    });
    this.completion = new Promise<number>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.completion.catch(() => undefined);
  }

  /**
   * stdin in frames, within the window and no faster than the socket takes
   * them; `done` once all is sent, or when the command ended (what it did not
   * read is dropped, as by a closed SSH channel) or the link is gone.
   */
  private sendStdin(chunk: Buffer, done: (error?: Error | null) => void): void {
    let at = 0;
    const more = (): void => {
      while (at < chunk.length) {
        if (!this.link.alive) {
          done(this.link.lostError('connection lost'));
          return;
        }
        if (this.finished) break;
        if (this.credit <= 0) {
          this.waitingForCredit = more;
          return;
        }
        const piece = chunk.subarray(at, at + Math.min(DATA_CHUNK_BYTES, this.credit));
        at += piece.length;
        this.credit -= piece.length;
        if (!this.link.write(encodeFrame(FrameType.Data, this.id, piece))) {
          this.link.whenDrained(more);
          return;
        }
      }
      done();
    };
    more();
  }

  granted(bytes: number): void {
    this.credit += bytes;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waitingForCredit;
    this.waitingForCredit = undefined;
    waiting?.();
  }

  /** The exit code settles once both streams were read to their end, as a child process's 'close' does. */
  exited(code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.wake();
    this.stdout.push(null);
    this.stderr.push(null);
    void Promise.all([ended(this.stdout), ended(this.stderr)]).then(() => this.settle.resolve(code));
  }

  lost(error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.wake();
    this.stdout.push(null);
    this.stderr.push(null);
    this.settle.reject(error);
  }

  kill(): void {
    this.link.send(FrameType.Kill, this.id);
  }
}

function ended(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
  });
}
