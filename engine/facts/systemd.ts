/**
 * Service facts: one unit as systemctl and the init scripts see it, and the
 * list of every service (service_facts). Output is read with LC_ALL=C.
 */
import type { Fact } from './types.js';
import { lines, sectionsFact } from './sections.js';
import { indexUnitOutput, parseSystemctlShow, unitProgram, unitQueries, unitStateFrom } from './unit-batch.js';

export { parseSystemctlShow, plainUnitName, systemctlPrefix, sysvName } from './unit-batch.js';

export type Scope = 'system' | 'user' | 'global';

export interface UnitParams {
  unit?: string;
  scope?: Scope;
  /** service's `pattern`: the unit runs when a process line contains it. */
  pattern?: string;
  /** Only in the params Fact.merge makes: the queries one program answers. */
  batch?: UnitParams[];
}

export interface UnitState {
  init: 'systemd' | 'sysv';
  /** `systemctl show` properties (systemd), or {ActiveState} from `service NAME status` (sysv). */
  status: Record<string, string>;
  /** rc of the `systemctl show` that answered (one shared by several units when it succeeded). */
  showRc?: number;
  /** systemctl ignored the request (offline or in a chroot): the status says nothing. */
  showIgnored?: boolean;
  /** `systemctl is-enabled` output and rc (systemd). */
  isEnabledOut?: string;
  isEnabledRc?: number;
  /** An init script /etc/init.d/NAME exists. */
  initScript: boolean;
  /** S links in /etc/rc?.d. */
  sysvEnabled: boolean;
  /** K links in /etc/rc?.d (update-rc.d defaults has run). */
  sysvKilled: boolean;
  /** sysv only: `service NAME status` exit code and output. */
  sysvStatus?: { rc: number; out: string };
  /** With `pattern`: a process line matched it. */
  patternRunning?: boolean;
  /** A chroot, or SYSTEMD_OFFLINE=1: systemctl cannot tell the running state (Ansible then only warns). */
  offline?: boolean;
}

/**
 * The `systemd.unit` fact. The queries of several tasks merge into one
 * program (unit-batch.ts) that reads every unit with few processes; each
 * query finds its answer in the shared output by its unit and scope.
 */
export const unitFact: Fact<UnitParams, UnitState> = {
  name: 'systemd.unit',
  inline: true,
  command: (params) => unitProgram(unitQueries(params)),
  merge: (list) => ({ batch: list.flatMap(unitQueries) }),
  parse(output, params) {
    const index = indexUnitOutput(output);
    const what = params.unit === undefined ? 'the init system' : `unit ${JSON.stringify(params.unit)}`;
    const why = () => output.stderr.replace(/\0[^\0]*\0/g, '').trim() || `rc ${output.rc}`;
    if (!index) throw new Error(`cannot read ${what}: ${why()}`);
    if (!index.complete || !index.init) throw new Error(`cannot read ${what}: the output was cut off (${why()})`);
    return unitStateFrom(index, params);
  },
};

/**
 * Whether an init script's service runs, read from `service NAME status` as
 * Ansible's service module does: rc 1-4 and 69 mean stopped; a one-line
 * output saying stop/run/start decides; else rc 0 means running.
 */
export function sysvRunning(name: string, status: { rc: number; out: string }): boolean | undefined {
  if ([1, 2, 3, 4, 69].includes(status.rc)) return false;
  if ((status.out.match(/\n/g) ?? []).length <= 1) {
    const clean = status.out.toLowerCase().split(name.toLowerCase()).join('');
    if (clean.includes('stop')) return false;
    if (clean.includes('run')) return !clean.includes('not ');
    if (clean.includes('start') && !clean.includes('not ')) return true;
    if (['could not access pid file', 'is dead and pid file exists', 'dead but subsys locked', 'dead but pid file exists'].some((w) => clean.includes(w))) return false;
  }
  if (status.rc === 0) return true;
  return undefined;
}

// ------------------------------------------------------------- every service

export interface ServiceInfo {
  name: string;
  state: string;
  status?: string;
  source: 'systemd' | 'sysv';
}

const BAD_STATES = ['not-found', 'masked', 'failed'];

/** `systemctl list-units --type service --all` lines, as service_facts reads them. */
export function parseListUnits(out: string, services: Record<string, ServiceInfo>): void {
  for (const line of out.split('\n')) {
    if (!line.includes('.service')) continue;
    let fields = line.split(/\s+/).filter(Boolean);
    let status: string;
    const bad = BAD_STATES.find((b) => fields.includes(b));
    if (bad) {
      status = bad;
      // The line then starts with systemctl's "●" marker.
      fields = fields.slice(1);
    } else {
      status = fields[2] ?? 'unknown';
    }
    const name = fields[0];
    if (!name) continue;
    services[name] = { name, state: fields[3] === 'running' ? 'running' : 'stopped', status, source: 'systemd' };
  }
}

/** `systemctl list-unit-files --type service` lines; units not listed by list-units take their ActiveState from `show`. */
export function parseListUnitFiles(out: string, activeStates: Record<string, string>, services: Record<string, ServiceInfo>): void {
  for (const line of out.split('\n')) {
    if (!line.includes('.service')) continue;
    const [name, status] = line.split(/\s+/).filter(Boolean);
    if (!name || status === undefined) continue;
    const known = services[name];
    if (!known) services[name] = { name, state: activeStates[name] ?? 'unknown', status, source: 'systemd' };
    else if (!BAD_STATES.includes(known.status ?? '')) known.status = status;
  }
}

/**
 * The names given to `systemctl show -p ActiveState`, a `---` line, then its
 * records (blank-line separated, in the order of the names).
 */
export function parseActiveStates(out: string): Record<string, string> {
  const states: Record<string, string> = {};
  const split = out.indexOf('\n---\n');
  if (split < 0) return states;
  const names = lines(out.slice(0, split));
  const records = out.slice(split + 5).split(/\n\n+/).map((r) => parseSystemctlShow(r));
  names.forEach((name, i) => {
    const state = records[i]?.ActiveState;
    if (state) states[name] = state;
  });
  return states;
}

/** `service --status-all`: "[ + ]  name" lines. */
export function parseStatusAll(out: string, services: Record<string, ServiceInfo>): void {
  for (const m of out.matchAll(/^\s*\[ ([+-]) \]\s+(.+)$/gm)) {
    const name = m[2]!.trim();
    services[name] = { name, state: m[1] === '+' ? 'running' : 'stopped', source: 'sysv' };
  }
}

export const servicesFact: Fact<void, Record<string, ServiceInfo>> = sectionsFact(
  'systemd.services',
  () => ({
    sysv: 'if command -v service >/dev/null 2>&1 && [ -d /etc/init.d ]; then LC_ALL=C service --status-all 2>/dev/null; fi; true',
    systemd: 'grep -q systemd /proc/1/comm 2>/dev/null && echo yes; true',
    units: 'if grep -q systemd /proc/1/comm 2>/dev/null; then LC_ALL=C systemctl list-units --no-pager --type service --all; fi',
    files: 'if grep -q systemd /proc/1/comm 2>/dev/null; then LC_ALL=C systemctl list-unit-files --no-pager --type service --all; fi',
    // Template units (name@.service) cannot be shown; Ansible reports them 'unknown'.
    active: 'if grep -q systemd /proc/1/comm 2>/dev/null; then n=$(LC_ALL=C systemctl list-unit-files --no-pager --no-legend --type service --all ' +
      "| awk '{print $1}' | grep -v '@\\.service$' | grep '\\.service$'); printf '%s\\n---\\n' \"$n\"; " +
      'if [ -n "$n" ]; then LC_ALL=C systemctl show -p ActiveState -- $n; fi; fi; true',
  }),
  (s) => {
    const services: Record<string, ServiceInfo> = {};
    parseStatusAll(s.sysv!.out, services);
    if (s.systemd!.out.trim() === 'yes') {
      const systemd: Record<string, ServiceInfo> = {};
      parseListUnits(s.units!.out, systemd);
      parseListUnitFiles(s.files!.out, parseActiveStates(s.active!.out), systemd);
      Object.assign(services, systemd);
    }
    return services;
  },
);
