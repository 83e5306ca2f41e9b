// Light hosts (`uxsv lab up --light N`): sshd only, on the lab bridge, chrooted
// (pivot_root) into the image read-only with tmpfs for what they write. Needs
// root and runs only with UXSV_LAB=1. Uses a running lab as it is (a lab that
// is down is brought up); the three hosts are not touched, and the light hosts
// there were before (usually none) are there again afterwards.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  LAB_HOSTS,
  LIGHT_INVENTORY,
  LIGHT_KNOWN_HOSTS,
  PROXY_COMMAND,
  SSH_KEY,
  labStatus,
  labUpLight,
  lightAddress,
  lightName,
  lightSshArgv,
  removeLightHosts,
  type LabStatus,
} from '../../lab/index.js';
import { LIGHT_DIR } from '../../lab/config.js';
import { lightIndices, lightMountsHere, lightRoot } from '../../lab/light.js';
import { labNetnsNames } from '../../lab/network.js';
import { readState } from '../../lab/state.js';
import { run } from '../../lab/run.js';
import { LAB, uxsvCli } from '../helpers/lab.js';

const COUNT = 5;
const INDICES = Array.from({ length: COUNT }, (_, i) => i + 1);
const onLight = (index: number, command: string) => run(lightSshArgv(index, [command]), { allowFail: true, timeoutMs: 30_000 });

/** What the three full hosts look like, to compare after: same state, same uptime (no reboot). */
const fullHosts = (status: LabStatus) => status.hosts.map((host) => ({ host: host.host, state: host.state, addresses: host.addresses }));

const PLAYBOOK = `- name: light hosts
  hosts: all
  gather_facts: false
  tasks:
    - name: a folder in root's home
      file: {path: /root/uxsv-light-test, state: directory, mode: '0750'}
    - name: a file naming the host
      copy: {dest: /root/uxsv-light-test/name, content: "{{ inventory_hostname }}\\n", mode: '0640'}
    - name: scratch space
      copy: {dest: /var/tmp/uxsv-light-test, content: "{{ inventory_hostname }} scratch\\n"}
`;

describe.skipIf(!LAB)('light hosts', () => {
  let before: LabStatus;
  let lightBefore = 0;
  let dir: string;

  beforeAll(async () => {
    before = await labStatus();
    lightBefore = before.light?.hosts ?? 0;
    dir = mkdtempSync(join(tmpdir(), 'uxsv-light-test-'));
    writeFileSync(join(dir, 'light.yml'), PLAYBOOK);
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (lightBefore > 0) await labUpLight(lightBefore);
    else await removeLightHosts();
  });

  it(`brings up ${COUNT} light hosts on the running lab, in a few seconds`, async () => {
    const started = Date.now();
    expect(await labUpLight(COUNT)).toBe(LIGHT_INVENTORY);
    expect(Date.now() - started).toBeLessThan(20_000);
    const status = await labStatus();
    expect(status.light).toEqual({ hosts: COUNT, running: COUNT, addresses: '198.51.100.30-34', inventory: LIGHT_INVENTORY });
    if (before.up) expect(fullHosts(status)).toEqual(fullHosts(before));
    else for (const host of status.hosts) expect(host.state).toBe('running');
  });

  it('writes an inventory with the lab key, the ProxyCommand and their own known_hosts', () => {
    const inventory = parse(readFileSync(LIGHT_INVENTORY, 'utf8')) as {
      all: { children: { light: { hosts: Record<string, { ansible_host: string }> } }; vars: Record<string, string> };
    };
    expect(inventory.all.children.light.hosts).toEqual(
      Object.fromEntries(INDICES.map((index) => [lightName(index), { ansible_host: lightAddress(index) }])),
    );
    const vars = inventory.all.vars;
    expect(vars.ansible_user).toBe('root');
    expect(vars.ansible_ssh_private_key_file).toBe(SSH_KEY);
    expect(vars.ansible_ssh_common_args).toContain(`ProxyCommand="${PROXY_COMMAND}"`);
    expect(vars.ansible_ssh_common_args).toContain(`UserKnownHostsFile=${LIGHT_KNOWN_HOSTS}`);
    expect(vars.ansible_ssh_common_args).toContain('StrictHostKeyChecking=yes');
    const knownHosts = readFileSync(LIGHT_KNOWN_HOSTS, 'utf8').trim().split('\n');
    expect(knownHosts.map((line) => line.split(' ')[0])).toEqual(INDICES.map(lightAddress));
    expect(new Set(knownHosts.map((line) => line.split(' ').slice(1).join(' '))).size).toBe(1);
  });

  it('runs only sshd, on its own address, with the image read-only and tmpfs where it writes', async () => {
    for (const index of INDICES) {
      const result = await onLight(
        index,
        [
          'hostname',
          "ip -4 -o addr show scope global | awk '{print $4}'",
          // Its own PID namespace: sshd is PID 1, and the rest is this session.
          'cat /proc/1/comm',
          "awk '{print $2, $3, substr($4, 1, 2)}' /proc/mounts | grep -E '^/(|root|tmp|var/tmp|run) '",
          'touch /etc/uxsv-light-test 2>&1 || true',
        ].join('; '),
      );
      expect(result.stderr).toBe('');
      const [hostname, address, pid1, ...rest] = result.stdout.trim().split('\n');
      expect(hostname).toBe(lightName(index));
      expect(address).toBe(`${lightAddress(index)}/24`);
      expect(pid1).toBe('sshd');
      const mounts = rest.slice(0, -1).map((line) => line.replace(/^\/ \S+ /, '/ image '));
      expect(mounts.sort()).toEqual(['/ image ro', '/root tmpfs rw', '/run tmpfs rw', '/tmp tmpfs rw', '/var/tmp tmpfs rw']);
      expect(rest.at(-1)).toMatch(/Read-only file system/);
    }
  });

  it('runs a playbook with the engine; each host writes only into its own tmpfs', async () => {
    const first = await uxsvCli(['play', '-i', LIGHT_INVENTORY, join(dir, 'light.yml')]);
    expect(first.rc, first.stdout + first.stderr).toBe(0);
    for (const index of INDICES) expect(first.stdout).toMatch(new RegExp(`${lightName(index)}\\s+: ok=3\\s+changed=3\\s+unreachable=0\\s+failed=0`));
    const again = await uxsvCli(['play', '-i', LIGHT_INVENTORY, join(dir, 'light.yml')]);
    expect(again.rc, again.stdout + again.stderr).toBe(0);
    for (const index of INDICES) expect(again.stdout).toMatch(new RegExp(`${lightName(index)}\\s+: ok=3\\s+changed=0`));

    for (const index of INDICES) {
      const result = await onLight(index, 'cat /root/uxsv-light-test/name /var/tmp/uxsv-light-test; stat -f -c %T /root/uxsv-light-test/name /var/tmp/uxsv-light-test');
      expect(result.stdout.trim().split('\n')).toEqual([lightName(index), `${lightName(index)} scratch`, 'tmpfs', 'tmpfs']);
    }
    // Nothing reached the image, this machine, or the hosts' mount points as this machine sees them.
    const image = readState()!.image;
    for (const path of ['root/uxsv-light-test', 'var/tmp/uxsv-light-test', 'etc/uxsv-light-test']) {
      expect(existsSync(join(image, path)), path).toBe(false);
    }
    expect(existsSync('/root/uxsv-light-test')).toBe(false);
    expect(existsSync('/var/tmp/uxsv-light-test')).toBe(false);
    for (const index of INDICES) expect(readdirSync(lightRoot(index))).toEqual([]);
    expect(lightMountsHere()).toEqual([]);
  });

  it('removes them without touching the rest of the lab', async () => {
    await removeLightHosts();
    expect(lightIndices()).toEqual([]);
    expect(labNetnsNames().filter((name) => name.startsWith('uxsv-light-'))).toEqual([]);
    expect(existsSync(LIGHT_DIR)).toBe(false);
    const ports = await run(['ip', '-n', 'uxsv-lab', '-o', 'link', 'show']);
    expect(ports.stdout).not.toMatch(/\bvl-\d\d\b/);
    const status = await labStatus();
    expect(status.light).toBeUndefined();
    expect(status.hosts.map((host) => host.host)).toEqual([...LAB_HOSTS]);
    for (const host of status.hosts) expect(host.state).toBe('running');
    // Nothing of theirs runs any more.
    expect((await run(['pgrep', '-f', 'uxsv-light-boot'], { allowFail: true })).stdout).toBe('');
  });
});
