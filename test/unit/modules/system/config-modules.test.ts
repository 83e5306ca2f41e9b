/**
 * The configuration modules: fstab (mount), PAM files (pamd) and apt sources
 * on temporary files; iptables, ufw, alternatives, timezone, locale_gen,
 * modprobe, apt_key, dpkg_selections, hostname and reboot planned from
 * fixtures (their effects need a systemd host: proven in the lab).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { escapeFstab, mount, mountFields, parseMountinfo, setFstab, unsetFstab } from '../../../../engine/modules/system/mount.js';
import { editPamd, pamd, parseArguments, parsePamd, renderPamd } from '../../../../engine/modules/system/pamd.js';
import { command as iptablesCommand, constructRule, planIptables } from '../../../../engine/modules/system/iptables.js';
import { planUfw, ruleWords, type UfwState } from '../../../../engine/modules/system/ufw.js';
import { parseAlternatives, planAlternatives } from '../../../../engine/modules/system/general-small.js';
import { currentTimezone, fixLocaleCase, planModprobe, planTimezone, setLocaleLine } from '../../../../engine/modules/system/general-small.js';
import { parseKeyId, parseKeyIds, planAptKey } from '../../../../engine/modules/system/apt-key.js';
import { aptRepository, changeSources, parseSourceLine, suggestFilename } from '../../../../engine/modules/system/apt-repository.js';
import { dpkgSelections, packageFacts, serviceFacts } from '../../../../engine/modules/system/inventory-facts.js';
import { planHostname } from '../../../../engine/modules/system/hostname.js';
import { planReboot, rebootModule, shutdownArguments } from '../../../../engine/modules/system/reboot.js';
import { debconf, parseDebconfShow } from '../../../../engine/modules/system/debconf.js';

const dir = mkdtempSync(join(tmpdir(), "uxsv conf'-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ctx = localContext();

describe('mount', () => {
  it('edits fstab lines as ansible.posix does, escaping fields', () => {
    const fstab = '# /etc/fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n/dev/sdb1 /srv/a ext4 defaults 0 2\n';
    const a = mountFields({ path: '/srv/my data', src: '/dev/sdc1', fstype: 'ext4', state: 'present' });
    expect(setFstab(fstab, a)).toEqual({ changed: true, text: `${fstab}/dev/sdc1 /srv/my\\040data ext4 defaults 0 0\n` });
    const again = setFstab(setFstab(fstab, a).text, a);
    expect(again.changed).toBe(false);
    const changedOpts = setFstab(fstab, mountFields({ path: '/srv/a', src: '/dev/sdb1', fstype: 'ext4', opts: 'noatime', passno: 2, state: 'present' }));
    expect(changedOpts.text).toContain('/dev/sdb1 /srv/a ext4 noatime 0 2\n');
    expect(unsetFstab(fstab, a).changed).toBe(false);
    expect(unsetFstab(fstab, mountFields({ path: '/srv/a', state: 'absent' })).text).toBe('# /etc/fstab\nUUID=1 / ext4 errors=remount-ro 0 1\n');
    expect(escapeFstab('a b&c\\')).toBe('a\\040b\\046c\\134');
    expect(mountFields({ path: '/x', boot: false, opts: 'ro', state: 'present' }).opts).toBe('ro,noauto');
  });

  it('finds bind mounts in mountinfo', () => {
    const info = '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n40 22 8:1 /srv/data /mnt/bind rw,relatime shared:1 - ext4 /dev/sda1 rw\n';
    const mounts = parseMountinfo(info);
    expect(mounts.get('/')).toEqual({ dst: '/', src: '/dev/sda1', opts: 'rw,relatime', fs: 'ext4' });
    expect(mounts.get('/mnt/bind')?.src).toBe('/srv/data');
  });

  it('writes a temporary fstab with backup, present and absent_from_fstab', async () => {
    const fstab = join(dir, 'fstab');
    writeFileSync(fstab, '# test\n');
    const args = { path: '/srv/uxsv test', src: 'LABEL=x', fstype: 'ext4', fstab, state: 'present' as const, backup: true };
    expect((await runModule(mount, args, localContext({ check: true }))).changed).toBe(true);
    expect(readFileSync(fstab, 'utf8')).toBe('# test\n');
    const res = await runModule(mount, args, ctx);
    expect(res).toMatchObject({ changed: true, name: '/srv/uxsv test', fstab });
    expect(readFileSync(res.backup_file as string, 'utf8')).toBe('# test\n');
    expect(readFileSync(fstab, 'utf8')).toBe('# test\nLABEL=x /srv/uxsv\\040test ext4 defaults 0 0\n');
    expect((await runModule(mount, args, ctx)).changed).toBe(false);
    expect((await runModule(mount, { path: '/srv/uxsv test', fstab, state: 'absent_from_fstab' }, ctx)).changed).toBe(true);
    expect(readFileSync(fstab, 'utf8')).toBe('# test\n');
    expect((await runModule(mount, { path: '/x', fstab, state: 'mounted' }, ctx)).msg).toBe('state is mounted but all of the following are missing: src, fstype');
  });
});

describe('pamd', () => {
  const file = '#%PAM-1.0\nauth       required   pam_env.so\nauth   [success=1 default=ignore]  pam_unix.so nullok\n@include common-auth\n\naccount    required     pam_nologin.so\n';

  it('parses and edits rules as community.general.pamd', () => {
    const lines = parsePamd(file);
    expect(parseArguments(['a=1 b', '[x y]'])).toEqual(['a=1', 'b', '[x y]']);
    const updated = editPamd(lines.map((l) => ({ ...l })), { name: 's', type: 'auth', control: 'required', module_path: 'pam_env.so', new_control: 'sufficient' });
    expect(updated.changes).toBe(1);
    const text = renderPamd(updated.lines, '# Updated by Ansible - T');
    expect(text.split('\n').slice(0, 3)).toEqual(['#%PAM-1.0', '# Updated by Ansible - T', 'auth       sufficient pam_env.so']);
    expect(text).toContain('auth       [success=1 default=ignore] pam_unix.so nullok');
    const before = editPamd(parsePamd(file), { name: 's', type: 'account', control: 'required', module_path: 'pam_nologin.so', state: 'before', new_type: 'account', new_control: 'required', new_module_path: 'pam_access.so' });
    expect(renderPamd(before.lines, 'M')).toContain('auth       [success=1 default=ignore] pam_unix.so nullok\n@include common-auth\n\naccount    required pam_access.so\naccount    required pam_nologin.so\n');
    const args = editPamd(parsePamd(file), { name: 's', type: 'auth', control: '[success=1 default=ignore]', module_path: 'pam_unix.so', state: 'args_present', module_arguments: ['try_first_pass', 'nullok'] });
    expect(args.changes).toBe(1);
    expect(editPamd(parsePamd(file), { name: 's', type: 'auth', control: 'required', module_path: 'pam_env.so', state: 'absent' }).changes).toBe(1);
  });

  it('edits a temporary service file, idempotently', async () => {
    writeFileSync(join(dir, 'svc'), file);
    const args = { name: 'svc', path: dir, type: 'auth', control: 'required', module_path: 'pam_env.so', state: 'args_present' as const, module_arguments: 'readenv=1' };
    expect((await runModule(pamd, args, localContext({ check: true }))).changed).toBe(true);
    expect(readFileSync(join(dir, 'svc'), 'utf8')).toBe(file);
    expect(await runModule(pamd, args, ctx)).toMatchObject({ changed: true, change_count: 1 });
    expect(readFileSync(join(dir, 'svc'), 'utf8')).toMatch(/^#%PAM-1.0\n# Updated by Ansible - \d{4}-\d\d-\d\dT[\d:.]+\nauth       required pam_env.so readenv=1\n/);
    expect((await runModule(pamd, args, ctx)).changed).toBe(false);
    expect((await runModule(pamd, { ...args, control: 'bogus', new_control: 'wrong', state: 'updated', module_arguments: undefined }, ctx)).changed).toBe(false);
  });
});

describe('iptables', () => {
  it('builds the rule\'s words like Ansible and quotes them', () => {
    expect(constructRule({ chain: 'INPUT', protocol: 'tcp', destination_port: 22, ctstate: ['NEW'], jump: 'ACCEPT', comment: "ssh's" })).toEqual(
      ['-p', 'tcp', '-j', 'ACCEPT', '--destination-port', '22', '-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', "ssh's"]);
    expect(constructRule({ source: '!10.0.0.0/8', reject_with: 'tcp-reset', syn: 'negate' })).toEqual(['!', '-s', '10.0.0.0/8', '!', '--syn', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    expect(iptablesCommand({ chain: 'INPUT', comment: "a'b" }, '-C', true)).toBe("iptables -t filter -C INPUT -m comment --comment 'a'\\''b'");
  });

  it('plans like Ansible from -C and -L', () => {
    const st = { found: true, rulePresent: false, chainPresent: true, policy: 'ACCEPT' };
    expect(planIptables(ctx, { chain: 'INPUT', jump: 'DROP' }, st).changed).toBe(true);
    expect(planIptables(ctx, { chain: 'INPUT', jump: 'DROP' }, { ...st, rulePresent: true }).changed).toBe(false);
    expect(planIptables(ctx, { chain: 'INPUT', policy: 'ACCEPT' }, st).changed).toBe(false);
    expect(planIptables(ctx, { chain: 'INPUT', policy: 'DROP' }, st).changed).toBe(true);
    expect(planIptables(ctx, { chain: 'MINE', state: 'absent' }, st)).toMatchObject({ changed: true, result: { rule: '' } });
    expect(planIptables(ctx, {}, st).msg).toBe('Either chain or flush parameter must be specified.');
    expect(planIptables(ctx, { chain: 'INPUT', log_prefix: 'x', jump: 'DROP' }, st).msg).toBe('Logging options can only be used with the LOG jump target.');
  });
});

describe('ufw', () => {
  const status = 'Status: active\nLogging: on (low)\nDefault: deny (incoming), allow (outgoing), disabled (routed)\n';
  const state = (extra: Partial<UfwState> = {}): UfwState => ({ found: true, status, rules: '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n', version: [0, 36], numbered: '', ...extra });

  it('builds rule words and Ansible\'s command strings', () => {
    expect(ruleWords({ rule: 'allow', to_port: 22, proto: 'tcp', comment: 'ssh x' }, undefined, true)).toEqual({
      words: ['allow', 'from', 'any', 'to', 'any', 'port', '22', 'proto', 'tcp', 'comment', 'ssh x'], text: "allow from any to any port 22 proto tcp comment 'ssh x'" });
  });

  it('decides changes as community.general.ufw does in check mode', () => {
    expect(planUfw(ctx, { state: 'enabled' }, state()).changed).toBe(false);
    expect(planUfw(ctx, { state: 'disabled' }, state()).changed).toBe(true);
    expect(planUfw(ctx, { default: 'deny', direction: 'incoming' }, state()).changed).toBe(false);
    expect(planUfw(ctx, { default: 'allow' }, state()).changed).toBe(true);
    expect(planUfw(ctx, { logging: 'low' }, state()).changed).toBe(false);
    expect(planUfw(ctx, { rule: 'allow', port: 22, proto: 'tcp' }, state({ dryRun: '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n' })).changed).toBe(false);
    expect(planUfw(ctx, { rule: 'allow', port: 80, proto: 'tcp' }, state({ dryRun: '### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in\n' })).changed).toBe(true);
    expect(planUfw(ctx, {}, state()).msg).toBe('one of the following is required: state, default, rule, logging');
  });
});

describe('alternatives, timezone, locale_gen, modprobe', () => {
  const display = 'editor - manual mode\n  link best version is /bin/nano\n  link currently points to /usr/bin/vim.basic\n  link editor is /usr/bin/editor\n  slave editor.1.gz is /usr/share/man/man1/editor.1.gz\n/bin/nano - priority 40\n  slave editor.1.gz: /usr/share/man/man1/nano.1.gz\n/usr/bin/vim.basic - priority 30\n  slave editor.1.gz: (null)\n';

  it('reads update-alternatives --display and plans set/install/remove', () => {
    const parsed = parseAlternatives(display);
    expect(parsed.mode).toBe('manual');
    expect(parsed.currentPath).toBe('/usr/bin/vim.basic');
    expect(parsed.alternatives.get('/bin/nano')).toEqual({ priority: 40, subcommands: [{ name: 'editor.1.gz', path: '/usr/share/man/man1/nano.1.gz', link: '/usr/share/man/man1/editor.1.gz' }] });
    const state = { found: true, pathExists: true, ...parsed };
    expect(planAlternatives(ctx, { name: 'editor', path: '/usr/bin/vim.basic' }, state).changed).toBe(false);
    expect(planAlternatives(ctx, { name: 'editor', path: '/bin/nano' }, state)).toMatchObject({ changed: true, result: { msg: "Set alternative '/bin/nano' for 'editor'." } });
    expect(planAlternatives(ctx, { name: 'editor', path: '/bin/nano', state: 'auto' }, state).changed).toBe(true);
    expect(planAlternatives(ctx, { name: 'editor', path: '/usr/bin/vim.basic', priority: 60, state: 'present' }, state).changed).toBe(true);
    expect(planAlternatives(ctx, { name: 'editor', path: '/opt/x', state: 'absent' }, state).changed).toBe(false);
  });

  it('reads and plans time zones with and without systemd', () => {
    const sd = { systemd: true, status: '               Local time: x\n                Time zone: Asia/Tokyo (JST, +0900)\n          RTC in local TZ: no\n', timezoneFile: '', adjtime: '', zoneExists: true };
    expect(currentTimezone(sd)).toEqual({ name: 'Asia/Tokyo', hwclock: 'UTC' });
    expect(planTimezone(ctx, { name: 'Asia/Tokyo' }, sd)).toMatchObject({ changed: false, result: { diff: { before: { name: 'Asia/Tokyo' }, after: { name: 'Asia/Tokyo' } } } });
    expect(planTimezone(ctx, { name: 'UTC', hwclock: 'local' }, sd).changed).toBe(true);
    const files = { systemd: false, status: '', timezoneFile: 'Etc/UTC\n', localtimeLink: '/usr/share/zoneinfo/Etc/UTC', adjtime: '0.0 0 0.0\n0\nUTC\n', zoneExists: true };
    expect(currentTimezone(files)).toEqual({ name: 'Etc/UTC', hwclock: 'UTC' });
    expect(planTimezone(ctx, { name: 'Nowhere/City' }, { ...files, zoneExists: false }).msg).toBe('given timezone "Nowhere/City" is not available');
  });

  it('edits /etc/locale.gen lines and normalises locale names', () => {
    expect(setLocaleLine('# en_US.UTF-8 UTF-8\n# ja_JP.UTF-8 UTF-8\n', 'ja_JP.UTF-8', true)).toBe('# en_US.UTF-8 UTF-8\nja_JP.UTF-8 UTF-8\n');
    expect(setLocaleLine('ja_JP.UTF-8 UTF-8\n', 'ja_JP.UTF-8', false)).toBe('# ja_JP.UTF-8 UTF-8\n');
    expect(fixLocaleCase('ja_JP.utf8')).toBe('ja_JP.UTF-8');
  });

  it('plans kernel modules and their persistence', () => {
    const st = { found: true, loaded: false, loadFiles: new Map(), paramFiles: new Map([['/etc/modprobe.d/dummy.conf', 'options dummy numdummies=1\n']]) };
    expect(planModprobe(ctx, { name: 'dummy' }, st).changed).toBe(true);
    expect(planModprobe(ctx, { name: 'dummy' }, { ...st, loaded: true }).changed).toBe(false);
    expect(planModprobe(ctx, { name: 'dummy', persistent: 'present', params: 'numdummies=1' }, { ...st, loaded: true }).changed).toBe(true);
    expect(planModprobe(ctx, { name: 'dummy', persistent: 'absent' }, { ...st, loaded: true }).changed).toBe(true);
  });
});

describe('apt_key and apt_repository', () => {
  it('reads key ids from apt-key and gpg output', () => {
    expect(parseKeyIds('pub   rsa4096/DCC9EFBF77E11517 2021-03-21 [SC]\nuid Debian\nsub   rsa4096/0123456789ABCDEF 2021 [E] [expired: 2022]\n')).toEqual(['DCC9EFBF77E11517']);
    expect(parseKeyIds('pub:-:4096:1:A48449044AAD5C5D:1612396800:::-:\n')).toEqual(['A48449044AAD5C5D']);
    expect(parseKeyId('0x36A1D7869245C8950F966E92D8576A8BA88D21E9')).toEqual({ short: 'A88D21E9', fingerprint: 'D8576A8BA88D21E9', id: '36A1D7869245C8950F966E92D8576A8BA88D21E9' });
    expect(() => parseKeyId('1234')).toThrow();
    const st = { binaries: { aptKey: true, gpg: true }, keys: ['D8576A8BA88D21E9'] };
    expect(planAptKey(ctx, { id: '36A1D7869245C8950F966E92D8576A8BA88D21E9', keyserver: 'k' }, st).changed).toBe(false);
    expect(planAptKey(ctx, { id: '36A1D7869245C8950F966E92D8576A8BA88D21E9', state: 'absent' }, st).changed).toBe(true);
    expect(planAptKey(ctx, { keyserver: 'k' }, st).msg).toBe('Missing key_id, required with keyserver.');
  });

  it('parses sources and plans additions and removals', () => {
    expect(parseSourceLine('# deb http://x bookworm main # note')).toEqual({ valid: true, enabled: false, source: 'deb http://x bookworm main', comment: 'note' });
    expect(suggestFilename('deb [arch=amd64] http://user:pw@dl.example.com/debian stable main', undefined)).toBe('dl_example_com_debian.list');
    const state = { defaultFile: '/etc/apt/sources.list', partsDir: '/etc/apt/sources.list.d', files: new Map([['/etc/apt/sources.list', 'deb http://deb.debian.org/debian bookworm main\n# deb http://x/y z main\n']]) };
    const enable = changeSources({ repo: 'deb http://x/y z main' }, state);
    expect(enable.after.get('/etc/apt/sources.list')).toBe('deb http://deb.debian.org/debian bookworm main\ndeb http://x/y z main\n');
    const add = changeSources({ repo: 'deb http://mirror.local/debian bookworm main', filename: 'local' }, state);
    expect(add.after.get('/etc/apt/sources.list.d/local.list')).toBe('deb http://mirror.local/debian bookworm main\n');
    const remove = changeSources({ repo: 'deb http://deb.debian.org/debian bookworm main', state: 'absent' }, state);
    expect(remove.after.get('/etc/apt/sources.list')).toBe('# deb http://x/y z main\n');
    expect(changeSources({ repo: 'not a repo' }, state).error).toBe('Invalid repository string: not a repo');
  });

  it('reads this machine\'s sources in check mode, writing nothing', async () => {
    const res = await runModule(aptRepository, { repo: 'deb http://uxsv.invalid/debian bookworm main', filename: 'uxsv-test' }, localContext({ check: true, diff: true }));
    expect(res).toMatchObject({ changed: true, repo: 'deb http://uxsv.invalid/debian bookworm main', state: 'present' });
    expect(res.diff?.find((d) => d.after_header === '/etc/apt/sources.list.d/uxsv-test.list')?.after).toBe('deb http://uxsv.invalid/debian bookworm main\n');
  });
});

describe('facts modules and the rest', () => {
  it('lists this machine\'s packages and services', async () => {
    const pkgs = await runModule(packageFacts, {}, ctx);
    const dpkg = (pkgs.ansible_facts as { packages: Record<string, Array<{ version: string; source: string }>> }).packages.dpkg!;
    expect(dpkg[0]!.source).toBe('apt');
    expect(dpkg[0]!.version).toMatch(/^\d/);
    expect((await runModule(packageFacts, { manager: 'nope' }, ctx)).msg).toBe('Unsupported package managers requested: nope');
    const services = await runModule(serviceFacts, {}, ctx);
    expect(services.failed).toBeFalsy();
  });

  it('plans dpkg selections, hostnames, reboots, and reads debconf', async () => {
    expect(dpkgSelections.plan(ctx, { name: 'x', selection: 'hold' }, 'install')).toMatchObject({ changed: true, result: { before: 'install', after: 'hold' } });
    expect(dpkgSelections.plan(ctx, { name: 'x', selection: 'hold' }, undefined)).toMatchObject({ result: { before: 'not present' } });
    expect(await runModule(dpkgSelections, { name: 'dpkg', selection: 'install' }, localContext({ check: true }))).toMatchObject({ changed: false, before: 'install' });
    const host = { systemd: true, permanent: 'old', current: 'old', fqdn: 'old.example.jp' };
    expect(planHostname(ctx, { name: 'new.example.jp' }, host)).toMatchObject({ changed: true, diff: [{ before: 'hostname = old\n', after: 'hostname = new.example.jp\n' }], result: { ansible_facts: { ansible_hostname: 'new' } } });
    expect(planHostname(ctx, { name: 'old' }, host).changed).toBe(false);
    expect(planReboot(ctx, {})).toMatchObject({ failed: true, msg: 'Running reboot with local connection would reboot the control node.' });
    expect((await runModule(rebootModule, {}, localContext({ check: true }))).failed).toBe(true);
    expect(shutdownArguments({ pre_reboot_delay: 130, msg: "it's time" })).toBe("-r 2 'it'\\''s time'");
    expect(parseDebconfShow('* tzdata/Areas: Etc\n  tzdata/Zones/Etc: UTC\n')).toEqual({ 'tzdata/Areas': 'Etc', 'tzdata/Zones/Etc': 'UTC' });
    const tz = await runModule(debconf, { name: 'tzdata' }, ctx);
    expect(tz.changed).toBe(false);
  });
});
