/**
 * apt's package decisions, pure: which words `apt-get install` gets and which
 * packages `apt-get remove` removes, from dpkg's status and apt's policy, as
 * Ansible's apt module decides them (package_status and install/remove).
 */
import { compareDebianVersions, fnmatch } from '../../facts/debian-version.js';
import { hasFiles, isInstalled, type AptPolicy, type AptState } from '../../facts/dpkg.js';

/** A requested package: `name`, `name=version` (version may be a glob) or `name>=version`. */
export interface PackageSpec {
  /** As written. */
  spec: string;
  name: string;
  cmp?: '=' | '>=';
  version?: string;
}

/** Ansible's package_split: the first `=` or `>=` splits name and version. */
export function splitSpec(spec: string): PackageSpec {
  const m = /^(.*?)(>?=)(.*)$/s.exec(spec);
  if (!m) return { spec, name: spec };
  return { spec, name: m[1]!, cmp: m[2] as '=' | '>=', version: m[3]! };
}

/** Names with version or glob characters removed: what dpkg-query and apt-cache are asked about. */
export function specNames(specs: PackageSpec[]): string[] {
  return [...new Set(specs.map((s) => s.name))];
}

export function hasPattern(name: string): boolean {
  return /[*?[\]!]/.test(name);
}

/**
 * Expands `name*` patterns against apt's package names (Ansible's
 * expand_pkgspec_from_fnmatches): a pattern without `:` only matches native
 * (non-multiarch) names.
 */
export function expandPatterns(specs: PackageSpec[], known: string[]): { specs: PackageSpec[]; error?: string } {
  const out: PackageSpec[] = [];
  for (const s of specs) {
    if (!hasPattern(s.name)) {
      out.push(s);
      continue;
    }
    const pool = s.name.includes(':') ? known : known.filter((n) => !n.includes(':'));
    const matches = pool.filter((n) => fnmatch(n, s.name));
    if (matches.length === 0) return { specs: out, error: `No package(s) matching '${s.name}' available` };
    // Ansible drops the version of a pattern: it adds the bare matching names.
    out.push(...matches.map((name) => ({ spec: name, name })));
  }
  return { specs: out };
}

interface Status {
  installed: boolean;
  /** The installed version satisfies the spec (true when no version was asked). */
  versionInstalled: boolean;
  /** The version apt would install (true: let apt decide, for a virtual package). */
  installable: string | true | undefined;
  hasFiles: boolean;
  /** The name is unknown to apt (and provided by no package). */
  unknown?: boolean;
}

/** The candidate apt would pick, with a `=` version pinned (priority over everything, as Ansible's pin 1001). */
function bestMatch(policy: AptPolicy | undefined, spec: PackageSpec): string | undefined {
  if (!policy) return undefined;
  if (spec.cmp === '=' && spec.version !== undefined) {
    // The version table lists versions newest first: the newest match wins.
    return policy.versions.find((v) => fnmatch(v.version, spec.version!))?.version;
  }
  return policy.candidate;
}

function knownToApt(policy: AptPolicy | undefined): boolean {
  return policy !== undefined && (policy.candidate !== undefined || policy.installed !== undefined || policy.versions.length > 0);
}

export function packageStatus(spec: PackageSpec, state: AptState, forInstall: boolean): Status {
  const pkg = state.packages.get(spec.name);
  const policy = state.policy.get(spec.name);
  const installed = isInstalled(pkg);
  if (!pkg && !knownToApt(policy)) {
    if (!forInstall) return { installed: false, versionInstalled: false, installable: undefined, hasFiles: false };
    const providers = state.providers?.get(spec.name) ?? [];
    if (providers.length === 1) {
      const provided = packageStatus({ spec: providers[0]!, name: providers[0]! }, state, true);
      if (provided.installed) return provided;
    }
    if (providers.length > 0) return { installed: false, versionInstalled: false, installable: true, hasFiles: false };
    return { installed: false, versionInstalled: false, installable: undefined, hasFiles: false, unknown: true };
  }
  const best = bestMatch(policy, spec);
  if (!installed) return { installed: false, versionInstalled: false, installable: best, hasFiles: hasFiles(pkg) };
  const current = pkg!.version;
  let versionInstalled = true;
  let installable: string | undefined;
  if (spec.cmp === '=') {
    versionInstalled = fnmatch(current, spec.version!);
    if (best && current !== best && fnmatch(best, spec.version!)) installable = best;
  } else if (spec.cmp === '>=') {
    versionInstalled = compareDebianVersions(current, spec.version!) >= 0;
    if (best && current !== best && compareDebianVersions(best, spec.version!) >= 0) installable = best;
  } else if (best && current !== best) {
    installable = best;
  }
  return { installed: true, versionInstalled, installable, hasFiles: hasFiles(pkg) };
}

export interface InstallChoice {
  /** Words for apt-get install (`name=version`). */
  words: string[];
  /** Names to mark as manually installed afterwards. */
  names: string[];
  error?: string;
}

/** Ansible's install(): the package words, or an error. */
export function installWords(specs: PackageSpec[], state: AptState, options: { upgrade: boolean; onlyUpgrade: boolean }): InstallChoice {
  const words: string[] = [];
  const names: string[] = [];
  for (const spec of specs) {
    names.push(spec.name);
    const st = packageStatus(spec, state, true);
    if (st.unknown) return { words, names, error: `No package matching '${spec.name}' is available` };
    if (!st.installed && options.onlyUpgrade) continue;
    if (!st.versionInstalled && !st.installable) return { words, names, error: `no available installation candidate for ${spec.spec}` };
    if (st.installable && ((!st.installed && !options.onlyUpgrade) || options.upgrade || !st.versionInstalled)) {
      if (st.installable !== true) words.push(`${spec.name}=${st.installable}`);
      else if (spec.version !== undefined) words.push(`${spec.name}=${spec.version}`);
      else words.push(spec.name);
    } else if (st.versionInstalled && st.installable && spec.cmp === '=') {
      // Installed and matching a version glob, but a newer match exists: Ansible asks apt for the glob again.
      words.push(`${spec.name}=${spec.version}`);
    }
  }
  return { words, names };
}

/** Ansible's remove(): the specs (as written) whose package is installed, or has files left with purge. */
export function removeWords(specs: PackageSpec[], state: AptState, purge: boolean): string[] {
  return specs.filter((spec) => {
    const st = packageStatus(spec, state, false);
    return st.versionInstalled || (st.hasFiles && purge);
  }).map((spec) => spec.spec);
}
