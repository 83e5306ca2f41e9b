/**
 * hostname: as Ansible's hostname module on Debian. With systemd managing
 * the host (or use: systemd/debian) the static and transient names are read
 * and set with hostnamectl; without it (Ansible's FileStrategy) the name is
 * /etc/hostname only, the running name being that file's.
 */
import { quote } from '../../connection/quote.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { writeFileAtomic } from '../lib/fileops.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

interface HostnameArgs {
  name: string;
  use?: string;
}

export interface HostnameState {
  systemd: boolean;
  /** hostnamectl --static (systemd) or /etc/hostname. */
  permanent: string;
  /** hostnamectl --transient (systemd) or the permanent name. */
  current: string;
  /** socket.getfqdn()'s answer on the host. */
  fqdn: string;
}

const FQDN = 'hostname --fqdn 2>/dev/null || hostname 2>/dev/null || cat /proc/sys/kernel/hostname';

const hostnameFact: Fact<{ systemd?: boolean }, HostnameState> = sectionsFact(
  'system.hostname',
  () => ({
    systemd: 'if command -v hostnamectl >/dev/null 2>&1 && { [ -d /run/systemd/system ] || grep -q systemd /proc/1/comm 2>/dev/null; }; then echo yes; fi; true',
    static: 'hostnamectl --static status 2>/dev/null',
    transient: 'hostnamectl --transient status 2>/dev/null',
    file: 'if [ -f /etc/hostname ]; then cat /etc/hostname; fi',
    fqdn: FQDN,
  }),
  (s, { systemd }) => {
    const managed = systemd ?? s.systemd!.out.trim() === 'yes';
    const file = s.file!.out.trim();
    if (managed) return { systemd: true, permanent: s.static!.out.trim(), current: s.transient!.out.trim(), fqdn: s.fqdn!.out.trim() };
    return { systemd: false, permanent: file, current: file, fqdn: s.fqdn!.out.trim() };
  },
);

function hostnameFacts(name: string, fqdn: string): Record<string, string> {
  return {
    ansible_hostname: name.split('.')[0]!,
    ansible_nodename: name,
    ansible_fqdn: fqdn,
    ansible_domain: fqdn.split('.').slice(1).join('.'),
  };
}

const SUPPORTED_USE = ['systemd', 'debian', 'generic'];

export function planHostname(ctx: ModuleContext, args: HostnameArgs, state: HostnameState): Plan {
  const name = args.name;
  if (args.use !== undefined && !SUPPORTED_USE.includes(args.use)) {
    return { changed: false, failed: true, msg: `use: ${args.use} is not supported on the Debian hosts uxsv manages (systemd, debian, generic)` };
  }
  if (args.use === 'generic') return { changed: false, failed: true, msg: 'hostname module cannot be used on platform Linux (use: generic implements nothing)' };
  if (state.systemd && name.length > 64) return { changed: false, failed: true, msg: 'name cannot be longer than 64 characters on systemd servers, try a shorter name' };
  const changed = state.permanent !== name || state.current !== name;
  const before = name !== state.current ? state.current : state.permanent;
  const result = { name, ansible_facts: hostnameFacts(name, state.fqdn) };
  if (!changed) return { changed: false, result };
  return {
    changed: true,
    result,
    diff: [{ before: `hostname = ${before}\n`, after: `hostname = ${name}\n` }],
    apply: async () => {
      if (state.systemd) {
        const steps = [
          state.permanent !== name ? `hostnamectl --pretty --static set-hostname ${quote(name)}` : '',
          state.current !== name ? `hostnamectl --transient set-hostname ${quote(name)}` : '',
        ].filter(Boolean);
        for (const step of steps) {
          const res = await runText(ctx, step);
          if (res.rc !== 0) throw new Error(`Command failed rc=${res.rc}, out=${res.stdout}, err=${res.stderr}`);
        }
      } else {
        await writeFileAtomic(ctx, '/etc/hostname', `${name}\n`, { mode: '0644' });
      }
      const fqdn = (await runText(ctx, FQDN)).stdout.trim();
      return { ansible_facts: hostnameFacts(name, fqdn) };
    },
  };
}

export const hostname: Module<HostnameArgs, HostnameState> = {
  name: 'hostname',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'The host name' },
      use: { type: 'string', description: 'Strategy: systemd or debian (hostnamectl); default: hostnamectl when systemd manages the host, else /etc/hostname' },
    },
  },
  doc: {
    description:
      'Sets the host name like Ansible\'s hostname module on Debian: with systemd, `hostnamectl --static/--transient ' +
      'set-hostname` for the names that differ; without it, /etc/hostname (Ansible\'s file strategy, which leaves the ' +
      'running name alone). Changed when a name differs; the diff shows `hostname = OLD` / `hostname = NEW`.',
    returns: { name: 'the name', ansible_facts: 'ansible_hostname, ansible_nodename, ansible_fqdn, ansible_domain' },
    example: '- name: Name the host\n  hostname:\n    name: "{{ inventory_hostname }}"\n',
  },
  read: (ctx, args) => readFact(ctx, hostnameFact, args.use === 'systemd' || args.use === 'debian' ? { systemd: true } : {}),
  plan: planHostname,
};
