/**
 * The benchmark's cold and warm runs (bench/persist.ts), without the lab: the
 * same procedure against a real sshd and the real multiplexer, each "run" a
 * connection opened, used and closed as the CLI would with that environment.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coldAndWarm, multiplexerPids, processCpuMs } from '../../../bench/persist.js';
import { setMultiplexerCommand } from '../../../engine/connection/mux/client.js';
import { SshConnection } from '../../../engine/connection/ssh.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { bundleMultiplexer, stopMultiplexers } from './mux-program.js';

let sshd: TestSshd;
let scratch: string;

beforeAll(async () => {
  sshd = await startSshd();
  scratch = mkdtempSync(join(tmpdir(), 'uxsv-bench-persist-'));
  setMultiplexerCommand([process.execPath, await bundleMultiplexer(scratch)]);
});
afterAll(async () => {
  for (const name of readdirSync(scratch)) stopMultiplexers(join(scratch, name, 'mux'));
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

describe('bench: cold and warm runs', () => {
  it('measures the CPU time of a live process, and none of a finished one', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(processCpuMs(2 ** 22 + 12345)).toBe(0);
  });

  it('cold runs start a multiplexer each, warm runs use the one an earlier run left; all are ended afterwards', async () => {
    const once = async (env: Record<string, string>) => {
      const conn = new SshConnection({
        host: 'benchhost', connection: 'ssh', address: '127.0.0.1', port: sshd.port, user: 'root',
        privateKeyFile: sshd.clientKeyPath, timeoutSec: 5, knownHostsFile: sshd.knownHostsPath, acceptNewHostKeys: false,
        persistSec: Number(env['UXSV_SSH_PERSIST']), persistDir: env['UXSV_SSH_PERSIST_DIR']!,
      });
      await conn.exec('true');
      await conn.close();
      return { ...conn.stats, muxCpuMs: undefined as number | undefined };
    };
    const { cold, warm } = await coldAndWarm(scratch, 2, once);
    expect(cold.map((r) => [r.handshakes, r.reused])).toEqual([[1, 0], [1, 0]]);
    expect(warm.map((r) => [r.handshakes, r.reused])).toEqual([[0, 1], [0, 1]]);
    // A cold run's multiplexer at least loaded its program; a warm run's did the SSH work of one command.
    for (const r of [...cold, ...warm]) expect(r.muxCpuMs).toBeGreaterThanOrEqual(0);
    expect(cold.every((r) => r.muxCpuMs! > 0)).toBe(true);
    const dirs = readdirSync(scratch).filter((name) => /^[cw]-/.test(name)).map((name) => join(scratch, name, 'mux'));
    expect(dirs).toHaveLength(3);
    const pids = dirs.flatMap(multiplexerPids);
    expect(pids).toHaveLength(3);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
