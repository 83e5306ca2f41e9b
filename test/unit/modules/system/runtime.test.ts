import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { waitFor, waitScript } from '../../../../engine/modules/system/wait-for.js';
import { rsyncCommand, synchronize } from '../../../../engine/modules/system/synchronize.js';
import { group, parseUserState, user, userCommands } from '../../../../engine/modules/system/users.js';
import { aliasChanges, parseIpAddrShow, type IpAliasState } from '../../../../engine/modules/system/ip-alias.js';

const dir = mkdtempSync(join(tmpdir(), 'uxsv-runtime-'));
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('wait_for', () => {
  it('sees an open port at once and never reports a change', async () => {
    const res = await runModule(waitFor, { port, timeout: 5 }, localContext());
    expect(res).toMatchObject({ changed: false, state: 'started', port, elapsed: 0 });
  });

  it('times out on a closed port with Ansible\'s message, within the bound', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const started = Date.now();
    const res = await runModule(waitFor, { port: closedPort, timeout: 1, sleep: 0.2 }, localContext());
    expect(res).toMatchObject({ failed: true, msg: `Timeout when waiting for 127.0.0.1:${closedPort}` });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await runModule(waitFor, { port: closedPort, state: 'stopped', timeout: 2 }, localContext())).failed).toBeFalsy();
  });

  it('waits for a path to appear, with search_regex, and to go away', async () => {
    const path = join(dir, 'ready');
    setTimeout(() => writeFileSync(path, 'booting\nstatus: READY 42\n'), 300);
    const res = await runModule(waitFor, { path, search_regex: 'READY [0-9]+', timeout: 5, sleep: 0.1 }, localContext({ check: true }));
    expect(res).toMatchObject({ changed: false, path });
    setTimeout(() => rmSync(path), 200);
    expect((await runModule(waitFor, { path, state: 'absent', timeout: 5, sleep: 0.1 }, localContext())).failed).toBeFalsy();
    expect((await runModule(waitFor, { path, port: 1 }, localContext())).msg).toMatch(/can not both/);
  });

  it('quotes every value in its loop', () => {
    expect(waitScript({ path: "/tmp/it's" })).toContain(`p='/tmp/it'\\''s'`);
  });
});

describe('synchronize', () => {
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
    const check = await runModule(synchronize, args, localContext({ check: true }));
    expect(check.changed).toBe(true);
    expect(check.itemized).toContain('>f+++++++++ a.txt');
    expect(existsSync(join(dest, 'a.txt'))).toBe(false);
    const real = await runModule(synchronize, args, localContext());
    expect(real.changed).toBe(true);
    expect(readFileSync(join(dest, 'sub', 'b.txt'), 'utf8')).toBe('B');
    expect(existsSync(join(dest, 'skip.tmp'))).toBe(false);
    expect((await runModule(synchronize, args, localContext())).changed).toBe(false);
    writeFileSync(join(dest, 'extra'), 'e');
    const del = await runModule(synchronize, args, localContext());
    // Writing `extra` also touched dest's own time, unless it fell in the same
    // clock tick as the sync before: rsync then lists './' too. Not the point here.
    expect((del.itemized as string[]).filter((line) => !line.endsWith(' ./'))).toEqual(['*deleting   extra']);
  });
});

const GROUPS = 'root:x:0:\nadm:x:4:syslog,alice\nstaff:x:50:\nalice:x:1000:\n';

describe('user and group', () => {
  const alice = parseUserState('alice:x:1000:1000:Alice:/home/alice:/bin/bash\n', GROUPS, '$6$old\n', 'yes\n');

  it('maps arguments to useradd/usermod like Ansible', () => {
    const none = parseUserState('', GROUPS, '', '');
    expect(userCommands({ name: 'bob', groups: ['adm'], shell: '/bin/sh', system: true }, none).commands)
      .toEqual(['useradd -G adm -s /bin/sh -m -r bob']);
    expect(userCommands({ name: 'alice' }, none).commands).toEqual(['useradd -N -m alice']);
    expect(userCommands({ name: 'bob', group: 'nogroup' }, none).error).toBe('Group nogroup does not exist');
    expect(userCommands({ name: 'alice', groups: ['adm'], shell: '/bin/bash', comment: 'Alice' }, alice).commands).toEqual([]);
    expect(userCommands({ name: 'alice', groups: ['staff'], append: true }, alice).commands).toEqual(['usermod -a -G staff alice']);
    expect(userCommands({ name: 'alice', groups: ['staff'] }, alice).commands).toEqual(['usermod -G staff alice']);
    expect(userCommands({ name: 'alice', groups: [] }, alice).commands).toEqual(["usermod -G '' alice"]);
    expect(userCommands({ name: 'alice', password: '$6$new', uid: 1001 }, alice).commands).toEqual(["usermod -u 1001 -p '$6$new' alice"]);
    expect(userCommands({ name: 'alice', state: 'absent', remove: true }, alice).commands).toEqual(['userdel -r alice']);
  });

  it('creates and removes a throwaway user and group for real', async () => {
    const name = `uxsvtest${process.pid % 100000}`;
    try {
      expect((await runModule(group, { name, gid: 64999 }, localContext({ check: true }))).changed).toBe(true);
      expect(await runModule(group, { name, gid: 64999, system: true }, localContext())).toMatchObject({ changed: true, gid: 64999 });
      expect((await runModule(group, { name, gid: 64999 }, localContext())).changed).toBe(false);
      const args = { name, group: name, shell: '/bin/sh', create_home: false, home: `/nonexistent/${name}` };
      expect((await runModule(user, args, localContext({ check: true }))).changed).toBe(true);
      expect(await runModule(user, args, localContext())).toMatchObject({ changed: true, group: 64999, shell: '/bin/sh' });
      expect((await runModule(user, args, localContext())).changed).toBe(false);
      expect((await runModule(user, { ...args, shell: '/bin/bash' }, localContext())).changed).toBe(true);
      expect((await runModule(user, { name, state: 'absent' }, localContext())).changed).toBe(true);
      expect((await runModule(user, { name, state: 'absent' }, localContext())).changed).toBe(false);
      // userdel may already have removed the same-named primary group (USERGROUPS_ENAB): either way it ends absent.
      expect((await runModule(group, { name, state: 'absent' }, localContext())).failed).toBeFalsy();
      expect((await localContext().run(`getent group ${name}`)).rc).toBe(2);
      expect((await runModule(group, { name, state: 'absent' }, localContext())).changed).toBe(false);
    } finally {
      await localContext().run(`userdel ${name} 2>/dev/null; groupdel ${name} 2>/dev/null; true`);
    }
  });
});

describe('ip_alias planning', () => {
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
