/**
 * Connections kept between runs (engine/connection/mux/): a real multiplexer
 * process and a real sshd on 127.0.0.1.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setMultiplexerCommand } from '../../../engine/connection/mux/client.js';
import { SshConnection } from '../../../engine/connection/ssh.js';
import type { ConnectionSettings } from '../../../engine/connection/types.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { bundleMultiplexer } from './mux-program.js';

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
  for (const pid of daemons) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  setMultiplexerCommand(undefined);
  await sshd?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const newDir = (): string => {
  const dir = mkdtempSync(join(scratch, 'dir-'));
  return join(dir, 'mux');
};
const muxPids = (dir: string): number[] => {
  let log = '';
  try { log = readFileSync(join(dir, 'mux.log'), 'utf8'); } catch { return []; }
  const pids = [...log.matchAll(/started, pid (\d+)/g)].map((m) => Number(m[1]));
  pids.forEach((pid) => daemons.add(pid));
  return pids;
};

const settings = (dir: string, overrides: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
  host: 'testhost', connection: 'ssh', address: '127.0.0.1', port: sshd.port, user: 'root',
  privateKeyFile: sshd.clientKeyPath, timeoutSec: 5, knownHostsFile: sshd.knownHostsPath, acceptNewHostKeys: false,
  persistSec: 30, persistDir: dir, ...overrides,
});
const run = (dir: string, overrides: Partial<ConnectionSettings> = {}): SshConnection => {
  const conn = new SshConnection(settings(dir, overrides));
  opened.push(conn);
  return conn;
};

describe('kept connections', () => {
  it('a second run attaches to the connection of the first: no handshake, the same sshd session, a shell of its own', async () => {
    const dir = newDir();
    const before = sshd.accepted();
    const first = run(dir);
    const a = (await first.exec('echo $PPID $$')).stdout.toString().trim().split(' ');
    await first.close();
    expect(first.stats).toMatchObject({ handshakes: 1, reused: 0 });
    const second = run(dir);
    const b = (await second.exec('echo $PPID $$')).stdout.toString().trim().split(' ');
    expect(second.stats).toMatchObject({ handshakes: 0, reused: 1, channels: 1, commands: 1 });
    expect(sshd.accepted()).toBe(before + 1);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    await second.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.sock'))) {
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    expect(muxPids(dir)).toHaveLength(1);
  });
});
