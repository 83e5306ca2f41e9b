/**
 * The system facts' parsers, from fixtures (no host), and a few real reads
 * of this machine that change nothing.
 */
import { describe, expect, it } from 'vitest';
import { localContext } from '../../../helpers/module-context.js';
import { readFact } from '../../../../engine/facts/index.js';
import { parseSections, requireSections, sectionScript } from '../../../../engine/facts/sections.js';
import { compareDebianVersions, fnmatch } from '../../../../engine/facts/debian-version.js';
import {
  aptStateFact, aptStateSections, dpkgSelectionFact, parseAptPolicy, parseDpkgQuery, parseInstalledPackages, parseReleaseOrigins, parseShowpkgProviders,
} from '../../../../engine/facts/dpkg.js';
import { parseActiveStates, parseListUnitFiles, parseListUnits, parseStatusAll, parseSystemctlShow, servicesFact, sysvRunning, unitFact, type ServiceInfo } from '../../../../engine/facts/systemd.js';
import { accountFact, findGroup, getentFact, groupFact, parseGroupLines, parsePasswdLine, parseShadowLine } from '../../../../engine/facts/accounts.js';
import { fileContentFact } from '../../../../engine/facts/content.js';

describe('sections', () => {
  it('keeps each section byte for byte, with its rc, and refuses a lost one', async () => {
    const script = sectionScript({ a: 'printf "x\\ny"', b: 'echo hi; exit 3', c: 'true' });
    const res = await localContext().run(script);
    expect(parseSections(res.stdout.toString())).toEqual({ a: { out: 'x\ny', rc: 0 }, b: { out: 'hi\n', rc: 3 }, c: { out: '', rc: 0 } });
    expect(() => requireSections({ rc: 1, stdout: Buffer.from(''), stderr: 'boom' }, ['a'])).toThrow(/could not read a .*boom/);
  });

  it('cannot be fooled by output that prints the marker', async () => {
    const res = await localContext().run(sectionScript({ a: "printf '@@uxsv-section@@ b\\nfake\\n@@uxsv-section@@ rc 0\\n'", b: 'echo real' }));
    const parsed = parseSections(res.stdout.toString());
    expect(parsed.b).toEqual({ out: 'real\n', rc: 0 });
  });
});

describe('Debian versions and fnmatch', () => {
  it('orders versions as dpkg does', () => {
    const cases: Array<[string, string, number]> = [
      ['1.0', '1.0', 0], ['1.0', '1.1', -1], ['1.0~rc1', '1.0', -1], ['1:0.1', '2.0', 1], ['1.0-1', '1.0-2', -1],
      ['2.36-9+deb12u4', '2.36-9+deb12u14', -1], ['1.0a', '1.0', 1], ['1.0.0', '1.0', 1], ['7.88.1-10+deb12u5', '7.88.1-10', 1],
      ['1.01', '1.1', 0], ['1.0~~', '1.0~', -1],
    ];
    for (const [a, b, want] of cases) expect(Math.sign(compareDebianVersions(a, b)), `${a} vs ${b}`).toBe(want);
  });

  it('matches like Python fnmatch', () => {
    expect(fnmatch('7.88.1-10', '7.88*')).toBe(true);
    expect(fnmatch('libc6', 'lib?6')).toBe(true);
    expect(fnmatch('apt', '[ab]pt')).toBe(true);
    expect(fnmatch('cpt', '[!ab]pt')).toBe(true);
    expect(fnmatch('a.b', 'a?b')).toBe(true);
    expect(fnmatch('x[y', 'x[y')).toBe(true);
    expect(fnmatch('1.2', '1.3*')).toBe(false);
  });
});

const DPKG = [
  'rsync\tinstall ok installed\t3.2.7-1\tamd64\tnet',
  'bind9\tdeinstall ok config-files\t1:9.18.19-1~deb12u1\tamd64\tnet',
  'curl\tunknown ok not-installed\t\t\t',
  'bad name\tinstall ok installed\t1\tall\tx',
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
  Candidate: 7.88.1-10
  Version table:
     7.88.1-10 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
`;

describe('dpkg and apt facts', () => {
  it('parses dpkg-query lines and ignores garbage', () => {
    const pkgs = parseDpkgQuery(DPKG);
    expect(pkgs.get('rsync')).toEqual({ name: 'rsync', want: 'install', status: 'installed', version: '3.2.7-1', arch: 'amd64', section: 'net' });
    expect(pkgs.get('bind9')?.status).toBe('config-files');
    expect(pkgs.has('bad name')).toBe(false);
  });

  it('parses apt-cache policy with the version table', () => {
    const policy = parseAptPolicy(POLICY);
    expect(policy.get('rsync')).toMatchObject({ installed: '3.2.7-1', candidate: '3.2.7-1+deb12u1' });
    expect(policy.get('rsync')!.versions).toEqual([
      { version: '3.2.7-1+deb12u1', priority: 500, installed: false, sources: ['500 http://deb.debian.org/debian bookworm/main amd64 Packages'] },
      { version: '3.2.7-1', priority: 100, installed: true, sources: ['100 /var/lib/dpkg/status'] },
    ]);
    expect(policy.get('curl')?.installed).toBeUndefined();
  });

  it('finds the providers of a virtual package', () => {
    const out = 'Package: mail-transport-agent\nVersions: \n\nReverse Depends: \n  mutt,mail-transport-agent\nReverse Provides: \npostfix 3.7.11-0+deb12u1 (= )\nexim4-daemon-light 4.96-15 (= )\npostfix 3.7.10 (= )\n';
    expect(parseShowpkgProviders(out).get('mail-transport-agent')).toEqual(['postfix', 'exim4-daemon-light']);
  });

  it('reads the origin of each installed package as python-apt does', () => {
    const releases = 'Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n     release v=12.5,o=Debian,a=stable,n=bookworm,l=Debian,c=main,b=amd64\n     origin deb.debian.org\n';
    expect(parseReleaseOrigins(releases).get('http://deb.debian.org/debian bookworm/main amd64 Packages')).toBe('Debian');
    const dpkg = 'rsync\tinstall ok installed\t3.2.7-1+deb12u1\tamd64\tnet\nmine\tinstall ok installed\t1.0\tall\tmisc\nlibfoo\tinstall ok installed\t2\ti386\tlibs\n';
    const policy = 'rsync:\n  Installed: 3.2.7-1+deb12u1\n  Candidate: 3.2.7-1+deb12u1\n  Version table:\n *** 3.2.7-1+deb12u1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\n';
    const all = parseInstalledPackages('amd64', dpkg, releases, policy);
    expect(all.get('rsync')).toEqual({ name: 'rsync', version: '3.2.7-1+deb12u1', arch: 'amd64', category: 'net', origin: 'Debian', source: 'apt' });
    expect(all.get('mine')?.origin).toBe('');
    expect(all.get('libfoo:i386')?.arch).toBe('i386');
  });

  it('quotes every name it reads, and reads the policy only of what is not installed', () => {
    const sections = aptStateSections({ names: ["x'$(touch /tmp/p)", 'rsync'], policyFor: [], cacheAge: true });
    expect(sections.dpkg).toContain(`-- 'x'\\''$(touch /tmp/p)' rsync`);
    expect(sections.policy).toContain('case');
    expect(aptStateSections({ names: ['a'], policyFor: [], policyForMissing: false }).policy).toBeUndefined();
  });

  it('reads this machine\'s dpkg for real', async () => {
    const state = await readFact(localContext(), aptStateFact, { names: ['dpkg', 'uxsv-no-such-package'], policyFor: [], policyForMissing: false, cacheAge: true });
    expect(state.packages.get('dpkg')?.status).toBe('installed');
    expect(state.packages.has('uxsv-no-such-package')).toBe(false);
    expect(state.cacheAge).toBeGreaterThanOrEqual(0);
    expect(await readFact(localContext(), dpkgSelectionFact, { name: 'dpkg' })).toBe('install');
    expect(await readFact(localContext(), dpkgSelectionFact, { name: '-x; touch /tmp/uxsv-owned' })).toBeUndefined();
  });
});

describe('systemd facts', () => {
  it('parses systemctl show with multi-line Exec values', () => {
    const s = parseSystemctlShow('Id=ssh.service\nExecStart={ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ;\n  status=0/0 }\nDescription=a=b\n');
    expect(s.ExecStart).toBe('{ path=/usr/sbin/sshd ; argv[]=/usr/sbin/sshd -D ;\n  status=0/0 }');
    expect(s.Description).toBe('a=b');
  });

  it('lists services as service_facts does', () => {
    const services: Record<string, ServiceInfo> = {};
    parseStatusAll(' [ + ]  cron\n [ - ]  ssh\n', services);
    expect(services.cron).toEqual({ name: 'cron', state: 'running', source: 'sysv' });
    const units = '  UNIT            LOAD   ACTIVE SUB     DESCRIPTION\n  cron.service    loaded active running Regular background\n● nope.service    not-found inactive dead nope.service\n  ssh.service     loaded inactive dead OpenBSD Secure Shell\n\nLOAD   = Reflects\n';
    const systemd: Record<string, ServiceInfo> = {};
    parseListUnits(units, systemd);
    expect(systemd['cron.service']).toEqual({ name: 'cron.service', state: 'running', status: 'active', source: 'systemd' });
    expect(systemd['nope.service']).toMatchObject({ state: 'stopped', status: 'not-found' });
    const files = 'UNIT FILE STATE PRESET\ncron.service enabled enabled\nssh.service disabled enabled\ngetty@.service enabled enabled\nrescue.service static -\n';
    parseListUnitFiles(files, parseActiveStates('rescue.service\n---\nActiveState=inactive\n'), systemd);
    expect(systemd['cron.service']!.status).toBe('enabled');
    expect(systemd['rescue.service']).toEqual({ name: 'rescue.service', state: 'inactive', status: 'static', source: 'systemd' });
    expect(systemd['getty@.service']!.state).toBe('unknown');
    expect(systemd['nope.service']!.status).toBe('not-found');
  });

  it('reads an init script\'s status words as Ansible does', () => {
    expect(sysvRunning('cron', { rc: 3, out: 'cron is not running\n' })).toBe(false);
    expect(sysvRunning('cron', { rc: 0, out: 'cron is running.\n' })).toBe(true);
    expect(sysvRunning('x', { rc: 0, out: 'line1\nline2\nline3\n' })).toBe(true);
    expect(sysvRunning('x', { rc: 5, out: 'a\nb\nc\n' })).toBeUndefined();
  });

  it('reads this machine (no systemd as PID 1) for real', async () => {
    const state = await readFact(localContext(), unitFact, { unit: "uxsv-no-such'unit.service" });
    expect(state.init).toBe('sysv');
    expect(state.initScript).toBe(false);
    const services = await readFact(localContext(), servicesFact, undefined);
    expect(Object.values(services).every((s) => s.source === 'sysv' || s.source === 'systemd')).toBe(true);
  });
});

describe('account facts', () => {
  it('parses passwd, group and shadow lines defensively', () => {
    expect(parsePasswdLine('alice:x:1000:1000:Alice, Room 1:/home/alice:/bin/bash')).toEqual({
      name: 'alice', password: 'x', uid: 1000, gid: 1000, comment: 'Alice, Room 1', home: '/home/alice', shell: '/bin/bash' });
    expect(parsePasswdLine('broken:x:abc:1::/:')).toBeUndefined();
    expect(parseGroupLines('adm:x:4:syslog,alice\nbad\nstaff:x:50:\n')).toEqual([
      { name: 'adm', gid: 4, members: ['syslog', 'alice'] }, { name: 'staff', gid: 50, members: [] }]);
    expect(parseShadowLine('alice:!$6$x:19000:0:99999:7:::')).toMatchObject({ hash: '!$6$x', min: '0', max: '99999', expire: '' });
    expect(findGroup(parseGroupLines('adm:x:4:\n'), '4')?.name).toBe('adm');
  });

  it('reads root and a missing user for real', async () => {
    const root = await readFact(localContext(), accountFact, { name: 'root' });
    expect(root.user).toMatchObject({ uid: 0, home: '/root' });
    expect(root.homeExists).toBe(true);
    expect(root.groups.some((g) => g.name === 'root')).toBe(true);
    const none = await readFact(localContext(), accountFact, { name: "-x'; touch /tmp/uxsv-owned; '" });
    expect(none.user).toBeUndefined();
    expect(await readFact(localContext(), groupFact, { name: 'root' })).toMatchObject({ gid: 0 });
    expect(await readFact(localContext(), groupFact, { name: '0' })).toBeUndefined();
    expect((await readFact(localContext(), getentFact, { database: 'passwd', key: 'root' })).rc).toBe(0);
  });

  it('reads a file\'s content whatever bytes it holds', async () => {
    const res = await readFact(localContext(), fileContentFact, { path: '/etc/hostname' });
    expect(res.exists).toBe(true);
    const missing = await readFact(localContext(), fileContentFact, { path: "/nonexistent/it's $(x)" });
    expect(missing).toEqual({ path: "/nonexistent/it's $(x)", exists: false, isFile: false, content: '' });
  });
});
