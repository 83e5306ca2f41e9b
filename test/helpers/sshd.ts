/**
 * A throwaway OpenSSH server on 127.0.0.1 for tests: its own host key, client
 * key, authorized_keys and known_hosts in a temp folder, on a free port.
 * Needs root (sshd's privilege separation) and /usr/sbin/sshd.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestSshd {
  port: number;
  /** The host's public key line, "ssh-ed25519 AAAA... comment". */
  hostKeyPub: string;
  /** Private key accepted for every user (authorized_keys is shared). */
  clientKeyPath: string;
  /** A known_hosts file that already trusts this server's host key, as `[127.0.0.1]:port`. */
  knownHostsPath: string;
  /** The temp folder holding all of the above; removed by stop(). */
  dir: string;
  /** Clients authenticated so far (sshd's "Accepted ..." log lines): one per SSH handshake that got in. */
  accepted(): number;
  /**
   * Stops the server and every connection it has (their sshd processes are
   * killed, as in a reboot), then starts it again on the same port; with
   * newHostKey, under a host key of its own (known_hosts still has the old
   * one), else under the original one.
   */
  restart(options?: { newHostKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'uxsv-sshd-'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });   // sshd's privilege separation directory
  const hostKey = join(dir, 'host_ed25519');
  const clientKeyPath = join(dir, 'client_ed25519');
  keygen(hostKey);
  keygen(clientKeyPath);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${clientKeyPath}.pub`));
  const hostKeyPub = readFileSync(`${hostKey}.pub`, 'utf8').trim();
  const port = await freePort();
  const knownHostsPath = join(dir, 'known_hosts');
  const [type, blob] = hostKeyPub.split(/\s+/);
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${type} ${blob}\n`, { mode: 0o600 });

  const config = join(dir, 'sshd_config');
  const writeConfig = (key: string): void => writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${key}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    'UsePAM no',
    'PermitRootLogin yes',
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // INFO: one "Accepted publickey" line per authenticated connection, which accepted() counts.
    'LogLevel INFO',
    '',
  ].join('\n'));
  writeConfig(hostKey);

  let accepted = 0;
  let log = '';
  const launch = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let partial = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log = (log + text).slice(-4000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      accepted += lines.filter((line) => /Accepted \S+ for /.test(line)).length;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitForPort(port, child, () => log);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return { child, exited };
  };
  const halt = async (running: { child: ChildProcess; exited: Promise<void> }, sessionsToo: boolean): Promise<void> => {
    const { child, exited } = running;
    if (sessionsToo && child.pid !== undefined) {
      // Each connection is an sshd process under the listener: killing them drops every connection.
      try {
        execFileSync('pkill', ['-KILL', '-P', String(child.pid)]);
      } catch {
        // none
      }
    }
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  };

  let running: { child: ChildProcess; exited: Promise<void> };
  try {
    running = await launch();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    port, hostKeyPub, clientKeyPath, knownHostsPath, dir,
    accepted: () => accepted,
    async restart(options = {}) {
      await halt(running, true);
      if (options.newHostKey) {
        const newKey = join(dir, `host_ed25519_${Date.now()}`);
        keygen(newKey);
        writeConfig(newKey);
      } else {
        writeConfig(hostKey);
      }
      running = await launch();
    },
    async stop() {
      await halt(running, true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'uxsv-test', '-f', path]);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Poll until sshd accepts TCP connections; fail fast with its log if it exits. */
async function waitForPort(port: number, child: { exitCode: number | null }, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with code ${child.exitCode}: ${log()}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on port ${port} within 10 s: ${log()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
