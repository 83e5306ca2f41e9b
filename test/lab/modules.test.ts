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
import { group } from '../../engine/modules/system/group.js';
import { user } from '../../engine/modules/system/user.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { aptRepository } from '../../engine/modules/system/apt-repository.js';
import { dpkgSelections, packageFacts, serviceFacts } from '../../engine/modules/system/inventory-facts.js';
import { hostname } from '../../engine/modules/system/hostname.js';
import { timezone } from '../../engine/modules/system/general-small.js';
import { expect as expectModule } from '../../engine/modules/system/expect.js';
import { rebootModule } from '../../engine/modules/system/reboot.js';
import { mount } from '../../engine/modules/system/mount.js';
import { iptables } from '../../engine/modules/system/iptables.js';
import { service } from '../../engine/modules/system/service.js';
import { command } from '../../engine/modules/core/command.js';
import { waitForModule } from '../../engine/modules/system/wait-for.js';
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

  it('apt: remove with purge, a local .deb, latest, dpkg_selections and package_facts', async () => {
    const ctx = await labContext('uxsv02');
    const pkg = 'rsync';
    try {
      expect((await runModule(apt, { name: pkg, state: 'absent', purge: true }, ctx)).failed).toBeFalsy();
      const deb = (await sh(ctx, `ls /var/cache/apt/archives/${pkg}_*.deb | head -n 1`)).out.trim();
      expect(deb).toMatch(/\.deb$/);
      expect((await runModule(apt, { deb }, await labContext('uxsv02', { check: true }))).changed).toBe(true);
      expect(await runModule(apt, { deb }, ctx)).toMatchObject({ changed: true });
      expect((await runModule(apt, { deb }, ctx)).changed).toBe(false);
      expect((await runModule(apt, { name: pkg, state: 'latest' }, ctx)).changed).toBe(false);
      expect((await runModule(dpkgSelections, { name: pkg, selection: 'hold' }, ctx))).toMatchObject({ changed: true, before: 'install', after: 'hold' });
      expect((await sh(ctx, `dpkg --get-selections ${pkg}`)).out).toMatch(/hold/);
      expect((await runModule(dpkgSelections, { name: pkg, selection: 'install' }, ctx)).changed).toBe(true);
      const facts = await runModule(packageFacts, { manager: 'apt' }, ctx);
      const list = (facts.ansible_facts as { packages: Record<string, Array<{ version: string; arch: string }>> }).packages;
      expect(list[pkg]![0]!.version).toBe((await sh(ctx, `dpkg-query -W -f='\${Version}' ${pkg}`)).out);
      expect((await runModule(apt, { name: pkg, state: 'absent', purge: true }, ctx)).changed).toBe(true);
      expect((await runModule(apt, { name: pkg, state: 'absent', purge: true }, ctx)).changed).toBe(false);
    } finally {
      await sh(ctx, `apt-mark unhold ${pkg} >/dev/null 2>&1; true`);
    }
  });

  it('apt: policy_rc_d keeps a new service from starting', async () => {
    const ctx = await labContext('uxsv03');
    try {
      await runModule(apt, { name: 'chrony', state: 'absent', purge: true }, ctx);
      expect(await runModule(apt, { name: 'chrony', policy_rc_d: 101, install_recommends: false }, ctx)).toMatchObject({ changed: true });
      expect((await sh(ctx, 'systemctl is-active chrony')).out.trim()).not.toBe('active');
      expect((await sh(ctx, 'test -e /usr/sbin/policy-rc.d && echo left')).out).toBe('');
    } finally {
      await runModule(apt, { name: 'chrony', state: 'absent', purge: true }, ctx);
    }
  });

  it('apt_repository: a local source file, added and removed', async () => {
    const ctx = await labContext('uxsv01');
    const repo = 'deb [trusted=yes] file:/srv/uxsv-labrepo ./';
    try {
      expect((await runModule(aptRepository, { repo, filename: 'uxsv-labrepo', update_cache: false }, await labContext('uxsv01', { check: true }))).changed).toBe(true);
      expect(await runModule(aptRepository, { repo, filename: 'uxsv-labrepo', update_cache: false }, ctx)).toMatchObject({ changed: true });
      expect((await sh(ctx, 'cat /etc/apt/sources.list.d/uxsv-labrepo.list; stat -c %a /etc/apt/sources.list.d/uxsv-labrepo.list')).out).toBe(`${repo}\n644\n`);
      expect((await runModule(aptRepository, { repo, filename: 'uxsv-labrepo', update_cache: false }, ctx)).changed).toBe(false);
      expect((await runModule(aptRepository, { repo, state: 'absent', update_cache: false }, ctx)).changed).toBe(true);
      expect((await sh(ctx, 'test -e /etc/apt/sources.list.d/uxsv-labrepo.list && echo left')).out).toBe('');
    } finally {
      await sh(ctx, 'rm -f /etc/apt/sources.list.d/uxsv-labrepo.list');
    }
  });

  it('systemd: mask, unmask, daemon_reload, service on systemd, service_facts', async () => {
    const ctx = await labContext('uxsv02');
    const unit = 'uxsv-labmask.service';
    // A unit in /run can be masked (a file in /etc/systemd/system cannot: systemd refuses to replace it).
    await writeFileAtomic(ctx, `/run/systemd/system/${unit}`, '[Unit]\nDescription=mask test\n[Service]\nExecStart=/bin/sleep infinity\n', { mode: '0644' });
    try {
      expect((await runModule(systemd, { daemon_reload: true }, ctx)).changed).toBe(false);
      expect((await runModule(systemd, { name: unit, masked: true }, ctx)).changed).toBe(true);
      expect((await sh(ctx, `systemctl is-enabled ${unit}`)).out.trim()).toBe('masked');
      expect((await runModule(systemd, { name: unit, masked: true }, ctx)).changed).toBe(false);
      expect((await runModule(systemd, { name: unit, masked: false, state: 'started' }, ctx)).changed).toBe(true);
      expect(await runModule(service, { name: unit, state: 'started' }, ctx)).toMatchObject({ changed: false, state: 'started' });
      const facts = await runModule(serviceFacts, {}, ctx);
      const services = (facts.ansible_facts as { services: Record<string, { state: string; source: string }> }).services;
      expect(services[unit]).toMatchObject({ state: 'running', source: 'systemd' });
      expect(services['ssh.service']?.state).toBe('running');
    } finally {
      await sh(ctx, `systemctl stop ${unit}; systemctl unmask ${unit}; rm -f /run/systemd/system/${unit}; systemctl daemon-reload`);
    }
  });

  it('hostname and timezone through hostnamectl/timedatectl, then back', async () => {
    const ctx = await labContext('uxsv03');
    const oldName = (await sh(ctx, 'hostnamectl --static status')).out.trim();
    const oldZone = (await sh(ctx, "timedatectl show -p Timezone --value")).out.trim();
    try {
      expect(await runModule(hostname, { name: 'uxsv-labname' }, ctx)).toMatchObject({ changed: true, ansible_facts: { ansible_hostname: 'uxsv-labname' } });
      expect((await sh(ctx, 'hostnamectl --static status; hostname')).out).toBe('uxsv-labname\nuxsv-labname\n');
      expect((await runModule(hostname, { name: 'uxsv-labname' }, ctx)).changed).toBe(false);
      expect(await runModule(timezone, { name: 'Asia/Tokyo' }, ctx)).toMatchObject({ changed: true, diff: { before: { name: oldZone }, after: { name: 'Asia/Tokyo' } } });
      expect((await sh(ctx, 'timedatectl show -p Timezone --value')).out.trim()).toBe('Asia/Tokyo');
      expect((await runModule(timezone, { name: 'Asia/Tokyo' }, ctx)).changed).toBe(false);
    } finally {
      await runModule(hostname, { name: oldName }, ctx);
      await runModule(timezone, { name: oldZone }, ctx);
    }
  });

  it('expect answers a prompt on the host\'s own terminal; command expands the host\'s $HOME', async () => {
    const ctx = await labContext('uxsv01');
    await sh(ctx, "printf '#!/bin/sh\\nprintf \"pass? \"; read p; tty >/dev/null && echo \"got $p\"\\n' > /tmp/uxsv-ask && chmod 755 /tmp/uxsv-ask");
    try {
      expect(await runModule(expectModule, { command: '/tmp/uxsv-ask', responses: { 'pass\\?': "s3cr'et" } }, ctx)).toMatchObject({ rc: 0, stdout: "pass? got s3cr'et" });
      expect((await runModule(command, { _raw_params: 'echo $HOME ~' }, ctx)).stdout).toBe('/root /root');
      expect((await runModule(waitForModule, { port: 22, timeout: 5 }, ctx)).failed).toBeFalsy();
    } finally {
      await sh(ctx, 'rm -f /tmp/uxsv-ask');
    }
  });

  it('mount: an ephemeral tmpfs, then unmounted', async () => {
    const ctx = await labContext('uxsv01');
    const path = '/srv/uxsv lab mnt';
    try {
      expect(await runModule(mount, { path, src: 'tmpfs', fstype: 'tmpfs', opts: 'size=1m', state: 'ephemeral' }, ctx)).toMatchObject({ changed: true });
      expect((await sh(ctx, `mountpoint -q '${path}' && echo yes`)).out.trim()).toBe('yes');
      expect((await sh(ctx, 'grep -c "uxsv\\\\040lab" /etc/fstab || true')).out.trim()).toBe('0');
      expect((await runModule(mount, { path, state: 'unmounted' }, ctx)).changed).toBe(true);
      expect((await runModule(mount, { path, state: 'unmounted' }, ctx)).changed).toBe(false);
    } finally {
      await sh(ctx, `umount '${path}' 2>/dev/null; rmdir '${path}' 2>/dev/null; true`);
    }
  });

  // iptables is not in the lab image: its .deb files come from this machine's apt cache when they are there.
  const iptablesDebs = ['iptables', 'libip6tc2', 'libnetfilter-conntrack3', 'libnfnetlink0', 'libnftnl11']
    .map((p) => (existsSync('/var/cache/apt/archives') ? readdirSync('/var/cache/apt/archives') : []).find((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')));
  it.skipIf(iptablesDebs.some((d) => d === undefined))('iptables: installed from .deb files, a rule added, checked and removed', async () => {
    const debs = iptablesDebs as string[];
    const ctx = await labContext('uxsv03');
    try {
      for (const d of debs) await ctx.conn.putFile(readFileSync(`/var/cache/apt/archives/${d}`), `/tmp/${d}`, { mode: '0644' });
      expect((await runModule(apt, { deb: debs.map((d) => `/tmp/${d}`).join(','), install_recommends: false }, ctx)).failed).toBeFalsy();
      const rule = { chain: 'INPUT', protocol: 'tcp', destination_port: '2222', jump: 'ACCEPT', comment: "uxsv lab's rule" };
      expect((await runModule(iptables, rule, await labContext('uxsv03', { check: true }))).changed).toBe(true);
      expect(await runModule(iptables, rule, ctx)).toMatchObject({ changed: true, rule: "-p tcp -j ACCEPT --destination-port 2222 -m comment --comment uxsv lab's rule" });
      expect((await runModule(iptables, rule, ctx)).changed).toBe(false);
      expect((await sh(ctx, 'iptables -S INPUT')).out).toContain('--dport 2222');
      expect((await runModule(iptables, { ...rule, state: 'absent' }, ctx)).changed).toBe(true);
      expect((await runModule(iptables, { chain: 'INPUT', policy: 'ACCEPT' }, ctx)).changed).toBe(false);
    } finally {
      await sh(ctx, 'iptables -F INPUT 2>/dev/null; apt-get -y -q purge iptables libip6tc2 libnetfilter-conntrack3 libnfnetlink0 libnftnl11 >/dev/null 2>&1; rm -f /tmp/*.deb; true');
    }
  });

  it('reboot: waits for the new boot and reconnects through the connection', async () => {
    const lab = await import('../helpers/lab.js');
    const ctx = await labContext('uxsv03');
    const before = (await sh(ctx, 'cat /proc/sys/kernel/random/boot_id')).out.trim();
    expect(await runModule(rebootModule, {}, await labContext('uxsv03', { check: true }))).toMatchObject({ changed: true, rebooted: true, elapsed: 0 });
    expect((await sh(ctx, 'cat /proc/sys/kernel/random/boot_id')).out.trim()).toBe(before);
    const res = await runModule(rebootModule, { reboot_timeout: 120, test_command: 'systemctl is-system-running --wait >/dev/null; true' }, ctx);
    expect(res).toMatchObject({ changed: true, rebooted: true });
    expect(res.failed).toBeFalsy();
    // The same connection object answers, from the new boot.
    expect((await sh(ctx, 'cat /proc/sys/kernel/random/boot_id')).out.trim()).not.toBe(before);
    await lab.dropLabConnection('uxsv03');
  }, 240_000);
});
