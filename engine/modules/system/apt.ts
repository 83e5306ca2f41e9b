/**
 * apt: Debian packages, as Ansible's apt module for state present/absent/latest.
 * State is read with one `dpkg-query` (plus `apt-cache policy` for latest and
 * the cache timestamp when update_cache is set), all in one round trip.
 */
import { shellJoin } from '../../connection/quote.js';
import { boolSchema, pick, stringListSchema, toBool, toList } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { lines, outputLines, readSections, runChecked, type Section } from './util.js';

export interface AptArgs {
  name?: string | string[];
  pkg?: string | string[];
  package?: string | string[];
  state?: 'present' | 'absent' | 'latest' | 'installed' | 'removed';
  update_cache?: unknown;
  'update-cache'?: unknown;
  cache_valid_time?: number;
  install_recommends?: unknown;
  'install-recommends'?: unknown;
  purge?: unknown;
  autoremove?: unknown;
  force_apt_get?: unknown;
}

/** What dpkg knows about one package. */
export interface DpkgPackage {
  name: string;
  /** The three words of ${Status}: want, error flag, state. */
  want: string;
  status: string;
  version: string;
}

export interface AptPolicy {
  installed?: string;
  candidate?: string;
}

export interface AptState {
  packages: Map<string, DpkgPackage>;
  policy: Map<string, AptPolicy>;
  /** Seconds since the last successful `apt-get update` (undefined when unknown). */
  cacheAge?: number;
  /** Epoch seconds of that update. */
  cacheTime?: number;
  /** `apt-get -s autoremove` lines "Remv …" (autoremove without names). */
  autoremovable: string[];
}

/** A requested package: `name`, `name=version` (version may end in `*`), or `name:arch`. */
export interface PackageSpec {
  name: string;
  version?: string;
  /** The word given to apt-get (name or name=version). */
  word: string;
}

export const aptEnv: Record<string, string> = {
  DEBIAN_FRONTEND: 'noninteractive',
  DEBIAN_PRIORITY: 'critical',
  LANG: 'C',
  LC_ALL: 'C',
  LC_MESSAGES: 'C',
  LC_CTYPE: 'C',
};

const DPKG_OPTIONS = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

const STAMP = '/var/lib/apt/periodic/update-success-stamp';

export function parsePackageSpecs(value: unknown): PackageSpec[] {
  return toList(value).map((word) => {
    const eq = word.indexOf('=');
    if (eq <= 0) return { name: word, word };
    return { name: word.slice(0, eq), version: word.slice(eq + 1), word };
  });
}

/** Lines `name\tstatus words\tversion` of dpkg-query -W -f='${Package}\t${Status}\t${Version}\n'. */
export function parseDpkgQuery(out: string): Map<string, DpkgPackage> {
  const packages = new Map<string, DpkgPackage>();
  for (const line of lines(out)) {
    const [name, status = '', version = ''] = line.split('\t');
    if (!name) continue;
    const [want = '', , state = ''] = status.split(' ');
    packages.set(name, { name, want, status: state, version });
  }
  return packages;
}

/** `apt-cache policy a b` → Installed and Candidate per package ("(none)" = undefined). */
export function parseAptPolicy(out: string): Map<string, AptPolicy> {
  const policy = new Map<string, AptPolicy>();
  let current: AptPolicy | undefined;
  for (const line of lines(out)) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      current = {};
      policy.set(head[1]!, current);
      continue;
    }
    const field = /^\s+(Installed|Candidate):\s*(\S+)/.exec(line);
    if (field && current) {
      const value = field[2] === '(none)' ? undefined : field[2];
      if (field[1] === 'Installed') current.installed = value;
      else current.candidate = value;
    }
  }
  return policy;
}

function isInstalled(pkg: DpkgPackage | undefined): boolean {
  return pkg !== undefined && pkg.status === 'installed';
}

/** Removed but its configuration files remain (what purge cleans up). */
function hasConfigFiles(pkg: DpkgPackage | undefined): boolean {
  return pkg !== undefined && pkg.status !== 'not-installed' && !isInstalled(pkg);
}

/** Ansible compares pinned versions with fnmatch: a trailing `*` is a prefix match. */
export function versionMatches(installed: string, wanted: string): boolean {
  const pattern = new RegExp(`^${wanted.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return pattern.test(installed);
}

export function normalizeAptArgs(args: AptArgs) {
  let state = args.state ?? 'present';
  if (state === 'installed') state = 'present';
  if (state === 'removed') state = 'absent';
  const recommends = pick(args as Record<string, unknown>, 'install_recommends', 'install-recommends');
  return {
    specs: parsePackageSpecs(pick(args as Record<string, unknown>, 'name', 'pkg', 'package')),
    state: state as 'present' | 'absent' | 'latest',
    updateCache: toBool(pick(args as Record<string, unknown>, 'update_cache', 'update-cache'), false),
    cacheValidTime: Number(args.cache_valid_time ?? 0),
    installRecommends: recommends === undefined ? undefined : toBool(recommends, true),
    purge: toBool(args.purge, false),
    autoremove: toBool(args.autoremove, false),
  };
}

export function readCommands(names: string[], latest: boolean, wantCache: boolean, autoremoveOnly: boolean): Record<string, string> {
  const sections: Record<string, string> = {};
  if (names.length > 0) {
    // dpkg-query exits 1 when some name is unknown; it still prints the others.
    sections.dpkg = `dpkg-query -W -f='\${Package}\\t\${Status}\\t\${Version}\\n' -- ${shellJoin(names)} 2>/dev/null`;
  }
  if (latest && names.length > 0) sections.policy = `LC_ALL=C apt-cache policy -- ${shellJoin(names)} 2>/dev/null`;
  if (wantCache) {
    sections.cache = `date +%s; if [ -e ${STAMP} ]; then stat -c %Y ${STAMP}; elif [ -d /var/lib/apt/lists ]; then stat -c %Y /var/lib/apt/lists; fi`;
  }
  if (autoremoveOnly) sections.autoremove = 'LC_ALL=C apt-get -s autoremove 2>/dev/null | grep "^Remv " || true';
  return sections;
}

export async function readAptState(ctx: ModuleContext, args: AptArgs): Promise<AptState> {
  const a = normalizeAptArgs(args);
  const names = a.specs.map((s) => s.name);
  const sections = readCommands(names, a.state === 'latest', a.updateCache || a.cacheValidTime > 0, a.autoremove && names.length === 0);
  const out: Record<string, Section> = Object.keys(sections).length > 0 ? await readSections(ctx, sections) : {};
  const state: AptState = {
    packages: parseDpkgQuery(out.dpkg?.out ?? ''),
    policy: parseAptPolicy(out.policy?.out ?? ''),
    autoremovable: lines(out.autoremove?.out ?? ''),
  };
  const [now, stamp] = lines(out.cache?.out ?? '').map(Number);
  if (now !== undefined && stamp !== undefined && Number.isFinite(stamp)) {
    state.cacheTime = stamp;
    state.cacheAge = now - stamp;
  }
  return state;
}

/** The packages to install (with the words apt-get gets) and to remove. */
export function packageChanges(args: AptArgs, state: AptState): { install: string[]; remove: string[]; error?: string } {
  const a = normalizeAptArgs(args);
  const install: string[] = [];
  const remove: string[] = [];
  for (const spec of a.specs) {
    const pkg = state.packages.get(spec.name);
    if (a.state === 'absent') {
      if (isInstalled(pkg) || (a.purge && hasConfigFiles(pkg))) remove.push(spec.name);
    } else if (a.state === 'latest') {
      if (spec.version !== undefined) return { install, remove, error: `version number inconsistent with state=latest: ${spec.word}` };
      const policy = state.policy.get(spec.name);
      const upgradable = policy?.candidate !== undefined && policy.candidate !== pkg?.version;
      if (!isInstalled(pkg) || upgradable) install.push(spec.word);
    } else if (!isInstalled(pkg) || (spec.version !== undefined && !versionMatches(pkg!.version, spec.version))) {
      install.push(spec.word);
    }
  }
  return { install, remove };
}

/** Whether update_cache has work to do (cache_valid_time not satisfied). */
export function cacheNeedsUpdate(args: AptArgs, state: AptState): boolean {
  const a = normalizeAptArgs(args);
  if (!a.updateCache && a.cacheValidTime <= 0) return false;
  if (a.cacheValidTime > 0 && state.cacheAge !== undefined && state.cacheAge <= a.cacheValidTime) return false;
  return true;
}

export function installCommand(words: string[], installRecommends: boolean | undefined, autoremove: boolean): string {
  const options = ['-y', '-q', ...DPKG_OPTIONS];
  if (installRecommends === false) options.push('--no-install-recommends');
  if (installRecommends === true) options.push('-o', 'APT::Install-Recommends=yes');
  if (autoremove) options.push('--auto-remove');
  return `apt-get ${shellJoin(options)} install -- ${shellJoin(words)}`;
}

export function removeCommand(names: string[], purge: boolean, autoremove: boolean): string {
  const options = ['-y', '-q', ...DPKG_OPTIONS];
  if (purge) options.push('--purge');
  if (autoremove) options.push('--auto-remove');
  return `apt-get ${shellJoin(options)} remove -- ${shellJoin(names)}`;
}

export function planApt(ctx: ModuleContext, args: AptArgs, state: AptState): Plan {
  const a = normalizeAptArgs(args);
  const updateCache = cacheNeedsUpdate(args, state);
  const noPackages = a.specs.length === 0;
  if (noPackages && !updateCache && !a.autoremove) {
    if (a.updateCache || a.cacheValidTime > 0) return { changed: false, result: { cache_updated: false, cache_update_time: state.cacheTime } };
    return { changed: false, failed: true, msg: 'one of the following is required: name, update_cache, autoremove' };
  }
  const { install, remove, error } = packageChanges(args, state);
  if (error) return { changed: false, failed: true, msg: error };
  const autoremoveOnly = noPackages && a.autoremove && state.autoremovable.length > 0;

  // Like Ansible: with no package named, a cache update is the change; with
  // packages, only package changes count.
  const changed = noPackages ? updateCache || autoremoveOnly : install.length + remove.length > 0;
  const result: Record<string, unknown> = { cache_updated: false, cache_update_time: state.cacheTime };
  if (!changed && !updateCache) return { changed: false, result };
  if (ctx.check) return { changed, result: { ...result, cache_updated: updateCache } };

  return {
    changed,
    result,
    apply: async () => applyApt(ctx, args, { install, remove, updateCache, autoremoveOnly }),
  };
}

async function applyApt(
  ctx: ModuleContext,
  args: AptArgs,
  work: { install: string[]; remove: string[]; updateCache: boolean; autoremoveOnly: boolean },
): Promise<Record<string, unknown>> {
  const a = normalizeAptArgs(args);
  const extra: Record<string, unknown> = {};
  let install = work.install;
  if (work.updateCache) {
    await runChecked(ctx, 'apt-get -q update', 'apt-get update', { env: aptEnv });
    extra.cache_updated = true;
    extra.cache_update_time = Math.floor(Date.now() / 1000);
    // New package lists may bring upgrades the plan could not see.
    if (a.state === 'latest') {
      install = packageChanges(args, await readAptState(ctx, { ...args, update_cache: false, cache_valid_time: 0 })).install;
      extra.changed = install.length + work.remove.length > 0;
    }
  }
  const outputs: string[] = [];
  const errors: string[] = [];
  const step = async (command: string, what: string) => {
    const res = await runChecked(ctx, command, what, { env: aptEnv });
    outputs.push(res.stdout);
    errors.push(res.stderr);
  };
  if (work.remove.length > 0) await step(removeCommand(work.remove, a.purge, a.autoremove), 'apt-get remove');
  if (install.length > 0) await step(installCommand(install, a.installRecommends, a.autoremove), 'apt-get install');
  if (work.autoremoveOnly) await step(`apt-get -y -q ${shellJoin(DPKG_OPTIONS)} ${a.purge ? '--purge ' : ''}autoremove`, 'apt-get autoremove');
  return { ...extra, ...outputLines(outputs.join(''), errors.join('')) };
}

export const aptSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: stringListSchema,
    pkg: stringListSchema,
    package: stringListSchema,
    state: { enum: ['present', 'absent', 'latest', 'installed', 'removed'] },
    update_cache: boolSchema,
    'update-cache': boolSchema,
    cache_valid_time: { type: ['integer', 'string'] },
    install_recommends: boolSchema,
    'install-recommends': boolSchema,
    purge: boolSchema,
    autoremove: boolSchema,
    force_apt_get: boolSchema,
  },
};

export const apt: Module<AptArgs, AptState> = {
  name: 'apt',
  schema: aptSchema,
  doc: {
    description:
      'Installs, upgrades and removes Debian packages like Ansible\'s apt (state present, absent, latest). ' +
      '`name` is a string, a list or a comma-separated string; `name=version` pins a version (a trailing `*` matches a prefix). ' +
      'State comes from one dpkg-query (and `apt-cache policy` for latest); all missing packages are installed in one ' +
      '`apt-get install` run non-interactively, keeping existing configuration files (--force-confdef/--force-confold). ' +
      '`update_cache` runs `apt-get update` unless the last successful update is younger than `cache_valid_time` seconds. ' +
      'With no name, a cache update (or `autoremove`) is the change; with names only package changes count. ' +
      'Virtual package names are not resolved: name the real package.',
    returns: {
      cache_updated: 'whether apt-get update ran',
      cache_update_time: 'epoch seconds of the last cache update',
      stdout: 'apt-get output',
      stderr: 'apt-get error output',
    },
    example: '- name: Install DNS tools\n  apt:\n    name: [bind9, bind9-dnsutils]\n    state: present\n    update_cache: true\n    cache_valid_time: 3600\n',
  },
  read: readAptState,
  plan: planApt,
};
