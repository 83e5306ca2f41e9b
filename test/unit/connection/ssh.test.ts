/**
 * SshConnection against a real OpenSSH server on 127.0.0.1 (test/helpers/sshd.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../../engine/connection/known-hosts.js';
import { SshConnection } from '../../../engine/connection/ssh.js';
import { HostKeyError, UnreachableError, type ConnectionSettings } from '../../../engine/connection/types.js';
import { TIMEOUT_RC } from '../../../engine/connection/wrap.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';

const HAS_SUDO = existsSync('/usr/bin/sudo') || existsSync('/bin/sudo');

describe('SshConnection', () => {
  let sshd: TestSshd;
  const open: SshConnection[] = [];

  const settings = (overrides: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
    host: 'testhost',
    connection: 'ssh',
    address: '127.0.0.1',
    port: sshd.port,
    user: 'root',
    privateKeyFile: sshd.clientKeyPath,
    timeoutSec: 5,
    knownHostsFile: sshd.knownHostsPath,
    acceptNewHostKeys: false,
    ...overrides,
  });
  const connect = (overrides: Partial<ConnectionSettings> = {}): SshConnection => {
    const conn = new SshConnection(settings(overrides));
    open.push(conn);
    return conn;
  };
  const hostKeyFingerprint = (): string => fingerprint(Buffer.from(sshd.hostKeyPub.split(/\s+/)[1]!, 'base64'));

  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await sshd?.stop();
  });

  it('runs commands, with rc, stdout and stderr', async () => {
    const conn = connect();
    const result = await conn.exec('id -un; echo err >&2; exit 5');
    expect(result.rc).toBe(5);
    expect(result.stdout.toString()).toBe('root\n');
    expect(result.stderr.toString()).toBe('err\n');
    expect(conn.stats).toEqual({ handshakes: 1, commands: 1, channels: 1, reused: 0 });
  });

  it('runs 20 commands at once over one handshake', async () => {
    const conn = connect();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => conn.exec(`sleep 0.2; echo ${i}`)),
    );
    expect(results.map((r) => r.stdout.toString().trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // One resident shell; the 19 commands that found it busy got channels of their own.
    expect(conn.stats).toEqual({ handshakes: 1, commands: 20, channels: 20, reused: 0 });
  });

  it('passes every byte value through stdin and back', async () => {
    const conn = connect();
    const bytes = Buffer.alloc(256 * 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
    const result = await conn.exec('cat', { stdin: bytes });
    expect(Buffer.compare(result.stdout, bytes)).toBe(0);
  });

  it('goes on after a command that left a large stdin unread', async () => {
    const conn = connect();
    const unread = await conn.exec('exit 3', { stdin: Buffer.alloc(16 * 1024 * 1024, 1) });
    expect(unread.rc).toBe(3);
    expect((await conn.exec('echo next')).stdout.toString()).toBe('next\n');
  });

  it('applies env and cwd with hostile values', async () => {
    const conn = connect();
    const value = "a 'b' \"c\" $(echo no) `echo no` \n日本語 -n";
    const result = await conn.exec('printf %s "$V"; pwd', { env: { V: value }, cwd: '/tmp' });
    expect(result.stdout.toString()).toBe(`${value}/tmp\n`);
  });

  it('writes files atomically with putFile', async () => {
    const conn = connect();
    const target = join(sshd.dir, 'put target');
    const content = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    await conn.putFile(content, target, { mode: '0600' });
    expect(Buffer.compare(readFileSync(target), content)).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    await expect(conn.putFile(content, join(sshd.dir, 'missing', 'x'))).rejects.toThrow(/cannot write/);
  });

  it('times out a hanging command promptly and keeps the connection usable', async () => {
    const conn = connect();
    await conn.connect();
    const started = Date.now();
    // A duration no other test uses: ps sees every process of this machine.
    const result = await conn.exec("sh -c 'sleep 1013 & wait'", { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.rc).toBe(TIMEOUT_RC);
    // Answered without waiting for the command (1013 s), however busy the machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    // The remote process group is gone too (GNU timeout killed it, a moment later).
    let leftovers = '';
    for (let i = 0; i < 50 && leftovers !== '0'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      leftovers = (await conn.exec('ps -eo args | grep -c "^sleep 1013$" || true')).stdout.toString().trim();
    }
    expect(leftovers).toBe('0');
    const after = await conn.exec('echo still here');
    expect(after.stdout.toString()).toBe('still here\n');
    expect(conn.stats.handshakes).toBe(1);
  });

  it('refuses an unknown host without --accept-new-host-keys', async () => {
    const knownHostsFile = join(sshd.dir, 'empty_known_hosts');
    const conn = connect({ knownHostsFile });
    const error = await conn.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyError);
    expect((error as Error).message).toMatch(/not known/);
    expect((error as Error).message).toMatch(/--accept-new-host-keys/);
    expect((error as Error).message).toContain(hostKeyFingerprint());
    expect(existsSync(knownHostsFile)).toBe(false);
    expect(conn.stats.handshakes).toBe(0);
  });

  it('accepts and records an unknown host with --accept-new-host-keys', async () => {
    const knownHostsFile = join(sshd.dir, 'sub', 'new_known_hosts');
    await connect({ knownHostsFile, acceptNewHostKeys: true }).exec('true');
    const [type, blob] = sshd.hostKeyPub.split(/\s+/);
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    expect(statSync(knownHostsFile).mode & 0o777).toBe(0o600);
    // Now known: a strict connection goes through.
    const again = await connect({ knownHostsFile }).exec('echo ok');
    expect(again.stdout.toString()).toBe('ok\n');
  });

  it('honours UserKnownHostsFile and StrictHostKeyChecking from ansible_ssh_common_args', async () => {
    // OpenSSH splits UserKnownHostsFile on spaces (a list of files): no space in this name.
    const knownHostsFile = join(sshd.dir, 'from_args');
    const commonArgs = `-o "UserKnownHostsFile=${knownHostsFile}" -oStrictHostKeyChecking=accept-new`;
    await connect({ knownHostsFile: undefined, commonArgs }).exec('true');
    expect(readFileSync(knownHostsFile, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
  });

  it('matches hashed known_hosts entries', async () => {
    const knownHostsFile = join(sshd.dir, 'hashed_known_hosts');
    writeFileSync(knownHostsFile, `# comment\notherhost ssh-ed25519 AAAA\n${readFileSync(sshd.knownHostsPath, 'utf8')}`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', knownHostsFile]);
    expect(readFileSync(knownHostsFile, 'utf8')).toMatch(/^\|1\|/m);
    const result = await connect({ knownHostsFile }).exec('echo ok');
    expect(result.stdout.toString()).toBe('ok\n');
  });

  it('always refuses a changed host key, naming both fingerprints and the line', async () => {
    const knownHostsFile = join(sshd.dir, 'changed_known_hosts');
    const otherKey = join(sshd.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const otherBlob = readFileSync(`${otherKey}.pub`, 'utf8').split(/\s+/)[1]!;
    writeFileSync(knownHostsFile, `# first line\n127.0.0.1,[127.0.0.1]:${sshd.port} ssh-ed25519 ${otherBlob}\n`);
    const error = await connect({ knownHostsFile, acceptNewHostKeys: true }).connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyError);
    const message = (error as Error).message;
    expect(message).toMatch(/CHANGED/);
    expect(message).toContain(fingerprint(otherBlob));
    expect(message).toContain(hostKeyFingerprint());
    expect(message).toContain(`${knownHostsFile}:2`);
    expect(readFileSync(knownHostsFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);   // not rewritten
  });

  it('connects through a ProxyCommand', async () => {
    const proxy = join(sshd.dir, 'proxy.cjs');
    writeFileSync(proxy, [
      "const net = require('net');",
      'const socket = net.connect(Number(process.argv[3]), process.argv[2]);',
      'process.stdin.pipe(socket).pipe(process.stdout);',
      "socket.on('error', (e) => { console.error(e.message); process.exit(1); });",
      "socket.on('close', () => process.exit(0));",
    ].join('\n'));
    const conn = connect({ address: '127.0.0.1', commonArgs: `-o ProxyCommand="${process.execPath} ${proxy} %h %p"` });
    const results = await Promise.all([conn.exec('echo one'), conn.exec('echo two')]);
    expect(results.map((r) => r.stdout.toString())).toEqual(['one\n', 'two\n']);
    expect(conn.stats.handshakes).toBe(1);
    await conn.close();
  });

  it('reports a ProxyCommand that dies with its stderr', async () => {
    const conn = connect({ commonArgs: `-o 'ProxyCommand sh -c "echo no route to lab %h:%p >&2; exit 3"'` });
    const error = await conn.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toContain(`no route to lab 127.0.0.1:${sshd.port}`);
    expect((error as Error).message).toContain('code 3');
  });

  it('reports a refused connection quickly', async () => {
    const closedPort = sshd.port === 1 ? 2 : 1;
    const started = Date.now();
    const error = await connect({ port: closedPort }).exec('true').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toBe(`ssh to root@127.0.0.1:${closedPort}: connection refused`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports an authentication failure', async () => {
    const wrongKey = join(sshd.dir, 'wrong_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKey]);
    const error = await connect({ privateKeyFile: wrongKey }).connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error).not.toBeInstanceOf(HostKeyError);
    expect((error as Error).message).toMatch(/authentication failed/);
  });

  it('rejects a command whose connection drops, then reconnects', async () => {
    const conn = connect();
    // The parent of the remote shell is this connection's sshd session process.
    const sessionPid = (await conn.exec('echo $PPID')).stdout.toString().trim();
    const hanging = conn.exec('sleep 30').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    await connect().exec(`kill -9 ${sessionPid}`);
    const error = await hanging;
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(/connection lost/);
    const result = await conn.exec('echo back');
    expect(result.stdout.toString()).toBe('back\n');
    expect(conn.stats.handshakes).toBe(2);
  });

  it.skipIf(!HAS_SUDO)('becomes another user with sudo (needs sudo)', async () => {
    const user = 'uxsvbecome';
    execFileSync('sh', ['-c', `id ${user} >/dev/null 2>&1 || useradd --no-create-home ${user}`]);
    const conn = connect();
    const result = await conn.exec('id -un; printf %s "$V"; cat', { become: { user }, env: { V: 'v' }, stdin: 'in' });
    expect(result.stderr.toString()).toBe('');
    expect(result.stdout.toString()).toBe(`${user}\nvin`);
    const same = await conn.exec('id -un', { become: { user: 'root' } });
    expect(same.stdout.toString()).toBe('root\n');
  });
});
