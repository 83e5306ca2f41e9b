/**
 * The placement matrix (inventory group_vars `cluster_modes`): which host runs
 * what in each mode. Validated with its invariants before anything runs; a
 * broken matrix is refused with a message naming the mode and the rule.
 *
 * This cluster's own knowledge, outside the engine: the site module
 * uxsv.placement (library/) and the cluster commands (degrade, restore,
 * check, status) use it.
 */
import { UserError } from '../engine/errors.js';

export interface ModePlacement {
  down: string | null;
  dns_primary: string;
  dns_secondaries: string[];
  dhcp: string;
  web: Record<string, string>;
  smtp: string;
  pop: string;
  ml: string;
  ntp: string[];
  addresses: Record<string, string[]>;
  mirror: boolean;
}

export type Placement = Record<string, ModePlacement>;

export const NORMAL = 'normal';
export const degradedMode = (host: string) => `degraded-${host}`;

const KEYS = ['down', 'dns_primary', 'dns_secondaries', 'dhcp', 'web', 'smtp', 'pop', 'ml', 'ntp', 'addresses', 'mirror'];

export interface PlacementProblem {
  mode: string;
  rule: string;
  detail: string;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');
}

/**
 * Every rule of SPEC §1, checked for every mode. `hosts` are the cluster's
 * hosts; `addressNames` the names of cluster_addresses (hosts and service addresses).
 */
export function placementProblems(modes: unknown, hosts: string[], addressNames: string[]): PlacementProblem[] {
  const problems: PlacementProblem[] = [];
  if (!modes || typeof modes !== 'object' || Array.isArray(modes)) return [{ mode: '-', rule: 'shape', detail: 'cluster_modes must be a mapping of mode name to placement' }];
  const all = modes as Record<string, Record<string, unknown>>;
  const expected = [NORMAL, ...hosts.map(degradedMode)];
  for (const m of expected) if (!(m in all)) problems.push({ mode: m, rule: 'every mode is defined', detail: `mode ${m} is missing` });
  for (const [mode, raw] of Object.entries(all)) {
    const add = (rule: string, detail: string) => problems.push({ mode, rule, detail });
    if (!raw || typeof raw !== 'object') {
      add('shape', 'must be a mapping');
      continue;
    }
    for (const k of KEYS) if (!(k in raw)) add('shape', `missing key '${k}'`);
    for (const k of Object.keys(raw)) if (!KEYS.includes(k)) add('shape', `unknown key '${k}' (expected ${KEYS.join(', ')})`);
    const p = raw as unknown as ModePlacement;
    const down = p.down ?? null;
    const expectedDown = mode === NORMAL ? null : mode.replace(/^degraded-/, '');
    if (down !== expectedDown) add('the down host matches the mode', `down is ${down ?? 'null'}, expected ${expectedDown ?? 'null'}`);
    const live = hosts.filter((h) => h !== down);
    const isLive = (h: unknown) => typeof h === 'string' && live.includes(h);
    const single = (key: 'dns_primary' | 'dhcp' | 'smtp' | 'pop' | 'ml', rule: string) => {
      const v = p[key];
      if (typeof v !== 'string') add(rule, `${key} must name exactly one host, got ${JSON.stringify(v)}`);
      else if (!isLive(v)) add('services only on live hosts', `${key} is on ${v}, which is ${v === down ? 'the down host' : 'not a cluster host'}`);
    };
    single('dns_primary', 'exactly one DNS primary');
    single('dhcp', 'exactly one DHCP server');
    single('smtp', 'mail, POP and mailing lists together');
    if (p.smtp !== p.pop || p.smtp !== p.ml) add('mail, POP and mailing lists together', `smtp=${p.smtp}, pop=${p.pop}, ml=${p.ml}`);
    const secondaries = Array.isArray(p.dns_secondaries) ? p.dns_secondaries : [];
    if (!Array.isArray(p.dns_secondaries)) add('shape', 'dns_secondaries must be a list');
    for (const s of secondaries) if (!isLive(s)) add('services only on live hosts', `DNS secondary ${s} is not a live host`);
    if (secondaries.includes(p.dns_primary)) add('a DNS primary is not also a secondary', `${p.dns_primary} is both`);
    const web = p.web && typeof p.web === 'object' ? p.web : {};
    const sitesPerHost = new Map<string, string[]>();
    for (const [site, host] of Object.entries(web)) {
      if (!isLive(host)) add('services only on live hosts', `web ${site} is on ${host}, not a live host`);
      sitesPerHost.set(host, [...(sitesPerHost.get(host) ?? []), site]);
    }
    for (const [host, sites] of sitesPerHost) if (sites.length > 1) add('at most one web site per host', `${host} serves ${sites.join(' and ')}`);
    const ntp = Array.isArray(p.ntp) ? p.ntp : [];
    if (!sameSet(ntp, live)) add('NTP on every live host', `ntp is [${ntp.join(', ')}], live hosts are [${live.join(', ')}]`);
    if (typeof p.mirror !== 'boolean') add('shape', 'mirror must be true or false');
    else if (p.mirror !== (mode === NORMAL)) add('mirroring only in normal mode', `mirror is ${p.mirror}`);

    const addresses = p.addresses && typeof p.addresses === 'object' ? p.addresses : {};
    const holders = new Map<string, string[]>();
    for (const [host, names] of Object.entries(addresses)) {
      if (host === down && (names ?? []).length) add('the down host carries nothing', `${host} carries ${(names ?? []).join(', ')}`);
      else if (!isLive(host)) add('addresses only on live hosts', `${host} is not a live host`);
      for (const name of names ?? []) {
        if (!addressNames.includes(name)) add('addresses are known', `${host} carries unknown address '${name}'`);
        if (name === host) add('a host does not carry its own address twice', `${host} lists its own address`);
        holders.set(name, [...(holders.get(name) ?? []), host]);
      }
    }
    for (const [name, hs] of holders) if (hs.length > 1) add('every alias has one holder', `${name} is carried by ${hs.join(' and ')}`);
    for (const site of Object.keys(web)) {
      const hs = holders.get(site) ?? [];
      if (addressNames.includes(site) && (hs.length !== 1 || hs[0] !== web[site])) add("a web site's address is on the host that serves it", `${site} is served by ${web[site]} but its address is on ${hs.join(', ') || 'no host'}`);
    }
    if (down) {
      const hs = holders.get(down) ?? [];
      if (hs.length !== 1) add("the down host's address is taken over", `${down}'s address is carried by ${hs.length ? hs.join(' and ') : 'no host'}`);
    }
    for (const name of addressNames) {
      if (hosts.includes(name)) continue;
      if ((holders.get(name) ?? []).length !== 1) add('every alias has one holder', `service address ${name} is carried by ${holders.get(name)?.join(' and ') || 'no host'}`);
    }
  }
  return problems;
}

export function validatePlacement(modes: unknown, hosts: string[], addressNames: string[], where = 'cluster_modes'): Placement {
  const problems = placementProblems(modes, hosts, addressNames);
  if (problems.length) {
    const lines = problems.map((p) => `  mode ${p.mode}: ${p.rule}: ${p.detail}`);
    throw new UserError(`the placement matrix (${where}) is broken:\n${lines.join('\n')}`);
  }
  return modes as Placement;
}

/** Where each service runs in a mode, by host: what `uxsv status` compares the live hosts against. */
export function servicesByHost(p: ModePlacement, hosts: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(hosts.map((h) => [h, []]));
  const put = (h: string | undefined, s: string) => h && out[h]?.push(s);
  put(p.dns_primary, 'dns-primary');
  for (const s of p.dns_secondaries) put(s, 'dns-secondary');
  put(p.dhcp, 'dhcp');
  for (const [site, h] of Object.entries(p.web)) put(h, `web-${site}`);
  put(p.smtp, 'mail');
  for (const h of p.ntp) put(h, 'ntp');
  return out;
}
