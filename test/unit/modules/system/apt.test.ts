/**
 * apt and package: the package decisions (pure, from fixtures), the commands
 * (quoted), the order of work, and read-only checks against this machine's
 * dpkg (nothing is installed or removed here: that is proven in the lab).
 */
import { describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { parseAptPolicy, parseDpkgQuery, type AptState } from '../../../../engine/facts/dpkg.js';
import { expandPatterns, installWords, removeWords, splitSpec } from '../../../../engine/modules/system/apt-packages.js';
import { apt, installCommand, normalizeAptArgs, parseAptDiff, planApt, removeCommand, withPolicyRcD, type AptReadState } from '../../../../engine/modules/system/apt.js';
import { packageModule } from '../../../../engine/modules/system/package.js';

const DPKG = [
  'rsync\tinstall ok installed\t3.2.7-1\tamd64\tnet',
  'bind9\tdeinstall ok config-files\t1:9.18.19-1~deb12u1\tamd64\tnet',
  'postfix\tinstall ok installed\t3.7.11-0+deb12u1\tamd64\tmail',
].join('\n') + '\n';

const POLICY = `rsync:
  Installed: 3.2.7-1
  Candidate: 3.2.7-1+deb12u1
  Version table:
     3.2.7-1+deb12u1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
 *** 3.2.7-1 100
        100 /var/lib/dpkg/status
curl:
  Installed: (none)
  Candidate: 7.88.1-10+deb12u5
  Version table:
     7.88.1-10+deb12u5 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
     7.88.1-10 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
nocand:
  Installed: (none)
  Candidate: (none)
  Version table:
`;

function state(extra: Partial<AptReadState> = {}): AptReadState {
  return {
    packages: parseDpkgQuery(DPKG), policy: parseAptPolicy(POLICY), autoremovable: [], simulated: {},
    providers: new Map([['mail-transport-agent', ['postfix']], ['httpd', ['apache2', 'nginx']]]),
    specs: [], debs: [], cacheTime: 1_700_000_000, cacheAge: 100, ...extra,
  };
}

const specs = (...names: string[]) => names.map(splitSpec);

describe('apt package decisions', () => {
  it('splits specs like package_split', () => {
    expect(splitSpec('curl=7.88*')).toEqual({ spec: 'curl=7.88*', name: 'curl', cmp: '=', version: '7.88*' });
    expect(splitSpec('curl>=7.0')).toMatchObject({ name: 'curl', cmp: '>=', version: '7.0' });
    expect(splitSpec('curl')).toEqual({ spec: 'curl', name: 'curl' });
  });

  it('installs a missing package at apt\'s candidate, leaves installed ones, upgrades with latest', () => {
    expect(installWords(specs('rsync', 'curl'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual(['curl=7.88.1-10+deb12u5']);
    expect(installWords(specs('rsync', 'curl'), state(), { upgrade: true, onlyUpgrade: false }).words).toEqual(['rsync=3.2.7-1+deb12u1', 'curl=7.88.1-10+deb12u5']);
    expect(installWords(specs('curl'), state(), { upgrade: false, onlyUpgrade: true }).words).toEqual([]);
  });

  it('pins = versions as globs (the newest match) and >= as a minimum', () => {
    expect(installWords(specs('curl=7.88.1-10'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual(['curl=7.88.1-10']);
    expect(installWords(specs('rsync=3.2.7-1'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual([]);
    // Installed matches the glob, a newer match exists: Ansible asks apt for the glob again.
    expect(installWords(specs('rsync=3.2.7*'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual(['rsync=3.2.7*']);
    expect(installWords(specs('rsync>=3.2'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual([]);
    expect(installWords(specs('rsync>=3.2.7-1+deb12u1'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual(['rsync=3.2.7-1+deb12u1']);
    expect(installWords(specs('curl=9.9'), state(), { upgrade: false, onlyUpgrade: false }).error).toBe('no available installation candidate for curl=9.9');
  });

  it('knows virtual and unknown packages', () => {
    expect(installWords(specs('mail-transport-agent'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual([]);
    expect(installWords(specs('httpd'), state(), { upgrade: false, onlyUpgrade: false }).words).toEqual(['httpd']);
    expect(installWords(specs('nosuch'), state(), { upgrade: false, onlyUpgrade: false }).error).toBe("No package matching 'nosuch' is available");
  });

  it('removes what is installed (and leftovers with purge), with the spec as written', () => {
    expect(removeWords(specs('rsync', 'bind9', 'curl'), state(), false)).toEqual(['rsync']);
    expect(removeWords(specs('rsync', 'bind9'), state(), true)).toEqual(['rsync', 'bind9']);
    expect(removeWords(specs('rsync=9'), state(), false)).toEqual([]);
  });

  it('expands patterns against apt\'s names, native architecture only unless asked', () => {
    const known = ['rsync', 'rsnapshot', 'libc6', 'libc6:i386', 'curl'];
    expect(expandPatterns(specs('rs*'), known).specs.map((s) => s.name)).toEqual(['rsync', 'rsnapshot']);
    expect(expandPatterns(specs('libc6*:i386'), known).specs.map((s) => s.name)).toEqual(['libc6:i386']);
    expect(expandPatterns(specs('zz*'), known).error).toBe("No package(s) matching 'zz*' available");
  });
});

describe('apt plans and commands', () => {
  const ctx = localContext();

  it('follows Ansible\'s order and changed rules', () => {
    expect(planApt(ctx, { name: 'curl' }, state({ specs: specs('curl') }))).toMatchObject({ changed: true, result: { cache_updated: false } });
    expect(planApt(ctx, { name: 'rsync' }, state({ specs: specs('rsync') })).changed).toBe(false);
    // A cache update alone is the change; with packages, only package changes count.
    expect(planApt(ctx, { update_cache: true }, state()).changed).toBe(true);
    expect(planApt(ctx, { update_cache: true, cache_valid_time: 3600 }, state()).changed).toBe(false);
    expect(planApt(ctx, { name: 'rsync', update_cache: true }, state({ specs: specs('rsync') })).changed).toBe(false);
    expect(planApt(ctx, { upgrade: 'dist' }, state({ simulated: { upgrade: 'x\n0 upgraded, 0 newly installed, 0 to remove' } })).changed).toBe(false);
    expect(planApt(ctx, { upgrade: 'dist' }, state({ simulated: { upgrade: 'x\n2 upgraded, 0 newly installed' } })).changed).toBe(true);
    expect(planApt(ctx, { autoremove: true }, state({ simulated: { autoremove: 'The following packages will be REMOVED:\n  x\n' } })).changed).toBe(true);
    expect(planApt(ctx, { name: ['rsync', 'bind9'], state: 'absent', purge: true }, state({ specs: specs('rsync', 'bind9') })).changed).toBe(true);
  });

  it('refuses what Ansible refuses, with its words', () => {
    expect(planApt(ctx, {}, state()).msg).toBe('one of the following is required: autoremove, deb, package, update_cache, upgrade');
    expect(planApt(ctx, { name: 'x', upgrade: 'yes' }, state()).msg).toBe('parameters are mutually exclusive: deb|package|upgrade');
    expect(planApt(ctx, { name: 'a=1=2' }, state()).msg).toBe('invalid package spec: a=1=2');
    expect(planApt(ctx, { deb: '/tmp/x.deb', state: 'absent' }, state()).msg).toBe('deb only supports state=present');
    expect(planApt(ctx, { name: ['*', 'rsync'], state: 'latest' }, state({ specs: specs('rsync') })).msg).toBe('unable to install additional packages when upgrading all installed packages');
  });

  it('installs a .deb only when its version is not the installed one', () => {
    const same = { path: '/tmp/r.deb', exists: true, package: 'rsync', version: '3.2.7-1', installed: parseDpkgQuery(DPKG).get('rsync') };
    expect(planApt(ctx, { deb: '/tmp/r.deb' }, state({ debs: [same] })).changed).toBe(false);
    expect(planApt(ctx, { deb: '/tmp/r.deb' }, state({ debs: [{ ...same, version: '3.2.8' }] })).changed).toBe(true);
    expect(planApt(ctx, { deb: '/tmp/r.deb' }, state({ debs: [{ path: '/tmp/r.deb', exists: false }] })).failed).toBe(true);
  });

  it('builds quoted apt-get commands with Ansible\'s options', () => {
    const a = normalizeAptArgs({ name: 'x', install_recommends: false, default_release: 'bookworm-backports', dpkg_options: 'force-confnew', allow_downgrade: true, lock_timeout: 5 });
    expect(installCommand(a, ["x'; reboot"], 'install')).toBe(
      "apt-get -y -o Dpkg::Options::=--force-confnew -o DPkg::Lock::Timeout=5 install -t bookworm-backports -o APT::Install-Recommends=no --allow-downgrades -- 'x'\\''; reboot'");
    expect(removeCommand(normalizeAptArgs({ name: 'x', purge: true, autoremove: true }), ['-x'])).toBe(
      'apt-get -q -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=60 --purge --auto-remove remove -- -x');
    expect(withPolicyRcD('apt-get install x', 101)).toContain("printf '#!/bin/sh\\nexit %d\\n' 101 > /usr/sbin/policy-rc.d");
    expect(parseAptDiff('Reading package lists...\nReading state information...\nThe following NEW packages will be installed:\n  x\n1 upgraded, 1 newly installed, 0 to remove\ntrailer\n')).toEqual({
      prepared: 'The following NEW packages will be installed:\n  x\n1 upgraded, 1 newly installed, 0 to remove' });
  });

  it('reads this machine in check mode (nothing is installed)', async () => {
    const check = localContext({ check: true });
    expect(await runModule(apt, { name: 'dpkg' }, check)).toMatchObject({ changed: false });
    expect((await runModule(apt, { name: 'uxsv-no-such-package-x' }, check)).msg).toBe("No package matching 'uxsv-no-such-package-x' is available");
    expect((await runModule(apt, { name: 'uxsv-no-such-package-x', state: 'absent' }, check)).changed).toBe(false);
    expect((await runModule(packageModule, { name: 'dpkg', state: 'present' }, check)).changed).toBe(false);
    expect((await runModule(packageModule, { name: 'dpkg', state: 'present', use: 'yum' }, check)).msg).toMatch(/not supported/);
  });
});
