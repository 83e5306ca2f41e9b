/**
 * SSH with the ssh2 client: one connection per host for the whole run, opened
 * on first use; every exec is its own channel, at most MAX_OPEN_CHANNELS at
 * once (OpenSSH's MaxSessions defaults to 10). Host keys are checked strictly
 * against an OpenSSH known_hosts file (ssh-client.ts).
 *
 * With persistence on (uxsv_ssh_persist, default 60 s) the connection is made
 * and kept by the user's multiplexer (mux/), so the next run within that
 * time attaches to it instead of a handshake of its own; everything else —
 * channels, the resident shell, failures, reconnects — is the same.
 */
import { quote } from './quote.js';
import { attachMultiplexer } from './mux/client.js';
import { defaultOutputLimit } from './output-limit.js';
import { ResidentShells } from './resident.js';
import { openSshClient, TransientUnreachableError, type SshLink } from './ssh-client.js';
import { resolveTarget, type SshTarget } from './ssh-target.js';
import type {
  BecomeSpec, Connection, ConnectionSettings, ConnectionStats, ExecOptions, ExecResult,
} from './types.js';
import { driveCommand, prepareCommand, putFileCommand } from './wrap.js';

/** Below OpenSSH's default MaxSessions (10), leaving room for other sessions. */
export const MAX_OPEN_CHANNELS = 8;
/** After a dropped connection, connect-stage failures are retried this many more times... */
const RECONNECT_RETRIES = 2;
/** ...with this pause between attempts. */
const RECONNECT_PAUSE_MS = 1000;

export class SshConnection implements Connection {
  readonly host: string;
  readonly stats: ConnectionStats = { handshakes: 0, commands: 0, channels: 0, reused: 0 };
  private readonly target: SshTarget;
  private readonly channels = new Semaphore(MAX_OPEN_CHANNELS);
  private link: SshLink | undefined;
  private opening: Promise<SshLink> | undefined;
  private everConnected = false;
  private readonly resident: ResidentShells;
  private readonly outputLimit: number;

  constructor(private readonly settings: ConnectionSettings) {
    this.host = settings.host;
    this.target = resolveTarget(settings);
    this.outputLimit = settings.outputLimit ?? defaultOutputLimit();
    this.resident = new ResidentShells({
      host: this.host,
      loginUser: settings.user,
      outputLimit: this.outputLimit,
      // The resident shell's channel is not counted against MAX_OPEN_CHANNELS: it stays open all run.
      start: async (line) => {
        const link = await this.ready();
        const running = await link.exec(line);
        this.stats.channels++;
        return running;
      },
      oneShot: (command, options) => this.execOneShot(command, options),
    });
  }

  async connect(): Promise<void> {
    await this.ready();
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.stats.commands++;
    return this.resident.run(command, options, () => this.execOneShot(command, options));
  }

  describe(command: string, options: ExecOptions = {}): string {
    return `/bin/sh -c ${quote(prepareCommand(command, options, this.settings.user, { killsProcessGroup: false }).line)}`;
  }

  /** A command on a channel of its own: the path when the resident shell is busy or unavailable. */
  private async execOneShot(command: string, options: ExecOptions): Promise<ExecResult> {
    const prepared = prepareCommand(command, options, this.settings.user, { killsProcessGroup: false });
    const link = await this.ready();
    const release = await this.channels.acquire();
    try {
      const running = await link.exec(prepared.line);
      this.stats.channels++;
      return await driveCommand(running, prepared, options.stdin, options.timeoutMs, options.outputLimit ?? this.outputLimit);
    } finally {
      release();
    }
  }

  async putFile(content: Buffer, remotePath: string, options: { mode?: string; become?: BecomeSpec } = {}): Promise<void> {
    const result = await this.exec(putFileCommand(remotePath, options.mode), { stdin: content, become: options.become });
    if (result.rc !== 0) {
      throw new Error(`cannot write ${remotePath} on ${this.host} (rc ${result.rc}): ${result.stderr.toString().trim()}`);
    }
  }

  async close(options: { reset?: boolean } = {}): Promise<void> {
    // Ending its stdin lets each resident shell end by itself.
    this.resident.close();
    await this.opening?.catch(() => undefined);
    const link = this.link;
    this.link = undefined;
    if (link) await link.close(options);
  }

  private ready(): Promise<SshLink> {
    if (this.link?.alive) return Promise.resolve(this.link);
    this.link = undefined;
    if (!this.opening) {
      this.opening = this.openWithRetries().finally(() => {
        this.opening = undefined;
      });
    }
    return this.opening;
  }

  /** Only a reconnect after a drop is retried: a first connect that fails says the host is down now. */
  private async openWithRetries(): Promise<SshLink> {
    const retries = this.everConnected ? RECONNECT_RETRIES : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        const link = await this.openOnce();
        this.everConnected = true;
        this.link = link;
        return link;
      } catch (error) {
        if (!(error instanceof TransientUnreachableError) || attempt >= retries) throw error;
        await sleep(RECONNECT_PAUSE_MS);
      }
    }
  }

  /** Through the multiplexer when persistence is on and it can be used; else a connection of our own. */
  private async openOnce(): Promise<SshLink> {
    const persistSec = this.settings.persistSec ?? 0;
    if (persistSec > 0) {
      const attached = await attachMultiplexer(this.target, { persistSec, dir: this.settings.persistDir });
      if (attached) {
        if (attached.fresh) this.stats.handshakes++;
        else this.stats.reused++;
        return attached.link;
      }
    }
    const link = await openSshClient(this.target);
    this.stats.handshakes++;
    return link;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A counting semaphore: acquire() resolves with the function that releases the slot. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiting.shift()?.();
        });
      };
      if (this.active < this.limit) grant();
      else this.waiting.push(grant);
    });
  }
}
