/**
 * Run locks over real SSH (test/helpers/sshd.ts): a host held by another live
 * run is refused with the holder's name and since when; a lock left by a dead
 * run on this controller, or an expired one, is taken over; a run releases
 * its locks at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { project, type Project } from '../../helpers/engine.js';
import { runPlay } from '../../../engine/cli/play.js';
import { EXIT } from '../../../engine/cli/exit-codes.js';
import { describeCommand } from '../../../engine/runner/lock.js';

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

async function run(task = `shell: cat ${lockDir}/lk1/holder`) {
  p.write(
    'inventory.yml',
    `all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_port: ${sshd.port}\n    ansible_user: root\n    ansible_ssh_private_key_file: ${sshd.clientKeyPath}\n    ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}\n    uxsv_lock_dir: ${lockDir}\n  hosts:\n    lk1:\n`,
  );
  p.write('site.yml', `- hosts: all\n  gather_facts: false\n  tasks:\n    - name: inside\n      ${task}\n      register: held\n`);
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

describe('the command a lock records', () => {
  it('keeps the subcommand, its arguments, option names and the values of path and selection options only', () => {
    expect(describeCommand(['play', 'site.yml', 'more.yml', '-i', 'inv', '--limit=web', '-t', 'dns', '-CD', '-vvv'])).toBe('uxsv play site.yml more.yml -i inv --limit=web -t dns -CD -vvv');
    expect(describeCommand(['degrade', 'uxsv01', '--planned', '-e', 'x=1', '--extra-vars', '@secrets.yml'])).toBe('uxsv degrade uxsv01 --planned -e … --extra-vars …');
    expect(describeCommand(['ad-hoc', 'all', '-m', 'shell', '-a', 'echo pw=s3cret', '-b', '--become-user', 'root'])).toBe('uxsv ad-hoc all -m shell -a … -b --become-user …');
    // Flags bundled with an option whose value follows, attached or not.
    expect(describeCommand(['play', '-ve', 'p=s3cret', 'x.yml', '-vi', 'inv', '-Cefoo=1'])).toBe('uxsv play -v -e … x.yml -v -i inv -C -e…');
    // An option the list does not know hides the word after it.
    expect(describeCommand(['play', '--new-option', 's3cret', 'x.yml', '--ssh-extra-args=-o ProxyCommand=s3cret'])).toBe('uxsv play --new-option … x.yml --ssh-extra-args=…');
  });
});

describe('run locks', () => {
  it('holds the lock during the run and releases it at the end', async () => {
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/changed: \[lk1\]/);
    expect(existsSync(`${lockDir}/lk1`)).toBe(false);
  });

  it('refuses a host another live run holds, naming the holder and since when, with its own exit code', async () => {
    holdLock({ controller: 'operator@console', pid: process.pid, since: '2026-11-25T03:00:00.000Z', command: 'uxsv degrade uxsv01' });
    const r = await run();
    expect(EXIT.LOCKED).toBe(5);
    expect(r.exitCode).toBe(EXIT.LOCKED);
    expect(r.output).toContain('lk1 is locked by operator@console pid');
    expect(r.output).toContain('uxsv degrade uxsv01');
    expect(r.output).toContain('since 2026-11-25T03:00:00.000Z');
    // The other run's lock is left alone.
    expect(JSON.parse(readFileSync(`${lockDir}/lk1/holder`, 'utf8')).controller).toBe('operator@console');
  });

  it('records the command without the values of -e and other options that may be secret', async () => {
    const argv = process.argv;
    process.argv = [argv[0]!, 'uxsv', 'play', 'site.yml', '-e', 'db_password=hunter2-Secret', '--extra-vars={"token":"tok-Secret"}', '-vv', '-i', 'inventory.yml', '--vault-password-file', '/etc/uxsv/vault-password', '-eapi_key=k-Secret'];
    rmSync(`${lockDir}/lk1`, { recursive: true, force: true });
    let r;
    try {
      r = await run(`shell: cp ${lockDir}/lk1/holder ${p.path('holder-seen')}`);
    } finally {
      process.argv = argv;
    }
    expect(r.exitCode).toBe(0);
    expect(p.read('holder-seen')).not.toContain('Secret');
    const holder = JSON.parse(p.read('holder-seen'));
    expect(holder.command).toBe('uxsv play site.yml -e … --extra-vars=… -vv -i inventory.yml --vault-password-file /etc/uxsv/vault-password -e…');
  });

  it('takes over a lock left by a dead run on this controller', async () => {
    holdLock({ controller: `${userInfo().username}@${hostname()}`, pid: 2 ** 22 + 12345, since: new Date().toISOString(), command: 'uxsv play killed.yml' });
    const r = await run();
    expect(r.exitCode).toBe(0);
    expect(existsSync(`${lockDir}/lk1`)).toBe(false);
  });

  it('releases its own lock whatever the command holds (quotes, backslashes, $), and leaves a lock that is no longer its own', async () => {
    const argv = process.argv;
    process.argv = [argv[0]!, 'uxsv', 'play', `we\\ird 'name' "x" $(id).yml`, '-i', 'inv\\n.yml'];
    rmSync(`${lockDir}/lk1`, { recursive: true, force: true });
    try {
      const mine = await run();
      expect(mine.exitCode).toBe(0);
      expect(existsSync(`${lockDir}/lk1`)).toBe(false);
      const other = JSON.stringify({ controller: 'someone@elsewhere', pid: 1, since: 'now', command: 'uxsv check' });
      const replaced = await run(`shell: printf '%s' '${other}' > ${lockDir}/lk1/holder`);
      expect(replaced.exitCode).toBe(0);
      expect(readFileSync(`${lockDir}/lk1/holder`, 'utf8')).toBe(other);
    } finally {
      process.argv = argv;
      rmSync(`${lockDir}/lk1`, { recursive: true, force: true });
    }
  });

  it('takes over a lock that expired', async () => {
    holdLock({ controller: 'someone@elsewhere', pid: 1, since: '2026-01-01T00:00:00.000Z', command: 'uxsv check' }, 5 * 3600);
    const r = await run();
    expect(r.exitCode).toBe(0);
  });
});
