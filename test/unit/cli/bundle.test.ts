/**
 * The bundled command (dist/uxsv.mjs and the chunks it loads, from
 * `npm run build`), run as an operator runs it: `--version` without loading
 * the engine, and a play over SSH whose ssh2 and multiplexer come from the
 * bundle's chunks, the second run using the connection the first one kept.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UXSV_VERSION } from '../../../engine/cli/version.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { stopMultiplexers } from '../connection/mux-program.js';

const pexecFile = promisify(execFile);
const CLI = resolve('dist/uxsv.mjs');

let sshd: TestSshd;
let scratch: string;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('build first (npm run build)');
  sshd = await startSshd();
  scratch = mkdtempSync(join(tmpdir(), 'uxsv-bundle-'));
});
afterAll(async () => {
  if (scratch) stopMultiplexers(join(scratch, 'mux'));
  await sshd?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Report {
  recap: Record<string, { ok: number; unreachable: number; failed: number }>;
  connections: Record<string, { handshakes: number; reused?: number }>;
}

describe('the bundled command', () => {
  it('prints its version', async () => {
    for (const flag of ['--version', '-V']) {
      const { stdout } = await pexecFile(process.execPath, [CLI, flag]);
      expect(stdout).toBe(`${UXSV_VERSION}\n`);
    }
  });

  it('its engine file is one function in ASCII, compiled as it is (V8 keeps other text at two bytes a character)', () => {
    const engine = readFileSync(resolve('dist/uxsv-engine.cjs'), 'latin1');
    expect(engine.startsWith('(function (exports, require, module, __filename, __dirname, __uxsvImport) {')).toBe(true);
    expect(engine.trimEnd().endsWith('})')).toBe(true);
    expect(/[^\x00-\x7f]/.test(engine)).toBe(false);
  });

  it('runs a play over SSH and keeps the connection for the next run', async () => {
    const inventory = join(scratch, 'inventory.yml');
    writeFileSync(inventory, [
      'all:',
      '  hosts:',
      '    h1:',
      '      ansible_host: 127.0.0.1',
      `      ansible_port: ${sshd.port}`,
      '      ansible_user: root',
      `      ansible_ssh_private_key_file: ${sshd.clientKeyPath}`,
      `      ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}`,
      '',
    ].join('\n'));
    writeFileSync(join(scratch, 'play.yml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo hello\n');
    const env = { ...process.env, UXSV_SSH_PERSIST: '30', UXSV_SSH_PERSIST_DIR: join(scratch, 'mux'), NO_COLOR: '1' };
    const run = async (n: number): Promise<Report> => {
      const report = join(scratch, `report-${n}.json`);
      await pexecFile(process.execPath, [CLI, 'play', '-i', inventory, join(scratch, 'play.yml'), '--report', report], { env });
      return JSON.parse(readFileSync(report, 'utf8')) as Report;
    };
    const first = await run(1);
    expect(first.recap['h1']).toMatchObject({ ok: 1, unreachable: 0, failed: 0 });
    expect(first.connections['h1']?.handshakes).toBe(1);
    const second = await run(2);
    expect(second.recap['h1']).toMatchObject({ ok: 1, unreachable: 0, failed: 0 });
    expect(second.connections['h1']).toMatchObject({ handshakes: 0, reused: 1 });
  });
});
