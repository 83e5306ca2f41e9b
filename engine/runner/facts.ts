/**
 * gather_facts: one remote command per host prints everything as key=value
 * lines; the Ansible fact names are built here, on the controller.
 */
import type { Connection } from '../connection/types.js';

/** Runs with /bin/sh; every probe tolerates a missing tool. */
export const FACTS_SCRIPT = String.raw`
echo "hostname=$(hostname -s 2>/dev/null || uname -n)"
echo "fqdn=$(hostname -f 2>/dev/null || uname -n)"
if [ -r /etc/os-release ]; then . /etc/os-release; echo "os_id=$ID"; echo "os_name=$NAME"; echo "os_version_id=$VERSION_ID"; echo "os_codename=$VERSION_CODENAME"; fi
[ -r /etc/debian_version ] && echo "debian_version=$(cat /etc/debian_version)"
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
echo "system=$(uname -s)"
echo "memtotal_kb=$(awk '/^MemTotal:/{print $2}' /proc/meminfo 2>/dev/null)"
echo "memfree_kb=$(awk '/^MemAvailable:/{print $2}' /proc/meminfo 2>/dev/null)"
echo "nproc=$(nproc 2>/dev/null || echo 1)"
if [ -d /run/systemd/system ]; then echo "service_mgr=systemd"; else echo "service_mgr=$(cat /proc/1/comm 2>/dev/null)"; fi
command -v apt-get >/dev/null 2>&1 && echo "pkg_mgr=apt"
echo "python=$(command -v python3 2>/dev/null)"
echo "user_id=$(id -un)"
echo "date=$(date '+%Y-%m-%d %H:%M:%S %s %Z %z %A %j %u %U %b %B')"
echo "utc=$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
if command -v ip >/dev/null 2>&1; then
  ip -o link show 2>/dev/null | sed 's/^/link=/'
  ip -o -4 addr show 2>/dev/null | sed 's/^/addr4=/'
  ip -4 route show default 2>/dev/null | head -n1 | sed 's/^/route=/'
fi
`;

type Facts = Record<string, unknown>;

interface Address {
  address: string;
  prefix: number;
  broadcast?: string;
  label: string;
  secondary: boolean;
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

export function parseFacts(output: string, now = new Date()): Facts {
  const kv = new Map<string, string>();
  const links: string[] = [];
  const addrs: string[] = [];
  let route = '';
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'link') links.push(value);
    else if (key === 'addr4') addrs.push(value);
    else if (key === 'route') route = value;
    else kv.set(key, value);
  }

  const interfaces: Record<string, { mac?: string; mtu?: number; up: boolean; addresses: Address[] }> = {};
  for (const l of links) {
    // "2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... link/ether aa:bb:.. brd ..."
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>.*?mtu (\d+).*?link\/\S+\s+([0-9a-f:]+)?/.exec(l);
    if (!m) continue;
    interfaces[m[1]] = { mac: m[4], mtu: Number(m[3]), up: m[2].split(',').includes('UP'), addresses: [] };
  }
  for (const a of addrs) {
    // "2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global [secondary] eth0:1\       valid_lft ..."
    const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\/(\d+)(?:\s+brd\s+([\d.]+))?.*?scope\s+\S+\s+(.*?)\\/.exec(a);
    if (!m) continue;
    const words = m[5].trim().split(/\s+/);
    const iface = (interfaces[m[1]] ??= { up: true, addresses: [] });
    iface.addresses.push({ address: m[2], prefix: Number(m[3]), broadcast: m[4], secondary: words.includes('secondary'), label: words[words.length - 1] || m[1] });
  }

  const facts: Facts = {};
  const distributionId = kv.get('os_id') ?? '';
  const distribution = distributionId === 'debian' ? 'Debian' : distributionId === 'ubuntu' ? 'Ubuntu' : kv.get('os_name') ?? kv.get('system') ?? '';
  const debianVersion = kv.get('debian_version');
  const version = distributionId === 'debian' && debianVersion && /^\d/.test(debianVersion) ? debianVersion : kv.get('os_version_id') ?? '';
  facts.hostname = kv.get('hostname') ?? '';
  facts.nodename = facts.hostname;
  facts.fqdn = kv.get('fqdn') ?? facts.hostname;
  facts.domain = String(facts.fqdn).includes('.') ? String(facts.fqdn).split('.').slice(1).join('.') : '';
  facts.distribution = distribution;
  facts.distribution_version = version;
  facts.distribution_major_version = version.split('.')[0] ?? '';
  facts.distribution_release = kv.get('os_codename') ?? '';
  facts.os_family = ['debian', 'ubuntu'].includes(distributionId) ? 'Debian' : distribution;
  facts.system = kv.get('system') ?? 'Linux';
  facts.kernel = kv.get('kernel') ?? '';
  facts.architecture = kv.get('arch') ?? '';
  facts.machine = facts.architecture;
  facts.memtotal_mb = Math.floor(Number(kv.get('memtotal_kb') ?? 0) / 1024);
  facts.memfree_mb = Math.floor(Number(kv.get('memfree_kb') ?? 0) / 1024);
  facts.processor_vcpus = Number(kv.get('nproc') ?? 1);
  facts.service_mgr = kv.get('service_mgr') ?? '';
  facts.pkg_mgr = kv.get('pkg_mgr') ?? 'unknown';
  facts.python = { executable: kv.get('python') ?? '' };
  facts.user_id = kv.get('user_id') ?? '';
  facts.interfaces = Object.keys(interfaces);
  facts.all_ipv4_addresses = Object.entries(interfaces)
    .filter(([name]) => name !== 'lo')
    .flatMap(([, i]) => i.addresses.map((a) => a.address));
  for (const [name, i] of Object.entries(interfaces)) {
    const primary = i.addresses.find((a) => !a.secondary);
    facts[name.replace(/[^A-Za-z0-9_]/g, '_')] = {
      device: name,
      active: i.up,
      macaddress: i.mac ?? '',
      mtu: i.mtu,
      ...(primary ? { ipv4: ipv4Entry(primary) } : {}),
      ipv4_secondaries: i.addresses.filter((a) => a !== primary).map((a) => ({ ...ipv4Entry(a), label: a.label })),
    };
  }
  // "default via 198.51.100.1 dev eth0 proto static"
  const r = /via\s+([\d.]+)\s+dev\s+(\S+)/.exec(route) ?? /dev\s+(\S+)/.exec(route);
  facts.default_ipv4 = {};
  if (r) {
    const gateway = r.length > 2 ? r[1] : '';
    const dev = r.length > 2 ? r[2] : r[1];
    const primary = interfaces[dev]?.addresses.find((a) => !a.secondary);
    if (primary) facts.default_ipv4 = { ...ipv4Entry(primary), gateway, interface: dev, macaddress: interfaces[dev].mac ?? '', alias: dev, type: 'ether' };
  }
  facts.date_time = dateTime(kv.get('date'), kv.get('utc'), now);
  return facts;
}

function dateTime(local: string | undefined, utc: string | undefined, now: Date): Facts {
  // "2026-11-25 13:00:39 1764075639 UTC +0000 Wednesday 329 3 47 Nov November"
  const w = (local ?? '').split(' ');
  if (w.length < 11) {
    const iso = now.toISOString();
    return { iso8601: iso.replace(/\.\d+Z$/, 'Z'), epoch: String(Math.floor(now.getTime() / 1000)), date: iso.slice(0, 10), time: iso.slice(11, 19) };
  }
  const [date, time, epoch, tz, offset, weekday, yday, wdayNumber, weeknumber, monthShort, month] = w;
  const [year, mon, day] = date.split('-');
  const [hour, minute, second] = time.split(':');
  return {
    date, time, epoch, tz, tz_offset: offset, weekday, weekday_number: wdayNumber, weeknumber, year, month: mon, day, hour, minute, second,
    iso8601: utc ?? '', iso8601_basic_short: `${year}${mon}${day}T${hour}${minute}${second}`, monthname: month, monthname_short: monthShort, julian_day: yday,
  };
}

export async function gatherFacts(conn: Connection, timeoutMs: number): Promise<Facts> {
  const result = await conn.exec(FACTS_SCRIPT, { timeoutMs });
  if (result.timedOut) throw new Error('gathering facts timed out');
  return parseFacts(result.stdout.toString('utf8'));
}

/** Facts as Ansible exposes them: `ansible_facts.x` and, injected, `ansible_x`. */
export function factsAsVars(facts: Facts): Record<string, unknown> {
  const out: Record<string, unknown> = { ansible_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v;
  return out;
}
