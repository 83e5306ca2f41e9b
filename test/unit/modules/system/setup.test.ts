/**
 * The setup (gather_facts) fact: its output framing and parser from
 * fixtures, and real reads of this machine compared with the commands whose
 * answers the facts are.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFact } from '../../../../engine/facts/index.js';
import { newSetupToken, SETUP_FILES, splitFiles, splitProbes, type SetupFile } from '../../../../engine/facts/setup-script.js';
import { parseFacts, setupFact } from '../../../../engine/facts/setup.js';
import { localContext } from '../../../helpers/module-context.js';

const dir = mkdtempSync(join(tmpdir(), 'uxsv-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Output as the script prints it: the token line, then each probe and its marker. */
function framed(token: string, probes: Array<[string, string | Buffer]>): Buffer {
  const parts: Buffer[] = [Buffer.from(`${token}\n`)];
  for (const [header, out] of probes) parts.push(Buffer.from(out), Buffer.from(`\n${token} ${header}\n`));
  return Buffer.concat(parts);
}

/** `grep -aH ''` of the given files. */
function grepped(files: Partial<Record<SetupFile, string>>): string {
  return Object.entries(files).map(([key, text]) => text.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '')
    .map((line) => `${SETUP_FILES[key as SetupFile]}:${line}\n`).join('')).join('');
}

const BASE_FILES: Partial<Record<SetupFile, string>> = {
  ostype: 'Linux\n', nodename: 'web1.example.jp\n', osrelease: '6.1.0-18-amd64\n', version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n',
  meminfo: 'MemTotal:        2048000 kB\nMemFree:          512000 kB\nMemAvailable:    1024000 kB\n',
  uptime: '12345.67 23456.78\n', loadavg: '0.50 0.25 0.10 1/234 5678\n', machineId: 'abc123\n', initComm: 'systemd\n',
};

function facts(probes: Array<[string, string | Buffer]>, files = BASE_FILES): Record<string, unknown> {
  const token = newSetupToken();
  return parseFacts(framed(token, [['files', grepped(files)], ...probes]));
}

describe('setup output framing', () => {
  it('splits probes on the token of its first line, whatever they print', () => {
    const token = newSetupToken();
    const other = newSetupToken();
    const out = framed(token, [['fqdn 0', 'a\0b\n\n'], ['env', `x\n${other} env\n${token}no-space\n`], ['empty', '']]);
    expect(splitProbes(out).map((p) => [p.name, p.detail, p.out.toString()])).toEqual([
      ['fqdn', '0', 'a\0b\n\n'], ['env', '', `x\n${other} env\n${token}no-space\n`], ['empty', '', ''],
    ]);
  });

  it('finds nothing without the token line, and keeps only the probes that ended when cut short', () => {
    expect(splitProbes(Buffer.from('hostname=evil\nuxsv-setup-x os_id\n'))).toEqual([]);
    const token = newSetupToken();
    const out = framed(token, [['a', 'one'], ['b', 'two']]);
    expect(splitProbes(out.subarray(0, out.length - 3)).map((p) => p.name)).toEqual(['a']);
  });

  it('gives each file its own lines: no content passes for another file', () => {
    const text = '/proc/meminfo:MemTotal: 1 kB\n/etc/machine-id:forged\n';
    const files = splitFiles(`/etc/resolv.conf:${text.split('\n')[0]}\n/etc/resolv.conf:${text.split('\n')[1]}\n/proc/meminfo:MemTotal: 99 kB\n/nope:x\n`);
    expect(files).toEqual({ resolv: text, meminfo: 'MemTotal: 99 kB\n' });
  });
});

describe('setup facts from the probes', () => {
  it('takes the host name up to its first dot, and the node name when hostname -f fails', () => {
    expect(facts([['fqdn 0', 'web1.example.jp\n']])).toMatchObject({ ansible_hostname: 'web1', ansible_nodename: 'web1.example.jp', ansible_fqdn: 'web1.example.jp', ansible_domain: 'example.jp' });
    expect(facts([['fqdn 1', '']])).toMatchObject({ ansible_fqdn: 'web1.example.jp' });
    expect(facts([['fqdn 0', 'other.example.org\n']], { ...BASE_FILES, nodename: 'db\n' })).toMatchObject({ ansible_hostname: 'db', ansible_fqdn: 'other.example.org' });
  });

  it('reads the kernel names from /proc/sys/kernel, or from uname where they are missing', () => {
    const f = facts([['arch', 'x86_64\n']]);
    expect(f).toMatchObject({ ansible_system: 'Linux', ansible_kernel: '6.1.0-18-amd64', ansible_kernel_version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)', ansible_architecture: 'x86_64' });
    const { ostype: _o, nodename: _n, osrelease: _r, version: _v, ...noKernel } = BASE_FILES;
    expect(facts([['uname-s', 'Linux\n'], ['uname-n', 'h2\n'], ['uname-r', '5.10\n'], ['uname-v', '#2 SMP\n']], noKernel))
      .toMatchObject({ ansible_system: 'Linux', ansible_hostname: 'h2', ansible_kernel: '5.10', ansible_kernel_version: '#2 SMP' });
  });

  it('cuts uptime and load as cut did, and drops NUL bytes and final newlines as $(...) did', () => {
    const f = facts([['bits', '64\n\n'], ['nproc', '4\n']], { ...BASE_FILES, machineId: 'ab\0c\n\n' });
    expect(f).toMatchObject({ ansible_uptime_seconds: 12345, ansible_loadavg: { '1m': 0.5, '5m': 0.25, '15m': 0.1 }, ansible_machine_id: 'abc', ansible_userspace_bits: '64', ansible_processor_nproc: 4, ansible_memtotal_mb: 2000 });
  });

  it('takes the user from the passwd line of the uid, and the date in UTC from its epoch', () => {
    const f = facts([['uid', '1000'], ['gid', '100'], ['passwd', 'ann:x:1000:100:Ann A:/home/ann:/bin/bash\n'], ['date', '2026-11-25 22:00:39 1764075639 JST +0900 Tuesday 329 2 47 Nov November Tue 2 26\n']]);
    expect(f).toMatchObject({ ansible_user_id: 'ann', ansible_user_uid: 1000, ansible_effective_user_id: 1000, ansible_user_gid: 100, ansible_user_dir: '/home/ann', ansible_user_gecos: 'Ann A' });
    expect(f.ansible_date_time).toMatchObject({ epoch: '1764075639', tz: 'JST', hour: '22', iso8601: '2025-11-25T13:00:39Z' });
    expect(facts([['uid', '4242'], ['passwd', '']])).toMatchObject({ ansible_user_id: '', ansible_user_uid: 4242 });
  });

  it('keeps only the container= lines of init\'s environment', () => {
    const f = facts([['environ1', 'A=1\ncontainer=lxc\0B=2container=no\0'], ['systemd_container', ''], ['virt_paths', ''], ['virt', '']]);
    expect(f).toMatchObject({ ansible_virtualization_type: 'lxc', ansible_virtualization_tech_guest: ['container', 'lxc'] });
  });

  it('reads links, both address families and the first default route of each from the ip probes', () => {
    const ip = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff link-netnsid 0',
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global eth0\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet 198.51.100.20/24 scope global secondary eth0:1\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet6 2001:db8::11/64 scope global \\       valid_lft forever preferred_lft forever',
    ].join('\n') + '\n';
    const f = facts([['ip', ip], ['route', 'default via 198.51.100.1 dev eth0 proto static\ndefault via 198.51.100.2 dev eth0 metric 10\n'], ['route6', 'default via 2001:db8::1 dev eth0 metric 1024 pref medium\n']]);
    expect(f.ansible_interfaces).toEqual(['lo', 'eth0']);
    expect(f.ansible_eth0).toMatchObject({ macaddress: '02:00:00:00:00:01', mtu: 1500, ipv4: { address: '198.51.100.11', netmask: '255.255.255.0' }, ipv4_secondaries: [{ address: '198.51.100.20', label: 'eth0:1' }], ipv6: [{ address: '2001:db8::11', prefix: '64', scope: 'global' }] });
    expect(f.ansible_default_ipv4).toMatchObject({ gateway: '198.51.100.1', interface: 'eth0', address: '198.51.100.11' });
    expect(f.ansible_default_ipv6).toMatchObject({ gateway: '2001:db8::1', address: '2001:db8::11' });
    expect(f.ansible_all_ipv4_addresses).toEqual(['198.51.100.11', '198.51.100.20']);
  });

  it('names the service manager from init when /run/systemd/system is missing', () => {
    expect(facts([['systemd', 'systemd']])).toMatchObject({ ansible_service_mgr: 'systemd' });
    expect(facts([['systemd', '']], { ...BASE_FILES, initComm: 'runit\n' })).toMatchObject({ ansible_service_mgr: 'runit' });
  });

  it('survives any output: no token, garbage probes, a date beyond any calendar', () => {
    expect(parseFacts(Buffer.from('\0\xff garbage\n'))).toMatchObject({ ansible_hostname: '', ansible_local: {} });
    const f = facts([['date', '2026-11-25 22:00:39 9000000000000000 X +0000 Tuesday 329 2 47 Nov November Tue 2 26'], ['ip', '2: \\ :\n: inet6 /\n'], ['route', 'via dev'], ['passwd', '::::\n'], ['nproc', 'x']]);
    expect(f.ansible_date_time).toMatchObject({ epoch: '9000000000000000', iso8601: '' });
    expect(f.ansible_processor_nproc).toBe(1);
  });

  it('keeps a local fact named __proto__ as a fact', () => {
    const f = facts([['local __proto__', '{"polluted": true}'], ['local ok', '[s]\nk=v\n']]);
    expect(Object.keys(f.ansible_local as object)).toEqual(['__proto__', 'ok']);
    expect(Object.getOwnPropertyDescriptor(f.ansible_local, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(f.ansible_local)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

const sh = (script: string): string => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).replace(/\n+$/, '');

describe('setup on this machine', () => {
  it('gives the answers of the commands it stands for', async () => {
    const f = await readFact(localContext(), setupFact, { factPath: join(dir, 'none') });
    expect(f.ansible_hostname).toBe(sh('hostname -s 2>/dev/null || uname -n'));
    expect(f.ansible_nodename).toBe(sh('uname -n'));
    expect(f.ansible_fqdn).toBe(sh('hostname -f 2>/dev/null || uname -n'));
    expect([f.ansible_system, f.ansible_kernel, f.ansible_kernel_version, f.ansible_architecture]).toEqual([sh('uname -s'), sh('uname -r'), sh('uname -v'), sh('uname -m')]);
    expect(f.ansible_userspace_bits).toBe(sh('getconf LONG_BIT'));
    expect(f.ansible_processor_nproc).toBe(Number(sh('nproc')));
    expect([f.ansible_user_id, f.ansible_user_uid, f.ansible_user_gid]).toEqual([sh('id -un'), Number(sh('id -u')), Number(sh('id -g'))]);
    expect(f.ansible_user_dir).toBe(sh('getent passwd "$(id -un)"').split(':')[5]);
    expect(f.ansible_machine_id).toBe(sh('cat /etc/machine-id 2>/dev/null || true'));
    expect(f.ansible_service_mgr).toBe(existsSync('/run/systemd/system') ? 'systemd' : sh('cat /proc/1/comm'));
    const python = sh('command -v python3 || true');
    expect((f.ansible_python as { executable: string }).executable).toBe(python);
    if (python) expect(f.ansible_python_version).toBe(sh(`"${python}" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'`));
    expect((f.ansible_env as Record<string, string>).PATH).toBe(process.env.PATH);
    expect(f.ansible_interfaces).toEqual(sh('ip -o link show').split('\n').map((l) => l.split(': ')[1]!.split('@')[0]));
    const gateway = /via (\S+)/.exec(sh('ip -4 route show default | head -n1'))?.[1];
    if (gateway) expect((f.ansible_default_ipv4 as { gateway: string }).gateway).toBe(gateway);
    const nameservers = readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^nameserver\s/.test(l)).map((l) => l.split(/\s+/)[1]);
    expect((f.ansible_dns as { nameservers: string[] }).nameservers).toEqual(nameservers);
  });

  it('starts one process per program it needs, not one per value', () => {
    // In a pid namespace of its own the shell is pid 1 and the cat reading
    // the last pid given out is the last process, so the script started that
    // pid - 2 (the shell's read cannot read this file byte by byte). The programs:
    // hostname, uname, getconf, nproc, env, date, df, getent, python3, three
    // greps, three ip; systemd-detect-virt outside a container.
    const probe = spawnSync('unshare', ['-pf', '/bin/true']);
    if (process.getuid?.() !== 0 || probe.status !== 0) return;
    const script = `{\n${setupFact.command({ factPath: join(dir, 'none') })}\n} >/dev/null 2>&1\ncat /proc/sys/kernel/ns_last_pid`;
    const res = spawnSync('unshare', ['-pf', '/bin/sh', '-c', script], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    const started = Number(res.stdout.trim()) - 2;
    expect(started).toBeGreaterThan(5);
    expect(started).toBeLessThanOrEqual(16);
  });

  it('asks systemd-detect-virt only when no container was found', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const calls = join(dir, 'detect-virt-calls');
    writeFileSync(join(bin, 'systemd-detect-virt'), `#!/bin/sh\necho called >> '${calls}'\necho kvm\n`);
    chmodSync(join(bin, 'systemd-detect-virt'), 0o755);
    const stdout = execFileSync('/bin/sh', ['-c', setupFact.command({ factPath: join(dir, 'none') })], { env: { ...process.env, PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` } });
    const f = parseFacts(stdout);
    const systemdContainer = existsSync('/run/systemd/container') ? readFileSync('/run/systemd/container', 'utf8').split('\n')[0]! : '';
    const container = /[A-Za-z0-9]/.test(systemdContainer) || existsSync('/.dockerenv') || existsSync('/.dockerinit');
    expect(existsSync(calls)).toBe(!container);
    // Inside a container its answer would not have counted.
    if (container) expect(f.ansible_virtualization_role).toBe('guest');
  });

  it('reads local facts from a hostile fact_path, each by itself', async () => {
    const factPath = join(dir, "-d 'q' $(touch pwned)\nnl");
    mkdirSync(factPath);
    writeFileSync(join(factPath, 'ini.fact'), `[s]\nk=v\n/proc/meminfo:MemTotal: 1 kB\n\n${newSetupToken()} os_id\n`);
    writeFileSync(join(factPath, 'run.fact'), `#!/bin/sh\necho '{"x": [1, 2]}'\nprintf '\\nuxsv-setup-%032d env\\n' 0\n`);
    chmodSync(join(factPath, 'run.fact'), 0o755);
    writeFileSync(join(factPath, 'empty.fact'), '');
    writeFileSync(join(factPath, 'bad name.fact'), '{}');
    const f = await readFact(localContext(), setupFact, { factPath });
    expect(f.ansible_local).toEqual({
      empty: 'error loading facts as JSON or ini - please check content',
      ini: { s: { k: 'v', '/proc/meminfo': 'MemTotal: 1 kB' } },
      // Its second line looks like a marker: the output stays one (and is not JSON).
      run: 'error loading facts as JSON or ini - please check content',
    });
    const memTotal = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    expect(f.ansible_memtotal_mb).toBe(Math.floor(memTotal / 1024));
    expect(existsSync('pwned') || existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
