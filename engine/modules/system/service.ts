/**
 * systemd and service: units as Ansible's systemd (systemd_service) and service
 * modules. One command reads the unit (`systemctl show` + `is-enabled`); on a
 * host without systemd, `service` falls back to init scripts and update-rc.d.
 */
import { quote } from '../../connection/quote.js';
import { boolSchema, pick, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { lines, readSections, runChecked } from './util.js';

export interface ServiceArgs {
  name?: string;
  service?: string;
  unit?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: unknown;
  masked?: unknown;
  daemon_reload?: unknown;
  'daemon-reload'?: unknown;
  no_block?: unknown;
  scope?: string;
  // service-only arguments (sysv)
  sleep?: number;
  pattern?: string;
  arguments?: string;
  args?: string;
  runlevel?: string;
  use?: string;
}

export const SHOW_PROPERTIES = [
  'Id', 'Names', 'Description', 'LoadState', 'LoadError', 'ActiveState', 'SubState', 'UnitFileState',
  'UnitFilePreset', 'NeedDaemonReload', 'MainPID', 'FragmentPath',
];

export interface UnitState {
  init: 'systemd' | 'sysv';
  /** systemctl show properties (systemd) or {ActiveState} derived from `service status` (sysv). */
  status: Record<string, string>;
  /** `systemctl is-enabled` output and rc (systemd). */
  isEnabledOut?: string;
  isEnabledRc?: number;
  /** sysv: the init script exists. */
  initScript?: boolean;
  /** sysv: S links in /etc/rc[2-5].d. */
  sysvEnabled?: boolean;
}

/** `Key=Value` lines; a value may itself contain `=`. Multi-line values ({ … }) are kept on their first line. */
export function parseSystemctlShow(out: string): Record<string, string> {
  const status: Record<string, string> = {};
  for (const line of lines(out)) {
    const eq = line.indexOf('=');
    if (eq > 0) status[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return status;
}

function unitName(args: ServiceArgs): string | undefined {
  return pick<string>(args as Record<string, unknown>, 'name', 'service', 'unit');
}

export function readUnitCommands(unit: string | undefined): Record<string, string> {
  const systemd = '[ -d /run/systemd/system ]';
  const sections: Record<string, string> = { init: `if ${systemd}; then echo systemd; else echo sysv; fi` };
  if (unit === undefined) return sections;
  const q = quote(unit);
  const script = quote(unit.replace(/\.service$/, ''));
  sections.show = `if ${systemd}; then systemctl show -p ${SHOW_PROPERTIES.join(',')} -- ${q}; fi`;
  sections.enabled = `if ${systemd}; then systemctl is-enabled -- ${q} 2>/dev/null; fi`;
  sections.sysv = `if ! ${systemd}; then [ -x /etc/init.d/${script} ] && echo script; ` +
    `ls /etc/rc2.d/S??${script} /etc/rc3.d/S??${script} /etc/rc4.d/S??${script} /etc/rc5.d/S??${script} >/dev/null 2>&1 && echo enabled; ` +
    `if [ -x /etc/init.d/${script} ]; then service ${script} status >/dev/null 2>&1 && echo running; fi; fi; true`;
  return sections;
}

export async function readUnit(ctx: ModuleContext, args: ServiceArgs): Promise<UnitState> {
  const unit = unitName(args);
  const out = await readSections(ctx, readUnitCommands(unit));
  const init = out.init!.out.trim() === 'systemd' ? 'systemd' : 'sysv';
  if (init === 'systemd') {
    return {
      init,
      status: unit === undefined ? {} : parseSystemctlShow(out.show!.out),
      isEnabledOut: out.enabled?.out.trim(),
      isEnabledRc: out.enabled?.rc,
    };
  }
  const flags = lines(out.sysv?.out ?? '');
  return {
    init,
    status: { ActiveState: flags.includes('running') ? 'active' : 'inactive' },
    initScript: flags.includes('script'),
    sysvEnabled: flags.includes('enabled'),
  };
}

const isRunning = (status: Record<string, string>) => ['active', 'activating'].includes(status.ActiveState ?? '');
const isDeactivating = (status: Record<string, string>) => status.ActiveState === 'deactivating';

/** Ansible's reading of is-enabled: rc 0 is enabled, except a lone "indirect" or "alias". */
export function enabledFromIsEnabled(out: string | undefined, rc: number | undefined): boolean {
  if (rc !== 0) return false;
  const words = lines(out ?? '');
  return !(words.length === 1 && (words[0] === 'indirect' || words[0] === 'alias'));
}

/** The systemctl verb for `state`, or undefined when the unit is already there. */
export function stateAction(state: ServiceArgs['state'], status: Record<string, string>): string | undefined {
  if (state === undefined) return undefined;
  if (state === 'started') return isRunning(status) ? undefined : 'start';
  if (state === 'stopped') return isRunning(status) || isDeactivating(status) ? 'stop' : undefined;
  // restarted/reloaded start a stopped unit, and always act on a running one.
  return isRunning(status) ? state.slice(0, -2) : 'start';
}

interface Step {
  command: string;
  what: string;
}

/** The steps for a systemd host, in Ansible's order: daemon-reload, mask, enable, state. */
export function planSystemd(ctx: ModuleContext, args: ServiceArgs, state: UnitState, allowMask: boolean): Plan {
  const unit = unitName(args);
  const result: Record<string, unknown> = { name: unit, status: state.status };
  const steps: Step[] = [];
  let changed = false;
  const daemonReload = allowMask && toBool(pick(args as Record<string, unknown>, 'daemon_reload', 'daemon-reload'), false);
  if (unit !== undefined && /[*?[]/.test(unit)) {
    return { changed: false, failed: true, msg: 'This module does not currently support using glob patterns, found \'*\' in service name: ' + unit };
  }
  if (unit === undefined) {
    if (!daemonReload) return { changed: false, failed: true, msg: 'missing required arguments: name' };
    return { changed: false, result, apply: ctx.check ? undefined : async () => { await runChecked(ctx, 'systemctl daemon-reload', 'systemctl daemon-reload'); } };
  }

  const loadState = state.status.LoadState ?? 'not-found';
  const found = loadState !== 'not-found';
  const masked = loadState === 'masked';
  // systemctl prints LoadError only when loading the unit failed (syntax error, bad path...).
  if (found && !masked && (state.status.LoadError ?? '').trim() !== '') {
    return { changed: false, failed: true, msg: `Error loading unit file '${unit}': ${state.status.LoadError}`, result };
  }
  // A unit file edited on disk is picked up before acting on it.
  if (daemonReload || state.status.NeedDaemonReload === 'yes') steps.push({ command: 'systemctl daemon-reload', what: 'systemctl daemon-reload' });
  const q = quote(unit);
  const noBlock = toBool(args.no_block, false) ? '--no-block ' : '';

  const wantMasked = allowMask && args.masked !== undefined && args.masked !== null ? toBool(args.masked, false) : undefined;
  if (wantMasked !== undefined && wantMasked !== (state.isEnabledOut === 'masked')) {
    changed = true;
    steps.push({ command: `systemctl ${wantMasked ? 'mask' : 'unmask'} -- ${q}`, what: `${wantMasked ? 'mask' : 'unmask'} ${unit}` });
  }

  const wantEnabled = args.enabled !== undefined && args.enabled !== null ? toBool(args.enabled, false) : undefined;
  if (wantEnabled !== undefined) {
    if (!found) return { changed: false, failed: true, msg: `Could not find the requested service ${unit}: host`, result };
    const enabled = enabledFromIsEnabled(state.isEnabledOut, state.isEnabledRc);
    result.enabled = enabled;
    if (enabled !== wantEnabled) {
      changed = true;
      result.enabled = wantEnabled;
      const verb = wantEnabled ? 'enable' : 'disable';
      steps.push({ command: `systemctl ${verb} -- ${q}`, what: `Unable to ${verb} service ${unit}` });
    }
  }

  if (args.state !== undefined) {
    if (!found) return { changed: false, failed: true, msg: `Could not find the requested service ${unit}: host`, result };
    result.state = args.state === 'stopped' ? 'stopped' : 'started';
    const action = stateAction(args.state, state.status);
    if (action) {
      changed = true;
      steps.push({ command: `systemctl ${noBlock}${action} -- ${q}`, what: `Unable to ${action} service ${unit}` });
    }
  }
  return finishPlan(ctx, changed, result, steps);
}

function finishPlan(ctx: ModuleContext, changed: boolean, result: Record<string, unknown>, steps: Step[]): Plan {
  if (ctx.check || steps.length === 0) return { changed, result };
  return {
    changed,
    result,
    apply: async () => {
      for (const step of steps) await runChecked(ctx, step.command, step.what);
    },
  };
}

/** service on a host without systemd: init scripts, `service`, update-rc.d. */
export function planSysv(ctx: ModuleContext, args: ServiceArgs, state: UnitState): Plan {
  const unit = unitName(args);
  if (unit === undefined) return { changed: false, failed: true, msg: 'missing required arguments: name' };
  const name = unit.replace(/\.service$/, '');
  const result: Record<string, unknown> = { name, status: state.status };
  if (!state.initScript) return { changed: false, failed: true, msg: `Could not find the requested service ${name}: host`, result };
  const steps: Step[] = [];
  let changed = false;
  const q = quote(name);
  const wantEnabled = args.enabled !== undefined && args.enabled !== null ? toBool(args.enabled, false) : undefined;
  if (wantEnabled !== undefined) {
    result.enabled = wantEnabled;
    if (wantEnabled !== state.sysvEnabled) {
      changed = true;
      // `enable` needs the links `defaults` creates when the script was never registered.
      const command = wantEnabled ? `update-rc.d ${q} defaults >/dev/null 2>&1; update-rc.d ${q} enable` : `update-rc.d ${q} disable`;
      steps.push({ command, what: `update-rc.d ${name}` });
    }
  }
  if (args.state !== undefined) {
    result.state = args.state === 'stopped' ? 'stopped' : 'started';
    const action = stateAction(args.state, state.status);
    if (action) {
      changed = true;
      const extra = pick<string>(args as Record<string, unknown>, 'arguments', 'args');
      steps.push({ command: `service ${q} ${action}${extra ? ` ${extra.split(/\s+/).map(quote).join(' ')}` : ''}`, what: `Unable to ${action} service ${name}` });
    }
  }
  return finishPlan(ctx, changed, result, steps);
}

const commonProperties = {
  name: { type: 'string' },
  state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
  enabled: boolSchema,
};

export const systemd: Module<ServiceArgs, UnitState> = {
  name: 'systemd',
  aliases: ['systemd_service', 'ansible.builtin.systemd_service'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...commonProperties,
      service: { type: 'string' },
      unit: { type: 'string' },
      masked: boolSchema,
      daemon_reload: boolSchema,
      'daemon-reload': boolSchema,
      no_block: boolSchema,
      scope: { enum: ['system'] },
      force: boolSchema,
    },
  },
  doc: {
    description:
      'Controls systemd units like Ansible\'s systemd module: state started/stopped (changed only when needed), ' +
      'restarted/reloaded (always changed; a stopped unit is started), enabled, masked, daemon_reload. ' +
      'The unit is read with one `systemctl show` + `systemctl is-enabled`. When systemd reports NeedDaemonReload=yes ' +
      '(the unit file changed on disk) a daemon-reload runs before acting, without counting as a change. ' +
      'Only the system scope is supported.',
    returns: {
      name: 'the unit name',
      state: 'started or stopped, when state was given',
      enabled: 'whether the unit is enabled, when enabled was given',
      status: 'systemctl show properties (Id, LoadState, ActiveState, SubState, UnitFileState, NeedDaemonReload, ...)',
    },
    example: '- name: Start and enable named\n  systemd:\n    name: named\n    state: started\n    enabled: true\n    daemon_reload: true\n',
  },
  read: readUnit,
  plan: (ctx, args, state) => {
    if (state.init !== 'systemd') return { changed: false, failed: true, msg: 'systemd is not running on this host (no /run/systemd/system)' };
    return planSystemd(ctx, args, state, true);
  },
};

export const service: Module<ServiceArgs, UnitState> = {
  name: 'service',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      ...commonProperties,
      sleep: { type: ['integer', 'string'] },
      pattern: { type: 'string' },
      arguments: { type: 'string' },
      args: { type: 'string' },
      runlevel: { type: 'string' },
      use: { type: 'string' },
    },
  },
  doc: {
    description:
      'Controls services like Ansible\'s service module. With systemd running (/run/systemd/system) it behaves as the ' +
      'systemd module (name, state, enabled); without it, it uses `service NAME start|stop|restart|reload` and ' +
      '`service NAME status` for the state, and update-rc.d (S links in /etc/rc[2-5].d) for enabled.',
    returns: systemd.doc.returns,
    example: '- name: Restart postfix\n  service:\n    name: postfix\n    state: restarted\n',
  },
  read: readUnit,
  plan: (ctx, args, state) => (state.init === 'systemd' ? planSystemd(ctx, args, state, false) : planSysv(ctx, args, state)),
};
