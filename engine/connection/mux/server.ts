/**
 * The multiplexer: one detached process per user (`uxsv __mux DIR`) that
 * makes SSH connections for runs and keeps each one for `persistSec` after
 * its last run left, so the next run attaches to it instead of a handshake
 * of its own (as OpenSSH's ControlPersist does for ansible-playbook).
 *
 * It listens on DIR/mux.sock, where a run asks for a connection by its
 * target, and on DIR/<key>.sock for each connection it keeps. Before handing
 * a kept connection to a run it checks that the host still answers and that
 * its host key is still the one known_hosts accepts; otherwise a new
 * connection is made (and checked from scratch). Each run's channels are its
 * own: when the run's socket closes (the run ended, or was killed), every
 * channel it still had is closed at once, so the host sees exactly what it
 * would see if that run's own connection had dropped. A run of another build
 * makes it retire: it stops accepting runs and ends when its own are done.
 * With no connection left and no run attached, it exits.
 */
import { appendFileSync, chmodSync, lstatSync, renameSync, statSync, truncateSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { HostKeyError, UnreachableError } from '../types.js';
import { openSshClient, TransientUnreachableError, verifyHostKey, type DirectLink } from '../ssh-client.js';
import { targetKey, type SshTarget } from '../ssh-target.js';
import { checkPrivateDir, connectionSocket, controlSocket, unlinkIfSame } from './paths.js';
import { Attachment } from './attachment.js';
import { MUX_PROTOCOL, muxIdentity, readLine, type ConnectFailure, type Hello, type HelloReply } from './protocol.js';

/** A run that connected must say who it is within this time. */
const HELLO_TIMEOUT_MS = 10_000;
/** A multiplexer nobody attached to after its start exits after this time. */
const UNUSED_START_MS = 30_000;
/** How long the "is the host still there" check of a kept connection may take. */
const PING_TIMEOUT_MS = 3_000;
/** After its connection dropped, a run's socket is closed once its channels reported, or after this. */
const LOST_FLUSH_MS = 1_000;
const MAX_PERSIST_SEC = 7 * 24 * 3600;
const LOG_FILE = 'mux.log';
const LOG_LIMIT_BYTES = 256 * 1024;

/** The entry point of `uxsv __mux DIR`: returns once listening; the process lives on until idle. */
export async function runMultiplexer(args: string[]): Promise<void> {
  const dir = args[0];
  const report = (line: string): void => {
    process.stdout.write(`${line}\n`);
    process.stdout.end();
  };
  if (!dir) {
    report('error: no folder given');
    process.exitCode = 2;
    return;
  }
  process.umask(0o077);
  try {
    process.chdir('/');
    checkPrivateDir(dir);
    const mux = new Multiplexer(dir, muxIdentity(process.argv[1] ?? ''));
    await mux.start();
    // The run that started us reads this line, then lets go of us.
    report(`ready ${process.pid}`);
  } catch (error) {
    report(`error: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

interface Listener {
  path: string;
  close(): void;
}

/** Listens on a temporary name and renames it into place: whoever connects finds a socket that is already 0600. */
async function listenPrivate(path: string, onConnection: (socket: Socket) => void): Promise<Listener> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(temp, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => { /* a failed accept: the run retries */ });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  const stat = lstatSync(path);
  const id = { ino: stat.ino, dev: stat.dev };
  return {
    path,
    close() {
      server.close();
      unlinkIfSame(path, id);
    },
  };
}

class Multiplexer {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly sockets = new Set<Socket>();
  private control: Listener | undefined;
  private retiring = false;
  private exiting = false;

  constructor(readonly dir: string, private readonly identity: string) {}

  async start(): Promise<void> {
    this.control = await listenPrivate(controlSocket(this.dir), (socket) => this.accept(socket));
    setTimeout(() => this.exitIfIdle(), UNUSED_START_MS).unref();
    process.on('SIGTERM', () => this.shutdown('SIGTERM'));
    process.on('SIGHUP', () => { /* detached: no terminal to follow */ });
    process.on('uncaughtException', (error) => {
      this.log(`internal error: ${error.stack ?? String(error)}`);
      this.shutdown('internal error');
    });
    this.log(`started, pid ${process.pid}`);
  }

  accept(socket: Socket, boundKey?: string): void {
    this.sockets.add(socket);
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.exitIfIdle();
    });
    readLine(socket, HELLO_TIMEOUT_MS).then(
      ({ line, rest }) => this.hello(socket, line, rest, boundKey),
      () => socket.destroy(),
    ).catch((error: unknown) => {
      this.log(`hello failed: ${String(error)}`);
      socket.destroy();
    });
  }

  private async hello(socket: Socket, line: string, rest: Buffer, boundKey: string | undefined): Promise<void> {
    const refuse = (reply: HelloReply): void => {
      socket.end(`${JSON.stringify(reply)}\n`);
    };
    const hello = parseHello(line);
    if (!hello) return refuse({ ok: false, why: 'bad-hello', pid: process.pid });
    if (hello.protocol !== MUX_PROTOCOL || hello.identity !== this.identity) {
      this.retire('a run of another build asked for a connection');
      return refuse({ ok: false, why: 'identity', pid: process.pid });
    }
    if (this.retiring) return refuse({ ok: false, why: 'retiring', pid: process.pid });
    // The key names the socket and the connection: it must be what the target says, read here again.
    if ((boundKey !== undefined && hello.key !== boundKey) || targetKey(hello.target) !== hello.key) {
      return refuse({ ok: false, why: 'key', pid: process.pid, message: 'the connection key does not match its target' });
    }
    const kept = this.upstreams.get(hello.key);
    if (kept && !(await kept.usable())) {
      this.log(`${hello.target.host}: the kept connection is not usable any more; connecting again`);
      kept.retire();
    }
    // Looked up again: while we checked, another run may have made the new one.
    let upstream = this.upstreams.get(hello.key);
    const fresh = upstream === undefined;
    if (!upstream) {
      upstream = new Upstream(this, hello.key, hello.target);
      this.upstreams.set(hello.key, upstream);
    }
    try {
      await upstream.connected;
    } catch (error) {
      return refuse({ ok: false, why: 'connect', pid: process.pid, error: failureOf(error) });
    }
    if (socket.destroyed || this.retiring) {
      socket.destroy();
      return;
    }
    socket.write(`${JSON.stringify({ ok: true, fresh, pid: process.pid } satisfies HelloReply)}\n`);
    upstream.attach(socket, rest, Math.min(Math.max(hello.persistSec, 1), MAX_PERSIST_SEC));
  }

  /** The upstream is given to no new run (dropped, idle, retired, failed). */
  forget(upstream: Upstream): void {
    if (this.upstreams.get(upstream.key) === upstream) this.upstreams.delete(upstream.key);
  }

  /** Another build wants to serve this user: stop accepting runs; end once ours are done. */
  retire(why: string): void {
    if (this.retiring) return;
    this.retiring = true;
    this.log(`retiring: ${why}`);
    this.control?.close();
    for (const upstream of [...this.upstreams.values()]) upstream.retire();
    this.exitIfIdle();
  }

  exitIfIdle(): void {
    if (this.upstreams.size > 0 || this.sockets.size > 0) return;
    this.shutdown('idle');
  }

  private shutdown(why: string): void {
    if (this.exiting) return;
    this.exiting = true;
    this.log(`exiting: ${why}`);
    this.control?.close();
    const closing = [...this.upstreams.values()].map((upstream) => upstream.close());
    for (const socket of this.sockets) socket.destroy();
    void Promise.allSettled(closing).then(() => process.exit(0));
  }

  log(line: string): void {
    const file = join(this.dir, LOG_FILE);
    try {
      if ((statSync(file, { throwIfNoEntry: false })?.size ?? 0) > LOG_LIMIT_BYTES) truncateSync(file, 0);
      appendFileSync(file, `${new Date().toISOString()} [${process.pid}] ${line}\n`, { mode: 0o600 });
    } catch {
      // a log that cannot be written is no reason to stop
    }
  }
}

/** One kept SSH connection and the runs attached to it. */
class Upstream {
  readonly connected: Promise<DirectLink>;
  private link: DirectLink | undefined;
  private readonly attachments = new Set<Attachment>();
  private idleTimer: NodeJS.Timeout | undefined;
  private persistMs = 60_000;
  private listener: Listener | undefined;
  /** Given to no new run; closes when its runs are done. */
  private retired = false;
  private gone = false;

  constructor(private readonly mux: Multiplexer, readonly key: string, readonly target: SshTarget) {
    this.connected = openSshClient(target).then(
      (link) => {
        this.link = link;
        link.onClose(() => this.dropped());
        mux.log(`${target.host}: connected`);
        void listenPrivate(connectionSocket(mux.dir, key), (socket) => mux.accept(socket, key)).then(
          (listener) => {
            if (this.gone || this.retired) listener.close();
            else this.listener = listener;
          },
          (error: unknown) => mux.log(`${target.host}: cannot listen on its socket: ${String(error)}`),
        );
        return link;
      },
      (error: unknown) => {
        this.gone = true;
        mux.log(`${target.host}: cannot connect: ${(error as Error).message}`);
        mux.forget(this);
        setImmediate(() => mux.exitIfIdle());
        throw error;
      },
    );
    this.connected.catch(() => undefined);
  }

  /** A kept connection is handed out only while the host answers and its key is still the known one. */
  async usable(): Promise<boolean> {
    let link: DirectLink;
    try {
      link = await this.connected;
    } catch {
      return false;
    }
    if (this.retired || !link.alive) return false;
    if (verifyHostKey(this.target, link.hostKey, false) !== undefined) return false;
    return link.ping(Math.min(PING_TIMEOUT_MS, this.target.connectTimeoutSec * 1000));
  }

  attach(socket: Socket, rest: Buffer, persistSec: number): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.persistMs = persistSec * 1000;
    const attachment = new Attachment(socket, this.link!, () => this.detach(attachment), () => this.retire());
    this.attachments.add(attachment);
    attachment.start(rest);
    // Dropped between the hello and now: the run sees a lost connection, as it would have on its own.
    if (this.gone) attachment.endAfterChannels(LOST_FLUSH_MS);
  }

  private detach(attachment: Attachment): void {
    this.attachments.delete(attachment);
    if (this.attachments.size > 0 || this.gone) return;
    if (this.retired) {
      void this.close();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.mux.log(`${this.target.host}: idle for ${this.persistMs / 1000} s, closing`);
      void this.close();
    }, this.persistMs);
  }

  retire(): void {
    this.retired = true;
    this.listener?.close();
    this.listener = undefined;
    this.mux.forget(this);
    if (this.attachments.size === 0) void this.close();
  }

  /** The connection to the host dropped: every run attached is told (per channel), then let go. */
  private dropped(): void {
    if (this.gone) return;
    this.mux.log(`${this.target.host}: connection lost`);
    this.finish();
    for (const attachment of this.attachments) attachment.endAfterChannels(LOST_FLUSH_MS);
  }

  async close(): Promise<void> {
    this.finish();
    for (const attachment of this.attachments) attachment.destroy();
    await this.link?.close();
    this.mux.exitIfIdle();
  }

  private finish(): void {
    this.gone = true;
    clearTimeout(this.idleTimer);
    this.listener?.close();
    this.listener = undefined;
    this.mux.forget(this);
  }
}

function failureOf(error: unknown): ConnectFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HostKeyError) return { kind: 'hostkey', message };
  if (error instanceof TransientUnreachableError) return { kind: 'transient', message };
  return { kind: 'unreachable', message: error instanceof UnreachableError ? message : `cannot connect: ${message}` };
}

function parseHello(line: string): Hello | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const hello = value as Partial<Hello>;
  const target = hello.target as Partial<SshTarget> | undefined;
  const ok = typeof hello.protocol === 'number' && typeof hello.identity === 'string' && typeof hello.key === 'string' &&
    typeof hello.persistSec === 'number' && Number.isFinite(hello.persistSec) &&
    typeof target === 'object' && target !== null && typeof target.address === 'string' && typeof target.port === 'number' &&
    typeof target.user === 'string' && typeof target.knownHostsFile === 'string' && Array.isArray(target.defaultKeyFiles);
  return ok ? (hello as Hello) : undefined;
}
