/**
 * Run locks over real SSH (test/helpers/sshd.ts): a host held by another live
 * run is refused with the holder's name and since when; a lock left by a dead
 * run on this controller, or an expired one, is taken over; a run releases
 * its locks at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { project, type Project } from '../../helpers/engine.js';
import { runPlay } from '../../../engine/cli/play.js';

let sshd: TestSshd;
let p: Project;
let lockDir: string;

beforeAll(async () => {
  sshd = await startSshd();
  p = project();
  lockDir = p.path('locks');
});
afterAll(async () => {
  await sshd?.stop();
  p?.cleanup();
});

async function run() {
  p.write(
    'inventory.yml',
    `all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_port: ${sshd.port}\n    ansible_user: root\n    ansible_ssh_private_key_file: ${sshd.clientKeyPath}\n    ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}\n    uxsv_lock_dir: ${lockDir}\n  hosts:\n    lk1:\n`,
  );
  p.write('site.yml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: inside\n      shell: cat ${lockDir}/lk1/holder\n      register: held\n`);
  let output = '';
  const outcome = await runPlay([p.path('site.yml')], { inventory: [p.path('inventory.yml')] }, { write: (t) => void (output += t), isTty: false, env: { NO_COLOR: '1' } });
  return { ...outcome, output };
}

function holdLock(holder: object, ageSec = 0): void {
  mkdirSync(`${lockDir}/lk1`, { recursive: true });
  writeFileSync(`${lockDir}/lk1/holder`, JSON.stringify(holder));
  const t = Date.now() / 1000 - ageSec;
  utimesSync(`${lockDir}/lk1`, t, t);
}

describe('run locks', () => {
  it('holds the lock during the run and releases it at the end', async () => {
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/changed: \[lk1\]/);
    expect(existsSync(`${lockDir}/lk1`)).toBe(false);
  });

  it('refuses a host another live run holds, naming the holder and since when', async () => {
    holdLock({ controller: 'operator@console', pid: process.pid, since: '2026-11-25T03:00:00.000Z', command: 'uxsv degrade uxsv01' });
    const r = await run();
    expect(r.exitCode).toBe(2);
    expect(r.output).toContain('lk1 is locked by operator@console pid');
    expect(r.output).toContain('uxsv degrade uxsv01');
    expect(r.output).toContain('since 2026-11-25T03:00:00.000Z');
    // The other run's lock is left alone.
    expect(JSON.parse(readFileSync(`${lockDir}/lk1/holder`, 'utf8')).controller).toBe('operator@console');
  });

  it('takes over a lock left by a dead run on this controller', async () => {
    holdLock({ controller: `${userInfo().username}@${hostname()}`, pid: 2 ** 22 + 12345, since: new Date().toISOString(), command: 'uxsv play killed.yml' });
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(existsSync(`${lockDir}/lk1`)).toBe(false);
  });

  it('takes over a lock that expired', async () => {
    holdLock({ controller: 'someone@elsewhere', pid: 1, since: '2026-01-01T00:00:00.000Z', command: 'uxsv check' }, 5 * 3600);
    const r = await run();
    expect(r.exitCode).toBe(0);
  });
});
