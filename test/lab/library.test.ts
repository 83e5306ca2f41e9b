/**
 * This repository's site modules (library/, as the engine loads them: the
 * built .mjs files) against the real lab hosts: uxsv.ip_alias with systemd
 * and a reboot, uxsv.mirror_sync between two hosts. Runs only with
 * UXSV_LAB=1, after `npm run build` and `uxsv lab up`.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSiteModules } from '../../engine/modules/library.js';
import type { Module, ModuleContext } from '../../engine/modules/types.js';
import { runModule } from '../helpers/module-context.js';
import { apt } from '../../engine/modules/system/apt.js';
import { authorizedKey } from '../../engine/modules/system/authorized-key.js';

type LabContext = (host: string, options?: { check?: boolean }) => Promise<ModuleContext>;
type LabExec = (cmd: string) => Promise<{ rc: number; stdout: string; stderr: string }>;

let labContext: LabContext;
let labExec: LabExec;
const site: { ipAlias: Module; mirrorSync: Module } = {} as never;

async function sh(ctx: ModuleContext, command: string): Promise<{ rc: number; out: string }> {
  const res = await ctx.run(command);
  return { rc: res.rc, out: res.stdout.toString() };
}

describe.skipIf(process.env.UXSV_LAB !== '1')('site modules on the lab', () => {
  beforeAll(async () => {
    const lab = await import('../helpers/lab.js');
    labContext = lab.labContext as LabContext;
    labExec = lab.labExec as unknown as LabExec;
    const loaded = await loadSiteModules([resolve(import.meta.dirname, '../../library')]);
    const byName = (name: string) => loaded.find((m) => m.name === name)!.module;
    site.ipAlias = byName('uxsv.ip_alias');
    site.mirrorSync = byName('uxsv.mirror_sync');
  });

  it('uxsv.ip_alias carries 198.51.100.21 (the client can ping it), keeps it across a reboot, removes it, never the primary', async () => {
    let ctx = await labContext('uxsv01');
    const args = { interface: 'host0', addresses: [{ address: '198.51.100.21/24', label: 'host0:21' }], garp: true, persist: true };
    try {
      const check = await runModule(site.ipAlias, args, await labContext('uxsv01', { check: true }));
      expect(check).toMatchObject({ changed: true, added: ['198.51.100.21/24'] });
      expect((await sh(ctx, 'ip -o -4 addr show')).out).not.toContain('198.51.100.21/');
      const added = await runModule(site.ipAlias, args, ctx);
      // The primary is the interface's first address the module did not add: the management address.
      expect(added).toMatchObject({ changed: true, added: ['198.51.100.21/24'], primary: '198.51.100.111/24' });
      expect((await sh(ctx, 'ip -o -4 addr show dev host0')).out).toMatch(/198\.51\.100\.21\/24 .*host0:21/);
      expect((await labExec('ping -c1 -W1 198.51.100.21')).rc).toBe(0);
      expect((await runModule(site.ipAlias, args, ctx)).changed).toBe(false);

      // A reboot forgets the addresses; the persisted set comes back (nobody else carries it).
      const bootId = (await sh(ctx, 'cat /proc/sys/kernel/random/boot_id')).out.trim();
      await ctx.run('systemctl reboot');
      const lab = await import('../helpers/lab.js');
      await lab.dropLabConnection('uxsv01');
      const deadline = Date.now() + 90_000;
      let addrs = '';
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2000));
        const probe = await lab.uxsvCli(['lab', 'ssh', 'uxsv01', '--', 'cat /proc/sys/kernel/random/boot_id; systemctl is-system-running; ip -o -4 addr show dev host0'], 15_000);
        if (probe.rc === 0 && !probe.stdout.includes(bootId) && /^(running|degraded)$/m.test(probe.stdout) && probe.stdout.includes('198.51.100.21/')) {
          addrs = probe.stdout;
          break;
        }
      }
      expect(addrs).toMatch(/198\.51\.100\.21\/24 .*host0:21/);
      expect((await labExec('ping -c1 -W1 198.51.100.21')).rc).toBe(0);

      // A fresh connection after the reboot: asking to remove everything, primary included, removes only the alias.
      ctx = await lab.labContext('uxsv01');
      const removed = await runModule(site.ipAlias, { interface: 'host0', state: 'absent', persist: true, addresses: [{ address: '198.51.100.111/24' }] }, ctx);
      expect(removed).toMatchObject({ changed: true, removed: ['198.51.100.21/24'] });
      const after = (await sh(ctx, 'ip -o -4 addr show')).out;
      expect(after).toContain('198.51.100.111/24');
      expect(after).toContain('198.51.100.11/24');
      expect(after).not.toContain('198.51.100.21/');
      expect((await labExec('ping -c1 -W1 198.51.100.21')).rc).not.toBe(0);
      expect((await runModule(site.ipAlias, { interface: 'host0', state: 'absent', persist: true }, ctx)).changed).toBe(false);
    } finally {
      await sh(ctx, 'ip addr del 198.51.100.21/24 dev host0 2>/dev/null; rm -f /run/uxsv/ip-aliases/host0 /etc/uxsv/ip-aliases/host0; true').catch(() => undefined);
    }
  }, 180_000);

  it('uxsv.mirror_sync pushes uxsv01 → uxsv02 with a host-to-host key, and refuses a host key it does not know', async () => {
    const one = await labContext('uxsv01');
    const two = await labContext('uxsv02');
    const key = '/root/.ssh/uxsv_labtest';
    // rsync is needed at both ends (a fresh lab host has it only in its apt cache).
    for (const ctx of [one, two]) expect((await runModule(apt, { name: 'rsync', install_recommends: false }, ctx)).failed).toBeFalsy();
    try {
      await sh(one, `mkdir -p -m 0700 /root/.ssh; [ -f ${key} ] || ssh-keygen -q -t ed25519 -N '' -C uxsv-labtest -f ${key}`);
      const pub = (await sh(one, `cat ${key}.pub`)).out.trim();
      expect((await runModule(authorizedKey, { user: 'root', key: pub }, two)).failed).toBeFalsy();
      expect((await runModule(authorizedKey, { user: 'root', key: pub }, two)).changed).toBe(false);
      await sh(one, 'rm -rf /srv/labsync && mkdir -p /srv/labsync/sub && echo one > /srv/labsync/a && echo two > /srv/labsync/sub/b');
      await sh(two, 'rm -rf /srv/labsync');
      const args = { src: '/srv/labsync/', dest: '/srv/labsync/', dest_host: 'uxsv02', ssh_key: key, delete: true };
      const check = await runModule(site.mirrorSync, args, await labContext('uxsv01', { check: true }));
      expect(check.changed).toBe(true);
      expect(check.itemized).toEqual(expect.arrayContaining(['<f+++++++++ a', '<f+++++++++ sub/b']));
      expect((await sh(two, 'test -e /srv/labsync/a')).rc).not.toBe(0);
      expect((await runModule(site.mirrorSync, args, one)).changed).toBe(true);
      expect((await sh(two, 'cat /srv/labsync/sub/b')).out).toBe('two\n');
      expect((await runModule(site.mirrorSync, args, one)).changed).toBe(false);
      // copy-back's way: the other end's host key must be in known_hosts; an empty one refuses it.
      await sh(one, ': > /tmp/uxsv-labtest-known-hosts');
      const refused = await runModule(site.mirrorSync, { ...args, known_hosts: '/tmp/uxsv-labtest-known-hosts' }, one);
      expect(refused.failed).toBe(true);
      expect(String(refused.msg)).toMatch(/Host key verification failed/);
    } finally {
      await sh(one, `rm -rf /srv/labsync ${key} ${key}.pub /tmp/uxsv-labtest-known-hosts`);
      await sh(two, 'rm -rf /srv/labsync; sed -i "/uxsv-labtest$/d" /root/.ssh/authorized_keys');
    }
  });
});
