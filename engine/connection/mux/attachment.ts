/**
 * One run attached to a connection the multiplexer keeps (server.ts): the
 * run's socket and its channels. Frames from the run open channels and feed
 * their stdin; their output, exit codes and losses go back as frames, no
 * faster than the socket takes them (the channels wait meanwhile). When the
 * run's socket closes, its channels are closed at once, without a signal, as
 * a dropped connection would close them.
 */
import type { Socket } from 'node:net';
import type { ChannelCommand, DirectLink } from '../ssh-client.js';
import {
  DATA_CHUNK_BYTES, encodeFrame, exitPayload, FrameDecoder, FrameType, STDIN_WINDOW_BYTES, u32Payload, type Frame,
} from './protocol.js';

interface ChannelState {
  running?: ChannelCommand;
  /** The run left while the channel was opening: close it as soon as it opens. */
  abandoned: boolean;
  /** stdin bytes received and not yet taken by the channel: at most the window. */
  stdinPending: number;
}

/** One run on one kept connection: its socket and its channels. */
export class Attachment {
  private readonly decoder = new FrameDecoder();
  private readonly channels = new Map<number, ChannelState>();
  /** The socket's buffer is full: channel output waits. */
  private outputPaused = false;
  private closed = false;
  private endWhenEmpty = false;

  constructor(
    private readonly socket: Socket,
    private readonly link: DirectLink,
    private readonly onDetach: () => void,
    private readonly onReset: () => void,
  ) {}

  start(rest: Buffer): void {
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('drain', () => this.setOutputPaused(false));
    this.socket.on('close', () => this.left());
    if (this.socket.destroyed) {
      this.left();
      return;
    }
    if (rest.length > 0) this.received(rest);
    this.socket.resume();
  }

  private received(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) this.handle(frame);
    if (this.decoder.error) this.socket.destroy();
  }

  private handle(frame: Frame): void {
    const state = this.channels.get(frame.channel);
    switch (frame.type) {
      case FrameType.Open:
        if (state) {
          this.socket.destroy();   // a channel number used twice: not our client
          return;
        }
        this.open(frame.channel, frame.payload.toString('utf8'));
        return;
      case FrameType.Data: {
        const stdin = state?.running?.stdin;
        if (!state || !stdin || stdin.writableEnded || stdin.destroyed) return;
        state.stdinPending += frame.payload.length;
        if (state.stdinPending > STDIN_WINDOW_BYTES) {
          this.socket.destroy();   // more than the window: not our client
          return;
        }
        // Taken by the channel (within SSH's own window): the run may send that much more.
        stdin.write(frame.payload, () => {
          state.stdinPending -= frame.payload.length;
          this.send(FrameType.Window, frame.channel, u32Payload(frame.payload.length));
        });
        return;
      }
      case FrameType.Eof:
        if (state?.running && !state.running.stdin.writableEnded) state.running.stdin.end();
        return;
      case FrameType.Kill:
        state?.running?.kill();
        return;
      case FrameType.Reset:
        this.onReset();
        return;
      default:
        this.socket.destroy();
    }
  }

  private open(channel: number, line: string): void {
    const state: ChannelState = { abandoned: false, stdinPending: 0 };
    this.channels.set(channel, state);
    this.link.exec(line).then(
      (running) => {
        if (state.abandoned || this.closed) {
          running.abandon();
          return;
        }
        state.running = running;
        running.stdin.on('error', () => { /* the command did not read all its stdin */ });
        this.send(FrameType.Opened, channel);
        const forward = (type: FrameType) => (chunk: Buffer): void => {
          for (let at = 0; at < chunk.length; at += DATA_CHUNK_BYTES) this.send(type, channel, chunk.subarray(at, at + DATA_CHUNK_BYTES));
        };
        running.stdout.on('data', forward(FrameType.Out));
        running.stderr.on('data', forward(FrameType.Err));
        if (this.outputPaused) {
          running.stdout.pause();
          running.stderr.pause();
        }
        // The exit code goes out after the last byte of both streams.
        Promise.allSettled([running.completion, ended(running.stdout), ended(running.stderr)]).then(([outcome]) => {
          this.channels.delete(channel);
          if (this.closed) return;
          if (outcome.status === 'fulfilled') this.send(FrameType.Exit, channel, exitPayload(outcome.value));
          else this.send(FrameType.Lost, channel, (outcome.reason as Error).message);
          this.endIfDone();
        }, () => undefined);
      },
      (error: unknown) => {
        this.channels.delete(channel);
        if (!this.closed) this.send(FrameType.OpenFailed, channel, (error as Error).message);
        this.endIfDone();
      },
    );
  }

  private send(type: FrameType, channel: number, payload?: Buffer | string): void {
    if (this.closed) return;
    if (!this.socket.write(encodeFrame(type, channel, payload))) this.setOutputPaused(true);
  }

  private setOutputPaused(paused: boolean): void {
    if (this.outputPaused === paused) return;
    this.outputPaused = paused;
    for (const state of this.channels.values()) {
      if (!state.running) continue;
      if (paused) {
        state.running.stdout.pause();
        state.running.stderr.pause();
      } else {
        state.running.stdout.resume();
        state.running.stderr.resume();
      }
    }
  }

  /** The connection dropped: close the socket once every channel sent its last frame (bounded). */
  endAfterChannels(withinMs: number): void {
    this.endWhenEmpty = true;
    this.endIfDone();
    setTimeout(() => this.destroy(), withinMs).unref();
  }

  private endIfDone(): void {
    if (this.endWhenEmpty && this.channels.size === 0 && !this.closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The run is gone (ended, or killed): its channels close now, as they would with its own connection. */
  private left(): void {
    if (this.closed) return;
    this.closed = true;
    for (const state of this.channels.values()) {
      state.abandoned = true;
      state.running?.abandon();
    }
    this.channels.clear();
    this.onDetach();
  }
}

function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    const readable = stream as NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean };
    if (readable.readableEnded || readable.destroyed) {
      resolve();
      return;
    }
    stream.once('end', () => resolve());
    stream.once('close', () => resolve());
    stream.once('error', () => resolve());
  });
}
