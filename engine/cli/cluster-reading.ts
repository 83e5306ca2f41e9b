/**
 * What `uxsv status` and `uxsv check` read from each cluster host before
 * anything else: the mode it records, which cluster units are active, its
 * addresses, its DNS role and its enabled web sites. One command per host,
 * with a handful of processes (one systemctl for every unit), parsed here.
 */
import { quote } from '../connection/quote.js';

export interface HostReading {
  host: string;
  reachable: boolean;
  error?: string;
  mode?: string;
  active: Record<string, boolean>;
  addresses: string[];
  dnsRole?: 'primary' | 'secondary';
  sites: string[];
}

export const STATUS_UNITS = ['named', 'uxsv-dhcpd', 'apache2', 'postfix', 'dovecot', 'chrony', 'uxsv-mirror.timer'];

const NAMED_ZONES = '/etc/bind/named.conf.local';
const SITES_ENABLED = '/etc/apache2/sites-enabled';

/** The shell command reading one host; each part is framed by an `@name` line. */
export function readingScript(modeFile: string, iface: string): string {
  return [
    `printf '@mode\\n'; cat -- ${quote(modeFile)} 2>/dev/null || echo none`,
    // One line per unit, in the order given (an unknown unit is "inactive").
    `printf '\\n@units\\n'; systemctl is-active -- ${STATUS_UNITS.map(quote).join(' ')} 2>/dev/null`,
    `printf '@addr\\n'; ip -4 -o addr show dev ${quote(iface)} 2>/dev/null`,
    `printf '@zones\\n'; grep -shoE 'type +(master|primary|slave|secondary)' -- ${NAMED_ZONES}`,
    `printf '@sites\\n'; for f in ${SITES_ENABLED}/*; do [ -e "$f" ] && printf '%s\\n' "\${f##*/}"; done`,
    `printf '@end\\n'`,
  ].join('\n');
}

/** The parts of the output by name (lines without the final empty one). */
function parts(stdout: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^@(mode|units|addr|zones|sites|end)$/.exec(line);
    if (m) out[m[1]!] = current = [];
    else current?.push(line);
  }
  for (const lines of Object.values(out)) while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return out;
}

/** The reading from the command's output; a host's output is data (a missing part reads as nothing there). */
export function parseReading(host: string, stdout: string): HostReading {
  const p = parts(stdout);
  const reading: HostReading = { host, reachable: true, active: {}, addresses: [], sites: [] };
  reading.mode = (p.mode ?? []).join('\n').trim() || 'none';
  const states = p.units ?? [];
  // systemctl gives one line per unit; anything else (no systemctl) says nothing is active.
  STATUS_UNITS.forEach((unit, i) => (reading.active[unit] = states.length === STATUS_UNITS.length && states[i]!.trim() === 'active'));
  for (const line of p.addr ?? []) {
    const m = /\sinet\s+([0-9.]+)(?:\/\d+)?\s/.exec(line);
    if (m) reading.addresses.push(m[1]!);
  }
  const zones = (p.zones ?? []).map((l) => l.replace(/^type +/, ''));
  if (zones.some((z) => z === 'master' || z === 'primary')) reading.dnsRole = 'primary';
  else if (zones.some((z) => z === 'slave' || z === 'secondary')) reading.dnsRole = 'secondary';
  reading.sites = (p.sites ?? []).filter(Boolean).map((name) => name.replace(/\.conf$/, ''));
  return reading;
}
