/**
 * user, group and getent: the commands planned from fixtures, and real
 * accounts on this machine with throwaway, awkward names (dots, dashes,
 * underscores, digits: what useradd accepts), always removed afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { parseGroupLines, parsePasswdLine, parseShadowLine, type AccountState } from '../../../../engine/facts/accounts.js';
import { user, userSteps } from '../../../../engine/modules/system/user.js';
import { group, groupCommand } from '../../../../engine/modules/system/group.js';
import { getent, getentFacts } from '../../../../engine/modules/system/inventory-facts.js';

const GROUPS = 'root:x:0:\nadm:x:4:syslog,alice\nstaff:x:50:\nalice:x:1000:\n';

function account(over: Partial<AccountState> = {}): AccountState {
  return {
    user: parsePasswdLine('alice:x:1000:1000:Alice:/home/alice:/bin/bash'),
    groups: parseGroupLines(GROUPS),
    shadow: parseShadowLine('alice:$6$old:19000:0:99999:7:::'),
    homeExists: true,
    ...over,
  };
}

const none: AccountState = { groups: parseGroupLines(GROUPS), homeExists: false };
const cmds = (args: Parameters<typeof userSteps>[0], state: AccountState) => userSteps(args, state).commands.map((c) => c.command);

describe('user planning', () => {
  it('maps arguments to useradd like Ansible', () => {
    expect(cmds({ name: 'bob', groups: ['adm'], shell: '/bin/sh', system: true }, none)).toEqual(['useradd -G adm -s /bin/sh -m -r -- bob']);
    expect(cmds({ name: 'alice' }, none)).toEqual(['useradd -N -m -- alice']);
    expect(cmds({ name: 'bob', uid: 2000, non_unique: true, expires: 1700000000, password: '$6$x', password_lock: true, create_home: false }, none))
      .toEqual(["useradd -u 2000 -o -e 2023-11-14 -p '!$6$x' -M -- bob"]);
    expect(cmds({ name: 'bob', home: '/srv/h b/bob' }, none)).toEqual(["mkdir -p -- \"$(dirname -- '/srv/h b/bob')\" && useradd -d '/srv/h b/bob' -m -- bob"]);
    expect(userSteps({ name: 'bob', group: 'nogroup' }, none).error).toBe('Group nogroup does not exist');
    expect(userSteps({ name: 'bob', groups: ['adm', 'nope'] }, none).error).toBe('Group nope does not exist');
  });

  it('maps arguments to usermod like Ansible, and nothing when all matches', () => {
    expect(cmds({ name: 'alice', groups: ['adm'], shell: '/bin/bash', comment: 'Alice' }, account())).toEqual([]);
    expect(cmds({ name: 'alice', groups: ['staff'], append: true }, account())).toEqual(['usermod -a -G staff -- alice']);
    expect(cmds({ name: 'alice', groups: ['adm'], append: true }, account())).toEqual([]);
    expect(cmds({ name: 'alice', groups: ['staff'] }, account())).toEqual(['usermod -G staff -- alice']);
    expect(cmds({ name: 'alice', groups: [] }, account())).toEqual(["usermod -G '' -- alice"]);
    expect(cmds({ name: 'alice', group: 'staff', uid: 1001 }, account())).toEqual(['usermod -u 1001 -g 50 -- alice']);
    expect(cmds({ name: 'alice', password: '$6$new' }, account())).toEqual(["usermod -p '$6$new' -- alice"]);
    expect(cmds({ name: 'alice', password: '$6$new', update_password: 'on_create' }, account())).toEqual([]);
    expect(cmds({ name: 'alice', password_lock: true }, account())).toEqual(['usermod -L -- alice']);
    expect(cmds({ name: 'alice', password_lock: false }, account({ shadow: parseShadowLine('alice:!$6$old:1:0:99999:7:::') }))).toEqual(['usermod -U -- alice']);
    expect(cmds({ name: 'alice', home: '/srv/alice', move_home: true }, account())).toEqual(['usermod -d /srv/alice -m -- alice']);
    expect(cmds({ name: 'alice', expires: -1 }, account({ shadow: parseShadowLine('alice:x:1:0:99999:7::19000:') }))).toEqual(["usermod -e '' -- alice"]);
    expect(cmds({ name: 'alice', state: 'absent', remove: true, force: true }, account())).toEqual(['userdel -f -r -- alice']);
  });

  it('makes a missing home from the skeleton for an existing user', () => {
    const steps = cmds({ name: 'alice' }, account({ homeExists: false }));
    expect(steps).toHaveLength(1);
    expect(steps[0]).toContain("cp -a -- /etc/skel /home/alice");
    expect(steps[0]).toContain("chown -R 1000:1000 -- /home/alice");
  });

  it('warns about passwords that are not hashes, as Ansible does', () => {
    expect(userSteps({ name: 'alice', password: 'secret' }, account()).warnings[0]).toMatch(/appears not to have been hashed/);
    expect(userSteps({ name: 'alice', password: '$6$salt$' + 'a'.repeat(86) }, account()).warnings).toEqual([]);
  });
});

describe('group planning', () => {
  it('maps to groupadd/groupmod/groupdel', () => {
    expect(groupCommand({ name: 'g', gid: 1500, system: true }, {})).toBe('groupadd -g 1500 -r -- g');
    expect(groupCommand({ name: 'g', gid: '1501', non_unique: true }, { group: { name: 'g', gid: 1500, members: [] } })).toBe('groupmod -g 1501 -o -- g');
    expect(groupCommand({ name: 'g', gid: 1500 }, { group: { name: 'g', gid: 1500, members: [] } })).toBeUndefined();
    expect(groupCommand({ name: '-g', state: 'absent' }, { group: { name: '-g', gid: 1, members: [] } })).toBe('groupdel -- -g');
  });
});

describe('getent', () => {
  it('builds Ansible\'s facts, lists for repeated keys', () => {
    expect(getentFacts('passwd', 'root:x:0:0:root:/root:/bin/bash\n', undefined)).toEqual({ root: ['x', '0', '0', 'root', '/root', '/bin/bash'] });
    expect(getentFacts('hosts', '127.0.0.1 localhost\n127.0.0.1 localhost2\n::1 localhost ip6-localhost\n', undefined)).toEqual({
      '127.0.0.1': [['localhost'], ['localhost2']], '::1': ['localhost', 'ip6-localhost'] });
  });

  it('reads this machine', async () => {
    expect(await runModule(getent, { database: 'passwd', key: 'root' }, localContext())).toMatchObject({ changed: false, ansible_facts: { getent_passwd: { root: ['x', '0', '0', 'root', '/root', '/bin/bash'] } } });
    expect(await runModule(getent, { database: 'passwd', key: 'uxsv-nobody-here' }, localContext())).toMatchObject({ failed: true, msg: 'One or more supplied key could not be found in the database.' });
    expect(await runModule(getent, { database: 'passwd', key: 'uxsv-nobody-here', fail_key: false }, localContext())).toMatchObject({ ansible_facts: { getent_passwd: { 'uxsv-nobody-here': null } } });
    expect((await runModule(getent, { database: "no'such$(db)" }, localContext())).msg).toBe('Missing arguments, or database unknown.');
  });
});

describe('real accounts on this machine', () => {
  const suffix = String(process.pid % 100000);
  const name = `uxsv.t-${suffix}_u`;
  const gname = `uxsv.g-${suffix}_g`;
  afterAll(async () => {
    await localContext().run(`userdel -r -- '${name}' 2>/dev/null; groupdel -- '${gname}' 2>/dev/null; groupdel -- '${name}' 2>/dev/null; true`);
  });

  it('creates, changes and removes a group and a user; check mode touches nothing', async () => {
    expect((await runModule(group, { name: gname, gid: 64998 }, localContext({ check: true }))).changed).toBe(true);
    expect((await localContext().run(`getent group -- '${gname}'`)).rc).toBe(2);
    expect(await runModule(group, { name: gname, gid: 64998, system: true }, localContext())).toMatchObject({ changed: true, gid: 64998, system: true });
    expect((await runModule(group, { name: gname, gid: 64998 }, localContext())).changed).toBe(false);

    const args = { name, groups: [gname], shell: '/bin/sh', comment: "It's $(a) test", home: `/tmp/${name}-home` };
    expect((await runModule(user, args, localContext({ check: true }))).changed).toBe(true);
    expect((await localContext().run(`getent passwd -- '${name}'`)).rc).toBe(2);
    const created = await runModule(user, args, localContext());
    expect(created).toMatchObject({ changed: true, shell: '/bin/sh', comment: "It's $(a) test", home: `/tmp/${name}-home`, groups: gname, create_home: true });
    expect((await localContext().run(`id -nG -- '${name}'`)).stdout.toString()).toContain(gname);
    expect((await localContext().run(`test -d '/tmp/${name}-home'`)).rc).toBe(0);
    expect((await runModule(user, args, localContext())).changed).toBe(false);

    // chage and the expiry date: a change, then none.
    const aging = { name, password_expire_max: 90, password_expire_min: 1, expires: 4102444800 };
    expect((await runModule(user, aging, localContext())).changed).toBe(true);
    expect((await runModule(user, aging, localContext())).changed).toBe(false);
    expect((await localContext().run(`getent shadow -- '${name}' | cut -d: -f4,5,8`)).stdout.toString().trim()).toBe('1:90:47482');

    // A missing home comes back from the skeleton.
    await localContext().run(`rm -rf -- '/tmp/${name}-home'`);
    expect((await runModule(user, { name }, localContext())).changed).toBe(true);
    expect((await localContext().run(`test -d '/tmp/${name}-home'`)).rc).toBe(0);

    expect((await runModule(user, { name, state: 'absent', remove: true }, localContext())).changed).toBe(true);
    expect((await runModule(user, { name, state: 'absent' }, localContext())).changed).toBe(false);
    expect((await runModule(group, { name: gname, state: 'absent' }, localContext())).changed).toBe(true);
    expect((await localContext().run(`getent group -- '${gname}'`)).rc).toBe(2);
  });
});
