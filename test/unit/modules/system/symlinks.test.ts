/**
 * A symbolic link planted where a system module writes a file, as Ansible
 * 2.14 treats it (checked with ansible-playbook): authorized_key (unless
 * follow), known_hosts and sysctl replace the link with a regular file and
 * leave its target alone; cron's cron_file and mount's fstab are written
 * through the link. Names are hostile.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizedKey } from '../../../../engine/modules/system/authorized-key.js';
import { cron } from '../../../../engine/modules/system/cron.js';
import { knownHosts } from '../../../../engine/modules/system/known-hosts.js';
import { mount } from '../../../../engine/modules/system/mount.js';
import { sysctl } from '../../../../engine/modules/system/sysctl.js';
import { localContext, runModule } from '../../../helpers/module-context.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqJ8lYJcXs4n4cE3q6NvJkzqvQYbYQ5fI4e1Zq9Xw6n ops@uxsv01';
const NAME = "-dash 'q' $(touch pwned) x";

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'uxsv-system-links-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function planted(name: string): { link: string; victim: string } {
  mkdirSync(join(dir, 'dest'), { recursive: true });
  mkdirSync(join(dir, 'outside'), { recursive: true });
  const victim = join(dir, 'outside', `victim ${name}`);
  writeFileSync(victim, 'victim line\n', { mode: 0o644 });
  const link = join(dir, 'dest', name);
  symlinkSync(victim, link);
  return { link, victim };
}

function replaced(link: string, victim: string): void {
  expect(lstatSync(link).isSymbolicLink()).toBe(false);
  expect(readFileSync(victim, 'utf8')).toBe('victim line\n');
}

function writtenThrough(link: string, victim: string): string {
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readlinkSync(link)).toBe(victim);
  return readFileSync(victim, 'utf8');
}

async function ok(result: Promise<Record<string, unknown>>): Promise<void> {
  const r = await result;
  expect(r.failed, String(r.msg)).toBeFalsy();
  expect(r.changed).toBe(true);
}

describe('a link planted where a system module writes', () => {
  it('authorized_key replaces it with the key file (what the link showed, plus the key); with follow it writes the target', async () => {
    const user = userInfo().username;
    const { link, victim } = planted(`ak ${NAME}`);
    await ok(runModule(authorizedKey, { user, key: KEY, path: link, manage_dir: false }, localContext()));
    replaced(link, victim);
    expect(readFileSync(link, 'utf8')).toBe(`victim line\n${KEY}\n`);
    const second = planted(`ak2 ${NAME}`);
    await ok(runModule(authorizedKey, { user, key: KEY, path: second.link, manage_dir: false, follow: true }, localContext()));
    expect(writtenThrough(second.link, second.victim)).toBe(`victim line\n${KEY}\n`);
  });

  it('known_hosts replaces it with the file', async () => {
    const { link, victim } = planted(`kh ${NAME}`);
    const line = `uxsv02 ${KEY.split(' ').slice(0, 2).join(' ')}`;
    await ok(runModule(knownHosts, { name: 'uxsv02', key: line, path: link }, localContext()));
    replaced(link, victim);
    expect(readFileSync(link, 'utf8')).toBe(`victim line\n${line}\n`);
  });

  it('sysctl replaces sysctl_file with the file', async () => {
    const { link, victim } = planted(`sysctl ${NAME}`);
    writeFileSync(victim, 'victim line\n');
    await ok(runModule(sysctl, { name: 'vm.swappiness', value: '10', sysctl_file: link, reload: false }, localContext()));
    replaced(link, victim);
    expect(readFileSync(link, 'utf8')).toContain('vm.swappiness=10\n');
  });

  it('cron (cron_file) and mount (fstab) write through the link, as Ansible does', async () => {
    const c = planted(`cron ${NAME}`);
    await ok(runModule(cron, { name: 'job', job: '/bin/true', cron_file: c.link, user: 'root' }, localContext()));
    expect(writtenThrough(c.link, c.victim)).toBe('victim line\n#Ansible: job\n* * * * * root /bin/true\n');
    const f = planted(`fstab ${NAME}`);
    await ok(runModule(mount, { path: '/mnt/uxsv-test', src: '/dev/null', fstype: 'ext4', state: 'present', fstab: f.link }, localContext()));
    expect(writtenThrough(f.link, f.victim)).toBe('victim line\n/dev/null /mnt/uxsv-test ext4 defaults 0 0\n');
  });
});
