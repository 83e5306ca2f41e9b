/**
 * The site modules of this repository (library/): uxsv.mirror_sync on two
 * local folders, and uxsv.ip_alias's planning. ip-alias-netns.test.ts runs
 * uxsv.ip_alias for real; test/lab/library.test.ts runs both between lab hosts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../helpers/module-context.js';
import { mirrorSync, rsyncCommand } from '../../../library/uxsv.mirror_sync.js';
import { aliasChanges, parseIpAddrShow, type IpAliasState } from '../../../library/uxsv.ip_alias.js';

const dir = mkdtempSync(join(tmpdir(), 'uxsv-library-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('uxsv.mirror_sync', () => {
  it('builds the rsync command: push runs on src_host, pull on dest_host', () => {
    const vars = (h: string) => ({ ansible_host: h === 'uxsv02' ? '198.51.100.12' : '198.51.100.11' });
    const push = rsyncCommand({ src: '/srv/dns/', dest: '/srv/dns/', dest_host: 'uxsv02', ssh_key: '/root/.ssh/m', delete: true, excludes: ['*.jnl'] }, 'uxsv01', vars, true);
    expect(push.runner).toBe('uxsv01');
    expect(push.command).toBe("rsync --dry-run --delay-updates -F --compress --archive --delete-after '--exclude=*.jnl' " +
      "'--out-format=<<CHANGED>>%i %n%L' '--rsh=ssh -S none -o BatchMode=yes -i /root/.ssh/m -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null' " +
      '-- /srv/dns/ root@198.51.100.12:/srv/dns/');
    const pull = rsyncCommand({ src: '/srv/a/', dest: '/srv/a/', src_host: 'uxsv02', mode: 'pull' }, 'uxsv01', vars, false);
    expect(pull.runner).toBe('uxsv01');
    expect(pull.command).toMatch(/-- root@198\.51\.100\.12:\/srv\/a\/ \/srv\/a\/$/);
    // copy-back's way: the remote host key must be in the given known_hosts file.
    const strict = rsyncCommand({ src: '/srv/a/', dest: '/srv/a/', src_host: 'uxsv02', mode: 'pull', known_hosts: '/etc/uxsv/restore_known_hosts' }, 'uxsv01', vars, false);
    expect(strict.command).toContain('-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/etc/uxsv/restore_known_hosts');
    expect(strict.command).not.toContain('StrictHostKeyChecking=no');
  });

  it('copies between two local folders with an exact changed, check mode copies nothing', async () => {
    const src = join(dir, 'src');
    const dest = join(dir, 'dest');
    mkdirSync(join(src, 'sub'), { recursive: true });
    mkdirSync(dest);
    writeFileSync(join(src, 'a.txt'), 'A');
    writeFileSync(join(src, 'sub', 'b.txt'), 'B');
    writeFileSync(join(src, 'skip.tmp'), 'x');
    const args = { src: `${src}/`, dest: `${dest}/`, excludes: ['*.tmp'], delete: true };
    const check = await runModule(mirrorSync, args, localContext({ check: true }));
    expect(check.changed).toBe(true);
    expect(check.itemized).toContain('>f+++++++++ a.txt');
    expect(existsSync(join(dest, 'a.txt'))).toBe(false);
    const real = await runModule(mirrorSync, args, localContext());
    expect(real.changed).toBe(true);
    expect(readFileSync(join(dest, 'sub', 'b.txt'), 'utf8')).toBe('B');
    expect(existsSync(join(dest, 'skip.tmp'))).toBe(false);
    expect((await runModule(mirrorSync, args, localContext())).changed).toBe(false);
    writeFileSync(join(dest, 'extra'), 'e');
    const del = await runModule(mirrorSync, args, localContext());
    // Writing `extra` also touched dest's own time, unless it fell in the same
    // clock tick as the sync before: rsync then lists './' too. Not the point here.
    expect((del.itemized as string[]).filter((line) => !line.endsWith(' ./'))).toEqual(['*deleting   extra']);
  });
});

describe('uxsv.ip_alias planning', () => {
  const SHOW = [
    '2: host0    inet 198.51.100.11/24 brd 198.51.100.255 scope global host0\\       valid_lft forever preferred_lft forever',
    '2: host0    inet 198.51.100.21/24 scope global secondary host0:1\\       valid_lft forever preferred_lft forever',
    '2: host0    inet 192.0.2.9/32 scope global host0\\       valid_lft forever preferred_lft forever',
  ].join('\n') + '\n';
  const base = (extra: Partial<IpAliasState> = {}): IpAliasState => ({
    iface: 'host0', current: parseIpAddrShow(SHOW), runRecord: [], etcRecord: [], etcExists: false,
    systemd: true, unitFile: '', script: '', unitEnabled: false, ...extra,
  });

  it('parses ip -o output with labels', () => {
    expect(parseIpAddrShow(SHOW)).toEqual([
      { address: '198.51.100.11/24', label: 'host0' },
      { address: '198.51.100.21/24', label: 'host0:1' },
      { address: '192.0.2.9/32', label: 'host0' },
    ]);
  });

  it('adds the missing, removes only managed ones, never the primary', () => {
    const state = base({ runRecord: [{ address: '198.51.100.21/24', label: 'host0:1' }] });
    const same = aliasChanges({ addresses: [{ address: '198.51.100.21/24', label: 'host0:1' }] }, state);
    expect([same.primary, same.add, same.remove]).toEqual(['198.51.100.11/24', [], []]);
    const swap = aliasChanges({ addresses: [{ address: '198.51.100.23/24', label: 'host0:3' }] }, state);
    expect(swap.add).toEqual([{ address: '198.51.100.23/24', label: 'host0:3' }]);
    expect(swap.remove.map((r) => r.address)).toEqual(['198.51.100.21/24']);
    // Unmanaged 192.0.2.9 stays; the primary is never removed, even when asked for absent.
    const absent = aliasChanges({ state: 'absent', addresses: [{ address: '198.51.100.11/24' }] }, state);
    expect(absent.remove.map((r) => r.address)).toEqual(['198.51.100.21/24']);
    // Not recorded but carrying one of the set's labels: ours.
    const labelled = aliasChanges({ addresses: [{ address: '198.51.100.22/24', label: 'host0:1' }] }, base());
    expect(labelled.remove.map((r) => r.address)).toEqual(['198.51.100.21/24']);
    expect(aliasChanges({ addresses: [{ address: '198.51.100.300/24' }] }, base()).error).toMatch(/invalid address/);
    expect(aliasChanges({ addresses: [{ address: '198.51.100.30/24', label: 'eth0:1' }] }, base()).error).toMatch(/must start/);
  });
});
