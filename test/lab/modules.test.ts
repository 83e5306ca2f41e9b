/**
 * System modules against the real lab hosts (systemd, apt, ip, sshd).
 * Runs only with UXSV_LAB=1, after `uxsv lab up`. The lab helper is imported
 * lazily so this file loads (and skips) without it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModuleContext } from '../../engine/modules/types.js';
import { runModule } from '../helpers/module-context.js';
import { apt } from '../../engine/modules/system/apt.js';
import { systemd } from '../../engine/modules/system/service.js';
import { group, user } from '../../engine/modules/system/users.js';
import { cron } from '../../engine/modules/system/cron.js';
import { writeFileAtomic } from '../../engine/modules/lib/fileops.js';

type LabContext = (host: string, options?: { check?: boolean }) => Promise<ModuleContext>;
type LabExec = (cmd: string) => Promise<{ rc: number; stdout: string; stderr: string }>;

let labContext: LabContext;
let labExec: LabExec;

async function sh(ctx: ModuleContext, command: string): Promise<{ rc: number; out: string }> {
  const res = await ctx.run(command);
  return { rc: res.rc, out: res.stdout.toString() };
}

describe.skipIf(process.env.UXSV_LAB !== '1')('system modules on the lab', () => {
  beforeAll(async () => {
    const lab = await import('../helpers/lab.js');
    labContext = lab.labContext as LabContext;
    labExec = lab.labExec as unknown as LabExec;
  });

  it('apt installs a package from the cached archive, then reports no change', async () => {
    const ctx = await labContext('uxsv01');
    const pkg = 'rsync'; // in the image's apt cache (lab/packages.ts SERVICE_PACKAGES), not installed
    expect((await runModule(apt, { name: pkg, state: 'absent', purge: true }, ctx)).failed).toBeFalsy();
    const check = await runModule(apt, { name: pkg }, await labContext('uxsv01', { check: true }));
    expect(check.changed).toBe(true);
    expect((await sh(ctx, `dpkg-query -W -f='\${Status}' ${pkg}`)).out).not.toContain('ok installed');
    const first = await runModule(apt, { name: pkg, install_recommends: false }, ctx);
    expect(first).toMatchObject({ changed: true });
    expect(first.failed).toBeFalsy();
    expect((await sh(ctx, `dpkg-query -W -f='\${Status}' ${pkg}`)).out).toBe('install ok installed');
    expect((await runModule(apt, { name: pkg }, ctx)).changed).toBe(false);
    expect((await runModule(apt, { name: [pkg, 'dpkg'], state: 'present' }, ctx)).changed).toBe(false);
  });

  it('systemd starts, enables, stops a unit; second runs change nothing; check mode touches nothing', async () => {
    const ctx = await labContext('uxsv02');
    const unit = 'uxsv-labtest.service';
    await writeFileAtomic(ctx, `/etc/systemd/system/${unit}`,
      '[Unit]\nDescription=uxsv lab test\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n', { mode: '0644' });
    try {
      const start = { name: unit, state: 'started', enabled: true, daemon_reload: true };
      expect(await runModule(systemd, start, ctx)).toMatchObject({ changed: true, state: 'started', enabled: true });
      expect((await sh(ctx, `systemctl is-active ${unit}`)).out.trim()).toBe('active');
      expect((await sh(ctx, `systemctl is-enabled ${unit}`)).out.trim()).toBe('enabled');
      const again = await runModule(systemd, start, ctx);
      expect(again.changed).toBe(false);
      expect((again.status as Record<string, string>).ActiveState).toBe('active');
      expect((await runModule(systemd, { name: unit, state: 'stopped' }, await labContext('uxsv02', { check: true }))).changed).toBe(true);
      expect((await sh(ctx, `systemctl is-active ${unit}`)).out.trim()).toBe('active');
      expect((await runModule(systemd, { name: unit, state: 'restarted' }, ctx)).changed).toBe(true);
      expect((await runModule(systemd, { name: unit, state: 'stopped', enabled: false }, ctx)).changed).toBe(true);
      expect((await sh(ctx, `systemctl is-active ${unit}`)).out.trim()).toBe('inactive');
      expect((await runModule(systemd, { name: unit, state: 'stopped', enabled: false }, ctx)).changed).toBe(false);
      expect((await runModule(systemd, { name: 'uxsv-no-such.service', state: 'started' }, ctx)).failed).toBe(true);
    } finally {
      await sh(ctx, `systemctl disable --now ${unit}; rm -f /etc/systemd/system/${unit}; systemctl daemon-reload`);
    }
  });

  it('user and group: create, second run unchanged, remove', async () => {
    const ctx = await labContext('uxsv03');
    try {
      expect((await runModule(group, { name: 'uxsvlabg', gid: 2501 }, ctx)).changed).toBe(true);
      const args = { name: 'uxsvlab', uid: 2500, groups: ['uxsvlabg'], shell: '/bin/bash', comment: 'uxsv lab' };
      expect(await runModule(user, args, ctx)).toMatchObject({ changed: true, uid: 2500, home: '/home/uxsvlab' });
      expect((await sh(ctx, 'id -nG uxsvlab')).out).toContain('uxsvlabg');
      expect((await sh(ctx, 'test -d /home/uxsvlab && echo yes')).out.trim()).toBe('yes');
      expect((await runModule(user, args, ctx)).changed).toBe(false);
      expect((await runModule(user, { name: 'uxsvlab', state: 'absent', remove: true }, ctx)).changed).toBe(true);
      expect((await sh(ctx, 'getent passwd uxsvlab')).rc).toBe(2);
    } finally {
      await sh(ctx, 'userdel -r uxsvlab 2>/dev/null; groupdel uxsvlabg 2>/dev/null; true');
    }
  });

  it('cron: a cron.d file and root\'s crontab, idempotent', async () => {
    const ctx = await labContext('uxsv01');
    const fileArgs = { name: 'labtest', minute: '*/5', job: '/bin/true', user: 'root', cron_file: 'uxsv-labtest' };
    try {
      expect((await runModule(cron, fileArgs, ctx)).changed).toBe(true);
      expect((await sh(ctx, 'cat /etc/cron.d/uxsv-labtest')).out).toBe('#Ansible: labtest\n*/5 * * * * root /bin/true\n');
      expect((await runModule(cron, fileArgs, ctx)).changed).toBe(false);
      if ((await sh(ctx, 'command -v crontab')).rc === 0) {
        const userArgs = { name: 'labtest', hour: '3', minute: '0', job: '/bin/true', user: 'root' };
        expect((await runModule(cron, userArgs, ctx)).changed).toBe(true);
        expect((await sh(ctx, 'crontab -l -u root')).out).toContain('#Ansible: labtest\n0 3 * * * /bin/true\n');
        expect((await runModule(cron, userArgs, ctx)).changed).toBe(false);
        expect((await runModule(cron, { name: 'labtest', state: 'absent', user: 'root' }, ctx)).changed).toBe(true);
      }
    } finally {
      await sh(ctx, 'rm -f /etc/cron.d/uxsv-labtest');
    }
  });
});
