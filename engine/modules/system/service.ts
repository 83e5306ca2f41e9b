/**
 * systemd (systemd_service) and service, as Ansible's modules: one read of
 * the unit (systemctl show + is-enabled, or the init script's links and
 * status), a pure plan of the steps in Ansible's order (daemon-reload,
 * daemon-reexec, mask, enable, state), then apply. `service` on a systemd
 * host is the systemd module (Ansible's service action does the same); on a
 * host without systemd it uses `service NAME ACTION` and update-rc.d.
 */
import { quote } from '../../connection/quote.js';
import { readFact, type FactRequest } from '../../facts/index.js';
import { lines } from '../../facts/sections.js';
import { sysvName, sysvRunning, systemctlPrefix, unitFact, type Scope, type UnitParams, type UnitState } from '../../facts/systemd.js';
import { boolSchema, pick, text, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export { parseSystemctlShow } from '../../facts/systemd.js';
export type { UnitState } from '../../facts/systemd.js';

export interface ServiceArgs {
  name?: string;
  service?: string;
  unit?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: unknown;
  masked?: unknown;
  daemon_reload?: unknown;
  'daemon-reload'?: unknown;
  daemon_reexec?: unknown;
  'daemon-reexec'?: unknown;
  no_block?: unknown;
  force?: unknown;
  scope?: Scope;
  // service-only arguments (sysv)
  sleep?: number | string;
  pattern?: string;
  arguments?: string;
  args?: string;
  runlevel?: string;
  use?: string;
}

function unitName(args: ServiceArgs): string | undefined {
  return text(pick(args as Record<string, unknown>, 'name', 'service', 'unit'));
}

function optionalBool(value: unknown): boolean | undefined {
  return value === undefined || value === null ? undefined : toBool(value, false);
}

/** The unit's state read (its `systemctl show`, or `service status` without systemd): read ahead with the tasks around it. */
function unitRequest(args: ServiceArgs): FactRequest<UnitParams, UnitState> {
  return [unitFact, { unit: unitName(args), scope: args.scope, pattern: args.pattern }];
}

async function readUnit(ctx: ModuleContext, args: ServiceArgs): Promise<UnitState> {
  return readFact(ctx, ...unitRequest(args));
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
  /** The failure message, Ansible's words; the command's error output is appended. */
  failure: string;
  /** Failure text from stdout+stderr (enable/disable) instead of stderr. */
  withStdout?: boolean;
  /** A failure is not an error (Ansible ignores a failed mask/unmask of a unit it found). */
  mayFail?: boolean;
}

/** The apply step of a plan: the commands in order, the first failure stops with Ansible's message. */
function applySteps(ctx: ModuleContext, steps: Step[]): Plan['apply'] {
  if (steps.length === 0) return undefined;
  return async () => {
    for (const step of steps) {
      const res = await runText(ctx, step.command);
      if (res.rc === 0 || step.mayFail) continue;
      const detail = step.withStdout ? res.stdout + res.stderr : res.stderr || (step.failure === '' ? res.stdout : '');
      throw new Error(`${step.failure}${detail}`.trim());
    }
  };
}

const GLOB_CHARS = ['*', '?', '['];

const VALID_ENABLED_STATES = ['enabled', 'enabled-runtime', 'linked', 'linked-runtime', 'masked', 'masked-runtime', 'static', 'indirect', 'disabled', 'generated', 'transient'];

/** The steps for a systemd host, in Ansible's order. */
export function planSystemd(ctx: ModuleContext, args: ServiceArgs, state: UnitState, systemdModule: boolean): Plan {
  const unit = unitName(args);
  const result: Record<string, unknown> = { name: unit ?? null, status: state.status };
  const steps: Step[] = [];
  let changed = false;
  const a = args as Record<string, unknown>;
  const daemonReload = systemdModule && toBool(pick(a, 'daemon_reload', 'daemon-reload'), false);
  const daemonReexec = systemdModule && toBool(pick(a, 'daemon_reexec', 'daemon-reexec'), false);
  const wantMasked = systemdModule ? optionalBool(args.masked) : undefined;
  const wantEnabled = optionalBool(args.enabled);
  if (args.state === undefined && wantEnabled === undefined && wantMasked === undefined && !daemonReload && !daemonReexec) {
    return { changed: false, failed: true, msg: systemdModule
      ? 'one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec'
      : 'one of the following is required: state, enabled' };
  }
  const glob = unit !== undefined ? GLOB_CHARS.find((g) => unit.includes(g)) : undefined;
  if (glob) return { changed: false, failed: true, msg: `This module does not currently support using glob patterns, found '${glob}' in service name: ${unit}` };

  let systemctl = systemctlPrefix(args.scope);
  if (toBool(args.no_block, false)) systemctl += ' --no-block';
  if (toBool(args.force, false)) systemctl += ' --force';
  if (daemonReload) steps.push({ command: `${systemctl} daemon-reload`, failure: 'failure during daemon-reload: ' });
  if (daemonReexec) steps.push({ command: `${systemctl} daemon-reexec`, failure: 'failure during daemon-reexec: ' });
  if (unit === undefined) {
    if (args.state !== undefined || wantEnabled !== undefined || wantMasked !== undefined) {
      return { changed: false, failed: true, msg: 'missing parameter(s) required by \'state\': name' };
    }
    return { changed: false, result, apply: applySteps(ctx, steps) };
  }

  const loadState = state.status.LoadState;
  // is-enabled -l may list the unit's links after its state: the state is the first line (what plain is-enabled prints).
  const enabledState = lines(state.isEnabledOut ?? '')[0]?.trim() ?? '';
  // When systemctl ignored `show`, is-enabled (which works offline) says whether systemd knows the unit.
  const isSystemd = state.showIgnored
    ? VALID_ENABLED_STATES.includes(enabledState)
    : loadState !== undefined && loadState !== 'not-found';
  const masked = loadState === 'masked';
  if (isSystemd && !masked && state.status.LoadError !== undefined && state.status.LoadError.trim() !== '' && !/^\S+ ""$/.test(state.status.LoadError.trim())) {
    return { changed: false, failed: true, msg: `Error loading unit file '${unit}': ${state.status.LoadError}` };
  }
  const found = isSystemd || state.initScript;
  const missing = (): Plan => ({ changed: false, failed: true, msg: `Could not find the requested service ${unit}: host`, result });
  const q = quote(unit);

  if (wantMasked !== undefined && wantMasked !== (enabledState === 'masked')) {
    changed = true;
    const action = wantMasked ? 'mask' : 'unmask';
    steps.push({ command: `${systemctl} ${action} -- ${q}`, failure: `Could not find the requested service ${unit}: host`, mayFail: found });
  }

  if (wantEnabled !== undefined) {
    if (!found) return missing();
    let enabled = enabledFromIsEnabled(state.isEnabledOut, state.isEnabledRc);
    // A unit that only exists as an init script counts as enabled by its S links.
    if (state.isEnabledRc === 1 && (args.scope ?? 'system') === 'system' && state.initScript && !(state.isEnabledOut ?? '').endsWith('disabled') && state.sysvEnabled) {
      enabled = true;
    }
    result.enabled = enabled;
    if (enabled !== wantEnabled) {
      changed = true;
      const action = wantEnabled ? 'enable' : 'disable';
      steps.push({ command: `${systemctl} ${action} -- ${q}`, failure: `Unable to ${action} service ${unit}: `, withStdout: true });
      result.enabled = wantEnabled;
    }
  }

  if (args.state !== undefined) {
    if (!found) return missing();
    result.state = args.state;
    if (args.state === 'restarted' || args.state === 'reloaded') result.state = 'started';
    let action: string | undefined;
    if (state.status.ActiveState !== undefined) action = stateAction(args.state, state.status);
    else if (state.offline) result.warnings = ['Target is a chroot or systemd is offline. This can lead to false positives or prevent the init system tools from working.'];
    else return { changed: false, failed: true, msg: 'Service is in unknown state', result };
    if (action) {
      changed = true;
      steps.push({ command: `${systemctl} ${action} -- ${q}`, failure: `Unable to ${action} service ${unit}: ` });
    }
  }
  // A unit file changed on disk is reloaded before acting on it (not a change in itself).
  if (state.status.NeedDaemonReload === 'yes' && !daemonReload && steps.length > 0) {
    steps.unshift({ command: `${systemctl} daemon-reload`, failure: 'failure during daemon-reload: ' });
  }
  return { changed, result, apply: applySteps(ctx, steps) };
}

/** service on a host without systemd: `service NAME ACTION` and update-rc.d, as Ansible's LinuxService. */
export function planSysv(ctx: ModuleContext, args: ServiceArgs, state: UnitState): Plan {
  const unit = unitName(args);
  if (unit === undefined) return { changed: false, failed: true, msg: 'missing required arguments: name' };
  const wantEnabled = optionalBool(args.enabled);
  if (args.state === undefined && wantEnabled === undefined) return { changed: false, failed: true, msg: 'one of the following is required: state, enabled' };
  const name = sysvName(unit);
  const result: Record<string, unknown> = { name: unit };
  if (!state.initScript) return { changed: false, failed: true, msg: `Could not find the requested service ${unit}: host` };
  const steps: Step[] = [];
  let changed = false;
  const q = quote(name);
  if (wantEnabled !== undefined) {
    result.enabled = wantEnabled;
    if (wantEnabled !== state.sysvEnabled) {
      changed = true;
      // `enable` needs the links that `defaults` creates when the script was never registered.
      if (wantEnabled && !state.sysvKilled) steps.push({ command: `update-rc.d ${q} defaults`, failure: '' });
      steps.push({ command: `update-rc.d ${q} ${wantEnabled ? 'enable' : 'disable'}`, failure: '' });
    }
  }
  if (args.state === undefined) return { changed, result, apply: applySteps(ctx, steps) };

  const running = args.pattern !== undefined ? state.patternRunning === true : sysvRunning(name, state.sysvStatus ?? { rc: 1, out: '' });
  if (running === undefined) return { changed: false, failed: true, msg: 'failed determining service state, possible typo of service name?' };
  let action: string | undefined;
  if (args.state === 'started' && !running) action = 'start';
  else if (args.state === 'stopped' && running) action = 'stop';
  else if (args.state === 'reloaded') action = running ? 'reload' : 'start';
  else if (args.state === 'restarted') action = 'restart';
  result.state = args.state === 'stopped' ? 'stopped' : 'started';
  if (action) {
    changed = true;
    const extra = text(pick(args as Record<string, unknown>, 'arguments', 'args')) ?? '';
    const words = extra.split(/\s+/).filter(Boolean).map(quote).join(' ');
    const run = (verb: string) => `service ${q} ${verb}${words ? ` ${words}` : ''} </dev/null`;
    if (action === 'restart') {
      // Ansible restarts with stop, [sleep], start; only the start must succeed.
      const pause = args.sleep !== undefined ? `sleep ${Number(args.sleep) || 0}; ` : '';
      steps.push({ command: `out=$(${run('stop')} 2>&1); ${pause}${run('start')}`, failure: '' });
    } else {
      steps.push({ command: run(action), failure: '' });
    }
  }
  return { changed, result, apply: applySteps(ctx, steps) };
}

/** Arguments only the systemd module knows (service passes them on with systemd, refuses them without). */
const SYSTEMD_ONLY = {
  service: { type: 'string', description: 'Alias of name' },
  unit: { type: 'string', description: 'Alias of name' },
  masked: { ...boolSchema, description: 'Mask (or unmask) the unit' },
  daemon_reload: { ...boolSchema, description: 'Run daemon-reload first (not a change)' },
  'daemon-reload': boolSchema,
  daemon_reexec: { ...boolSchema, description: 'Run daemon-reexec first (not a change)' },
  'daemon-reexec': boolSchema,
  no_block: { ...boolSchema, description: 'Do not wait for the job to finish (--no-block)' },
  force: { ...boolSchema, description: 'systemctl --force' },
  scope: { enum: ['system', 'user', 'global'], description: 'systemctl --user / --global (default system)' },
};

const commonProperties = {
  name: { type: 'string', description: 'The unit or service name' },
  state: { enum: ['started', 'stopped', 'restarted', 'reloaded'], description: 'started/stopped act only when needed; restarted/reloaded always act' },
  enabled: { ...boolSchema, description: 'Start at boot' },
};

export const systemd: Module<ServiceArgs, UnitState> = {
  name: 'systemd',
  aliases: ['systemd_service', 'ansible.builtin.systemd_service'],
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...commonProperties,
      ...SYSTEMD_ONLY,
    },
  },
  doc: {
    description:
      'Controls systemd units like Ansible\'s systemd module: state started/stopped (changed only when needed), ' +
      'restarted/reloaded (always changed; a stopped unit is started), enabled, masked, daemon_reload/daemon_reexec ' +
      '(never a change), scope, no_block, force. One command reads `systemctl show` and `is-enabled`. When systemd ' +
      'reports NeedDaemonReload=yes (the unit file changed on disk) a daemon-reload runs before acting, without counting as a change.',
    returns: {
      name: 'the unit name',
      state: 'the state asked for (restarted/reloaded give started), when state was given',
      enabled: 'whether the unit is enabled (after the change), when enabled was given',
      status: 'every `systemctl show` property of the unit, read before the change',
    },
    example: '- name: Start and enable named\n  systemd:\n    name: named\n    state: started\n    enabled: true\n    daemon_reload: true\n',
  },
  read: readUnit,
  readAhead: (_ctx, args) => [unitRequest(args)],
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
    properties: {
      ...commonProperties,
      sleep: { type: ['integer', 'string'], description: 'Seconds between stop and start of a restart (init scripts)' },
      pattern: { type: 'string', description: 'Running means: a process line (ps auxww) contains this (init scripts)' },
      arguments: { type: 'string', description: 'Extra words for the init script' },
      args: { type: 'string', description: 'Alias of arguments' },
      runlevel: { type: 'string', description: 'Accepted; update-rc.d uses the script\'s own runlevels' },
      use: { type: 'string', description: 'Accepted; the init system is detected' },
      // On a systemd host Ansible's service action hands everything to the systemd module.
      ...SYSTEMD_ONLY,
    },
  },
  doc: {
    description:
      'Controls services like Ansible\'s service module. With systemd running it is the systemd module (name, state, ' +
      'enabled), as Ansible\'s service action picks it; without systemd it runs `service NAME start|stop|reload` ' +
      '(restart as stop then start, with `sleep` between), reads the state from `service NAME status` (or `pattern` ' +
      'in ps), and enables with update-rc.d (S links in /etc/rc?.d).',
    returns: { name: 'the service', state: 'started or stopped', enabled: 'whether it starts at boot', status: 'systemctl show properties (systemd)' },
    example: '- name: Restart postfix\n  service:\n    name: postfix\n    state: restarted\n',
  },
  read: readUnit,
  readAhead: (_ctx, args) => [unitRequest(args)],
  plan: (ctx, args, state) => {
    if (state.init === 'systemd') return planSystemd(ctx, args, state, true);
    const unsupported = Object.keys(SYSTEMD_ONLY).filter((k) => (args as Record<string, unknown>)[k] !== undefined);
    if (unsupported.length > 0) return { changed: false, failed: true, msg: `Unsupported parameters for (service) module: ${unsupported.sort().join(', ')}` };
    return planSysv(ctx, args, state);
  },
};
