/**
 * The host facts of `gather_facts`/`setup`, as Ansible names them
 * (`ansible_hostname`, `ansible_distribution`, `ansible_default_ipv4`, ...):
 * one shell script (setup-script.ts) prints what it finds, each probe framed
 * by a token it cannot forge, and the facts are built here, on the
 * controller, from text a host may have written to mislead: every field is
 * parsed defensively.
 */
import type { Fact } from './types.js';
import { captured, newSetupToken, setupScript, splitFiles, splitProbes } from './setup-script.js';
import { containerLines, virtualizationFacts } from './virtualization.js';

type Facts = Record<string, unknown>;

export interface SetupParams {
  /** fact_path: folder of local facts (`*.fact`: JSON or INI, or executables printing JSON). */
  factPath?: string;
}

/** The gather_facts fact: every common fact in one round trip. */
export const setupFact: Fact<SetupParams, Facts> = {
  name: 'setup',
  command: (params) => setupScript(params.factPath ?? '/etc/ansible/facts.d', newSetupToken()),
  parse(output) {
    return parseFacts(output.stdout);
  },
};

/**
 * What the script printed, as named values (the names the facts are built
 * from; `key` of a probe or of a file) and the local facts' texts.
 */
export interface SetupProbes {
  values: Map<string, string>;
  /** Lines of `ip -o link show` and `ip -o addr show` (both families), in order. */
  ipLines: string[];
  /** The first line of `ip -4 route show default`, and of `ip -6 ...`. */
  route: string;
  route6: string;
  local: Array<[string, string]>;
}

/** The script's output to named values, each as the former `key=value` script gave it. */
export function readProbes(stdout: Buffer): SetupProbes {
  const out = new Map<string, { text: string; detail: string }>();
  const local: Array<[string, string]> = [];
  for (const probe of splitProbes(stdout)) {
    const text = probe.out.toString('utf8');
    if (probe.name === 'local') local.push([probe.detail, text]);
    else out.set(probe.name, { text, detail: probe.detail });
  }
  const files = splitFiles(out.get('files')?.text ?? '');
  const values = new Map<string, string>();
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) values.set(key, value);
  };
  const probe = (name: string) => out.get(name)?.text;
  const value = (name: string) => {
    const text = probe(name);
    return text === undefined ? undefined : captured(text);
  };
  // The kernel's names, from /proc/sys/kernel (or uname where it is missing).
  const kernel = (file: 'ostype' | 'nodename' | 'osrelease' | 'version', option: string) => {
    const text = files[file] ?? probe(`uname-${option}`);
    return text === undefined ? undefined : captured(text);
  };
  const nodename = kernel('nodename', 'n') ?? '';
  values.set('nodename', nodename);
  // hostname -s: the node name up to its first dot.
  values.set('hostname', nodename.split('.')[0]!);
  const fqdn = out.get('fqdn');
  // hostname -f, or the node name where it fails.
  values.set('fqdn', captured(fqdn ? (fqdn.detail === '0' ? fqdn.text : `${fqdn.text}${nodename}`) : nodename));
  for (const name of ['os_id', 'os_name', 'os_version_id', 'os_codename', 'os_pretty']) put(name, probe(name));
  if (files.debianVersion !== undefined) values.set('debian_version', captured(files.debianVersion));
  put('system', kernel('ostype', 's'));
  put('kernel', kernel('osrelease', 'r'));
  put('kernel_version', kernel('version', 'v'));
  for (const name of ['arch', 'bits', 'nproc', 'python', 'uid', 'gid', 'date', 'virt']) put(name, value(name));
  put('euid', value('uid'));
  put('egid', value('gid'));
  put('meminfo', files.meminfo);
  put('cpuinfo', probe('cpuinfo'));
  values.set('service_mgr', probe('systemd') === 'systemd' ? 'systemd' : captured(files.initComm ?? ''));
  if (probe('pkg_mgr') === 'apt') values.set('pkg_mgr', 'apt');
  put('python_version', value('python_version'));
  const passwd = probe('passwd');
  put('passwd', passwd);
  if (passwd !== undefined) values.set('user_id', passwd === '' ? '' : captured(passwd).split(':')[0]!);
  put('env', probe('env'));
  // date -u at the same second: the epoch of the local date, in UTC.
  const utc = new Date(Number((value('date') ?? '').split(' ')[2]) * 1000);
  if (!Number.isNaN(utc.getTime())) values.set('utc', utc.toISOString().replace(/\.\d+Z$/, 'Z'));
  values.set('uptime', captured(cut(files.uptime ?? '', 0, 1)));
  values.set('loadavg', captured(cut(files.loadavg ?? '', 0, 3)));
  values.set('machine_id', captured(files.machineId ?? ''));
  values.set('cmdline', files.cmdline ?? '');
  values.set('resolv', files.resolv ?? '');
  values.set('mounts', files.mounts ?? '');
  values.set('df', probe('df') ?? '');
  values.set('cgroup1', files.initCgroup ?? '');
  values.set('environ1', containerLines(probe('environ1') ?? ''));
  put('systemd_container', probe('systemd_container'));
  put('virt_paths', probe('virt_paths'));
  put('xencaps', files.xenCapabilities);
  values.set('vendor', captured(files.vendor ?? ''));
  values.set('product', captured(files.product ?? ''));
  if (probe('apparmor') === 'enabled') values.set('apparmor', 'enabled');
  return { values, ipLines: lines(probe('ip') ?? ''), route: firstLine(probe('route')), route6: firstLine(probe('route6')), local };
}

function lines(text: string): string[] {
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/** `head -n1` of a probe's output, without its newline. */
function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]!;
}

/** `cut -d' ' -f(from+1)-(to)` of each line. */
function cut(text: string, from: number, to: number): string {
  return lines(text).map((line) => `${line.split(' ').slice(from, to).join(' ')}\n`).join('');
}

interface Address {
  address: string;
  prefix: number;
  broadcast?: string;
  label: string;
  secondary: boolean;
  scope?: string;
}

function netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

function network(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & bits) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

function ipv4Entry(a: Address): Facts {
  return { address: a.address, netmask: netmask(a.prefix), network: network(a.address, a.prefix), prefix: String(a.prefix), broadcast: a.broadcast ?? '' };
}

/** Builds the facts (Ansible's names, `ansible_` prefixed) from the script's output. */
export function parseFacts(stdout: Buffer, now = new Date()): Facts {
  const probes = readProbes(stdout);
  const kv = probes.values;
  const local: Facts = {};
  for (const [name, text] of probes.local) {
    // defineProperty: a fact file named __proto__.fact is a fact like any other.
    if (/^[\w.-]+$/.test(name)) Object.defineProperty(local, name, { value: localFact(text), enumerable: true, writable: true, configurable: true });
  }
  const facts: Facts = {};
  const set = (name: string, value: unknown) => (facts[`ansible_${name}`] = value);

  const distributionId = kv.get('os_id') ?? '';
  const distribution = distributionId === 'debian' ? 'Debian' : distributionId === 'ubuntu' ? 'Ubuntu' : kv.get('os_name') ?? kv.get('system') ?? '';
  const debianVersion = kv.get('debian_version');
  const version = distributionId === 'debian' && debianVersion && /^\d/.test(debianVersion) ? debianVersion : kv.get('os_version_id') ?? '';
  const hostname = kv.get('hostname') ?? '';
  const fqdn = kv.get('fqdn') ?? hostname;
  set('hostname', hostname);
  set('nodename', kv.get('nodename') ?? hostname);
  set('fqdn', fqdn);
  set('domain', fqdn.includes('.') ? fqdn.split('.').slice(1).join('.') : '');
  set('distribution', distribution);
  set('distribution_version', version);
  set('distribution_major_version', version.split('.')[0] ?? '');
  set('distribution_minor_version', version.split('.')[1] ?? '');
  set('distribution_release', kv.get('os_codename') ?? '');
  set('distribution_file_parsed', true);
  set('distribution_file_variety', distributionId === 'debian' || distributionId === 'ubuntu' ? 'Debian' : distribution);
  set('os_family', ['debian', 'ubuntu'].includes(distributionId) ? 'Debian' : distribution);
  set('lsb', { id: distribution, codename: kv.get('os_codename') ?? '', release: version, major_release: version.split('.')[0] ?? '', description: kv.get('os_pretty') ?? '' });
  set('system', kv.get('system') ?? 'Linux');
  set('kernel', kv.get('kernel') ?? '');
  set('kernel_version', kv.get('kernel_version') ?? '');
  set('architecture', kv.get('arch') ?? '');
  set('machine', kv.get('arch') ?? '');
  set('userspace_architecture', kv.get('arch') ?? '');
  set('userspace_bits', kv.get('bits') ?? '64');
  Object.assign(facts, memoryFacts(kv.get('meminfo') ?? ''));
  Object.assign(facts, cpuFacts(kv.get('cpuinfo') ?? '', Number(kv.get('nproc') ?? 1) || 1));
  set('service_mgr', kv.get('service_mgr') ?? '');
  set('pkg_mgr', kv.get('pkg_mgr') ?? 'unknown');
  Object.assign(facts, pythonFacts(kv.get('python') ?? '', kv.get('python_version') ?? ''));
  Object.assign(facts, userFacts(kv, kv.get('passwd') ?? ''));
  set('env', envFacts(kv.get('env') ?? ''));
  set('date_time', dateTime(kv.get('date'), kv.get('utc'), now));
  set('uptime_seconds', Math.floor(Number(kv.get('uptime') ?? 0)) || 0);
  const load = (kv.get('loadavg') ?? '').split(' ').map(Number);
  set('loadavg', { '1m': load[0] || 0, '5m': load[1] || 0, '15m': load[2] || 0 });
  set('machine_id', kv.get('machine_id') ?? '');
  const cmdline = (kv.get('cmdline') ?? '').trim();
  set('proc_cmdline', cmdlineFacts(cmdline));
  set('cmdline', cmdlineFacts(cmdline));
  set('dns', dnsFacts(kv.get('resolv') ?? ''));
  set('mounts', mountFacts(kv.get('mounts') ?? '', kv.get('df') ?? ''));
  const virtualization = virtualizationFacts({
    cgroup: kv.get('cgroup1') ?? '',
    environ: kv.get('environ1') ?? '',
    systemdContainer: (kv.get('systemd_container') ?? '').trim(),
    paths: (kv.get('virt_paths') ?? '').split(',').filter(Boolean),
    xenCapabilities: kv.get('xencaps') ?? '',
    detected: kv.get('virt') ?? '',
  });
  for (const [name, value] of Object.entries(virtualization)) set(name, value);
  set('system_vendor', kv.get('vendor') || 'NA');
  set('product_name', kv.get('product') || 'NA');
  set('selinux', { status: 'disabled' });
  set('selinux_python_present', false);
  set('apparmor', { status: kv.get('apparmor') === 'enabled' ? 'enabled' : 'disabled' });
  set('fips', false);
  set('is_chroot', false);
  set('hostnqn', '');
  set('iscsi_iqn', '');
  set('local', local);
  // Each parser keeps its own lines: link lines, inet lines, inet6 lines.
  Object.assign(facts, networkFacts(probes.ipLines, probes.ipLines, probes.ipLines, probes.route, probes.route6));
  facts.gather_subset = ['all'];
  facts.module_setup = true;
  return facts;
}

function memoryFacts(meminfo: string): Facts {
  const kb = new Map<string, number>();
  for (const line of meminfo.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1], Number(m[2]));
  }
  const mb = (k: string) => Math.floor((kb.get(k) ?? 0) / 1024);
  const total = mb('MemTotal');
  const free = mb('MemFree');
  const available = mb('MemAvailable');
  return {
    ansible_memtotal_mb: total,
    ansible_memfree_mb: free,
    ansible_swaptotal_mb: mb('SwapTotal'),
    ansible_swapfree_mb: mb('SwapFree'),
    ansible_memory_mb: {
      real: { total, free, used: total - free },
      nocache: { free: available, used: total - available },
      swap: { total: mb('SwapTotal'), free: mb('SwapFree'), used: mb('SwapTotal') - mb('SwapFree'), cached: mb('SwapCached') },
    },
  };
}

function cpuFacts(cpuinfo: string, nproc: number): Facts {
  const processor: string[] = [];
  const physical = new Set<string>();
  let cores = 0;
  let siblings = 0;
  for (const line of cpuinfo.split('\n')) {
    const [k, v] = line.split(':').map((s) => s?.trim() ?? '');
    if (k === 'processor') processor.push(v);
    else if (k === 'model name') processor.push(v);
    else if (k === 'physical id') physical.add(v);
    else if (k === 'cpu cores') cores = Number(v) || cores;
    else if (k === 'siblings') siblings = Number(v) || siblings;
  }
  const count = physical.size || 1;
  const perCore = cores && siblings ? Math.max(1, Math.floor(siblings / cores)) : 1;
  return {
    ansible_processor: processor,
    ansible_processor_count: count,
    ansible_processor_cores: cores || nproc,
    ansible_processor_threads_per_core: perCore,
    ansible_processor_vcpus: nproc,
    ansible_processor_nproc: nproc,
  };
}

function pythonFacts(executable: string, version: string): Facts {
  const [numbers, level, serial] = version.split(' ');
  const [major, minor, micro] = (numbers ?? '').split('.').map((n) => Number(n) || 0);
  if (!executable) return { ansible_python: { executable: '' }, ansible_python_version: '' };
  return {
    ansible_python: {
      executable, type: 'cpython', has_sslcontext: true,
      version: { major, minor, micro, releaselevel: level ?? 'final', serial: Number(serial) || 0 },
      version_info: [major, minor, micro, level ?? 'final', Number(serial) || 0],
    },
    ansible_python_version: `${major}.${minor}.${micro}`,
  };
}

function userFacts(kv: Map<string, string>, passwd: string): Facts {
  const fields = passwd.trim().split(':');
  const uid = Number(kv.get('uid') ?? fields[2] ?? 0);
  const gid = Number(kv.get('gid') ?? fields[3] ?? 0);
  return {
    ansible_user_id: kv.get('user_id') ?? fields[0] ?? '',
    ansible_user_uid: uid,
    ansible_user_gid: gid,
    ansible_user_gecos: fields[4] ?? '',
    ansible_user_dir: fields[5] ?? '',
    ansible_user_shell: fields[6] ?? '',
    ansible_real_user_id: uid,
    ansible_effective_user_id: Number(kv.get('euid') ?? uid),
    ansible_real_group_id: gid,
    ansible_effective_group_id: Number(kv.get('egid') ?? gid),
  };
}

function envFacts(env: string): Facts {
  const out: Facts = {};
  for (const entry of env.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

function cmdlineFacts(cmdline: string): Facts {
  const out: Facts = {};
  for (const word of cmdline.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq < 0) out[word] = true;
    else out[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return out;
}

function dnsFacts(resolv: string): Facts {
  const nameservers: string[] = [];
  let search: string[] | undefined;
  let domain: string | undefined;
  for (const line of resolv.split('\n')) {
    const [k, ...rest] = line.trim().split(/\s+/);
    if (k === 'nameserver' && rest[0]) nameservers.push(rest[0]);
    else if (k === 'search') search = rest;
    else if (k === 'domain') domain = rest[0];
  }
  return { nameservers, ...(search ? { search } : {}), ...(domain ? { domain } : {}) };
}

function mountFacts(mounts: string, df: string): Facts[] {
  const sizes = new Map<string, { total: number; available: number }>();
  for (const line of df.split('\n').slice(1)) {
    const w = line.trim().split(/\s+/);
    if (w.length >= 6) sizes.set(w.slice(5).join(' '), { total: Number(w[1]) * 1024, available: Number(w[3]) * 1024 });
  }
  const out: Facts[] = [];
  for (const line of mounts.split('\n')) {
    const [device, mount, fstype, options] = line.split(' ');
    if (!mount || !device?.startsWith('/')) continue;
    const size = sizes.get(mount);
    out.push({ device, mount, fstype, options, size_total: size?.total ?? 0, size_available: size?.available ?? 0, uuid: 'N/A' });
  }
  return out;
}

function networkFacts(links: string[], addrs: string[], addrs6: string[], route: string, route6: string): Facts {
  const interfaces: Record<string, { mac?: string; mtu?: number; up: boolean; addresses: Address[]; addresses6: Address[] }> = {};
  for (const l of links) {
    // "2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... link/ether aa:bb:.. brd ..."
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>.*?mtu (\d+).*?link\/\S+\s*([0-9a-f:]+)?/.exec(l);
    if (!m) continue;
    interfaces[m[1]] = { mac: m[4], mtu: Number(m[3]), up: m[2].split(',').includes('UP'), addresses: [], addresses6: [] };
  }
  for (const a of addrs) {
    // "2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global [secondary] eth0:1\       valid_lft ..."
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\/(\d+)(?:\s+brd\s+([\d.]+))?.*?scope\s+\S+\s+(.*?)\\/.exec(a);
    if (!m) continue;
    const words = m[5].trim().split(/\s+/);
    const iface = (interfaces[m[1]] ??= { up: true, addresses: [], addresses6: [] });
    iface.addresses.push({ address: m[2], prefix: Number(m[3]), broadcast: m[4], secondary: words.includes('secondary'), label: words[words.length - 1] || m[1] });
  }
  for (const a of addrs6) {
    const m = /^\d+:\s+(\S+)\s+inet6\s+([0-9a-f:]+)\/(\d+)\s+scope\s+(\S+)/.exec(a);
    if (!m) continue;
    const iface = (interfaces[m[1]] ??= { up: true, addresses: [], addresses6: [] });
    iface.addresses6.push({ address: m[2], prefix: Number(m[3]), scope: m[4], secondary: false, label: m[1] });
  }
  const facts: Facts = {};
  facts.ansible_interfaces = Object.keys(interfaces);
  facts.ansible_all_ipv4_addresses = Object.entries(interfaces).filter(([name]) => name !== 'lo').flatMap(([, i]) => i.addresses.map((a) => a.address));
  facts.ansible_all_ipv6_addresses = Object.entries(interfaces).filter(([name]) => name !== 'lo').flatMap(([, i]) => i.addresses6.map((a) => a.address));
  for (const [name, i] of Object.entries(interfaces)) {
    const primary = i.addresses.find((a) => !a.secondary);
    facts[`ansible_${name.replace(/[^A-Za-z0-9_]/g, '_')}`] = {
      device: name,
      active: i.up,
      macaddress: i.mac ?? '',
      mtu: i.mtu,
      type: name === 'lo' ? 'loopback' : 'ether',
      ...(primary ? { ipv4: ipv4Entry(primary) } : {}),
      ipv4_secondaries: i.addresses.filter((a) => a !== primary).map((a) => ({ ...ipv4Entry(a), label: a.label })),
      ...(i.addresses6.length ? { ipv6: i.addresses6.map((a) => ({ address: a.address, prefix: String(a.prefix), scope: a.scope })) } : {}),
    };
  }
  // "default via 198.51.100.1 dev eth0 proto static"
  const defaultRoute = (text: string, v6: boolean): Facts => {
    const r = /via\s+(\S+)\s+dev\s+(\S+)/.exec(text) ?? /dev\s+(\S+)/.exec(text);
    if (!r) return {};
    const gateway = r.length > 2 ? r[1] : '';
    const dev = r.length > 2 ? r[2] : r[1];
    const iface = interfaces[dev];
    if (!iface) return {};
    if (v6) {
      const a = iface.addresses6.find((x) => x.scope === 'global');
      return a ? { address: a.address, prefix: String(a.prefix), scope: a.scope, gateway, interface: dev, macaddress: iface.mac ?? '', type: 'ether' } : {};
    }
    const primary = iface.addresses.find((a) => !a.secondary);
    return primary ? { ...ipv4Entry(primary), gateway, interface: dev, macaddress: iface.mac ?? '', alias: dev, type: 'ether', mtu: iface.mtu } : {};
  };
  facts.ansible_default_ipv4 = defaultRoute(route, false);
  facts.ansible_default_ipv6 = defaultRoute(route6, true);
  return facts;
}

/** A local fact file: JSON, or INI (sections of key=value), as Ansible reads them. */
function localFact(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const out: Record<string, Record<string, string>> = {};
    let section: Record<string, string> | undefined;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const s = /^\[(.+)\]$/.exec(line);
      if (s) out[s[1]] = section = {};
      else if (section) {
        const eq = line.search(/[=:]/);
        if (eq > 0) section[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
      }
    }
    return Object.keys(out).length ? out : 'error loading facts as JSON or ini - please check content';
  }
}

function dateTime(local: string | undefined, utc: string | undefined, now: Date): Facts {
  // "2026-11-25 13:00:39 1764075639 UTC +0000 Wednesday 329 3 47 Nov November Wed 3 26"
  const w = (local ?? '').split(' ');
  if (w.length < 11) {
    const iso = now.toISOString();
    return { iso8601: iso.replace(/\.\d+Z$/, 'Z'), epoch: String(Math.floor(now.getTime() / 1000)), date: iso.slice(0, 10), time: iso.slice(11, 19) };
  }
  const [date, time, epoch, tz, offset, weekday, yday, wdayNumber, weeknumber, monthShort, month] = w;
  const [year, mon, day] = date.split('-');
  const [hour, minute, second] = time.split(':');
  return {
    date, time, epoch, epoch_int: epoch, tz, tz_dst: tz, tz_offset: offset, weekday, weekday_number: wdayNumber, weeknumber, year, month: mon, day, hour, minute, second,
    iso8601: utc ?? '', iso8601_micro: (utc ?? '').replace('Z', '.000000Z'), iso8601_basic: `${year}${mon}${day}T${hour}${minute}${second}000000`,
    iso8601_basic_short: `${year}${mon}${day}T${hour}${minute}${second}`, monthname: month, monthname_short: monthShort, julian_day: yday,
  };
}

/**
 * Facts as variables, Ansible's way: `ansible_facts` holds them without the
 * `ansible_` prefix, and each is also a variable of its own as the module
 * named it (ansible_hostname, or a custom fact's own name).
 */
export function factsAsVars(facts: Facts, inject = true): Record<string, unknown> {
  const namespaced: Facts = {};
  for (const [k, v] of Object.entries(facts)) namespaced[k.startsWith('ansible_') && k !== 'ansible_local' ? k.slice(8) : k] = v;
  return inject ? { ...facts, ansible_facts: namespaced } : { ansible_facts: namespaced };
}

/** `filter` of setup: only the facts whose names match these shell-style patterns. */
export function filterFacts(facts: Facts, patterns: string[]): Facts {
  if (!patterns.length || patterns.includes('*')) return facts;
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return Object.fromEntries(Object.entries(facts).filter(([k]) => res.some((re) => re.test(k))));
}
