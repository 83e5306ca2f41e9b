/**
 * Modules that read the host into facts, and the small dpkg selection module:
 * getent (a database into getent_DATABASE), package_facts (every installed
 * package), service_facts (every service), dpkg_selections.
 */
import { getentFact, type GetentResult } from '../../facts/accounts.js';
import { dpkgSelectionFact, installedPackagesFact, type InstalledPackage } from '../../facts/dpkg.js';
import { readFact } from '../../facts/index.js';
import { servicesFact, type ServiceInfo } from '../../facts/systemd.js';
import { boolSchema, text, toBool } from '../lib/args.js';
import type { Module, Plan } from '../types.js';
import { runText } from './util.js';
import { pySplitlines } from '../core/shlex.js';

// ------------------------------------------------------------- getent

export interface GetentArgs {
  database: string;
  key?: string | number;
  service?: string;
  split?: string;
  fail_key?: unknown;
}

const COLON_DATABASES = ['passwd', 'shadow', 'group', 'gshadow'];

/** Python's str.split(sep): no separator splits on runs of whitespace. */
function pySplit(line: string, sep: string | undefined): string[] {
  if (sep === undefined) return line.split(/\s+/).filter(Boolean);
  return line.split(sep);
}

/** getent's output as Ansible's facts: the first field is the key; a key seen twice becomes a list of records. */
export function getentFacts(database: string, out: string, split: string | undefined): Record<string, unknown> {
  const sep = split ?? (COLON_DATABASES.includes(database) ? ':' : undefined);
  const tree: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const line of pySplitlines(out)) {
    const record = pySplit(line, sep);
    const key = record[0] ?? '';
    const rest = record.slice(1);
    const count = seen.get(key) ?? 0;
    if (count === 0) tree[key] = rest;
    else {
      if (count === 1) tree[key] = [tree[key]];
      (tree[key] as unknown[]).push(rest);
    }
    seen.set(key, count + 1);
  }
  return tree;
}

export function planGetent(args: GetentArgs, res: GetentResult): Plan {
  const tree = `getent_${args.database}`;
  if (res.rc === 0) return { changed: false, result: { ansible_facts: { [tree]: getentFacts(args.database, res.stdout, args.split) } } };
  if (res.rc === 2) {
    const msg = 'One or more supplied key could not be found in the database.';
    if (!toBool(args.fail_key, true)) return { changed: false, result: { ansible_facts: { [tree]: { [text(args.key) ?? 'None']: null } } }, msg };
    return { changed: false, failed: true, msg };
  }
  if (res.rc === 1) return { changed: false, failed: true, msg: 'Missing arguments, or database unknown.' };
  if (res.rc === 3) return { changed: false, failed: true, msg: 'Enumeration not supported on this database.' };
  return { changed: false, failed: true, msg: 'Unexpected failure!' };
}

export const getent: Module<GetentArgs, GetentResult> = {
  name: 'getent',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['database'],
    properties: {
      database: { type: 'string', description: 'passwd, group, shadow, hosts, services, ...' },
      key: { type: ['string', 'number'], description: 'One entry (all of them when omitted)' },
      service: { type: 'string', description: 'Override the NSS service (getent -s)' },
      split: { type: 'string', description: 'Field separator (default : for passwd/group/shadow/gshadow, else whitespace)' },
      fail_key: { ...boolSchema, description: 'Fail when the key is missing (default true)' },
    },
  },
  doc: {
    description: 'Runs getent on the host and sets the fact getent_DATABASE (key -> list of the other fields; a key seen twice gets a list of records), like Ansible\'s getent.',
    returns: { ansible_facts: 'getent_DATABASE' },
    example: '- getent:\n    database: passwd\n    key: root\n- debug:\n    var: getent_passwd.root\n',
  },
  read: (ctx, args) => readFact(ctx, getentFact, { database: args.database, ...(args.key !== undefined ? { key: String(args.key) } : {}), ...(args.service ? { service: args.service } : {}) }),
  plan: (_ctx, args, res) => planGetent(args, res),
};

// ------------------------------------------------------------- dpkg_selections

export interface DpkgSelectionsArgs {
  name: string;
  selection: 'install' | 'hold' | 'deinstall' | 'purge';
}

export const dpkgSelections: Module<DpkgSelectionsArgs, string | undefined> = {
  name: 'dpkg_selections',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'selection'],
    properties: {
      name: { type: 'string', description: 'The package' },
      selection: { enum: ['install', 'hold', 'deinstall', 'purge'], description: 'The dpkg selection state' },
    },
  },
  doc: {
    description: 'Sets a package\'s dpkg selection (install, hold, deinstall, purge) with dpkg --set-selections, like Ansible\'s dpkg_selections.',
    returns: { before: 'the selection before ("not present" when dpkg does not know the package)', after: 'the selection asked for' },
    example: '- name: Keep the kernel as it is\n  dpkg_selections:\n    name: linux-image-amd64\n    selection: hold\n',
  },
  read: (ctx, args) => readFact(ctx, dpkgSelectionFact, { name: args.name }),
  plan: (ctx, args, current) => {
    const before = current ?? 'not present';
    const changed = before !== args.selection;
    return {
      changed,
      result: { before, after: args.selection },
      apply: changed
        ? async () => {
            const res = await runText(ctx, 'dpkg --set-selections', { stdin: `${args.name} ${args.selection}` });
            if (res.rc !== 0) throw new Error(`dpkg --set-selections failed (rc ${res.rc}): ${res.stderr.trim()}`);
          }
        : undefined,
    };
  },
};

// ------------------------------------------------------------- package_facts

export interface PackageFactsArgs {
  manager?: string | string[];
  strategy?: 'first' | 'all';
}

export const packageFacts: Module<PackageFactsArgs, Map<string, InstalledPackage>> = {
  name: 'package_facts',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      manager: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'auto or apt (the Debian hosts uxsv manages have dpkg/apt only)' },
      strategy: { enum: ['first', 'all'], description: 'Accepted; one manager exists' },
    },
  },
  doc: {
    description:
      'Sets the fact `packages`: every installed package (dpkg) as package_facts with the apt manager returns it, ' +
      'name -> [{name, version, arch, category, origin, source: apt}] (a foreign architecture\'s package as name:arch; ' +
      'origin is the archive offering the installed version, empty when only dpkg has it). No python3-apt needed.',
    returns: { ansible_facts: 'packages' },
    example: '- package_facts:\n- debug:\n    msg: "{{ ansible_facts.packages.rsync[0].version }}"\n',
  },
  read: (ctx, args) => {
    const managers = args.manager === undefined ? ['auto'] : Array.isArray(args.manager) ? args.manager : [args.manager];
    if (!managers.some((m) => m === 'auto' || m === 'apt')) return Promise.resolve(new Map());
    return readFact(ctx, installedPackagesFact, undefined);
  },
  plan: (_ctx, args, packages) => {
    const managers = (args.manager === undefined ? ['auto'] : Array.isArray(args.manager) ? args.manager : [args.manager]).map((m) => m.toLowerCase());
    const known = ['auto', 'apt', 'rpm', 'portage', 'pkg', 'pacman', 'apk', 'pkg_info'];
    const unsupported = managers.filter((m) => !known.includes(m));
    if (unsupported.length > 0) return { changed: false, failed: true, msg: `Unsupported package managers requested: ${unsupported.join(', ')}` };
    if (!managers.some((m) => m === 'auto' || m === 'apt')) {
      return { changed: false, failed: true, msg: `Could not detect a supported package manager from the following list: ${JSON.stringify(managers)}, or the required Python library is not installed. Check warnings for details.` };
    }
    const facts: Record<string, InstalledPackage[]> = {};
    for (const [name, pkg] of packages) facts[name] = [pkg];
    return { changed: false, result: { ansible_facts: { packages: facts } } };
  },
};

// ------------------------------------------------------------- service_facts

export const serviceFacts: Module<Record<string, never>, Record<string, ServiceInfo>> = {
  name: 'service_facts',
  schema: { type: 'object', additionalProperties: false, properties: {} },
  doc: {
    description:
      'Sets the fact `services`: every service as Ansible\'s service_facts lists them on Linux: init scripts from ' +
      '`service --status-all` (source sysv, state running/stopped) and, with systemd, every unit of type service from ' +
      'list-units and list-unit-files (state running/stopped or its ActiveState, status = enabled/disabled/static/...).',
    returns: { ansible_facts: 'services: name -> {name, state, status, source}' },
    example: '- service_facts:\n- debug:\n    var: ansible_facts.services["cron.service"].state\n',
  },
  read: (ctx) => readFact(ctx, servicesFact, undefined),
  plan: (_ctx, _args, services) => {
    if (Object.keys(services).length === 0) {
      return { changed: false, result: { skipped: true }, msg: 'Failed to find any services. This can be due to privileges or some other configuration issue.' };
    }
    return { changed: false, result: { ansible_facts: { services } } };
  },
};
