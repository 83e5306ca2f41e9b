/**
 * systemd and service plans from fixtures (this machine has no systemd as
 * PID 1; units are proven in the lab), and the init-script path for real.
 */
import { describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { parseSystemctlShow, type UnitState } from '../../../../engine/facts/systemd.js';
import { enabledFromIsEnabled, planSystemd, planSysv, service, stateAction, systemd } from '../../../../engine/modules/system/service.js';
import type { ModuleContext } from '../../../../engine/modules/types.js';

const SHOW = 'Id=ssh.service\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nNeedDaemonReload=no\n';

function unit(status: string, enabled: string, rc: number, extra: Partial<UnitState> = {}): UnitState {
  return { init: 'systemd', status: parseSystemctlShow(status), isEnabledOut: enabled, isEnabledRc: rc, initScript: false, sysvEnabled: false, sysvKilled: false, ...extra };
}

/** A context recording the commands apply runs (the plan is what is tested). */
function recording(): { ctx: ModuleContext; commands: string[] } {
  const commands: string[] = [];
  const ctx = { ...localContext(), run: async (c: string) => { commands.push(c); return { rc: 0, stdout: Buffer.from(''), stderr: Buffer.from('') }; } };
  return { ctx, commands };
}

describe('systemd', () => {
  it('maps states to actions like Ansible', () => {
    expect(stateAction('started', { ActiveState: 'active' })).toBeUndefined();
    expect(stateAction('started', { ActiveState: 'inactive' })).toBe('start');
    expect(stateAction('stopped', { ActiveState: 'deactivating' })).toBe('stop');
    expect(stateAction('restarted', { ActiveState: 'inactive' })).toBe('start');
    expect(stateAction('reloaded', { ActiveState: 'active' })).toBe('reload');
    expect(enabledFromIsEnabled('static\n', 0)).toBe(true);
    expect(enabledFromIsEnabled('indirect\n', 0)).toBe(false);
    expect(enabledFromIsEnabled('disabled\n', 1)).toBe(false);
  });

  it('reads the state from the first line of is-enabled -l, which may list the links after it (offline, masked)', () => {
    const { ctx } = recording();
    const links = 'enabled\n  /etc/systemd/system/multi-user.target.wants/ssh.service\n';
    // systemctl ignored show (a chroot): is-enabled alone tells that systemd knows the unit.
    const offline = planSystemd(ctx, { name: 'ssh', enabled: true }, unit('', links, 0, { showIgnored: true, offline: true }), true);
    expect(offline).toMatchObject({ changed: false });
    expect(offline.failed).toBeUndefined();
    const masked = planSystemd(ctx, { name: 'ssh', masked: true }, unit(SHOW.replace('LoadState=loaded', 'LoadState=masked'), 'masked\n  /etc/systemd/system/ssh.service\n', 1), true);
    expect(masked.changed).toBe(false);
  });

  it('plans start + enable, nothing on a second run, and reports the full status', () => {
    const ctx = localContext();
    const first = planSystemd(ctx, { name: 'ssh', state: 'started', enabled: true }, unit(SHOW, 'disabled', 1), true);
    expect(first).toMatchObject({ changed: true, result: { name: 'ssh', state: 'started', enabled: true, status: { SubState: 'dead' } } });
    const running = SHOW.replace('ActiveState=inactive', 'ActiveState=active');
    expect(planSystemd(ctx, { name: 'ssh', state: 'started', enabled: true }, unit(running, 'enabled', 0), true).changed).toBe(false);
    expect(planSystemd(ctx, { name: 'ssh', masked: true }, unit(running, 'enabled', 0), true).changed).toBe(true);
    expect(planSystemd(ctx, { name: 'ssh', state: 'restarted' }, unit(running, 'enabled', 0), true)).toMatchObject({ changed: true, result: { state: 'started' } });
    // daemon_reload alone is never a change (but runs).
    const reload = planSystemd(ctx, { daemon_reload: true }, unit('', '', 0), true);
    expect(reload.changed).toBe(false);
    expect(reload.apply).toBeDefined();
  });

  it('runs the steps in Ansible\'s order, quoted, with scope and no_block', async () => {
    const { ctx, commands } = recording();
    const status = SHOW.replace('NeedDaemonReload=no', 'NeedDaemonReload=yes');
    const plan = planSystemd(ctx, { name: "my unit'.service", state: 'started', enabled: true, masked: false, no_block: true, scope: 'user' }, unit(status, 'masked', 1), true);
    await plan.apply!();
    expect(commands).toEqual([
      'systemctl --user --no-block daemon-reload',
      "systemctl --user --no-block unmask -- 'my unit'\\''.service'",
      "systemctl --user --no-block enable -- 'my unit'\\''.service'",
      "systemctl --user --no-block start -- 'my unit'\\''.service'",
    ]);
  });

  it('fails like Ansible on missing, glob and broken units', () => {
    const ctx = localContext();
    expect(planSystemd(ctx, { name: 'nope', state: 'started' }, unit('LoadState=not-found\nActiveState=inactive\n', '', 1), true)).toMatchObject({ failed: true, msg: 'Could not find the requested service nope: host' });
    expect(planSystemd(ctx, { name: 'ss*', state: 'started' }, unit(SHOW, '', 1), true).msg).toBe("This module does not currently support using glob patterns, found '*' in service name: ss*");
    expect(planSystemd(ctx, { name: 'x' }, unit(SHOW, '', 1), true).msg).toMatch(/one of the following is required/);
    expect(planSystemd(ctx, { name: 'x', state: 'started' }, unit('LoadState=loaded\n', 'enabled', 0), true).msg).toBe('Service is in unknown state');
  });

  it('counts an init script\'s S links as enabled when systemd does not know the unit', () => {
    const sysvOnly = unit('LoadState=not-found\nActiveState=inactive\n', '', 1, { initScript: true, sysvEnabled: true });
    expect(planSystemd(localContext(), { name: 'legacy', enabled: true }, sysvOnly, true)).toMatchObject({ changed: false, result: { enabled: true } });
  });
});

describe('service without systemd', () => {
  const sysv = (over: Partial<UnitState> = {}): UnitState => ({ init: 'sysv', status: {}, initScript: true, sysvEnabled: false, sysvKilled: false, sysvStatus: { rc: 3, out: '' }, ...over });

  it('plans service NAME ACTION and update-rc.d like LinuxService', async () => {
    const { ctx, commands } = recording();
    const plan = planSysv(ctx, { name: 'cron', state: 'started', enabled: true }, sysv());
    expect(plan).toMatchObject({ changed: true, result: { state: 'started', enabled: true } });
    await plan.apply!();
    expect(commands).toEqual(['update-rc.d cron defaults', 'update-rc.d cron enable', 'service cron start </dev/null']);
    const running = sysv({ sysvStatus: { rc: 0, out: 'cron is running.\n' }, sysvEnabled: true });
    expect(planSysv(ctx, { name: 'cron', state: 'started', enabled: true }, running).changed).toBe(false);
    expect(planSysv(ctx, { name: 'cron', state: 'reloaded' }, running).changed).toBe(true);
    const restart = recording();
    await planSysv(restart.ctx, { name: 'cron', state: 'restarted', sleep: 2, arguments: '--fast' }, running).apply!();
    expect(restart.commands).toEqual(['out=$(service cron stop --fast </dev/null 2>&1); sleep 2; service cron start --fast </dev/null']);
    expect(planSysv(ctx, { name: 'cron', state: 'started', pattern: 'cron -f' }, sysv({ patternRunning: true })).changed).toBe(false);
    expect(planSysv(ctx, { name: 'x', state: 'started' }, sysv({ initScript: false })).msg).toBe('Could not find the requested service x: host');
  });

  it('reads this machine for real and refuses systemd here', async () => {
    const missing = await runModule(service, { name: "uxsv-no-such-'service", state: 'started' }, localContext());
    expect(missing).toMatchObject({ failed: true, msg: "Could not find the requested service uxsv-no-such-'service: host" });
    expect((await runModule(systemd, { name: 'cron', state: 'started' }, localContext())).msg).toMatch(/systemd is not running/);
  });
});
