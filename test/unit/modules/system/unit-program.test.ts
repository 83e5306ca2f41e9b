/**
 * The systemd.unit fact's program (engine/facts/unit-batch.ts): its parser on
 * real output of a Debian 12 host under systemd, its shape (the processes it
 * starts), and the init-script path for real on this machine (no systemd).
 *
 * fixtures/units/NAME.sh is the program unitProgram writes for the queries
 * below (the test checks it still does); NAME.out and NAME.err are what it
 * printed on a lab host, captured read-only with
 *   /tmp/labssh 3 'sh -s' < mixed.sh > mixed.out 2> mixed.err   (and shared, sysv)
 *   /tmp/labssh 3 'SYSTEMD_OFFLINE=1 sh -s' < offline.sh > offline.out 2> offline.err
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFact, runFactBatch, type FactOutput } from '../../../../engine/facts/index.js';
import { fileFact } from '../../../../engine/facts/file.js';
import { unitFact, type UnitParams } from '../../../../engine/facts/systemd.js';
import { plainUnitName, splitShowBlocks, unitProgram } from '../../../../engine/facts/unit-batch.js';
import { planSystemd } from '../../../../engine/modules/system/service.js';
import { localContext } from '../../../helpers/module-context.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'units');
const NONCE = 'x0123456789abcdef';
const HOSTILE = "a'b $(touch /tmp/x)";

const MIXED: UnitParams[] = [
  { unit: 'ssh' }, { unit: 'nosuch.service' }, { unit: 'postfix@-.service' }, { unit: 'dbus.service' }, { unit: '-.mount' },
  { unit: 'ss*' }, { unit: HOSTILE }, { unit: 'getty@.service' }, { unit: 'cron', pattern: '/usr/sbin/cron' },
  { unit: 'ssh', scope: 'user' }, { unit: 'dbus', scope: 'user' },
];
const OFFLINE: UnitParams[] = [{ unit: 'ssh' }, { unit: 'dbus' }];
/** Units of the site's kinds: a unit with links, an alias, a disabled one, a timer, a template instance, a static one. */
const SHARED: UnitParams[] = ['named', 'bind9.service', 'apache2', 'uxsv-mirror.timer', 'getty@tty1.service', 'systemd-journald'].map((unit) => ({ unit }));
/** The same and an init script without a unit of its own. */
const SYSV: UnitParams[] = [...SHARED, { unit: 'hwclock.sh' }];

function fixture(name: string): FactOutput {
  return { rc: 0, stdout: readFileSync(join(FIXTURES, `${name}.out`)), stderr: readFileSync(join(FIXTURES, `${name}.err`), 'utf8') };
}

/** The fixture with its stdout changed (a copy: parsed outputs are indexed by their buffer). */
function altered(output: FactOutput, change: (stdout: string) => string): FactOutput {
  return { ...output, stdout: Buffer.from(change(output.stdout.toString('utf8'))) };
}

const parse = (output: FactOutput, params: UnitParams) => unitFact.parse(output, params);

describe('systemd.unit on a systemd host (lab output)', () => {
  it('the fixtures are the output of the program written today', () => {
    expect(`${unitProgram(MIXED, NONCE)}\n`).toBe(readFileSync(join(FIXTURES, 'mixed.sh'), 'utf8'));
    expect(`${unitProgram(OFFLINE, NONCE)}\n`).toBe(readFileSync(join(FIXTURES, 'offline.sh'), 'utf8'));
    expect(`${unitProgram(SHARED, NONCE)}\n`).toBe(readFileSync(join(FIXTURES, 'shared.sh'), 'utf8'));
    expect(`${unitProgram(SYSV, NONCE)}\n`).toBe(readFileSync(join(FIXTURES, 'sysv.sh'), 'utf8'));
  });

  it('gives each unit of a shared systemctl show its own block', () => {
    const out = fixture('mixed');
    const ssh = parse(out, { unit: 'ssh' });
    expect(ssh).toMatchObject({ init: 'systemd', showRc: 0, showIgnored: false, isEnabledRc: 0, initScript: true, sysvEnabled: true, sysvKilled: false, offline: false });
    expect(ssh.status).toMatchObject({ Id: 'ssh.service', LoadState: 'loaded', ActiveState: 'active', UnitFileState: 'enabled' });
    expect(ssh.status.ExecStart).toMatch(/^\{ path=\/usr\/sbin\/sshd ;/);
    expect(ssh.isEnabledOut!.split('\n')[0]).toBe('enabled');
    expect(parse(out, { unit: 'nosuch.service' })).toMatchObject({ status: { Id: 'nosuch.service', LoadState: 'not-found' }, isEnabledOut: '', isEnabledRc: 1, initScript: false });
    expect(parse(out, { unit: 'postfix@-.service' })).toMatchObject({ status: { Id: 'postfix@-.service', LoadState: 'loaded' }, isEnabledOut: 'enabled-runtime' });
    expect(parse(out, { unit: 'dbus.service' })).toMatchObject({ status: { Id: 'dbus.service', ActiveState: 'active' }, isEnabledOut: 'static', initScript: true });
    expect(parse(out, { unit: '-.mount' }).status).toMatchObject({ Id: '-.mount', Where: '/' });
    expect(parse(out, { unit: 'cron', pattern: '/usr/sbin/cron' })).toMatchObject({ status: { Id: 'cron.service' }, patternRunning: true });
    expect(parse(out, { unit: 'cron', pattern: 'uxsv-nothing-runs-this' }).patternRunning).toBe(false);
  });

  it('shows names systemctl would expand, escape or refuse alone, with what systemctl said', () => {
    const out = fixture('mixed');
    // A glob's expansion would have come after the others' blocks.
    expect(parse(out, { unit: 'ss*' }).status.Id).toBe('ssh.service');
    const hostile = parse(out, { unit: HOSTILE });
    expect(hostile.status).toMatchObject({ Id: 'a\\x27b\\x20\\x24\\x28touch\\x20-tmp-x\\x29.service', LoadState: 'not-found' });
    expect(hostile.isEnabledRc).toBe(1);
    // Refused: no properties, its own exit code; is-enabled still answers for the template.
    const template = parse(out, { unit: 'getty@.service' });
    expect(template).toMatchObject({ status: {}, showRc: 1, showIgnored: false, isEnabledRc: 0 });
    expect(template.isEnabledOut).toBe('enabled\n  /etc/systemd/system/getty.target.wants/getty@tty1.service');
  });

  it('shows the names of a shared show one by one when it fails (no user bus here)', () => {
    const out = fixture('mixed');
    expect(parse(out, { unit: 'ssh', scope: 'user' })).toMatchObject({ status: {}, showRc: 1, showIgnored: false, isEnabledOut: '', isEnabledRc: 1 });
    expect(parse(out, { unit: 'dbus', scope: 'user' })).toMatchObject({ status: {}, showRc: 1 });
    // The system scope's answers are not the user scope's.
    expect(parse(out, { unit: 'ssh', scope: 'system' }).status.Id).toBe('ssh.service');
  });

  it('says when systemctl ignored the request (offline, chroot), as Ansible reads it', () => {
    const out = fixture('offline');
    const ssh = parse(out, { unit: 'ssh' });
    expect(ssh).toMatchObject({ init: 'systemd', status: {}, showIgnored: true, offline: true, isEnabledRc: 0 });
    expect(ssh.isEnabledOut!.split('\n')[0]).toBe('enabled');
    expect(parse(out, { unit: 'dbus' })).toMatchObject({ showIgnored: true, isEnabledOut: 'static' });
    // The plan then trusts is-enabled and only warns.
    const plan = planSystemd(localContext(), { name: 'ssh', state: 'started' }, ssh, true);
    expect(plan).toMatchObject({ changed: false, result: { warnings: [expect.stringMatching(/chroot or systemd is offline/)] } });
  });

  it('plans from these states as from the reads of one unit each', () => {
    const out = fixture('mixed');
    const ctx = localContext();
    expect(planSystemd(ctx, { name: 'ssh', state: 'started', enabled: true }, parse(out, { unit: 'ssh' }), true).changed).toBe(false);
    expect(planSystemd(ctx, { name: 'nosuch.service', state: 'started' }, parse(out, { unit: 'nosuch.service' }), true).msg).toBe('Could not find the requested service nosuch.service: host');
    expect(planSystemd(ctx, { name: 'postfix@-.service', state: 'stopped' }, parse(out, { unit: 'postfix@-.service' }), true).changed).toBe(false);
    expect(planSystemd(ctx, { name: 'ss*', state: 'started' }, parse(out, { unit: 'ss*' }), true).msg).toMatch(/does not currently support using glob patterns/);
  });

  it('refuses a shared show whose blocks are not one per unit, naming the units', () => {
    // The empty line between ssh's and nosuch's blocks gone: five answers for six units.
    const merged = altered(fixture('mixed'), (s) => s.replace('CollectMode=inactive\n\nExitType=main', 'CollectMode=inactive\nExitType=main'));
    expect(() => parse(merged, { unit: 'dbus.service' })).toThrow(/cannot read units "ssh", "nosuch.service", "postfix@-.service", "dbus.service", "-.mount", "cron": systemctl show gave 5 answers for 6 units/);
    // Units shown alone are not concerned.
    expect(parse(merged, { unit: 'ss*' }).status.Id).toBe('ssh.service');
  });

  it('gives each unit its own answer from a shared is-enabled, as if asked alone', () => {
    // sysv.out asked the same units (and an init script without a unit of its own) at the same time: each alone.
    const shared = fixture('shared');
    const alone = fixture('sysv');
    for (const unit of ['named', 'bind9.service', 'apache2', 'uxsv-mirror.timer', 'getty@tty1.service', 'systemd-journald']) {
      const fromShared = parse(shared, { unit });
      const fromAlone = parse(alone, { unit });
      expect({ unit, out: fromShared.isEnabledOut, rc: fromShared.isEnabledRc }).toEqual({ unit, out: fromAlone.isEnabledOut, rc: fromAlone.isEnabledRc });
    }
    expect(parse(shared, { unit: 'bind9.service' })).toMatchObject({ isEnabledRc: 0, isEnabledOut: expect.stringMatching(/^alias\n {2}\/etc\/systemd\/system\//) });
    expect(parse(shared, { unit: 'apache2' })).toMatchObject({ isEnabledRc: 1, isEnabledOut: 'disabled' });
    expect(parse(shared, { unit: 'systemd-journald' })).toMatchObject({ isEnabledRc: 0, isEnabledOut: 'static' });
    // The init script was answered first, through systemd-sysv-install (said on standard error): every unit was asked alone.
    expect(parse(alone, { unit: 'hwclock.sh' })).toMatchObject({ isEnabledRc: 0, isEnabledOut: 'enabled', initScript: true });
    expect(parse(alone, { unit: 'named' }).isEnabledOut!.split('\n')).toHaveLength(3);
  });

  it('refuses a shared is-enabled whose answers are not one per unit, naming the units', () => {
    const short = altered(fixture('shared'), (s) => s.replace(`\nstatic\n\0${NONCE} `, `\n\0${NONCE} `));
    expect(() => parse(short, { unit: 'named' })).toThrow(/cannot read units "named", "bind9.service", "apache2", "uxsv-mirror.timer", "getty@tty1.service", "systemd-journald": systemctl is-enabled gave 5 answers for 6 units/);
  });

  it('refuses output that was cut off or is not the program\'s', () => {
    const cut = altered(fixture('mixed'), (s) => s.slice(0, s.indexOf(`\0${NONCE} enabled`)));
    expect(() => parse(cut, { unit: 'ssh' })).toThrow(/cannot read unit "ssh": the output was cut off/);
    const broken: FactOutput = { rc: 2, stdout: Buffer.from(''), stderr: 'sh: 1: Syntax error: end of file unexpected\n' };
    expect(() => parse(broken, { unit: 'ssh' })).toThrow('cannot read unit "ssh": sh: 1: Syntax error: end of file unexpected');
  });

  it('takes nothing an init script prints for a record: records carry the nonce of their command', () => {
    const hex = (text: string) => Buffer.from(text).toString('hex');
    const record = (text: string) => `\0${NONCE} ${text}\0`;
    const forged = `\0xfedcba9876543210 script ${hex('other')}\0\0uxsv-units xfedcba9876543210\0\0${NONCE.slice(0, 8)} end\0`;
    const stdout = `\0uxsv-units ${NONCE}\0${record('init sysv')}${record(`status ${hex('evil')}`)}evil is running\n${forged}${record('rc 0')}` +
      `${record(`script ${hex('evil')}`)}${record('end')}`;
    const output: FactOutput = { rc: 0, stdout: Buffer.from(stdout), stderr: '' };
    expect(parse(output, { unit: 'evil' })).toMatchObject({ initScript: true, sysvStatus: { rc: 0, out: `evil is running\n${forged}` } });
    expect(parse(output, { unit: 'other' })).toMatchObject({ initScript: false });
    expect(parse(output, { unit: 'other' }).sysvStatus).toBeUndefined();
  });

  it('splits blocks as systemctl separates them, not inside a value spanning lines', () => {
    expect(splitShowBlocks('Id=a\nX=1\n\nId=b\n')).toEqual(['Id=a\nX=1', 'Id=b']);
    expect(splitShowBlocks('ExecStart={ path=/x ;\n\n  status=0 }\nId=a\n\nId=b')).toEqual(['ExecStart={ path=/x ;\n\n  status=0 }\nId=a', 'Id=b']);
    expect(splitShowBlocks('')).toEqual([]);
  });
});

describe('what the program starts', () => {
  const SITE = ['ssh', 'cron', 'named', 'postfix.service', 'dovecot.socket', 'isc-dhcp-server', 'uxsv-mirror.timer', 'postfix@-.service', 'getty@tty1'];

  it('one systemctl show and one is-enabled for every plain name of a scope, one command substitution', () => {
    const program = unitProgram(SITE.map((unit) => ({ unit })), NONCE);
    const shows = program.match(/systemctl show -- [^;]*/g)!;
    // The shared show, then (only if it fails) one per name.
    expect(shows[0]).toBe(`systemctl show -- ${SITE.join(' ')}`);
    expect(shows.slice(1)).toEqual(SITE.map((u) => `systemctl show -- ${u}`));
    expect(program).toMatch(new RegExp(`if LC_ALL=C systemctl show -- ${SITE.join(' ').replace(/\./g, '\\.')}; then [^\\n]*; else `));
    // One is-enabled for all; one per unit only when it wrote on standard error.
    expect(program).toContain(`{ set -- "$(LC_ALL=C systemctl is-enabled -l -- ${SITE.join(' ')} 2>&1 >&3 3>&-)"; } 3>&1\n  if [ -n "$1" ]; then\n`);
    expect(program.match(/systemctl is-enabled -l -- /g)).toHaveLength(SITE.length + 1);
    // That command substitution aside, no subshell, pipe or exported locale: the shell runs it inline.
    expect(program.replace('"$(LC_ALL=C systemctl is-enabled', '"LC_ALL=C systemctl is-enabled')).not.toMatch(/\$\(|`|(^|[\s;])\(|[^|]\|[^|]/m);
    expect(program).not.toContain('export');
    expect(unitFact.inline).toBe(true);
    expect(program).not.toContain('ps auxww');
    expect(program).not.toContain('stat ');
    expect(unitProgram([{ unit: 'cron', pattern: 'cron -f' }, { unit: 'ssh', pattern: 'sshd' }]).match(/ps auxww/g)).toHaveLength(1);
  });

  it('shows a name alone when systemctl could expand, escape or refuse it', () => {
    for (const name of ['ss*', 'a b', 'x?', '[ab]', 'getty@.service', 'x@y.mount', 'x@y.slice', '@x.service', 'a@b@c', '/etc/passwd', 'über', '', 'x'.repeat(201), "it's", 'new\nline']) {
      expect(plainUnitName(name), JSON.stringify(name)).toBe(false);
    }
    for (const name of ['ssh', 'postfix@-.service', 'getty@tty1', 'openvpn@server', 'a\\x2db.mount', '-.mount', 'x.y.z', 'foo@bar.socket']) {
      expect(plainUnitName(name), name).toBe(true);
    }
    const program = unitProgram([{ unit: 'ssh' }, { unit: 'ss*' }, { unit: 'cron' }], NONCE);
    expect(program).toContain("systemctl show -- ssh cron;");
    expect(program).toContain("systemctl show -- 'ss*';");
  });

  it('merges the queries of several tasks into one program, one show per scope', () => {
    const merged = unitFact.merge!([{ unit: 'ssh' }, { unit: 'cron', scope: 'user' }, { unit: 'ssh' }, { unit: 'dbus', scope: 'system' }, {}]);
    const program = unitFact.command(merged);
    expect(program).toContain('LC_ALL=C systemctl show -- ssh dbus;');
    expect(program).toContain('LC_ALL=C systemctl --user show -- cron;');
    // ssh and dbus share one (and each has one of its own, if it writes on standard error); cron is alone in its scope.
    expect(program.match(/is-enabled/g)).toHaveLength(4);
    expect(program).toContain('systemctl is-enabled -l -- ssh dbus 2>&1');
  });
});

describe('systemd.unit on this machine (no systemd: init scripts)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'uxsv-units-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const marker = join(scratch, 'ran');
  const HOSTILE_NAMES = [`x'; touch ${marker}; '`, `$(touch ${marker})`, `\`touch ${marker}\``, 'two words', 'new\nline', '-dash', '--status-all', '*', 'rc?.d'];

  /** An init script of this machine and its links, as the fact should see them. */
  const scripts = existsSync('/etc/init.d') ? readdirSync('/etc/init.d').filter((n) => lstatSync(join('/etc/init.d', n)).isFile() && !n.startsWith('.')) : [];
  const links = (kind: string, name: string) => readdirSync('/etc').filter((d) => /^rc.\.d$/.test(d))
    .some((d) => readdirSync(join('/etc', d)).some((l) => l.length === name.length + 3 && l.startsWith(kind) && l.endsWith(name)));

  it('answers every task of a batch from one command, each by its own name, and runs nothing it names', async () => {
    const ctx = localContext();
    const commands: string[] = [];
    const queries: UnitParams[] = [...HOSTILE_NAMES.map((unit) => ({ unit })), ...scripts.slice(0, 3).map((unit) => ({ unit: `${unit}.service` })), {}];
    const requests = [[fileFact, [{ path: '/etc/hostname' }]], ...queries.map((q) => [unitFact, q])] as const;
    const { outputs } = await runFactBatch(async (script, inline) => {
      commands.push(script);
      return ctx.run(script, inline ? { inline: true } : {});
    }, requests as never);
    expect(commands).toHaveLength(1);
    queries.forEach((q, i) => {
      const state = unitFact.parse(outputs[i + 1]!, q);
      expect(state.init).toBe('sysv');
      if (q.unit === undefined) {
        expect(state).toEqual({ init: 'sysv', status: {}, initScript: false, sysvEnabled: false, sysvKilled: false });
        return;
      }
      const name = q.unit.replace(/\.service$/, '');
      const known = scripts.includes(name);
      expect(state, q.unit).toMatchObject({ initScript: known, sysvEnabled: known && links('S', name), sysvKilled: known && links('K', name), offline: false });
      if (known) expect(state.sysvStatus?.rc, q.unit).toEqual(expect.any(Number));
      else expect(state.sysvStatus).toBeUndefined();
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('tells a running pattern from one that is not, with one ps for all', async () => {
    const tag = `uxsv-pattern-${process.pid}-${Date.now()}`;
    // A process whose command line holds the pattern (sh's $0; `; true` keeps sh from becoming sleep).
    const child = spawn('sh', ['-c', 'sleep 30; true', tag], { stdio: 'ignore', detached: true });
    try {
      await once(child, 'spawn');
      const ctx = localContext();
      const queries: UnitParams[] = [{ unit: 'uxsv-a', pattern: tag }, { unit: 'uxsv-b', pattern: `${tag}-absent` }];
      const { outputs } = await runFactBatch((script, inline) => ctx.run(script, inline ? { inline: true } : {}), queries.map((q) => [unitFact, q] as const));
      expect(unitFact.parse(outputs[0]!, queries[0]!).patternRunning).toBe(true);
      expect(unitFact.parse(outputs[1]!, queries[1]!).patternRunning).toBe(false);
    } finally {
      process.kill(-child.pid!);
    }
  });

  it('tells a chroot or SYSTEMD_OFFLINE=1 with shell builtins', async () => {
    const ctx = localContext();
    const read = async (env: Record<string, string>) => {
      const res = await ctx.run(unitFact.command({ unit: 'cron' }), { env });
      return unitFact.parse({ rc: res.rc, stdout: res.stdout, stderr: res.stderr.toString() }, { unit: 'cron' }).offline;
    };
    expect(await read({})).toBe(false);
    expect(await read({ SYSTEMD_OFFLINE: '1' })).toBe(true);
    expect(await read({ debian_chroot: 'image' })).toBe(true);
  });

  it('reads one unit by itself too', async () => {
    const state = await readFact(localContext(), unitFact, { unit: '-x' });
    expect(state).toMatchObject({ init: 'sysv', status: {}, initScript: false, sysvEnabled: false, offline: false });
  });
});
