/**
 * Whole runs (`uxsv play` through runPlay) over a real sshd with connections
 * kept between runs: the second run makes no handshake, says so in its
 * connection statistics, and still takes and releases its run lock.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPlay } from '../../../engine/cli/play.js';
import { setMultiplexerCommand } from '../../../engine/connection/mux/client.js';
import { project, type Project } from '../../helpers/engine.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { bundleMultiplexer, stopMultiplexers } from './mux-program.js';

let sshd: TestSshd;
let p: Project;
let scratch: string;
const savedEnv = process.env['UXSV_SSH_PERSIST_DIR'];

beforeAll(async () => {
  sshd = await startSshd();
  p = project();
  scratch = mkdtempSync(join(tmpdir(), 'uxsv-mux-runs-'));
  setMultiplexerCommand([process.execPath, await bundleMultiplexer(scratch)]);
  process.env['UXSV_SSH_PERSIST_DIR'] = join(scratch, 'mux');
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env['UXSV_SSH_PERSIST_DIR'];
  else process.env['UXSV_SSH_PERSIST_DIR'] = savedEnv;
  setMultiplexerCommand(undefined);
  stopMultiplexers(join(scratch, 'mux'));
  await sshd?.stop();
  p?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const inventory = (persist: number): string => `all:
  hosts:
    s1:
      ansible_host: 127.0.0.1
      ansible_port: ${sshd.port}
      ansible_user: root
      ansible_ssh_private_key_file: ${sshd.clientKeyPath}
      ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}
      uxsv_ssh_persist: ${persist}
      uxsv_lock_dir: ${p.dir}/locks
`;

async function play(persist: number) {
  p.write('inventory.yml', inventory(persist));
  p.write('site.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n    - shell: test -d {{ lock_dir }}/s1\n');
  let output = '';
  const outcome = await runPlay([p.path('site.yml')], { inventory: [p.path('inventory.yml')], extraVars: [`lock_dir=${p.dir}/locks`] }, {
    write: (t) => void (output += t), isTty: false, env: { NO_COLOR: '1' },
  });
  return { ...outcome, output };
}

describe('runs with kept connections', () => {
  it('the second run reuses the first run\'s connection; the report says so; each run holds its lock', async () => {
    const before = sshd.accepted();
    const first = await play(30);
    expect(first.exitCode, first.output).toBe(0);
    const second = await play(30);
    expect(second.exitCode, second.output).toBe(0);
    expect(sshd.accepted()).toBe(before + 1);
    const stats = (r: typeof first) => r.result!.connections.find((c) => c.host === 's1');
    expect(stats(first)).toMatchObject({ handshakes: 1, reused: 0 });
    expect(stats(second)).toMatchObject({ handshakes: 0, reused: 1 });
    // The lock was there during the run (the shell task saw it) and is gone after it.
    expect(existsSync(join(p.dir, 'locks', 's1'))).toBe(false);
  });

  it('uxsv_ssh_persist: 0 turns it off for the host', async () => {
    const before = sshd.accepted();
    const r = await play(0);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.result!.connections.find((c) => c.host === 's1')).toMatchObject({ handshakes: 1, reused: 0 });
    expect(sshd.accepted()).toBe(before + 1);
  });
});
