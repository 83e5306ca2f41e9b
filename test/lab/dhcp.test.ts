// Role dhcp on the lab: one ISC DHCP server, on the mode's DHCP host, proven
// with dhclient from the client side (-sf /bin/true: the client keeps its
// static address; only the lease file is read). Normal mode (uxsv01), then a
// takeover as in degraded-uxsv01 (uxsv02; uxsv01's dhcpd stopped by hand and
// its leases copied to uxsv02 by the test, standing in for the lab's `fail`
// and the mirror), then back to normal. Runs only with UXSV_LAB=1.
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_HOSTS as ALL, HOSTS, LAB, dhclientExchange, expectOk, labExec, labPlaybook, onHost, type Host, type Lease } from '../helpers/lab.js';

const PLAYBOOK = 'test/lab/playbooks/dhcp.yml';
const UNIT = 'uxsv-dhcpd.service';
const LEASES = '/srv/dhcp/dhcpd.leases';
/** The address the client asks for first, so the takeover host's answer proves it read the leases. */
const WANTED = '198.51.100.177';
const TMP = '/tmp/uxsv-dhcp-test';
const play = labPlaybook(PLAYBOOK);

/** The unit's ActiveState, UnitFileState and the monotonic times it last became active/inactive (µs). */
async function unit(host: Host, name = UNIT): Promise<Record<string, string>> {
  const r = await onHost(host, `systemctl show -p ActiveState,UnitFileState,ActiveEnterTimestampMonotonic,InactiveEnterTimestampMonotonic ${name}`);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * One DHCP exchange from the client side with a fresh lease file (optionally
 * asking for `want`); the dhclient left in the background is stopped without
 * releasing, so the lease stays the client's.
 */
async function getLease(tag: string, want?: string): Promise<Lease> {
  const r = await dhclientExchange(`${TMP}-${tag}`, { want, freshLeases: true });
  if (r.rc !== 0) console.error(r.stdout, r.stderr);
  expect(r.rc).toBe(0);
  const address = r.addresses[0];
  const server = r.servers[0];
  expect(address, r.stdout).toBeDefined();
  expect(server, r.stdout).toBeDefined();
  return { address: address!, server: server! };
}

/** DHCPRELEASE of the lease in the tag's lease file (to the server that granted it). */
async function release(tag: string): Promise<void> {
  const base = `${TMP}-${tag}`;
  await labExec(`[ -s ${base}.leases ] && timeout 30 dhclient -4 -r -cf ${base}.conf -lf ${base}.leases -pf ${base}.pid -sf /bin/true eth0; true`, 60_000);
}

const inRange = (address: string) => {
  const last = Number(address.split('.')[3]);
  return address.startsWith('198.51.100.') && last >= 150 && last <= 199;
};

describe.skipIf(!LAB)('role dhcp on the lab', () => {
  let granted = '';

  afterAll(async () => {
    // Leave the lab in normal mode with the role applied, and no dhclient of ours running.
    await play('-e', 'cluster_mode=normal');
    await labExec(`for p in ${TMP}-*.pid; do [ -s "$p" ] && kill $(cat "$p") 2>/dev/null; done; rm -f ${TMP}-*; true`);
  }, 600_000);

  it('applies in normal mode, and a second run (and a check) changes nothing', async () => {
    expectOk(await play('-e', 'cluster_mode=normal'), ALL);
    const again = expectOk(await play('-e', 'cluster_mode=normal'), ALL);
    for (const host of ALL) expect(again[host]!.changed, host).toBe(0);
    const check = expectOk(await play('-e', 'cluster_mode=normal', '--check'), ALL);
    for (const host of ALL) expect(check[host]!.changed, host).toBe(0);
  });

  it('runs dhcpd on uxsv01 only; the packaged service is masked everywhere', async () => {
    expect(await unit('uxsv01')).toMatchObject({ ActiveState: 'active', UnitFileState: 'enabled' });
    for (const host of ['uxsv02', 'uxsv03'] as const) {
      expect(await unit(host), host).toMatchObject({ ActiveState: 'inactive', UnitFileState: 'disabled' });
    }
    for (const host of ALL) expect((await unit(host, 'isc-dhcp-server')).UnitFileState, host).toBe('masked');
    const conf = await onHost('uxsv01', 'cat /etc/dhcp/dhcpd.conf');
    expect(conf.stdout).toContain('subnet 198.51.100.0 netmask 255.255.255.0 {');
    expect(conf.stdout).toContain('range 198.51.100.150 198.51.100.199;');
  });

  it('grants a client a lease from 198.51.100.11, in the range, with the cluster options', async () => {
    const r = await getLease('normal', WANTED);
    expect(r.server).toBe(HOSTS.uxsv01);
    expect(inRange(r.address)).toBe(true);
    granted = r.address;
    const file = await labExec(`cat ${TMP}-normal.leases`);
    expect(file.stdout).toContain('option domain-name "example.jp";');
    expect(file.stdout).toContain('option domain-name-servers 198.51.100.11,198.51.100.12,198.51.100.13;');
    expect(file.stdout).toContain('option routers 198.51.100.1;');
    expect(file.stdout).toContain('option ntp-servers 198.51.100.11,198.51.100.12,198.51.100.13;');
    const leases = await onHost('uxsv01', `cat ${LEASES}`);
    expect(leases.stdout).toContain(`lease ${granted} {`);
  });

  it('after a takeover (degraded-uxsv01) uxsv02 serves, and the client keeps its lease', async () => {
    expect(granted).not.toBe('');
    // Stand-ins: uxsv01 "fails" (its dhcpd stops), and its leases reach uxsv02 (the mirror's job).
    expect((await onHost('uxsv01', `systemctl stop ${UNIT}`)).rc).toBe(0);
    const leases = await onHost('uxsv01', `base64 -w0 ${LEASES}`);
    expect(leases.rc).toBe(0);
    const copy = await onHost('uxsv02', `mkdir -p /srv/dhcp && echo '${leases.stdout.trim()}' | base64 -d > ${LEASES}.tmp && mv ${LEASES}.tmp ${LEASES}`);
    expect(copy.rc).toBe(0);

    const live = ['uxsv02', 'uxsv03'];
    expectOk(await play('-e', 'cluster_mode=degraded-uxsv01', '--limit', live.join(',')), live);
    expect(await unit('uxsv02')).toMatchObject({ ActiveState: 'active', UnitFileState: 'enabled' });
    expect(await unit('uxsv03')).toMatchObject({ ActiveState: 'inactive', UnitFileState: 'disabled' });

    // A fresh client state (no address asked for): the server finds the client's lease by its MAC.
    const r = await getLease('takeover');
    // uxsv02 answers; its server identifier is the DHCP service address, which moves with the service.
    expect(r.server).toBe(HOSTS.uxsv01);
    expect(r.address).toBe(granted);
    await release('takeover');
  });

  it('back in normal mode, uxsv02 stops before uxsv01 starts, and uxsv01 serves again', async () => {
    expectOk(await play('-e', 'cluster_mode=normal'), ALL);
    const u1 = await unit('uxsv01');
    const u2 = await unit('uxsv02');
    expect(u1).toMatchObject({ ActiveState: 'active', UnitFileState: 'enabled' });
    expect(u2).toMatchObject({ ActiveState: 'inactive', UnitFileState: 'disabled' });
    expect(await unit('uxsv03')).toMatchObject({ ActiveState: 'inactive', UnitFileState: 'disabled' });
    // One kernel, one monotonic clock: never two DHCP servers at once.
    expect(Number(u2.InactiveEnterTimestampMonotonic)).toBeLessThan(Number(u1.ActiveEnterTimestampMonotonic));

    const r = await getLease('back');
    expect(r.server).toBe(HOSTS.uxsv01);
    expect(inRange(r.address)).toBe(true);
    await release('back');
    const again = expectOk(await play('-e', 'cluster_mode=normal'), ALL);
    for (const host of ALL) expect(again[host]!.changed, host).toBe(0);
  });
});
