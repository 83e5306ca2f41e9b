/**
 * One authenticated SSH connection made by ssh2 in this process: the
 * handshake (strict host key check against an OpenSSH known_hosts file,
 * ProxyCommand, keys, agent, password), failures classified for the retry
 * rules, and channels opened on it. Used by SshConnection directly and by the
 * multiplexer, which keeps such connections between runs.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex, type Readable, type Writable } from 'node:stream';
import type {
  AgentAuthMethod, Client, ClientChannel, ConnectConfig, PasswordAuthMethod, PublicKeyAuthMethod,
} from 'ssh2';
import {
  appendKnownHost, checkHostKey, fingerprint, hostKeyAlgorithmsFor, knownHostName, readKnownHosts,
} from './known-hosts.js';
import { expandProxyCommand } from './ssh-options.js';
import { targetName, type SshTarget } from './ssh-target.js';
import { ConnectionLostError, HostKeyError, UnreachableError } from './types.js';
import { signalExitCode, type RunningCommand } from './wrap.js';

/** How long a client error waits for a dying ProxyCommand to report its own reason. */
const PROXY_EXIT_GRACE_MS = 500;
const KEEPALIVE_COUNT_MAX = 3;

/** An UnreachableError from the connect stage that another attempt might fix (refused, timeout, proxy died). */
export class TransientUnreachableError extends UnreachableError {}

type AuthMethod = PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod;

/** An authenticated connection that opens command channels. */
export interface SshLink {
  /** Starts a command line on a channel of its own; rejects with ConnectionLostError when the connection is gone. */
  exec(line: string): Promise<RunningCommand>;
  /** False once the connection closed. */
  readonly alive: boolean;
  /** With `reset`, a connection kept for later runs is not kept. */
  close(options?: { reset?: boolean }): Promise<void>;
}

/** A RunningCommand on an ssh2 channel; `abandon` closes the channel without a signal, as a dropped connection does. */
export interface ChannelCommand extends RunningCommand {
  abandon(): void;
}

/** A connection made in this process. */
export class DirectLink implements SshLink {
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly client: Client,
    readonly hostKey: Buffer,
    private readonly target: SshTarget,
    private readonly proxy: ChildProcess | undefined,
  ) {
    client.on('close', () => {
      this.closed = true;
      killProcessGroup(this.proxy);
      for (const listener of this.closeListeners.splice(0)) listener();
    });
    client.on('error', () => { /* 'close' follows */ });
  }

  get alive(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  exec(line: string): Promise<ChannelCommand> {
    return new Promise<ChannelCommand>((resolve, reject) => {
      const lost = (why: string): UnreachableError => new ConnectionLostError(`ssh to ${targetName(this.target)}: ${why}`, this.target.host);
      if (this.closed) {
        reject(lost('connection lost'));
        return;
      }
      try {
        this.client.exec(line, (error, channel) => {
          if (error) reject(lost(this.closed ? 'connection lost' : `cannot open a channel: ${error.message}`));
          else resolve(this.running(channel));
        });
      } catch (error) {
        reject(lost(`connection lost (${(error as Error).message})`));
      }
    });
  }

  /**
   * Whether the host still answers: a keepalive request and its reply (any
   * reply). A connection whose peer vanished without a word (power cut) would
   * otherwise look alive until the keepalives give up.
   */
  ping(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const internals = this.client as unknown as { _callbacks?: Array<(failed: boolean) => void>; _protocol?: { ping?: () => void } };
    if (!Array.isArray(internals._callbacks) || typeof internals._protocol?.ping !== 'function') {
      return Promise.resolve(true);   // an ssh2 without these internals: the keepalives remain
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      internals._callbacks!.push(() => {
        clearTimeout(timer);
        resolve(!this.closed);
      });
      try {
        internals._protocol!.ping!();
      } catch {
        clearTimeout(timer);
        resolve(false);
      }
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) {
        killProcessGroup(this.proxy);
        resolve();
        return;
      }
      // end() and wait for 'close', bounded: a dead peer must not hold close() forever.
      const timer = setTimeout(() => {
        this.client.destroy();
        killProcessGroup(this.proxy);
        resolve();
      }, 1000);
      this.onClose(() => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
  }

  private running(channel: ClientChannel): ChannelCommand {
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
          else if (this.closed) reject(new ConnectionLostError(`ssh to ${targetName(this.target)}: connection lost during command`, this.target.host));
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
    const abandon = (): void => {
      try {
        channel.close();
      } catch {
        // The connection is already gone.
      }
    };
    return { stdin: channel, stdout: channel, stderr: channel.stderr, completion, kill, abandon };
  }
}

/**
 * Connects and authenticates. Rejects with HostKeyError (never retried),
 * TransientUnreachableError (refused, timed out, reset, proxy died: another
 * attempt may work) or UnreachableError.
 */
export async function openSshClient(target: SshTarget): Promise<DirectLink> {
  const client = new (await ssh2Client())();
  const name = targetName(target);
  let hostKeyProblem: HostKeyError | undefined;
  let offeredKey: Buffer | undefined;
  const methods = authMethods(target);
  const config: ConnectConfig = {
    host: target.address,
    port: target.port,
    username: target.user,
    readyTimeout: target.connectTimeoutSec * 1000,
    keepaliveInterval: target.keepaliveIntervalSec * 1000,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    authHandler: methods,
    hostVerifier: (key: Buffer): boolean => {
      offeredKey = key;
      hostKeyProblem = verifyHostKey(target, key);
      return hostKeyProblem === undefined;
    },
  };
  const hostName = knownHostName(target.address, target.port);
  const knownAlgorithms = hostKeyAlgorithmsFor(readKnownHosts(target.knownHostsFile), hostName);
  if (knownAlgorithms.length > 0) config.algorithms = { serverHostKey: knownAlgorithms as never };

  return new Promise<DirectLink>((resolve, reject) => {
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
      else failFromClient(classify(target, methods, error), error.level !== 'client-authentication');
    });
    client.on('close', () => {
      if (hostKeyProblem) fail(hostKeyProblem);
      else failFromClient(new TransientUnreachableError(`ssh to ${name}: connection closed during handshake`, target.host), true);
    });
    client.on('ready', () => {
      if (settled) return;
      settled = true;
      // Small packets go out at once: Nagle would hold each command's line until an ACK.
      client.setNoDelay(true);
      resolve(new DirectLink(client, offeredKey ?? Buffer.alloc(0), target, proxy));
    });
    if (target.proxyCommand !== undefined) {
      try {
        proxy = startProxy(target, target.proxyCommand, fail);
        proxy.once('close', () => {
          proxyClosed = true;
        });
        config.sock = Duplex.from({ readable: proxy.stdout, writable: proxy.stdin });
      } catch (error) {
        fail(new UnreachableError(`ssh to ${name}: cannot start proxy command: ${String(error)}`, target.host));
        return;
      }
    }
    try {
      client.connect(config);
    } catch (error) {
      fail(new UnreachableError(`ssh to ${name}: ${(error as Error).message}`, target.host));
    }
  });
}

/**
 * ssh2's Client, loaded with the first connection: ssh2 and its crypto are a
 * quarter of the engine's code and took a tenth of its start-up, which runs
 * on local hosts, `--help` and `--syntax-check` do not need.
 */
let clientClass: Promise<typeof Client> | undefined;
function ssh2Client(): Promise<typeof Client> {
  // A CommonJS package: its exports object is the default export (all a bundle's chunk of it exports).
  clientClass ??= import('ssh2').then((ssh2) => ssh2.default.Client);
  return clientClass;
}

/** Private key file if set; else ssh-agent and the default keys that exist. The password last. */
function authMethods(target: SshTarget): AuthMethod[] {
  const username = target.user;
  const methods: AuthMethod[] = [];
  if (target.privateKeyFile !== undefined) {
    let key: Buffer;
    try {
      key = readFileSync(target.privateKeyFile);
    } catch (error) {
      throw new UnreachableError(
        `ssh to ${targetName(target)}: cannot read private key ${target.privateKeyFile}: ${(error as Error).message}`, target.host,
      );
    }
    methods.push({ type: 'publickey', username, key });
  } else {
    if (target.agentSocket) methods.push({ type: 'agent', username, agent: target.agentSocket });
    for (const file of target.defaultKeyFiles) {
      try {
        methods.push({ type: 'publickey', username, key: readFileSync(file) });
      } catch {
        // gone since it was listed: not offered
      }
    }
  }
  if (target.password !== undefined) methods.push({ type: 'password', username, password: target.password });
  return methods;
}

/** undefined when the key is acceptable (known, or new and recorded); else why not. */
export function verifyHostKey(target: SshTarget, key: Buffer, record = true): HostKeyError | undefined {
  const name = targetName(target);
  const hostName = knownHostName(target.address, target.port);
  const check = checkHostKey(readKnownHosts(target.knownHostsFile), hostName, key);
  const offered = fingerprint(key);
  switch (check.status) {
    case 'known':
      return undefined;
    case 'unknown':
      if (target.acceptNewHostKeys && record) {
        appendKnownHost(target.knownHostsFile, hostName, key);
        return undefined;
      }
      return new HostKeyError(
        `ssh to ${name}: host key for ${hostName} is not known (${offered}, not in ${target.knownHostsFile}); ` +
        'verify it, then rerun with --accept-new-host-keys to record it',
        target.host,
      );
    case 'changed':
      return new HostKeyError(
        `ssh to ${name}: HOST KEY CHANGED for ${hostName}: ${target.knownHostsFile}:${check.entry.line} has ` +
        `${fingerprint(check.entry.blob)}, the server offered ${offered}; refusing to connect ` +
        '(if the change is expected, remove that line)',
        target.host,
      );
    case 'revoked':
      return new HostKeyError(
        `ssh to ${name}: host key ${offered} is revoked in ${target.knownHostsFile}:${check.entry.line}`,
        target.host,
      );
  }
}

/** A one-line reason; only failures another attempt might fix are marked transient. */
function classify(target: SshTarget, methods: AuthMethod[], error: Error & { level?: string; code?: string }): UnreachableError {
  const say = (reason: string, transient: boolean): UnreachableError =>
    transient
      ? new TransientUnreachableError(`ssh to ${targetName(target)}: ${reason}`, target.host)
      : new UnreachableError(`ssh to ${targetName(target)}: ${reason}`, target.host);
  if (error.level === 'client-authentication') {
    const tried = methods.map((m) => m.type).join(', ') || 'no method available';
    return say(`authentication failed (tried: ${tried})`, false);
  }
  if (error.level === 'client-timeout') return say(`timed out (${error.message})`, true);
  switch (error.code) {
    case 'ECONNREFUSED': return say('connection refused', true);
    case 'ENOTFOUND': return say(`host not found: ${target.address}`, false);
    case 'EAI_AGAIN': return say(`name lookup failed for ${target.address}`, true);
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
function startProxy(
  target: SshTarget,
  template: string,
  fail: (error: UnreachableError) => void,
): ChildProcessByStdio<Writable, Readable, Readable> {
  const command = expandProxyCommand(template, target.address, target.port, target.user);
  const child = spawn('/bin/sh', ['-c', command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    ...(target.proxyCwd !== undefined ? { cwd: target.proxyCwd } : {}),
    env: { ...process.env, ...target.proxyEnv },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  child.once('close', (code, signal) => {
    const why = stderr.trim().split('\n').pop() || 'no message';
    const status = code !== null ? `code ${code}` : `signal ${signal}`;
    fail(new TransientUnreachableError(`ssh to ${targetName(target)}: proxy command exited with ${status}: ${why}`, target.host));
  });
  child.stdin.on('error', () => { /* the proxy died: its 'close' reports why */ });
  return child;
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
