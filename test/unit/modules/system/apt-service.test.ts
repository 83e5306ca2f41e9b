import { describe, expect, it } from 'vitest';
import { localContext } from '../../../helpers/module-context.js';
import {
  apt, cacheNeedsUpdate, installCommand, packageChanges, parseAptPolicy, parseDpkgQuery, parsePackageSpecs,
  planApt, readCommands, removeCommand, versionMatches, type AptState,
} from '../../../../engine/modules/system/apt.js';
import { enabledFromIsEnabled, parseSystemctlShow, planSystemd, planSysv, stateAction, type UnitState } from '../../../../engine/modules/system/service.js';
import { parseSections, sectionScript } from '../../../../engine/modules/system/util.js';
import { buildRegistry } from '../../../../engine/modules/registry.js';
import { runText } from '../../../../engine/modules/system/util.js';

const DPKG = [
  'rsync\tinstall ok installed\t3.2.7-1',
  'bind9\tdeinstall ok config-files\t1:9.18.19-1~deb12u1',
  'curl\tunknown ok not-installed\t',
].join('\n') + '\n';

const POLICY = `rsync:
  Installed: 3.2.7-1
  Candidate: 3.2.7-1+deb12u1
  Version table:
     3.2.7-1+deb12u1 500
curl:
  Installed: (none)
  Candidate: 7.88.1-10
`;

function aptState(extra: Partial<AptState> = {}): AptState {
  return { packages: parseDpkgQuery(DPKG), policy: parseAptPolicy(POLICY), autoremovable: [], ...extra };
}

describe('apt', () => {
  it('parses dpkg-query and apt-cache policy', () => {
    const pkgs = parseDpkgQuery(DPKG);
    expect(pkgs.get('rsync')).toEqual({ name: 'rsync', want: 'install', status: 'installed', version: '3.2.7-1' });
    expect(pkgs.get('bind9')?.status).toBe('config-files');
    expect(parseAptPolicy(POLICY).get('curl')).toEqual({ installed: undefined, candidate: '7.88.1-10' });
  });

  it('splits names and pins', () => {
    expect(parsePackageSpecs('rsync, curl=7.88*')).toEqual([{ name: 'rsync', word: 'rsync' }, { name: 'curl', version: '7.88*', word: 'curl=7.88*' }]);
    expect(versionMatches('7.88.1-10', '7.88*')).toBe(true);
    expect(versionMatches('7.88.1-10', '7.89*')).toBe(false);
  });

  it('installs only what is missing, in one command', () => {
    expect(packageChanges({ name: ['rsync', 'curl', 'bind9'] }, aptState()).install).toEqual(['curl', 'bind9']);
    expect(packageChanges({ name: 'rsync=3.2.7-1' }, aptState()).install).toEqual([]);
    expect(packageChanges({ name: 'rsync=3.2.8' }, aptState()).install).toEqual(['rsync=3.2.8']);
    expect(installCommand(['curl', 'bind9'], false, false)).toBe(
      "apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends install -- curl bind9");
  });

  it('latest upgrades when the candidate differs, absent removes installed (and config files with purge)', () => {
    expect(packageChanges({ name: ['rsync', 'curl'], state: 'latest' }, aptState()).install).toEqual(['rsync', 'curl']);
    expect(packageChanges({ name: 'rsync=1', state: 'latest' }, aptState()).error).toMatch(/inconsistent/);
    expect(packageChanges({ name: ['rsync', 'bind9', 'curl'], state: 'absent' }, aptState()).remove).toEqual(['rsync']);
    expect(packageChanges({ name: ['rsync', 'bind9'], state: 'absent', purge: true }, aptState()).remove).toEqual(['rsync', 'bind9']);
    expect(removeCommand(['bind9'], true, true)).toContain('--purge --auto-remove remove -- bind9');
  });

  it('reads with one dpkg-query for all names', () => {
    const sections = readCommands(['rsync', 'curl'], true, true, false);
    expect(sections.dpkg).toBe("dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n' -- rsync curl 2>/dev/null");
    expect(Object.keys(sections)).toEqual(['dpkg', 'policy', 'cache']);
  });

  it('honours cache_valid_time and reports a lone cache update as the change', () => {
    const fresh = aptState({ cacheAge: 100, cacheTime: 1 });
    expect(cacheNeedsUpdate({ update_cache: true, cache_valid_time: 3600 }, fresh)).toBe(false);
    expect(cacheNeedsUpdate({ update_cache: true, cache_valid_time: 60 }, fresh)).toBe(true);
    const ctx = localContext({ check: true });
    expect(planApt(ctx, { update_cache: true }, fresh).changed).toBe(true);
    expect(planApt(ctx, { update_cache: true, cache_valid_time: 3600 }, fresh).changed).toBe(false);
    // With packages, only package changes count.
    expect(planApt(ctx, { name: 'rsync', update_cache: true }, fresh).changed).toBe(false);
    expect(planApt(ctx, { name: 'curl' }, fresh).changed).toBe(true);
  });

  it('reads this machine\'s dpkg state for real', async () => {
    const ctx = localContext({ check: true });
    const state = await apt.read(ctx, { name: ['dpkg', 'uxsv-no-such-package'] });
    expect(state.packages.get('dpkg')?.status).toBe('installed');
    const plan = await apt.plan(ctx, { name: 'dpkg' }, state);
    expect(plan.changed).toBe(false);
  });
});

const SHOW = 'Id=ssh.service\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nNeedDaemonReload=no\nExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D }\n';

function unit(status: string, enabled: string, rc: number): UnitState {
  return { init: 'systemd', status: parseSystemctlShow(status), isEnabledOut: enabled, isEnabledRc: rc };
}

describe('systemd and service', () => {
  it('parses systemctl show', () => {
    const s = parseSystemctlShow(SHOW);
    expect(s.ActiveState).toBe('inactive');
    expect(s.ExecStart).toBe('{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D }');
  });

  it('maps states to actions like Ansible', () => {
    const active = { ActiveState: 'active' };
    const inactive = { ActiveState: 'inactive' };
    expect(stateAction('started', active)).toBeUndefined();
    expect(stateAction('started', inactive)).toBe('start');
    expect(stateAction('stopped', { ActiveState: 'deactivating' })).toBe('stop');
    expect(stateAction('restarted', inactive)).toBe('start');
    expect(stateAction('reloaded', active)).toBe('reload');
    expect(enabledFromIsEnabled('static\n', 0)).toBe(true);
    expect(enabledFromIsEnabled('indirect\n', 0)).toBe(false);
    expect(enabledFromIsEnabled('disabled\n', 1)).toBe(false);
  });

  it('plans start + enable, and nothing on a second run', () => {
    const ctx = localContext({ check: true });
    const first = planSystemd(ctx, { name: 'ssh', state: 'started', enabled: true }, unit(SHOW, 'disabled', 1), true);
    expect(first).toMatchObject({ changed: true, result: { state: 'started', enabled: true } });
    const running = SHOW.replace('ActiveState=inactive', 'ActiveState=active');
    const second = planSystemd(ctx, { name: 'ssh', state: 'started', enabled: true }, unit(running, 'enabled', 0), true);
    expect(second.changed).toBe(false);
    expect(planSystemd(ctx, { name: 'ssh', masked: true }, unit(running, 'enabled', 0), true).changed).toBe(true);
    expect(planSystemd(ctx, { name: 'ssh', state: 'restarted' }, unit(running, 'enabled', 0), true).changed).toBe(true);
  });

  it('runs the steps in order, daemon-reload first when the unit file changed', async () => {
    const commands: string[] = [];
    const ctx = { ...localContext(), run: async (c: string) => { commands.push(c); return { rc: 0, stdout: Buffer.from(''), stderr: Buffer.from('') }; } };
    const status = SHOW.replace('NeedDaemonReload=no', 'NeedDaemonReload=yes');
    const plan = planSystemd(ctx, { name: 'ssh', state: 'started', enabled: true, masked: false }, unit(status, 'masked', 1), true);
    await plan.apply!();
    expect(commands).toEqual(['systemctl daemon-reload', 'systemctl unmask -- ssh', 'systemctl enable -- ssh', 'systemctl start -- ssh']);
  });

  it('fails on a unit that does not exist', () => {
    const plan = planSystemd(localContext(), { name: 'nope', state: 'started' }, unit('LoadState=not-found\nActiveState=inactive\n', '', 1), true);
    expect(plan).toMatchObject({ failed: true, msg: 'Could not find the requested service nope: host' });
  });

  it('falls back to init scripts without systemd', async () => {
    const ctx = localContext({ check: true });
    const sysv: UnitState = { init: 'sysv', status: { ActiveState: 'inactive' }, initScript: true, sysvEnabled: false };
    expect(planSysv(ctx, { name: 'cron', state: 'started', enabled: true }, sysv)).toMatchObject({ changed: true, result: { state: 'started', enabled: true } });
    // This machine has no systemd: the real read says so.
    const { service } = await import('../../../../engine/modules/system/service.js');
    const state = await service.read(localContext(), { name: 'uxsv-no-such-service' });
    expect(state.init).toBe('sysv');
    expect((await service.plan(ctx, { name: 'uxsv-no-such-service', state: 'started' }, state)).failed).toBe(true);
  });
});

describe('sections and registry', () => {
  it('keeps each section byte for byte, with its rc', async () => {
    const script = sectionScript({ a: 'printf "x\\ny"', b: 'echo hi; exit 3', c: 'true' });
    const res = await runText(localContext(), script);
    expect(parseSections(res.stdout)).toEqual({ a: { out: 'x\ny', rc: 0 }, b: { out: 'hi\n', rc: 3 }, c: { out: '', rc: 0 } });
  });

  it('registers every system module with its aliases and a doc', () => {
    const registry = buildRegistry();
    for (const name of ['apt', 'package', 'service', 'systemd', 'systemd_service', 'ansible.builtin.systemd_service', 'debconf', 'user',
      'group', 'cron', 'sysctl', 'hostname', 'authorized_key', 'known_hosts', 'wait_for']) {
      const mod = registry.get(name);
      expect(mod, name).toBeDefined();
      expect(mod!.doc.description.length).toBeGreaterThan(40);
      expect(mod!.doc.example).toContain('\n');
    }
  });
});
