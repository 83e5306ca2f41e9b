/**
 * Connections kept between runs (engine/connection/mux/): the real
 * multiplexer program (bundled from the sources) and a real sshd on
 * 127.0.0.1. A "run" is an SshConnection opened and closed, as the runner
 * does for each host; a killed run is a process of its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multiplexerProblem, setMultiplexerCommand } from '../../../engine/connection/mux/client.js';
import { connectionSocket, controlSocket } from '../../../engine/connection/mux/paths.js';
import { SshConnection } from '../../../engine/connection/ssh.js';
import { resolveTarget, targetKey } from '../../../engine/connection/ssh-target.js';
import { ConnectionLostError, HostKeyError, type ConnectionSettings } from '../../../engine/connection/types.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { MiB } from './memory.js';
import { bundleMultiplexer, bundleProgram, multiplexerPids } from './mux-program.js';

const HAS_SUDO = existsSync('/usr/bin/sudo') || existsSync('/bin/sudo');

let sshd: TestSshd;
let scratch: string;
let program: string;
const opened: SshConnection[] = [];
const daemons = new Set<number>();

beforeAll(async () => {
  sshd = await startSshd();
  scratch = mkdtempSync(join(tmpdir(), 'uxsv-mux-'));
  program = await bundleMultiplexer(scratch);
  setMultiplexerCommand([process.execPath, program]);
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  for (const dir of dirs) muxPids(dir);
  for (const pid of daemons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  setMultiplexerCommand(undefined);
  await sshd?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Waits (bounded) until `done` holds. */
const eventually = async (done: () => boolean, withinMs = 15_000): Promise<boolean> => {
  for (const end = Date.now() + withinMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (done()) return true;
  }
  return done();
};

/** A fresh multiplexer folder (inside a private parent, as ~/.uxsv is). */
const dirs: string[] = [];
const newDir = (): string => {
  const dir = join(mkdtempSync(join(scratch, 'home-')), 'mux');
  dirs.push(dir);
  return dir;
};
/** The multiplexers that ran for `dir`, in the order they started (remembered, to be ended after the tests). */
const muxPids = (dir: string): number[] => {
  const pids = multiplexerPids(dir);
  pids.forEach((pid) => daemons.add(pid));
  return pids;
};

const settings = (dir: string, overrides: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
  host: 'testhost', connection: 'ssh', address: '127.0.0.1', port: sshd.port, user: 'root',
  privateKeyFile: sshd.clientKeyPath, timeoutSec: 5, knownHostsFile: sshd.knownHostsPath, acceptNewHostKeys: false,
  persistSec: 30, persistDir: dir, ...overrides,
});
const open = (dir: string, overrides: Partial<ConnectionSettings> = {}): SshConnection => {
  const conn = new SshConnection(settings(dir, overrides));
  opened.push(conn);
  return conn;
};
/** One run: a connection, one command, closed. The command's `$PPID` is the sshd process of the connection. */
const run = async (dir: string, overrides: Partial<ConnectionSettings> = {}): Promise<{ session: number; shell: number; conn: SshConnection }> => {
  const conn = open(dir, overrides);
  const [session, shell] = (await conn.exec('echo $PPID $$')).stdout.toString().trim().split(' ').map(Number);
  await conn.close();
  return { session: session!, shell: shell!, conn };
};

describe('kept connections', () => {
  it('a second run attaches to the connection of the first: no handshake, the same sshd session, a shell of its own', async () => {
    const dir = newDir();
    const before = sshd.accepted();
    const first = await run(dir);
    expect(first.conn.stats).toMatchObject({ handshakes: 1, reused: 0, channels: 1, commands: 1 });
    const second = await run(dir);
    expect(second.conn.stats).toMatchObject({ handshakes: 0, reused: 1, channels: 1, commands: 1 });
    expect(sshd.accepted()).toBe(before + 1);
    expect(second.session).toBe(first.session);
    expect(second.shell).not.toBe(first.shell);
    expect(isAlive(first.shell)).toBe(false);   // the first run's resident shell ended with the run
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const sockets = readdirSync(dir).filter((name) => name.endsWith('.sock'));
    expect(sockets.sort()).toEqual([`${targetKey(resolveTarget(settings(dir)))}.sock`, 'mux.sock']);
    for (const name of sockets) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    expect(muxPids(dir)).toHaveLength(1);
  });

  it('runs commands through it like a connection of its own: rc, output, stdin, timeouts, parallel channels', async () => {
    const dir = newDir();
    await run(dir);
    const conn = open(dir);
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
    const results = await Promise.all([
      conn.exec('cat; echo err >&2; exit 4', { stdin: bytes }),
      ...Array.from({ length: 5 }, (_, i) => conn.exec(`sleep 0.2; echo ${i}`)),
      conn.exec('cat', { stdin: Buffer.alloc(6 * MiB, 7) }),
    ]);
    expect(results[0]!.rc).toBe(4);
    expect(Buffer.compare(results[0]!.stdout, bytes)).toBe(0);
    expect(results[0]!.stderr.toString()).toBe('err\n');
    expect(results.slice(1, 6).map((r) => r.stdout.toString())).toEqual(['0\n', '1\n', '2\n', '3\n', '4\n']);
    expect(results[6]!.stdout.equals(Buffer.alloc(6 * MiB, 7))).toBe(true);
    // A command that leaves a large stdin unread must not hold up the run's next commands.
    const unread = await conn.exec('exit 3', { stdin: Buffer.alloc(16 * MiB, 1) });
    expect(unread.rc).toBe(3);
    expect((await conn.exec('echo next')).stdout.toString()).toBe('next\n');
    // A command slow to read a large stdin holds up only its own channel: here it waits for the next command.
    const marker = join(scratch, `marker-${process.pid}-${Date.now()}`);
    const waiting = conn.exec(`until [ -e ${marker} ]; do sleep 0.05; done; wc -c`, { stdin: Buffer.alloc(16 * MiB, 2) });
    await new Promise((r) => setTimeout(r, 300));
    await conn.exec(`touch ${marker}`);
    expect((await waiting).stdout.toString().trim()).toBe(String(16 * MiB));
    const timedOut = await conn.exec('sleep 30', { timeoutMs: 300 });
    expect(timedOut.timedOut).toBe(true);
    expect((await conn.exec('echo after')).stdout.toString()).toBe('after\n');
    expect(conn.stats).toMatchObject({ handshakes: 0, reused: 1 });
  });

  it('names a connection by what determines it: not by the inventory name or the connect timeout', () => {
    const key = (overrides: Partial<ConnectionSettings>): string => targetKey(resolveTarget(settings('/unused', overrides)));
    const base = key({});
    expect(key({ host: 'alias', timeoutSec: 30 })).toBe(base);
    for (const differs of [
      { user: 'nobody' }, { port: sshd.port + 1 }, { address: '127.0.0.2' }, { privateKeyFile: sshd.knownHostsPath },
      { knownHostsFile: '/elsewhere' }, { acceptNewHostKeys: true }, { password: 'pw' },
      { commonArgs: '-o ProxyCommand="nc %h %p"' }, { commonArgs: '-o ServerAliveInterval=9' },
    ] satisfies Array<Partial<ConnectionSettings>>) {
      expect(key(differs), JSON.stringify(differs)).not.toBe(base);
    }
    // The same key file with other contents is another identity.
    const keyFile = join(mkdtempSync(join(scratch, 'key-')), 'id');
    copyFileSync(sshd.clientKeyPath, keyFile);
    const before = key({ privateKeyFile: keyFile });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', `${keyFile}.new`]);
    copyFileSync(`${keyFile}.new`, keyFile);
    expect(key({ privateKeyFile: keyFile })).not.toBe(before);
  });

  it('two runs that start at once share one new connection', async () => {
    const dir = newDir();
    const before = sshd.accepted();
    const [a, b] = [open(dir), open(dir)];
    await Promise.all([a.connect(), b.connect()]);
    expect(a.stats.handshakes + b.stats.handshakes).toBe(1);
    expect(a.stats.reused + b.stats.reused).toBe(1);
    expect(sshd.accepted()).toBe(before + 1);
    expect(muxPids(dir)).toHaveLength(1);
  });

  it('a killed multiplexer (its sockets left behind) is noticed and replaced', async () => {
    const dir = newDir();
    await run(dir);
    const [pid] = muxPids(dir);
    process.kill(pid!, 'SIGKILL');
    await eventually(() => !isAlive(pid!));
    expect(existsSync(controlSocket(dir))).toBe(true);
    const again = await run(dir);
    expect(again.conn.stats).toMatchObject({ handshakes: 1, reused: 0 });
    expect(muxPids(dir)).toHaveLength(2);
    expect(muxPids(dir)[1]).not.toBe(pid);
  });

  it('a run whose multiplexer is killed mid-run loses the connection and reconnects, as after a drop', async () => {
    const dir = newDir();
    const conn = open(dir);
    await conn.exec('true');
    const hanging = conn.exec('sleep 30').catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(muxPids(dir)[0]!, 'SIGKILL');
    expect(await hanging).toBeInstanceOf(ConnectionLostError);
    expect((await conn.exec('echo back')).stdout.toString()).toBe('back\n');
    expect(conn.stats).toMatchObject({ handshakes: 2, reused: 0 });
  });

  it('a kept connection that dropped is noticed and replaced; a drop during a command is a lost connection', async () => {
    const dir = newDir();
    const first = await run(dir);
    execFileSync('kill', ['-9', String(first.session)]);
    const second = await run(dir);
    expect(second.conn.stats).toMatchObject({ handshakes: 1, reused: 0 });
    expect(second.session).not.toBe(first.session);

    const conn = open(dir);
    const error = await conn.exec('kill -9 $PPID; sleep 10').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((await conn.exec('echo back')).stdout.toString()).toBe('back\n');
    expect(conn.stats).toMatchObject({ handshakes: 1, reused: 1 });
  });

  it('a kept connection whose host stopped answering (no FIN, no RST) is checked and replaced', async () => {
    const dir = newDir();
    const first = await run(dir, { timeoutSec: 1 });
    process.kill(first.session, 'SIGSTOP');
    try {
      const second = await run(dir, { timeoutSec: 1 });
      expect(second.conn.stats).toMatchObject({ handshakes: 1, reused: 0 });
      expect(second.session).not.toBe(first.session);
    } finally {
      process.kill(first.session, 'SIGKILL');
    }
  });

  it('runs the ProxyCommand in the run\'s folder, though the multiplexer runs in /', async () => {
    const dir = newDir();
    const here = mkdtempSync(join(scratch, 'proxy-'));
    writeFileSync(join(here, 'proxy.cjs'), [
      "const net = require('net');",
      "require('fs').writeFileSync('proxy-ran', process.cwd());",
      'const socket = net.connect(Number(process.argv[3]), process.argv[2]);',
      'process.stdin.pipe(socket).pipe(process.stdout);',
      "socket.on('close', () => process.exit(0));",
    ].join('\n'));
    const cwd = process.cwd();
    process.chdir(here);
    try {
      // A relative path: only the run's folder has it. The multiplexer runs in /.
      const conn = open(dir, { commonArgs: `-o ProxyCommand="${process.execPath} proxy.cjs %h %p"` });
      expect((await conn.exec('echo through')).stdout.toString()).toBe('through\n');
      expect(conn.stats).toMatchObject({ handshakes: 1 });
    } finally {
      process.chdir(cwd);
    }
    expect(readFileSync(join(here, 'proxy-ran'), 'utf8')).toBe(here);
    expect(muxPids(dir)).toHaveLength(1);
  });

  it('a changed host key is refused: known_hosts changed, or the server came back with another key', async () => {
    const dir = newDir();
    const knownHostsFile = join(mkdtempSync(join(scratch, 'kh-')), 'known_hosts');
    copyFileSync(sshd.knownHostsPath, knownHostsFile);
    await run(dir, { knownHostsFile });
    const otherKey = join(scratch, `other-${Date.now()}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const otherBlob = readFileSync(`${otherKey}.pub`, 'utf8').split(/\s+/)[1];
    writeFileSync(knownHostsFile, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherBlob}\n`);
    const refused = open(dir, { knownHostsFile });
    const error = await refused.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyError);
    expect((error as Error).message).toMatch(/HOST KEY CHANGED/);
    expect(refused.stats).toMatchObject({ handshakes: 0, reused: 0 });

    copyFileSync(sshd.knownHostsPath, knownHostsFile);
    await run(dir, { knownHostsFile });
    await sshd.restart({ newHostKey: true });
    try {
      const error2 = await open(dir, { knownHostsFile }).connect().catch((e: unknown) => e);
      expect(error2).toBeInstanceOf(HostKeyError);
      expect((error2 as Error).message).toMatch(/HOST KEY CHANGED/);
    } finally {
      await sshd.restart();
    }
  });

  it('sockets of the wrong owner or mode, or that are not sockets, are never used: removed and replaced', async () => {
    for (const spoil of ['mode', 'owner', 'file'] as const) {
      const dir = newDir();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      let knocked = 0;
      const imposter = createServer((socket) => {
        knocked++;
        socket.destroy();
      });
      const path = controlSocket(dir);
      if (spoil === 'file') {
        writeFileSync(path, 'not a socket', { mode: 0o600 });
      } else {
        // Listening on another name, then renamed: closing it later must not unlink what is at `path` by then.
        const elsewhere = `${dir}/imposter`;
        await new Promise<void>((resolve) => imposter.listen(elsewhere, resolve));
        renameSync(elsewhere, path);
        if (spoil === 'mode') chmodSync(path, 0o666);
        else {
          chmodSync(path, 0o600);
          chownSync(path, 65534, 65534);
        }
      }
      const result = await run(dir);
      expect(knocked).toBe(0);
      expect(multiplexerProblem(), multiplexerProblem()).toMatch(/refused/);
      expect(result.conn.stats).toMatchObject({ handshakes: 1 });
      expect(statSync(path).uid).toBe(process.geteuid!());
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(muxPids(dir)).toHaveLength(1);
      imposter.close();
    }
  });

  it('a folder others could read or that is not the user\'s is not used: the run connects by itself', async () => {
    for (const spoil of ['mode', 'owner'] as const) {
      const dir = newDir();
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (spoil === 'mode') chmodSync(dir, 0o755);
      else chownSync(dir, 65534, 65534);
      const result = await run(dir);
      expect(result.conn.stats).toMatchObject({ handshakes: 1, reused: 0 });
      expect(multiplexerProblem()).toMatch(spoil === 'mode' ? /mode 755/ : /uid 65534/);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('ends after the idle time with no run: the connection closes, the process exits, its sockets go', async () => {
    const dir = newDir();
    const first = await run(dir, { persistSec: 1 });
    const [pid] = muxPids(dir);
    expect(await eventually(() => !isAlive(pid!))).toBe(true);
    expect(await eventually(() => !isAlive(first.session))).toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith('.sock'))).toEqual([]);
  });

  it('close with reset (reset_connection) ends the kept connection: the next run logs in anew', async () => {
    const dir = newDir();
    const first = await run(dir);
    const conn = open(dir);
    await conn.exec('true');
    await conn.close({ reset: true });
    expect(await eventually(() => !isAlive(first.session))).toBe(true);
    const third = await run(dir);
    expect(third.conn.stats).toMatchObject({ handshakes: 1, reused: 0 });
  });

  it('persistSec 0 keeps nothing: every run connects by itself', async () => {
    const dir = newDir();
    const first = await run(dir, { persistSec: 0 });
    const second = await run(dir, { persistSec: 0 });
    expect([first.conn.stats.handshakes, second.conn.stats.handshakes]).toEqual([1, 1]);
    expect(second.session).not.toBe(first.session);
    expect(existsSync(dir)).toBe(false);
  });

  it('a multiplexer of another build retires; the run starts a new one', async () => {
    const dir = newDir();
    const first = await run(dir);
    const [old] = muxPids(dir);
    const other = await bundleMultiplexer(scratch, 'mux-other.mjs');
    setMultiplexerCommand([process.execPath, other]);
    try {
      const second = await run(dir);
      expect(second.conn.stats).toMatchObject({ handshakes: 1, reused: 0 });
      expect(second.session).not.toBe(first.session);
      const pids = muxPids(dir);
      expect(pids).toHaveLength(2);
      expect(await eventually(() => !isAlive(old!))).toBe(true);
      expect(readFileSync(join(dir, 'mux.log'), 'utf8')).toMatch(/retiring: a run of another build/);
    } finally {
      setMultiplexerCommand([process.execPath, program]);
    }
  });

  it('a run killed with SIGKILL: its channels close at once, the host sees EOF as with a connection of its own', async () => {
    const client = await bundleProgram('test/unit/connection/fixtures/killed-run.ts', scratch, 'killed-run.mjs');
    for (const persistSec of [30, 0]) {
      const dir = newDir();
      const out = mkdtempSync(join(scratch, 'killed-'));
      const child = spawn(process.execPath, [client, JSON.stringify(settings(dir, { persistSec })), program, out], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        expect(await eventually(() => existsSync(join(out, 'reader.pid')) && existsSync(join(out, 'resident.pid')))).toBe(true);
        child.kill('SIGKILL');
        const shell = Number(readFileSync(join(out, 'resident.pid'), 'utf8'));
        expect(await eventually(() => existsSync(join(out, 'eof')))).toBe(true);
        expect(await eventually(() => !isAlive(shell))).toBe(true);
        if (persistSec > 0) expect(muxPids(dir)).toHaveLength(1);
      } finally {
        child.kill('SIGKILL');
      }
    }
  });

  it('keeps the multiplexer\'s memory bounded and the run\'s output capped for 300 MiB through it', async () => {
    const dir = newDir();
    const conn = open(dir);
    const result = await conn.exec(`head -c ${300 * MiB} /dev/zero`);
    expect(result.truncated).toEqual({ stdout: 300 * MiB - 32 * MiB, stderr: 0 });
    const [pid] = muxPids(dir);
    // VmHWM: the multiplexer's peak resident memory over its whole life.
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    expect(peakKiB * 1024).toBeLessThan(160 * MiB);
    expect((await conn.exec('echo next')).stdout.toString()).toBe('next\n');
  }, 60_000);

  it.skipIf(!HAS_SUDO)('become works through it (needs sudo)', async () => {
    const user = 'uxsvbecome';
    execFileSync('sh', ['-c', `id ${user} >/dev/null 2>&1 || useradd --no-create-home ${user}`]);
    const dir = newDir();
    await run(dir);
    const conn = open(dir);
    const result = await conn.exec('id -un; cat', { become: { user }, stdin: 'in' });
    expect(result.stdout.toString()).toBe(`${user}\nin`);
    expect(conn.stats.reused).toBe(1);
  });
});
