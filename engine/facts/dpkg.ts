/**
 * Debian package facts: dpkg's status of named packages, apt's policy
 * (installed and candidate versions, the version table), the package cache's
 * age, selections, and every installed package (package_facts). Commands run
 * with LC_ALL=C so the output parsed here is always the same language.
 */
import { quote, shellJoin } from '../connection/quote.js';
import type { Fact } from './types.js';
import { lines, sectionsFact, type Sections } from './sections.js';

/** What dpkg knows about one package. */
export interface DpkgPackage {
  name: string;
  /** The three words of ${Status}: want (install, hold, deinstall, purge), error flag, state. */
  want: string;
  status: string;
  version: string;
  arch?: string;
  /** ${Section}, when read. */
  section?: string;
}

/** The dpkg-query format parsed by parseDpkgQuery (tab separated). */
export const DPKG_FORMAT = '${Package}\\t${Status}\\t${Version}\\t${Architecture}\\t${Section}\\n';

/** Lines `name\tstatus words\tversion[\tarch\tsection]` of dpkg-query -W -f. A package listed twice (multi-arch) keeps its first line. */
export function parseDpkgQuery(out: string): Map<string, DpkgPackage> {
  const packages = new Map<string, DpkgPackage>();
  for (const line of lines(out)) {
    const [name, status = '', version = '', arch, section] = line.split('\t');
    if (!name || !/^[a-z0-9][a-z0-9+.-]*$/.test(name)) continue;
    const [want = '', , state = ''] = status.split(' ');
    const pkg: DpkgPackage = { name, want, status: state, version };
    if (arch) pkg.arch = arch;
    if (section) pkg.section = section;
    const known = packages.get(name);
    // Of a package installed for two architectures, the installed one counts.
    if (!known || (known.status !== 'installed' && state === 'installed')) packages.set(name, pkg);
  }
  return packages;
}

export function isInstalled(pkg: DpkgPackage | undefined): boolean {
  return pkg !== undefined && pkg.status === 'installed';
}

/** Removed but its files (configuration) remain: what purge cleans up. */
export function hasFiles(pkg: DpkgPackage | undefined): boolean {
  return pkg !== undefined && pkg.status !== 'not-installed' && pkg.status !== '';
}

export interface PolicyVersion {
  version: string;
  priority: number;
  installed: boolean;
  /** The package files offering it: "500 http://deb.debian.org/debian bookworm/main amd64 Packages". */
  sources: string[];
}

export interface AptPolicy {
  installed?: string;
  candidate?: string;
  versions: PolicyVersion[];
}

/** `apt-cache policy a b`: Installed, Candidate and the version table per package ("(none)" = undefined). */
export function parseAptPolicy(out: string): Map<string, AptPolicy> {
  const policy = new Map<string, AptPolicy>();
  let current: AptPolicy | undefined;
  let version: PolicyVersion | undefined;
  for (const line of lines(out)) {
    const head = /^(\S+):$/.exec(line);
    if (head) {
      current = { versions: [] };
      version = undefined;
      policy.set(head[1]!, current);
      continue;
    }
    if (!current) continue;
    const field = /^ {2}(Installed|Candidate):\s*(\S+)/.exec(line);
    if (field) {
      const value = field[2] === '(none)' ? undefined : field[2];
      if (field[1] === 'Installed') current.installed = value;
      else current.candidate = value;
      continue;
    }
    const row = /^ (\*\*\*| {3}) (\S+) (-?\d+)$/.exec(line);
    if (row) {
      version = { version: row[2]!, priority: Number(row[3]), installed: row[1] === '***', sources: [] };
      current.versions.push(version);
      continue;
    }
    const source = /^ {8}(-?\d+ .+)$/.exec(line);
    if (source && version) version.sources.push(source[1]!);
  }
  return policy;
}

/**
 * `apt-cache policy` without names: each package file line followed by its
 * `release ...o=Origin,...` line. Returns the origin of each package file.
 */
export function parseReleaseOrigins(out: string): Map<string, string> {
  const origins = new Map<string, string>();
  let file: string | undefined;
  for (const line of lines(out)) {
    const f = /^\s*-?\d+ (\S.*\S)$/.exec(line);
    if (f && !line.includes(' release ')) {
      file = f[1];
      continue;
    }
    const release = /^\s+release (.*)$/.exec(line);
    if (release && file !== undefined) {
      const o = /(?:^|,)o=([^,]*)/.exec(release[1]!);
      origins.set(file, o ? o[1]! : '');
      file = undefined;
    }
  }
  return origins;
}

// ------------------------------------------------------------- apt state

export interface AptStateParams {
  /** Package names (no version, no glob) whose dpkg status is read. */
  names: string[];
  /** Names whose apt policy is always read; the others only when not installed (and policyForMissing). */
  policyFor: string[];
  /** Read the policy of names that are not installed (default true). */
  policyForMissing?: boolean;
  /** Read the cache age (update_cache / cache_valid_time). */
  cacheAge?: boolean;
  /** List what `apt-get autoremove` would remove. */
  autoremove?: boolean;
  /** APT::Default-Release for the policy (apt-get -t). */
  defaultRelease?: string;
  /** Also list the providers of names that are not installed (install states). */
  providers?: boolean;
  /** Simulations to run: name -> apt-get arguments after `-s -y` (each quoted by the caller). */
  simulate?: Record<string, string>;
}

export interface AptState {
  packages: Map<string, DpkgPackage>;
  policy: Map<string, AptPolicy>;
  /** Seconds since the last successful `apt-get update` (undefined when unknown). */
  cacheAge?: number;
  /** Epoch seconds of that update (0 when there is no cache at all, as Ansible). */
  cacheTime?: number;
  /** `apt-get -s autoremove` lines "Remv …". */
  autoremovable: string[];
  /** Packages providing each not-installed name (apt-cache showpkg's Reverse Provides). */
  providers?: Map<string, string[]>;
  /** Outputs of `apt-get --simulate` runs asked for (upgrade, build-dep, autoremove, autoclean). */
  simulated: Record<string, string>;
}

const STAMP = '/var/lib/apt/periodic/update-success-stamp';

function policyCommand(defaultRelease: string | undefined): string {
  return `LC_ALL=C apt-cache${defaultRelease !== undefined ? ` -o ${quote(`APT::Default-Release=${defaultRelease}`)}` : ''} policy`;
}

export function aptStateSections(p: AptStateParams): Record<string, string> {
  const sections: Record<string, string> = {};
  if (p.names.length > 0) {
    // dpkg-query exits 1 when some name is unknown; it still prints the others.
    sections.dpkg = `LC_ALL=C dpkg-query -W -f='${DPKG_FORMAT}' -- ${shellJoin(p.names)} 2>/dev/null`;
    const conditional = p.policyForMissing === false ? [] : p.names.filter((n) => !p.policyFor.includes(n));
    // The policy of installed packages is not needed unless asked for: apt-cache is the slow part.
    const pick = conditional.length === 0 ? '' : [
      `st=$(LC_ALL=C dpkg-query -W -f='\${Package} \${db:Status-Status}\\n' -- ${shellJoin(conditional)} 2>/dev/null)`,
      `for n in ${shellJoin(conditional)}; do case " $(echo $st) " in *" $n installed "*) ;; *) set -- "$@" "$n" ;; esac; done`,
    ].join('\n');
    if (p.policyFor.length > 0 || conditional.length > 0) {
      const providers = p.providers ? `; echo ${PROVIDERS_MARK}; LC_ALL=C apt-cache showpkg -- "$@" 2>/dev/null` : '';
      sections.policy = `set -- ${shellJoin(p.policyFor)}\n${pick}\nif [ $# -gt 0 ]; then ${policyCommand(p.defaultRelease)} -- "$@" 2>/dev/null${providers}; fi; true`;
    }
  }
  if (p.cacheAge) {
    sections.cache = `date +%s; if [ -e ${STAMP} ]; then stat -c %Y ${STAMP}; elif [ -d /var/lib/apt/lists ]; then stat -c %Y /var/lib/apt/lists; else echo 0; fi`;
  }
  if (p.autoremove) sections.autoremove = 'LC_ALL=C apt-get -s autoremove 2>/dev/null | grep "^Remv " || true';
  for (const [name, args] of Object.entries(p.simulate ?? {})) sections[`sim_${name}`] = `LC_ALL=C apt-get -s -y ${args} 2>&1`;
  return sections;
}

const PROVIDERS_MARK = '@@uxsv-providers@@';

/** `apt-cache showpkg a b`: the packages listed under "Reverse Provides:" for each. */
export function parseShowpkgProviders(out: string): Map<string, string[]> {
  const providers = new Map<string, string[]>();
  let current: string | undefined;
  let inProvides = false;
  for (const line of lines(out)) {
    const head = /^Package: (\S+)$/.exec(line);
    if (head) {
      current = head[1];
      inProvides = false;
      providers.set(current!, []);
      continue;
    }
    if (/^Reverse Provides:/.test(line)) {
      inProvides = true;
      continue;
    }
    if (inProvides && current) {
      const name = /^([a-z0-9][a-z0-9+.:-]*) /.exec(line)?.[1];
      const list = providers.get(current)!;
      if (name && !list.includes(name)) list.push(name);
    }
  }
  return providers;
}

export function parseAptState(s: Sections): AptState {
  const [policyOut = '', providersOut] = (s.policy?.out ?? '').split(`${PROVIDERS_MARK}\n`);
  const simulated: Record<string, string> = {};
  for (const [name, section] of Object.entries(s)) if (name.startsWith('sim_')) simulated[name.slice(4)] = section.out;
  const state: AptState = {
    packages: parseDpkgQuery(s.dpkg?.out ?? ''),
    policy: parseAptPolicy(policyOut),
    autoremovable: lines(s.autoremove?.out ?? ''),
    simulated,
  };
  if (providersOut !== undefined) state.providers = parseShowpkgProviders(providersOut);
  const [now, stamp] = lines(s.cache?.out ?? '').map(Number);
  if (now !== undefined && stamp !== undefined && Number.isFinite(now) && Number.isFinite(stamp)) {
    state.cacheTime = stamp;
    state.cacheAge = now - stamp;
  }
  return state;
}

export const aptStateFact: Fact<AptStateParams, AptState> = sectionsFact('apt.state', aptStateSections, (s) => parseAptState(s));

/** Every package name apt knows (to expand `name*` patterns). */
export const aptPackageNamesFact: Fact<void, string[]> = {
  name: 'apt.pkgnames',
  command: () => 'LC_ALL=C apt-cache pkgnames 2>/dev/null; true',
  parse: (output) => lines(output.stdout.toString('utf8')).filter((n) => /^[a-z0-9][a-z0-9+.:-]*$/.test(n)).sort(),
  inline: true,
};

// ------------------------------------------------------------- .deb files

export interface DebFileInfo {
  path: string;
  exists: boolean;
  package?: string;
  version?: string;
  arch?: string;
  /** dpkg's status of that package on the host. */
  installed?: DpkgPackage;
}

/** The control fields of local .deb files and the host's status of their packages. */
export const debFilesFact: Fact<{ paths: string[] }, DebFileInfo[]> = sectionsFact(
  'dpkg.debfiles',
  ({ paths }) => Object.fromEntries(paths.map((path, i) => [`deb${i}`,
    `p=${quote(path)}; [ -f "$p" ] || exit 3; n=$(dpkg-deb -f "$p" Package) || exit 4; dpkg-deb -f "$p" Package Version Architecture; ` +
    `echo; LC_ALL=C dpkg-query -W -f='${DPKG_FORMAT}' -- "$n" 2>/dev/null; true`])),
  (s, { paths }) => paths.map((path, i) => {
    const section = s[`deb${i}`]!;
    if (section.rc !== 0) return { path, exists: section.rc !== 3 };
    const [fields = '', status = ''] = section.out.split('\n\n');
    const value = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(fields)?.[1]?.trim();
    const info: DebFileInfo = { path, exists: true, package: value('Package'), version: value('Version'), arch: value('Architecture') };
    const installed = info.package ? parseDpkgQuery(status).get(info.package) : undefined;
    if (installed) info.installed = installed;
    return info;
  }),
);

// ------------------------------------------------------------- selections

/** `dpkg --get-selections NAME`: the selection (install, hold, deinstall, purge), undefined when dpkg does not know it. */
export const dpkgSelectionFact: Fact<{ name: string }, string | undefined> = {
  name: 'dpkg.selection',
  command: ({ name }) => `LC_ALL=C dpkg --get-selections -- ${quote(name)} 2>/dev/null; true`,
  parse: (output, { name }) => {
    for (const line of lines(output.stdout.toString('utf8'))) {
      const [pkg, selection] = line.split(/\s+/);
      if (pkg === name || pkg?.split(':')[0] === name) return selection;
    }
    return undefined;
  },
  inline: true,
};

// ------------------------------------------------------------- all installed packages

export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  category: string;
  origin: string;
  source: 'apt';
}

/**
 * Every installed package as package_facts (apt) lists it: name (name:arch
 * for a foreign architecture), version, arch, category (section) and origin
 * (of the archive offering the installed version; '' when only dpkg has it).
 */
export const installedPackagesFact: Fact<void, Map<string, InstalledPackage>> = sectionsFact(
  'dpkg.installed',
  () => ({
    arch: 'dpkg --print-architecture',
    dpkg: `LC_ALL=C dpkg-query -W -f='\${db:Status-Status}\\t${DPKG_FORMAT}' 2>/dev/null | sed -n 's/^installed\\t//p'`,
    releases: 'LC_ALL=C apt-cache policy 2>/dev/null; true',
    policy: `LC_ALL=C dpkg-query -W -f='\${db:Status-Status} \${binary:Package}\\n' 2>/dev/null | sed -n 's/^installed //p' | xargs -r env LC_ALL=C apt-cache policy -- 2>/dev/null; true`,
  }),
  (s) => parseInstalledPackages(s.arch!.out.trim(), s.dpkg!.out, s.releases!.out, s.policy!.out),
);

export function parseInstalledPackages(nativeArch: string, dpkgOut: string, releasesOut: string, policyOut: string): Map<string, InstalledPackage> {
  const origins = parseReleaseOrigins(releasesOut);
  const policy = parseAptPolicy(policyOut);
  const result = new Map<string, InstalledPackage>();
  for (const line of lines(dpkgOut)) {
    const [name, status = '', version = '', arch = '', section = ''] = line.split('\t');
    if (!name || !status.endsWith(' installed')) continue;
    const key = arch === nativeArch || arch === 'all' || arch === '' ? name : `${name}:${arch}`;
    const entry = policy.get(key) ?? policy.get(`${name}:${arch}`) ?? policy.get(name);
    const installed = entry?.versions.find((v) => v.version === version);
    const archive = installed?.sources.map((src) => src.replace(/^-?\d+ /, '')).find((src) => src !== '/var/lib/dpkg/status');
    result.set(key, { name: key, version, arch, category: section, origin: archive !== undefined ? origins.get(archive) ?? '' : '', source: 'apt' });
  }
  return result;
}
