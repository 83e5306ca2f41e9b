// The lab itself: three nspawn hosts, the bridge, the client side, fail/heal.
// Needs root; runs only with UXSV_LAB=1 (CI sets it). The inventory checks
// below need no lab and always run.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  HOST_ADDRESSES,
  MGMT_ADDRESSES,
  KNOWN_HOSTS,
  LAB_HOSTS,
  PROXY_COMMAND,
  SSH_KEY,
  clientArgv,
  labFail,
  labHeal,
  labStatus,
  labUp,
  sshArgv,
  type LabHost,
} from '../../lab/index.js';
import { shellJoin } from '../../engine/connection/quote.js';
import { nspawnPidsOf } from '../../lab/hosts.js';
import { SERVICE_PACKAGES } from '../../lab/packages.js';
import { run, waitFor } from '../../lab/run.js';

interface Inventory {
  all: { hosts: Record<string, { ansible_host: string }>; vars: Record<string, string> };
}
const inventory = parse(readFileSync(new URL('../../inventory/lab/hosts.yml', import.meta.url), 'utf8')) as Inventory;

describe('inventory/lab', () => {
  it('names the lab hosts at their lab addresses', () => {
    expect(Object.keys(inventory.all.hosts)).toEqual([...LAB_HOSTS]);
    for (const host of LAB_HOSTS) expect(inventory.all.hosts[host]!.ansible_host).toBe(MGMT_ADDRESSES[host]);
  });

  it('uses the lab key, known_hosts and the ProxyCommand that enters the lab namespace', () => {
    const vars = inventory.all.vars;
    expect(vars.ansible_user).toBe('root');
    expect(vars.ansible_ssh_private_key_file).toBe(SSH_KEY);
    expect(vars.ansible_ssh_common_args).toContain(`ProxyCommand="${PROXY_COMMAND}"`);
    expect(vars.ansible_ssh_common_args).toContain(`UserKnownHostsFile=${KNOWN_HOSTS}`);
    expect(vars.ansible_ssh_common_args).toContain('StrictHostKeyChecking=yes');
  });
});

const onHost = (host: LabHost, command: string) => run(sshArgv(host, [command], { batch: true }), { allowFail: true, timeoutMs: 30_000 });
const fromClient = (...argv: string[]) => run(clientArgv(argv), { allowFail: true, timeoutMs: 30_000 });
const pingFromClient = async (address: string) => (await fromClient('ping', '-c1', '-W2', address)).code === 0;

describe.skipIf(process.env.UXSV_LAB !== '1')('the lab', () => {
  beforeAll(async () => {
    await labUp();
  });

  afterAll(async () => {
    // Leave the lab whole for the tests that follow.
    for (const host of LAB_HOSTS) await labHeal(host);
  });

  it('runs three hosts with their addresses', async () => {
    const status = await labStatus();
    expect(status.up).toBe(true);
    expect(status.control.ntp).toBe(true);
    for (const host of status.hosts) {
      expect(host.state).toBe('running');
      expect(['running', 'degraded']).toContain(host.systemd);
      expect(host.addresses).toEqual([`${MGMT_ADDRESSES[host.host]}/24`, `${HOST_ADDRESSES[host.host]}/24`]);
      expect(host.uptimeSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it('logs in as root on each host, by the known host key', async () => {
    expect(readFileSync(KNOWN_HOSTS, 'utf8').trim().split('\n')).toHaveLength(3);
    for (const host of LAB_HOSTS) {
      const result = await onHost(host, 'hostname');
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe(host);
    }
  });

  it('connects with the inventory settings, as an OpenSSH client would', async () => {
    const vars = inventory.all.vars;
    const command = `ssh ${vars.ansible_ssh_common_args} -o BatchMode=yes -i ${vars.ansible_ssh_private_key_file} root@${inventory.all.hosts.uxsv02!.ansible_host} hostname`;
    const result = await run(['sh', '-c', command], { allowFail: true, timeoutMs: 30_000 });
    expect(result.stdout.trim()).toBe('uxsv02');
  });

  it('reaches the hosts from the client side', async () => {
    for (const host of LAB_HOSTS) expect(await pingFromClient(HOST_ADDRESSES[host])).toBe(true);
  });

  it('never routes the lab range from the main network namespace', async () => {
    const addresses = await run(['ip', '-4', '-o', 'addr', 'show']);
    expect(addresses.stdout).not.toContain('198.51.100.');
    const routes = await run(['ip', '-4', 'route', 'show', 'table', 'all']);
    expect(routes.stdout).not.toContain('198.51.100.');
  });

  it('gives the hosts no route out of the lab', async () => {
    const routes = await onHost('uxsv01', 'ip -4 route show table all');
    expect(routes.code).toBe(0);
    expect(routes.stdout).not.toMatch(/^default/m);
  });

  it('serves NTP from the control side to hosts and client, without setting any clock', async () => {
    // The hosts have no NTP client before provisioning: ask with a bare NTP v4 client-mode packet.
    const askStratum = [
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)',
      "s.sendto(b'\\x23' + bytes(47), ('198.51.100.1', 123))",
      'print(s.recvfrom(48)[0][1])',
    ].join('\n');
    const fromHost = await onHost('uxsv01', shellJoin(['python3', '-c', askStratum]));
    expect(fromHost.stdout.trim()).toBe('8');
    expect((await fromClient('chronyd', '-Q', '-t', '5', 'server 198.51.100.1 iburst maxsamples 1')).code).toBe(0);
  });

  it('holds every service package in the image apt cache, for installs with no network', async () => {
    const result = await onHost(
      'uxsv02',
      shellJoin(['apt-get', 'install', '--download-only', '--no-download', '-y', ...SERVICE_PACKAGES]),
    );
    expect(result.stderr).not.toMatch(/^E:/m);
    expect(result.code).toBe(0);
  });

  it('pulls a cable: the host keeps running but is cut off, and heal plugs it back', async () => {
    await labFail('uxsv03', 'cable');
    try {
      expect(await pingFromClient(HOST_ADDRESSES.uxsv03)).toBe(false);
      const status = (await labStatus()).hosts.find((host) => host.host === 'uxsv03')!;
      expect(status.state).toBe('cable pulled');
      expect(['running', 'degraded']).toContain(status.systemd);
    } finally {
      await labHeal('uxsv03');
    }
    expect(await pingFromClient(HOST_ADDRESSES.uxsv03)).toBe(true);
    expect((await labStatus()).hosts.find((host) => host.host === 'uxsv03')!.state).toBe('running');
  });

  it('cuts the power: the host and its addresses are gone, heal boots it again from its disk', async () => {
    await onHost('uxsv03', 'echo before-the-crash > /root/crash-marker && sync');
    await onHost('uxsv03', 'ip addr add 198.51.100.23/24 dev host0');
    await labFail('uxsv03', 'power');
    try {
      const status = (await labStatus()).hosts.find((host) => host.host === 'uxsv03')!;
      expect(status.state).toBe('powered off');
      expect(status.addresses).toEqual([]);
      expect(nspawnPidsOf('uxsv03')).toEqual([]);
      expect(await pingFromClient(HOST_ADDRESSES.uxsv03)).toBe(false);
      expect(await pingFromClient('198.51.100.23')).toBe(false);
    } finally {
      await labHeal('uxsv03');
    }
    const status = (await labStatus()).hosts.find((host) => host.host === 'uxsv03')!;
    expect(status.state).toBe('running');
    // A crash keeps the disk but not the aliases the host carried.
    expect(status.addresses).toEqual([`${MGMT_ADDRESSES.uxsv03}/24`, `${HOST_ADDRESSES.uxsv03}/24`]);
    expect((await onHost('uxsv03', 'cat /root/crash-marker')).stdout.trim()).toBe('before-the-crash');
  });

  it('a host whose address was taken over comes back on its management address only', async () => {
    await labFail('uxsv03', 'power');
    try {
      await onHost('uxsv02', `ip addr add ${HOST_ADDRESSES.uxsv03}/24 dev host0`);
    } finally {
      await labHeal('uxsv03');
    }
    try {
      const status = (await labStatus()).hosts.find((host) => host.host === 'uxsv03')!;
      expect(status.state).toBe('running');
      expect(status.addresses).toEqual([`${MGMT_ADDRESSES.uxsv03}/24`]);
    } finally {
      await onHost('uxsv02', `ip addr del ${HOST_ADDRESSES.uxsv03}/24 dev host0`);
      await onHost('uxsv03', `ip addr add ${HOST_ADDRESSES.uxsv03}/24 dev host0`);
    }
  });

  it('brings back a host that reboots itself, without the aliases it carried', async () => {
    await onHost('uxsv02', 'ip addr add 198.51.100.21/24 dev host0');
    const bootedBefore = (await onHost('uxsv02', 'cat /proc/sys/kernel/random/boot_id')).stdout.trim();
    await onHost('uxsv02', 'systemctl reboot');
    const bootedAgain = await waitFor(
      async () => {
        const result = await onHost('uxsv02', 'systemctl is-system-running; cat /proc/sys/kernel/random/boot_id');
        const [systemd, bootId] = result.stdout.trim().split('\n');
        return ['running', 'degraded'].includes(systemd ?? '') && bootId !== bootedBefore ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(bootedAgain).toBe(true);
    expect((await labStatus()).hosts.find((host) => host.host === 'uxsv02')!.addresses).toEqual([
      `${MGMT_ADDRESSES.uxsv02}/24`,
      `${HOST_ADDRESSES.uxsv02}/24`,
    ]);
  });

  it('is idempotent: up on a running lab keeps the hosts running', async () => {
    const before = await labStatus();
    await labUp();
    const after = await labStatus();
    for (const host of LAB_HOSTS) {
      const [was, is] = [before, after].map((status) => status.hosts.find((entry) => entry.host === host)!);
      expect(is!.state).toBe('running');
      expect(is!.uptimeSeconds).toBeGreaterThanOrEqual(was!.uptimeSeconds!);
    }
  });
});
