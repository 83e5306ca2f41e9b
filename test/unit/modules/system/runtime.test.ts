import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { waitFor, waitScript } from '../../../../engine/modules/system/wait-for.js';
import { group, parseUserState, user, userCommands } from '../../../../engine/modules/system/users.js';

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
