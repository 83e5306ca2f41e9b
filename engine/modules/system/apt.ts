/**
 * apt: Debian packages as Ansible's apt module, in its order: clean, cache
 * update (cache_valid_time), upgrade, deb files, autoclean/autoremove, then
 * install (present, latest, fixed, build-dep) or remove. One read gets dpkg's
 * status, apt's policy (only for what needs it: apt-cache is the slow part),
 * the cache age and any simulation whose output decides `changed` (upgrade,
 * build-dep, autoremove, autoclean); the plan is pure; apply runs apt-get
 * non-interactively.
 */
import { shellJoin } from '../../connection/quote.js';
import { aptPackageNamesFact, aptStateFact, debFilesFact, type AptState, type AptStateParams, type DebFileInfo } from '../../facts/dpkg.js';
import { readFact } from '../../facts/index.js';
import { boolSchema, pick, stringListSchema, text, toBool, toList } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { expandPatterns, hasPattern, installWords, removeWords, specNames, splitSpec, type PackageSpec } from './apt-packages.js';
import { pySplitlines } from '../core/shlex.js';

export interface AptArgs {
  name?: string | string[];
  pkg?: string | string[];
  package?: string | string[];
  state?: 'present' | 'absent' | 'latest' | 'build-dep' | 'fixed' | 'installed' | 'removed';
  update_cache?: unknown;
  'update-cache'?: unknown;
  update_cache_retries?: number | string;
  update_cache_retry_max_delay?: number | string;
  cache_valid_time?: number | string;
  purge?: unknown;
  deb?: string;
  default_release?: string;
  'default-release'?: string;
  install_recommends?: unknown;
  'install-recommends'?: unknown;
  force?: unknown;
  upgrade?: unknown;
  dpkg_options?: string;
  autoremove?: unknown;
  autoclean?: unknown;
  fail_on_autoremove?: unknown;
  policy_rc_d?: number | string;
  only_upgrade?: unknown;
  force_apt_get?: unknown;
  clean?: unknown;
  allow_unauthenticated?: unknown;
  'allow-unauthenticated'?: unknown;
  allow_downgrade?: unknown;
  'allow-downgrade'?: unknown;
  allow_downgrades?: unknown;
  'allow-downgrades'?: unknown;
  allow_change_held_packages?: unknown;
  lock_timeout?: number | string;
}

export const aptEnv: Record<string, string> = {
  DEBIAN_FRONTEND: 'noninteractive',
  DEBIAN_PRIORITY: 'critical',
  LANG: 'C',
  LC_ALL: 'C',
  LC_MESSAGES: 'C',
  LC_CTYPE: 'C',
};

const APT_GET_ZERO = '\n0 upgraded, 0 newly installed';
const DEFAULT_DPKG_OPTIONS = 'force-confdef,force-confold';

type UpgradeMode = 'dist' | 'full' | 'safe' | 'yes';

/** The arguments with aliases, defaults and types resolved. */
export function normalizeAptArgs(args: AptArgs) {
  const a = args as Record<string, unknown>;
  let state = args.state ?? 'present';
  if (state === 'installed') state = 'present';
  if (state === 'removed') state = 'absent';
  const recommends = pick(a, 'install_recommends', 'install-recommends');
  const upgradeValue = args.upgrade === undefined || args.upgrade === null ? 'no' : typeof args.upgrade === 'boolean' ? (args.upgrade ? 'yes' : 'no') : String(args.upgrade);
  const packages = pick(a, 'name', 'pkg', 'package');
  return {
    packages: packages === undefined ? undefined : toList(packages).map((p) => p.trim()),
    state: state as 'present' | 'absent' | 'latest' | 'build-dep' | 'fixed',
    updateCache: toBool(pick(a, 'update_cache', 'update-cache'), false),
    updateCacheGiven: pick(a, 'update_cache', 'update-cache') !== undefined,
    retries: Number(args.update_cache_retries ?? 5),
    retryMaxDelay: Number(args.update_cache_retry_max_delay ?? 12),
    cacheValidTime: Number(args.cache_valid_time ?? 0),
    purge: toBool(args.purge, false),
    deb: text(args.deb),
    defaultRelease: text(pick(a, 'default_release', 'default-release')),
    installRecommends: recommends === undefined ? undefined : toBool(recommends, true),
    force: toBool(args.force, false),
    upgrade: (upgradeValue === 'no' ? undefined : upgradeValue) as UpgradeMode | undefined,
    dpkgOptions: args.dpkg_options ?? DEFAULT_DPKG_OPTIONS,
    autoremove: toBool(args.autoremove, false),
    autoclean: toBool(args.autoclean, false),
    failOnAutoremove: toBool(args.fail_on_autoremove, false),
    policyRcD: args.policy_rc_d === undefined || args.policy_rc_d === null ? undefined : Number(args.policy_rc_d),
    onlyUpgrade: toBool(args.only_upgrade, false),
    clean: toBool(args.clean, false),
    allowUnauthenticated: toBool(pick(a, 'allow_unauthenticated', 'allow-unauthenticated'), false),
    allowDowngrade: toBool(pick(a, 'allow_downgrade', 'allow-downgrade', 'allow_downgrades', 'allow-downgrades'), false),
    allowChangeHeld: toBool(args.allow_change_held_packages, false),
    lockTimeout: Number(args.lock_timeout ?? 60),
    raw: { ...args, update_cache: false, 'update-cache': undefined, cache_valid_time: 0, clean: false } as AptArgs,
  };
}

type Normalized = ReturnType<typeof normalizeAptArgs>;

/** `-o Dpkg::Options::=--X` for each comma-separated option. */
export function dpkgOptionWords(options: string): string[] {
  return options.split(',').filter(Boolean).flatMap((o) => ['-o', `Dpkg::Options::=--${o.trim()}`]);
}

function commonWords(a: Normalized): string[] {
  return ['-y', ...dpkgOptionWords(a.dpkgOptions), '-o', `DPkg::Lock::Timeout=${a.lockTimeout}`];
}

function upgradeCommand(a: Normalized, mode: UpgradeMode, simulate: boolean): string {
  const words = [...commonWords(a)];
  if (a.force) words.push('--force-yes');
  if (a.failOnAutoremove) words.push('--no-remove');
  if (a.allowUnauthenticated) words.push('--allow-unauthenticated');
  if (a.allowDowngrade) words.push('--allow-downgrades');
  if (simulate) words.push('--simulate');
  // Without aptitude (Debian's default), Ansible uses apt-get for every mode.
  if (mode === 'dist' || mode === 'full') words.push('dist-upgrade');
  else words.push('upgrade', '--with-new-pkgs');
  if (a.autoremove) words.push('--auto-remove');
  if (a.defaultRelease !== undefined) words.push('-t', a.defaultRelease);
  return `apt-get ${shellJoin(words)}`;
}

export function installCommand(a: Normalized, words: string[], kind: 'install' | 'build-dep', simulate = false): string {
  const options = [...commonWords(a)];
  if (a.onlyUpgrade) options.push('--only-upgrade');
  if (a.state === 'fixed') options.push('--fix-broken');
  if (a.force) options.push('--force-yes');
  if (a.autoremove && kind === 'install') options.push('--auto-remove');
  if (a.failOnAutoremove) options.push('--no-remove');
  if (simulate) options.push('--simulate');
  const tail: string[] = [];
  if (a.defaultRelease !== undefined) tail.push('-t', a.defaultRelease);
  if (a.installRecommends === false) tail.push('-o', 'APT::Install-Recommends=no');
  else if (a.installRecommends === true) tail.push('-o', 'APT::Install-Recommends=yes');
  if (a.allowUnauthenticated) tail.push('--allow-unauthenticated');
  if (a.allowDowngrade) tail.push('--allow-downgrades');
  if (a.allowChangeHeld) tail.push('--allow-change-held-packages');
  return `apt-get ${shellJoin(options)} ${kind} ${shellJoin(tail)} -- ${shellJoin(words)}`.replace(/ {2,}/g, ' ');
}

export function removeCommand(a: Normalized, words: string[]): string {
  const options = ['-q', ...commonWords(a)];
  if (a.purge) options.push('--purge');
  if (a.force) options.push('--force-yes');
  if (a.autoremove) options.push('--auto-remove');
  return `apt-get ${shellJoin(options)} remove -- ${shellJoin(words)}`;
}

function cleanupCommand(a: Normalized, operation: 'autoremove' | 'autoclean', simulate: boolean): string {
  const words = [...commonWords(a)];
  if (a.purge) words.push('--purge');
  if (a.force) words.push('--force-yes');
  words.push(operation);
  if (simulate) words.push('--simulate');
  return `apt-get ${shellJoin(words)}`;
}

/** Runs `command` with /usr/sbin/policy-rc.d answering `code` (the old one put back after). */
export function withPolicyRcD(command: string, code: number | undefined): string {
  if (code === undefined) return command;
  const p = '/usr/sbin/policy-rc.d';
  return [
    `b=; if [ -e ${p} ]; then b=$(mktemp -d) && mv -- ${p} "$b"/ || exit 1; fi`,
    `printf '#!/bin/sh\\nexit %d\\n' ${Math.trunc(code)} > ${p} && chmod 0755 ${p} || exit 1`,
    `${command}`,
    'rc=$?',
    `rm -f -- ${p}; if [ -n "$b" ]; then mv -- "$b"/policy-rc.d ${p} && rmdir -- "$b"; fi`,
    'exit $rc',
  ].join('\n');
}

/** The lines of apt's output between "Reading state information..." and "N upgraded" (Ansible's parse_diff). */
export function parseAptDiff(output: string): { prepared: string } {
  const all = output.split(/\r?\n/);
  let start = all.indexOf('Resolving dependencies...');
  if (start < 0) start = all.indexOf('Reading state information...');
  let end = all.findIndex((l) => /^[0-9]+ (packages )?upgraded/.test(l));
  if (end < 0) end = all.length;
  return { prepared: all.slice(start + 1, end + 1).join('\n') };
}

// ------------------------------------------------------------- read

export interface AptReadState extends AptState {
  /** Package specs after pattern expansion. */
  specs: PackageSpec[];
  expandError?: string;
  debs: DebFileInfo[];
}

function readParams(a: Normalized, specs: PackageSpec[]): AptStateParams {
  const installish = a.state === 'present' || a.state === 'latest' || a.state === 'fixed';
  const names = a.state === 'build-dep' ? [] : specNames(specs);
  const policyFor = installish ? specs.filter((s) => a.state === 'latest' || s.cmp !== undefined).map((s) => s.name) : [];
  const params: AptStateParams = {
    names,
    policyFor: [...new Set(policyFor)],
    // The policy of a name that is not installed is read only when it may be installed.
    policyForMissing: installish,
    cacheAge: true,
    providers: installish,
    simulate: {},
  };
  if (a.defaultRelease !== undefined) params.defaultRelease = a.defaultRelease;
  const noPackages = (a.packages ?? []).filter((p) => p !== '*').length === 0;
  if (a.upgrade) params.simulate!.upgrade = upgradeCommand(a, a.upgrade, true).replace(/^apt-get /, '');
  if (a.state === 'latest' && (a.packages ?? []).includes('*')) params.simulate!.upgrade = upgradeCommand(a, 'yes', true).replace(/^apt-get /, '');
  if (a.state === 'build-dep' && specs.length > 0) params.simulate!.builddep = installCommand(a, specs.map((s) => s.spec), 'build-dep', true).replace(/^apt-get /, '');
  if (noPackages && !a.upgrade && !a.deb && a.autoremove) params.simulate!.autoremove = cleanupCommand(a, 'autoremove', true).replace(/^apt-get /, '');
  if (noPackages && !a.upgrade && !a.deb && a.autoclean) params.simulate!.autoclean = cleanupCommand(a, 'autoclean', true).replace(/^apt-get /, '');
  return params;
}

export async function readApt(ctx: ModuleContext, args: AptArgs): Promise<AptReadState> {
  const a = normalizeAptArgs(args);
  let specs = (a.packages ?? []).filter((p) => p !== '*').map(splitSpec);
  let expandError: string | undefined;
  if (specs.some((s) => hasPattern(s.name))) {
    const expanded = expandPatterns(specs, await readFact(ctx, aptPackageNamesFact, undefined));
    specs = expanded.specs;
    expandError = expanded.error;
  }
  const state = await readFact(ctx, aptStateFact, readParams(a, specs));
  const debs = a.deb !== undefined ? await readFact(ctx, debFilesFact, { paths: a.deb.split(',') }) : [];
  return { ...state, specs, expandError, debs };
}

// ------------------------------------------------------------- plan

interface Work {
  clean: boolean;
  updateCache: boolean;
  /** The one main operation, Ansible's order decides which. */
  main?: { kind: 'upgrade'; mode: UpgradeMode } | { kind: 'deb'; files: string[] } | { kind: 'cleanup'; operation: 'autoremove' | 'autoclean' }
    | { kind: 'install'; words: string[]; names: string[]; build: boolean } | { kind: 'remove'; words: string[] };
}

function optionErrors(a: Normalized, args: AptArgs): string | undefined {
  const given = [a.deb !== undefined && 'deb', a.packages !== undefined && 'package', a.upgrade !== undefined && 'upgrade'].filter(Boolean) as string[];
  if (given.length > 1) return `parameters are mutually exclusive: deb|package|upgrade`;
  if (!a.autoremove && a.deb === undefined && a.packages === undefined && !a.updateCacheGiven && args.upgrade === undefined) {
    return 'one of the following is required: autoremove, deb, package, update_cache, upgrade';
  }
  for (const p of a.packages ?? []) if ((p.match(/=/g) ?? []).length > 1) return `invalid package spec: ${p}`;
  return undefined;
}

export function planApt(ctx: ModuleContext, args: AptArgs, state: AptReadState): Plan {
  const a = normalizeAptArgs(args);
  const error = optionErrors(a, args);
  if (error) return { changed: false, failed: true, msg: error };
  if (state.expandError) return { changed: false, failed: true, msg: state.expandError };

  const cacheTime = state.cacheTime ?? 0;
  const wantsCache = a.updateCache || a.cacheValidTime > 0;
  const updateCache = wantsCache && !(state.cacheAge !== undefined && state.cacheAge <= a.cacheValidTime && a.cacheValidTime > 0);
  const cacheResult = { cache_updated: updateCache, cache_update_time: cacheTime };
  const work: Work = { clean: a.clean, updateCache };
  const nothingElse = (a.packages === undefined || a.packages.length === 0) && !a.upgrade && a.deb === undefined;

  const finish = (changed: boolean, result: Record<string, unknown>, msg?: string): Plan => {
    const apply = work.clean || work.updateCache || work.main ? async () => applyApt(ctx, a, work, state) : undefined;
    const plan: Plan = { changed, result, msg, apply };
    plannedWork.set(plan, work);
    return plan;
  };

  if (a.clean && nothingElse && !wantsCache) return finish(true, {});
  if (wantsCache && nothingElse) {
    if (!a.autoremove && !a.autoclean) return finish(updateCache, cacheResult);
  }
  if (a.upgrade) {
    work.main = { kind: 'upgrade', mode: a.upgrade };
    const out = state.simulated.upgrade ?? '';
    return finish(!out.includes(APT_GET_ZERO), {});
  }
  if (a.deb !== undefined) {
    if (a.state !== 'present') return { changed: false, failed: true, msg: 'deb only supports state=present' };
    const missing = state.debs.find((d) => !d.exists);
    if (missing) return { changed: false, failed: true, msg: `Unable to install package: E:Could not open file ${missing.path} - open (2: No such file or directory)` };
    const files = state.debs.filter((d) => !(d.installed?.status === 'installed' && d.installed.version === d.version)).map((d) => d.path);
    if (files.length > 0) work.main = { kind: 'deb', files };
    return finish(files.length > 0, {});
  }
  const all = (a.packages ?? []).includes('*');
  if (a.state === 'latest' && all) {
    if (state.specs.length > 0) return { changed: false, failed: true, msg: 'unable to install additional packages when upgrading all installed packages' };
    work.main = { kind: 'upgrade', mode: 'yes' };
    return finish(!(state.simulated.upgrade ?? '').includes(APT_GET_ZERO), {});
  }
  if (state.specs.length === 0 && (a.autoclean || a.autoremove)) {
    const operation = a.autoclean ? 'autoclean' : 'autoremove';
    work.main = { kind: 'cleanup', operation };
    const out = state.simulated[operation] ?? '';
    return finish(operation === 'autoremove' ? out.includes('The following packages will be REMOVED') : out.includes('Del '), {});
  }
  if (a.state === 'absent') {
    const words = removeWords(state.specs, state, a.purge);
    if (words.length > 0) work.main = { kind: 'remove', words };
    return finish(words.length > 0, {});
  }
  if (a.state === 'build-dep') {
    if (state.specs.length > 0) work.main = { kind: 'install', words: state.specs.map((s) => s.spec), names: [], build: true };
    return finish(state.specs.length > 0 && !(state.simulated.builddep ?? '').includes(APT_GET_ZERO), cacheResult);
  }
  const choice = installWords(state.specs, state, { upgrade: a.state === 'latest', onlyUpgrade: a.onlyUpgrade });
  if (choice.error) return { changed: false, failed: true, msg: choice.error, result: cacheResult };
  if (choice.words.length > 0 || choice.names.length > 0) work.main = { kind: 'install', words: choice.words, names: choice.names, build: false };
  return finish(choice.words.length > 0, cacheResult);
}

// ------------------------------------------------------------- apply

/** The work behind each plan (for deciding again after a cache update). */
const plannedWork = new WeakMap<Plan, Work>();

function workOf(plan: Plan): Work['main'] {
  return plannedWork.get(plan)?.main;
}

async function runApt(ctx: ModuleContext, command: string, policyRcD: number | undefined) {
  const res = await ctx.run(withPolicyRcD(command, policyRcD), { env: aptEnv });
  return { rc: res.rc, stdout: res.stdout.toString('utf8'), stderr: res.stderr.toString('utf8') };
}

function lineKeys(stdout: string, stderr: string) {
  return { stdout, stderr, stdout_lines: pySplitlines(stdout), stderr_lines: pySplitlines(stderr) };
}

class AptFailure extends Error {
  constructor(message: string, readonly extra: Record<string, unknown>) {
    super(message);
  }
}

async function updateCache(ctx: ModuleContext, a: Normalized): Promise<void> {
  let last = '';
  const jitter = Math.random();
  for (let attempt = 0; attempt < Math.max(1, a.retries); attempt++) {
    const res = await runApt(ctx, 'apt-get update -q', undefined);
    if (res.rc === 0) return;
    last = (res.stderr || res.stdout).trim();
    if (attempt + 1 < a.retries) {
      const delay = Math.min(2 ** attempt + jitter, a.retryMaxDelay + jitter);
      await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    }
  }
  throw new AptFailure(`Failed to update apt cache: ${last || 'unknown reason'}`, {});
}

async function applyApt(ctx: ModuleContext, a: Normalized, work: Work, state: AptReadState): Promise<Record<string, unknown>> {
  try {
    const extra: Record<string, unknown> = {};
    if (work.clean) {
      const res = await runApt(ctx, 'apt-get clean', undefined);
      if (res.rc !== 0 || res.stderr !== '') throw new AptFailure(`apt-get clean failed${res.stderr ? `: ${res.stderr}` : ''}`, { stdout: res.stdout, rc: res.rc });
      if (!work.main && !work.updateCache) return { ...lineKeys(res.stdout, res.stderr), msg: res.stdout };
    }
    if (work.updateCache) {
      await updateCache(ctx, a);
      const stamp = (await ctx.run('if [ -e /var/lib/apt/periodic/update-success-stamp ]; then stat -c %Y /var/lib/apt/periodic/update-success-stamp; elif [ -d /var/lib/apt/lists ]; then stat -c %Y /var/lib/apt/lists; else echo 0; fi')).stdout.toString().trim();
      const time = Number(stamp) || 0;
      Object.assign(extra, { cache_updated: time !== (state.cacheTime ?? 0), cache_update_time: time });
    }
    let main = work.main;
    if (work.updateCache && (main?.kind === 'install' || main?.kind === 'remove' || (!main && state.specs.length > 0))) {
      // New package lists may bring other candidates: decide again on them, as Ansible reads the cache after updating.
      const fresh = { ...state, ...(await readFact(ctx, aptStateFact, readParams(a, state.specs))) };
      const replanned = planApt(ctx, a.raw, { ...fresh, specs: state.specs, debs: state.debs });
      main = replanned.failed ? main : workOf(replanned);
      if (replanned.failed) throw new AptFailure(replanned.msg ?? 'apt failed', {});
      extra.changed = replanned.changed;
    }
    if (!main) return extra;
    if (main.kind === 'upgrade') {
      const res = await runApt(ctx, upgradeCommand(a, main.mode, false), a.policyRcD);
      if (res.rc !== 0) throw new AptFailure(`'apt-get ${main.mode === 'dist' || main.mode === 'full' ? 'dist-upgrade' : 'upgrade --with-new-pkgs'}' failed: ${res.stderr}`, { stdout: res.stdout, rc: res.rc });
      return { ...extra, ...lineKeys(res.stdout, res.stderr), msg: res.stdout, ...diffOf(ctx, res.stdout), changed: !res.stdout.includes(APT_GET_ZERO) };
    }
    if (main.kind === 'deb') {
      const res = await runApt(ctx, installCommand(a, main.files.map((f) => (f.startsWith('/') || f.startsWith('.') ? f : `./${f}`)), 'install'), a.policyRcD);
      if (res.rc !== 0) throw new AptFailure(`apt-get install ${main.files.join(' ')} failed`, lineKeys(res.stdout, res.stderr));
      return { ...extra, ...lineKeys(res.stdout, res.stderr), ...diffOf(ctx, res.stdout) };
    }
    if (main.kind === 'cleanup') {
      const res = await runApt(ctx, cleanupCommand(a, main.operation, false), a.policyRcD);
      if (res.rc !== 0) throw new AptFailure(`'apt-get ${main.operation}' failed: ${res.stderr}`, { ...lineKeys(res.stdout, res.stderr), rc: res.rc });
      return { ...extra, ...lineKeys(res.stdout, res.stderr), ...diffOf(ctx, res.stdout) };
    }
    if (main.kind === 'remove') {
      const res = await runApt(ctx, removeCommand(a, main.words), a.policyRcD);
      if (res.rc !== 0) throw new AptFailure(`'apt-get remove ${main.words.join(' ')}' failed: ${res.stderr}`, { ...lineKeys(res.stdout, res.stderr), rc: res.rc });
      return { ...extra, ...lineKeys(res.stdout, res.stderr), ...diffOf(ctx, res.stdout) };
    }
    let result: Record<string, unknown> = { ...extra };
    if (main.words.length > 0) {
      const command = installCommand(a, main.words, main.build ? 'build-dep' : 'install');
      const res = await runApt(ctx, command, a.policyRcD);
      if (res.rc !== 0) throw new AptFailure(`'${command}' failed: ${res.stderr}`, { ...lineKeys(res.stdout, res.stderr), rc: res.rc });
      result = { ...result, ...lineKeys(res.stdout, res.stderr), ...diffOf(ctx, res.stdout) };
      if (main.build) result.changed = !res.stdout.includes(APT_GET_ZERO);
    }
    if (!main.build && main.names.length > 0) {
      // Ansible marks what was asked for as manually installed (never a change).
      const mark = await runApt(ctx, `if command -v apt-mark >/dev/null 2>&1; then apt-mark manual -- ${shellJoin(main.names)} >/dev/null; fi`, undefined);
      if (mark.rc !== 0) throw new AptFailure(`'apt-mark manual ${main.names.join(' ')}' failed: ${mark.stderr}`, { stdout: mark.stdout, stderr: mark.stderr, rc: mark.rc });
    }
    return result;
  } catch (err) {
    if (err instanceof AptFailure) return { failed: true, msg: err.message, ...err.extra };
    throw err;
  }
}

function diffOf(ctx: ModuleContext, stdout: string): Record<string, unknown> {
  return ctx.diff ? { diff: [parseAptDiff(stdout)] } : {};
}

// ------------------------------------------------------------- module

const bool = (description: string) => ({ ...boolSchema, description });

export const aptSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { ...stringListSchema, description: 'Packages: `name`, `name=version` (a glob), `name>=version`, `foo*` patterns; `*` with latest upgrades all' },
    pkg: stringListSchema,
    package: stringListSchema,
    state: { enum: ['present', 'absent', 'latest', 'build-dep', 'fixed', 'installed', 'removed'], description: 'default present' },
    update_cache: bool('Run apt-get update first (unless younger than cache_valid_time)'),
    'update-cache': boolSchema,
    update_cache_retries: { type: ['integer', 'string'], description: 'Attempts at apt-get update (default 5)' },
    update_cache_retry_max_delay: { type: ['integer', 'string'], description: 'Longest pause between attempts, seconds (default 12)' },
    cache_valid_time: { type: ['integer', 'string'], description: 'Seconds the cache stays valid (implies update_cache)' },
    purge: bool('Remove configuration files too (absent, autoremove)'),
    deb: { type: 'string', description: 'Local .deb files on the host (comma separated) to install' },
    default_release: { type: 'string', description: 'apt-get -t RELEASE' },
    'default-release': { type: 'string' },
    install_recommends: bool('Install recommended packages (default: apt\'s setting)'),
    'install-recommends': boolSchema,
    force: bool('--force-yes'),
    upgrade: { anyOf: [{ enum: ['dist', 'full', 'no', 'safe', 'yes'] }, { type: 'boolean' }], description: 'Upgrade the system: yes/safe (upgrade --with-new-pkgs), dist/full (dist-upgrade)' },
    dpkg_options: { type: 'string', description: 'Comma-separated dpkg options (default force-confdef,force-confold)' },
    autoremove: bool('Remove unused dependencies'),
    autoclean: bool('Remove obsolete downloaded packages'),
    fail_on_autoremove: bool('--no-remove'),
    policy_rc_d: { type: ['integer', 'string'], description: 'Exit code of /usr/sbin/policy-rc.d during the run (101: do not start services)' },
    only_upgrade: bool('Only upgrade installed packages'),
    force_apt_get: bool('Accepted: apt-get is always used'),
    clean: bool('apt-get clean'),
    allow_unauthenticated: bool('--allow-unauthenticated'),
    'allow-unauthenticated': boolSchema,
    allow_downgrade: bool('--allow-downgrades'),
    'allow-downgrade': boolSchema,
    allow_downgrades: boolSchema,
    'allow-downgrades': boolSchema,
    allow_change_held_packages: bool('--allow-change-held-packages'),
    lock_timeout: { type: ['integer', 'string'], description: 'Seconds to wait for the dpkg lock (default 60)' },
  },
};

export const apt: Module<AptArgs, AptReadState> = {
  name: 'apt',
  schema: aptSchema,
  doc: {
    description:
      'Installs, upgrades and removes Debian packages like Ansible\'s apt, with its options and order of work (clean, ' +
      'update_cache/cache_valid_time, upgrade, deb, autoclean/autoremove, then the packages). A missing package is ' +
      'installed at apt\'s candidate version (`name=version`), like Ansible; `=` versions are globs, `>=` a minimum; ' +
      'virtual packages count as installed when their one provider is. State comes from one dpkg-query (apt-cache ' +
      'policy only for what needs it); upgrade, build-dep and autoremove are simulated in check mode. Commands run with ' +
      'DEBIAN_FRONTEND=noninteractive, force-confdef/force-confold, and policy_rc_d when given. Uses apt-get only (no aptitude).',
    returns: {
      cache_updated: 'whether apt-get update ran',
      cache_update_time: 'epoch seconds of the last cache update',
      stdout: 'apt-get output',
      stderr: 'apt-get error output',
      msg: 'the output (upgrade, clean)',
      diff: 'in diff mode: apt\'s list of changes (prepared)',
    },
    example: '- name: Install DNS tools\n  apt:\n    name: [bind9, bind9-dnsutils]\n    state: present\n    update_cache: true\n    cache_valid_time: 3600\n',
  },
  read: readApt,
  plan: planApt,
};

