/**
 * SSH with the ssh2 client: one connection per host for the whole run, opened
 * on first use; every exec is its own channel, at most MAX_OPEN_CHANNELS at
 * once (OpenSSH's MaxSessions defaults to 10). Host keys are checked strictly
 * against an OpenSSH known_hosts file.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Duplex, type Readable, type Writable } from 'node:stream';
import {
  Client, type AgentAuthMethod, type ClientChannel, type ConnectConfig, type PasswordAuthMethod, type PublicKeyAuthMethod,
} from 'ssh2';
import {
  appendKnownHost, checkHostKey, fingerprint, hostKeyAlgorithmsFor, knownHostName, readKnownHosts,
} from './known-hosts.js';
import { expandHome, expandProxyCommand, parseSshCommonArgs, type SshCommonOptions } from './ssh-options.js';
import {
  ConnectionLostError, HostKeyError, UnreachableError,
  type BecomeSpec, type Connection, type ConnectionSettings, type ConnectionStats, type ExecOptions, type ExecResult,
} from './types.js';
import { defaultOutputLimit } from './output-limit.js';
import { ResidentShells } from './resident.js';
import { driveCommand, prepareCommand, putFileCommand, signalExitCode, type RunningCommand } from './wrap.js';

/** Below OpenSSH's default MaxSessions (10), leaving room for other sessions. */
export const MAX_OPEN_CHANNELS = 8;
/** After a dropped connection, connect-stage failures are retried this many more times... */
const RECONNECT_RETRIES = 2;
/** ...with this pause between attempts. */
const RECONNECT_PAUSE_MS = 1000;
/** How long a client error waits for a dying ProxyCommand to report its own reason. */
const PROXY_EXIT_GRACE_MS = 500;
/** A host that died silently (power cut, cable) is noticed after about four intervals. */
const KEEPALIVE_INTERVAL_MS = 5_000;
const KEEPALIVE_COUNT_MAX = 3;
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** An UnreachableError from the connect stage that another attempt might fix (refused, timeout, proxy died). */
class TransientUnreachableError extends UnreachableError {}

type AuthMethod = PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod;

export class SshConnection implements Connection {
  readonly host: string;
  readonly stats: ConnectionStats = { handshakes: 0, commands: 0, channels: 0, reused: 0 };
  private readonly common: SshCommonOptions;
  private readonly knownHostsFile: string;
  private readonly acceptNewHostKeys: boolean;
  private readonly channels = new Semaphore(MAX_OPEN_CHANNELS);
  private client: Client | undefined;
  private opening: Promise<Client> | undefined;
  private proxy: ChildProcess | undefined;
  private everConnected = false;
  private readonly resident: ResidentShells;
  private readonly outputLimit: number;

  constructor(private readonly settings: ConnectionSettings) {
    this.host = settings.host;
    this.outputLimit = settings.outputLimit ?? defaultOutputLimit();
    this.common = parseSshCommonArgs(settings.commonArgs);
    this.knownHostsFile = this.common.userKnownHostsFile
      ?? (settings.knownHostsFile !== undefined ? expandHome(settings.knownHostsFile) : join(homedir(), '.ssh', 'known_hosts'));
    this.acceptNewHostKeys = settings.acceptNewHostKeys || this.common.acceptNewHostKeys === true;
    this.resident = new ResidentShells({
      host: this.host,
      loginUser: settings.user,
      outputLimit: this.outputLimit,
      // The resident shell's channel is not counted against MAX_OPEN_CHANNELS: it stays open all run.
      start: async (line) => {
        const client = await this.ready();
        const channel = await this.openChannel(client, line);
        this.stats.channels++;
        return this.running(client, channel);
      },
      oneShot: (command, options) => this.execOneShot(command, options),
    });
  }

  /** "root@127.0.0.1:2222", the start of every failure message. */
  private get target(): string {
    return `${this.settings.user}@${this.settings.address}:${this.settings.port}`;
  }

  async connect(): Promise<void> {
    await this.ready();
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.stats.commands++;
    return this.resident.run(command, options, () => this.execOneShot(command, options));
  }

  /** A command on a channel of its own: the path when the resident shell is busy or unavailable. */
  private async execOneShot(command: string, options: ExecOptions): Promise<ExecResult> {
    const prepared = prepareCommand(command, options, this.settings.user, { killsProcessGroup: false });
    const client = await this.ready();
    const release = await this.channels.acquire();
    try {
      const channel = await this.openChannel(client, prepared.line);
      this.stats.channels++;
      return await driveCommand(this.running(client, channel), prepared, options.stdin, options.timeoutMs, options.outputLimit ?? this.outputLimit);
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

  async close(): Promise<void> {
    // Ending its stdin lets each resident shell end by itself.
    this.resident.close();
    await this.opening?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client) await endClient(client);
    this.killProxy();
  }

  private ready(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.opening) {
      this.opening = this.openWithRetries().finally(() => {
        this.opening = undefined;
      });
    }
    return this.opening;
  }

  /** Only a reconnect after a drop is retried: a first connect that fails says the host is down now. */
  private async openWithRetries(): Promise<Client> {
    const retries = this.everConnected ? RECONNECT_RETRIES : 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.openOnce();
      } catch (error) {
        if (!(error instanceof TransientUnreachableError) || attempt >= retries) throw error;
        await sleep(RECONNECT_PAUSE_MS);
      }
    }
  }

  private openOnce(): Promise<Client> {
    const client = new Client();
    let hostKeyProblem: HostKeyError | undefined;
    const config: ConnectConfig = {
      host: this.settings.address,
      port: this.settings.port,
      username: this.settings.user,
      readyTimeout: (this.common.connectTimeoutSec ?? this.settings.timeoutSec) * 1000,
      keepaliveInterval: (this.common.serverAliveIntervalSec ?? KEEPALIVE_INTERVAL_MS / 1000) * 1000,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      authHandler: this.authMethods(),
      hostVerifier: (key: Buffer): boolean => {
        hostKeyProblem = this.verifyHostKey(key);
        return hostKeyProblem === undefined;
      },
    };
    const hostName = knownHostName(this.settings.address, this.settings.port);
    const knownAlgorithms = hostKeyAlgorithmsFor(readKnownHosts(this.knownHostsFile), hostName);
    if (knownAlgorithms.length > 0) config.algorithms = { serverHostKey: knownAlgorithms as never };

    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      let proxy: ChildProcess | undefined;
      let proxyClosed = false;
      const fail = (error: UnreachableError): void => {
        if (settled) return;
        settled = true;
        client.end();
        killProcessGroup(proxy);
        reject(error);
      };
      // When a ProxyCommand is dying, its exit status and stderr say more than
      // ssh2's "Premature close": give its 'close' a moment to report first.
      const failFromClient = (error: UnreachableError, proxyMayExplain: boolean): void => {
        if (settled) return;
        if (proxy && !proxyClosed && proxyMayExplain) {
          const timer = setTimeout(() => fail(error), PROXY_EXIT_GRACE_MS);
          proxy.once('close', () => clearTimeout(timer));
        } else {
          fail(error);
        }
      };
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (hostKeyProblem) fail(hostKeyProblem);
        else failFromClient(this.classify(error), error.level !== 'client-authentication');
      });
      client.on('close', () => {
        if (this.client === client) this.client = undefined;
        if (settled) killProcessGroup(proxy);
        if (hostKeyProblem) fail(hostKeyProblem);
        else failFromClient(new TransientUnreachableError(`ssh to ${this.target}: connection closed during handshake`, this.host), true);
      });
      client.on('ready', () => {
        if (settled) return;
        settled = true;
        // Small packets go out at once: Nagle would hold each command's line until an ACK.
        client.setNoDelay(true);
        this.stats.handshakes++;
        this.everConnected = true;
        this.client = client;
        resolve(client);
      });
      if (this.common.proxyCommand !== undefined) {
        try {
          proxy = this.startProxy(this.common.proxyCommand, fail);
          proxy.once('close', () => {
            proxyClosed = true;
          });
          config.sock = Duplex.from({ readable: proxy.stdout, writable: proxy.stdin });
        } catch (error) {
          fail(new UnreachableError(`ssh to ${this.target}: cannot start proxy command: ${String(error)}`, this.host));
          return;
        }
      }
      try {
        client.connect(config);
      } catch (error) {
        fail(new UnreachableError(`ssh to ${this.target}: ${(error as Error).message}`, this.host));
      }
    });
  }

  /** Private key file if set; else ssh-agent and the default keys that exist. The password last. */
  private authMethods(): AuthMethod[] {
    const username = this.settings.user;
    const methods: AuthMethod[] = [];
    if (this.settings.privateKeyFile !== undefined) {
      const file = expandHome(this.settings.privateKeyFile);
      let key: Buffer;
      try {
        key = readFileSync(file);
      } catch (error) {
        throw new UnreachableError(`ssh to ${this.target}: cannot read private key ${file}: ${(error as Error).message}`, this.host);
      }
      methods.push({ type: 'publickey', username, key });
    } else {
      const agent = process.env['SSH_AUTH_SOCK'];
      if (agent) methods.push({ type: 'agent', username, agent });
      for (const name of DEFAULT_KEYS) {
        const file = join(homedir(), '.ssh', name);
        if (existsSync(file)) methods.push({ type: 'publickey', username, key: readFileSync(file) });
      }
    }
    if (this.settings.password !== undefined) methods.push({ type: 'password', username, password: this.settings.password });
    return methods;
  }

  /** undefined when the key is acceptable (known, or new and recorded); else why not. */
  private verifyHostKey(key: Buffer): HostKeyError | undefined {
    const hostName = knownHostName(this.settings.address, this.settings.port);
    const check = checkHostKey(readKnownHosts(this.knownHostsFile), hostName, key);
    const offered = fingerprint(key);
    switch (check.status) {
      case 'known':
        return undefined;
      case 'unknown':
        if (this.acceptNewHostKeys) {
          appendKnownHost(this.knownHostsFile, hostName, key);
          return undefined;
        }
        return new HostKeyError(
          `ssh to ${this.target}: host key for ${hostName} is not known (${offered}, not in ${this.knownHostsFile}); ` +
          'verify it, then rerun with --accept-new-host-keys to record it',
          this.host,
        );
      case 'changed':
        return new HostKeyError(
          `ssh to ${this.target}: HOST KEY CHANGED for ${hostName}: ${this.knownHostsFile}:${check.entry.line} has ` +
          `${fingerprint(check.entry.blob)}, the server offered ${offered}; refusing to connect ` +
          '(if the change is expected, remove that line)',
          this.host,
        );
      case 'revoked':
        return new HostKeyError(
          `ssh to ${this.target}: host key ${offered} is revoked in ${this.knownHostsFile}:${check.entry.line}`,
          this.host,
        );
    }
  }

  /** A one-line reason; only failures another attempt might fix are marked transient. */
  private classify(error: Error & { level?: string; code?: string }): UnreachableError {
    const say = (reason: string, transient: boolean): UnreachableError =>
      transient
        ? new TransientUnreachableError(`ssh to ${this.target}: ${reason}`, this.host)
        : new UnreachableError(`ssh to ${this.target}: ${reason}`, this.host);
    if (error.level === 'client-authentication') {
      const tried = this.authMethods().map((m) => m.type).join(', ') || 'no method available';
      return say(`authentication failed (tried: ${tried})`, false);
    }
    if (error.level === 'client-timeout') return say(`timed out (${error.message})`, true);
    switch (error.code) {
      case 'ECONNREFUSED': return say('connection refused', true);
      case 'ENOTFOUND': return say(`host not found: ${this.settings.address}`, false);
      case 'EAI_AGAIN': return say(`name lookup failed for ${this.settings.address}`, true);
      case 'EHOSTUNREACH': return say('no route to host', true);
      case 'ENETUNREACH': return say('network unreachable', true);
      case 'ECONNRESET': return say('connection reset', true);
      case 'ETIMEDOUT': return say('connection timed out', true);
      default: return say(error.message.split('\n')[0] ?? String(error), true);
    }
  }

  /**
   * Runs the ProxyCommand and hands its stdio to ssh2 as the socket. If it
   * exits before the handshake, the failure carries its stderr.
   */
  private startProxy(template: string, fail: (error: UnreachableError) => void): ChildProcessByStdio<Writable, Readable, Readable> {
    const command = expandProxyCommand(template, this.settings.address, this.settings.port, this.settings.user);
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.proxy = child;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.once('close', (code, signal) => {
      if (this.proxy === child) this.proxy = undefined;
      const why = stderr.trim().split('\n').pop() || 'no message';
      const status = code !== null ? `code ${code}` : `signal ${signal}`;
      fail(new TransientUnreachableError(`ssh to ${this.target}: proxy command exited with ${status}: ${why}`, this.host));
    });
    child.stdin.on('error', () => { /* the proxy died: its 'close' reports why */ });
    return child;
  }

  private killProxy(): void {
    killProcessGroup(this.proxy);
    this.proxy = undefined;
  }

  private openChannel(client: Client, line: string): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      const lost = (why: string): UnreachableError => new ConnectionLostError(`ssh to ${this.target}: ${why}`, this.host);
      if (this.client !== client) {
        reject(lost('connection lost'));
        return;
      }
      try {
        client.exec(line, (error, channel) => {
          if (error) reject(lost(this.client === client ? `cannot open a channel: ${error.message}` : 'connection lost'));
          else resolve(channel);
        });
      } catch (error) {
        reject(lost(`connection lost (${(error as Error).message})`));
      }
    });
  }

  private running(client: Client, channel: ClientChannel): RunningCommand {
    let exitCode: number | undefined;
    channel.on('exit', (code: number | null, signal?: string) => {
      exitCode = code ?? signalExitCode(signal);
    });
    const completion = new Promise<number>((resolve, reject) => {
      channel.on('close', (code?: unknown, signal?: unknown) => {
        // ssh2 may pass the exit status to 'close', and an 'exit' may still be queued: settle on the next turn.
        if (exitCode === undefined && typeof code === 'number') exitCode = code;
        if (exitCode === undefined && typeof signal === 'string') exitCode = signalExitCode(signal);
        setImmediate(() => {
          if (exitCode !== undefined) resolve(exitCode);
          else if (this.client !== client) reject(new ConnectionLostError(`ssh to ${this.target}: connection lost during command`, this.host));
          else resolve(-1); // the server closed the channel without an exit status
        });
      });
    });
    channel.on('error', () => { /* surfaced through 'close' */ });
    // TERM, not KILL: with a timeout the remote top process is GNU `timeout`
    // (or sudo, which relays the signal to it), and only a signal it can catch
    // makes it kill the command's whole process group.
    const kill = (): void => {
      try {
        channel.signal('TERM');
        channel.close();
      } catch {
        // The connection is already gone.
      }
    };
    return { stdin: channel, stdout: channel, stderr: channel.stderr, completion, kill };
  }
}

/** The ProxyCommand runs in its own process group: `sh -c 'nc ...'` leaves no orphan. */
function killProcessGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** end() and wait for 'close', bounded: a dead peer must not hold close() forever. */
function endClient(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.destroy();
      resolve();
    }, 1000);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    client.end();
  });
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
