/**
 * hostname: the host's name, permanent (/etc/hostname) and current (kernel).
 * With systemd, `hostnamectl set-hostname` sets both; without it the file is
 * written and `hostname NAME` sets the kernel's.
 */
import { quote } from '../../connection/quote.js';
import { writeFileAtomic } from '../lib/fileops.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readSections, runChecked } from './util.js';

interface HostnameArgs {
  name: string;
  use?: string;
}

export interface HostnameState {
  permanent: string;
  current: string;
  systemd: boolean;
}

async function readHostname(ctx: ModuleContext): Promise<HostnameState> {
  const out = await readSections(ctx, {
    permanent: 'cat /etc/hostname 2>/dev/null | sed -n "/^[^#]/{p;q}"',
    current: 'cat /proc/sys/kernel/hostname',
    systemd: '[ -d /run/systemd/system ] && command -v hostnamectl >/dev/null && echo yes; true',
  });
  return { permanent: out.permanent!.out.trim(), current: out.current!.out.trim(), systemd: out.systemd!.out.trim() === 'yes' };
}

/** Ansible's facts after the change (short name and domain split at the first dot). */
function hostnameFacts(name: string): Record<string, string> {
  const dot = name.indexOf('.');
  return {
    ansible_hostname: dot < 0 ? name : name.slice(0, dot),
    ansible_nodename: name,
    ansible_fqdn: name,
    ansible_domain: dot < 0 ? '' : name.slice(dot + 1),
  };
}

function planHostname(ctx: ModuleContext, args: HostnameArgs, state: HostnameState): Plan {
  const name = args.name;
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(name)) return { changed: false, failed: true, msg: `invalid hostname: ${name}` };
  const changed = state.permanent !== name || state.current !== name;
  const result = { name, ansible_facts: hostnameFacts(name) };
  const diff = ctx.diff && changed ? [{ before: `hostname = ${state.current}\n`, after: `hostname = ${name}\n` }] : undefined;
  if (!changed || ctx.check) return { changed, result, diff };
  return {
    changed,
    result,
    diff,
    apply: async () => {
      if (state.systemd && args.use !== 'debian' && args.use !== 'generic') {
        await runChecked(ctx, `hostnamectl set-hostname -- ${quote(name)}`, 'hostnamectl set-hostname');
        return;
      }
      if (state.permanent !== name) await writeFileAtomic(ctx, '/etc/hostname', `${name}\n`, { mode: '0644' });
      if (state.current !== name) await runChecked(ctx, `hostname -- ${quote(name)} 2>/dev/null || printf '%s' ${quote(name)} > /proc/sys/kernel/hostname`, 'setting the hostname');
    },
  };
}

export const hostname: Module<HostnameArgs, HostnameState> = {
  name: 'hostname',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string' }, use: { enum: ['systemd', 'debian', 'generic'] } },
  },
  doc: {
    description:
      'Sets the host name like Ansible\'s hostname module: changed when /etc/hostname or the running name differ. ' +
      'Uses `hostnamectl set-hostname` when systemd runs (unless use: debian/generic), else writes /etc/hostname and runs `hostname`.',
    returns: { name: 'the name', ansible_facts: 'ansible_hostname, ansible_nodename, ansible_fqdn, ansible_domain' },
    example: '- name: Name the host\n  hostname:\n    name: "{{ inventory_hostname }}"\n',
  },
  read: (ctx) => readHostname(ctx),
  plan: planHostname,
};
