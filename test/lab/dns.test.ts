// Role dns on the lab: BIND primary + secondaries placed by the mode, proven
// with dig from the client side. Normal mode, then degraded-uxsv03 (uxsv02 the
// only secondary), then back to normal. degraded-uxsv01 (uxsv02 primary, .11
// moved to it as an alias) needs the alias role and is left to the lead's mode
// tests. Runs only with UXSV_LAB=1.
import { afterAll, describe, expect, it } from 'vitest';
import { HOSTS, LAB, expectOk, labExec, labPlaybook, onHost, type Host } from '../helpers/lab.js';

const PLAYBOOK = 'test/lab/playbooks/dns.yml';
const DOMAIN = 'example.jp';
const ZONE_FILE = `/srv/dns/db.${DOMAIN}`;
const play = labPlaybook(PLAYBOOK);
/** Lines the test adds to the primary's zone carry this comment, so they can always be removed. */
const MARK = '; uxsv-dns-test';

const A_RECORDS: Record<string, string> = {
  uxsv01: '198.51.100.11', uxsv02: '198.51.100.12', uxsv03: '198.51.100.13',
  ns1: '198.51.100.11', ns2: '198.51.100.12', ns3: '198.51.100.13',
  www: '198.51.100.21', www3: '198.51.100.23',
  mail: '198.51.100.11', pop: '198.51.100.11', ntp: '198.51.100.11',
};
const PTR_RECORDS: Record<string, string> = {
  '198.51.100.11': 'uxsv01', '198.51.100.12': 'uxsv02', '198.51.100.13': 'uxsv03',
  '198.51.100.21': 'www', '198.51.100.23': 'www3',
};

async function dig(server: string, args: string): Promise<string> {
  const r = await labExec(`dig @${server} +time=2 +tries=2 ${args}`, 30_000);
  return r.stdout.trim();
}

const short = (server: string, args: string) => dig(server, `+short ${args}`);
const serialAt = async (server: string) => (await short(server, `${DOMAIN} SOA`)).split(/\s+/)[2] ?? '';

/**
 * An operator's edit on the primary: drop the test's lines, add `lines`, bump
 * the serial, check the zone and `rndc reload`. Returns the new serial.
 */
async function editZone(primary: Host, lines: string[]): Promise<string> {
  const add = lines.map((l) => `printf '%s\\n' '${l} ${MARK}' >> ${ZONE_FILE}`).join('\n');
  const script = [
    'set -e',
    `old=$(awk '/; serial/ {print $1; exit}' ${ZONE_FILE})`,
    'new=$((old + 1))',
    `sed -i -e '/${MARK}$/d' -e "s/^\\([[:space:]]*\\)$old\\([[:space:]]*; serial\\)/\\1$new\\2/" ${ZONE_FILE}`,
    add,
    `named-checkzone -q ${DOMAIN} ${ZONE_FILE}`,
    `rndc reload ${DOMAIN} >/dev/null`,
    'echo $new',
  ].filter(Boolean).join('\n');
  const r = await onHost(primary, script);
  expect(r.stderr).toBe('');
  expect(r.rc).toBe(0);
  const serial = r.stdout.trim();
  expect(serial).toMatch(/^\d{10}$/);
  return serial;
}

/** Poll (bounded: ~40 s) until every server answers the serial. */
async function waitForSerial(servers: string[], serial: string): Promise<Record<string, string>> {
  let seen: Record<string, string> = {};
  for (let i = 0; i < 40; i++) {
    seen = Object.fromEntries(await Promise.all(servers.map(async (s) => [s, await serialAt(s)] as const)));
    if (servers.every((s) => seen[s] === serial)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return seen;
}

describe.skipIf(!LAB)('role dns on the lab', () => {
  const all = Object.keys(HOSTS) as Host[];
  const servers = Object.values(HOSTS);

  afterAll(async () => {
    // Leave the lab in normal mode with the role applied, and the zone without the test's records.
    const r = await onHost('uxsv01', `grep -q -- '${MARK}$' ${ZONE_FILE} || echo clean`);
    if (r.rc === 0 && r.stdout.trim() !== 'clean') await editZone('uxsv01', []);
    await play('-e', 'cluster_mode=normal');
  }, 600_000);

  it('applies in normal mode, and a second run changes nothing', async () => {
    expectOk(await play('-e', 'cluster_mode=normal'), all);
    const again = expectOk(await play('-e', 'cluster_mode=normal'), all);
    for (const host of all) expect(again[host]!.changed, host).toBe(0);
    const check = expectOk(await play('-e', 'cluster_mode=normal', '--check'), all);
    for (const host of all) expect(check[host]!.changed, host).toBe(0);
  });

  it('configures uxsv01 as the primary and uxsv02/03 as secondaries of the address of ns1', async () => {
    const primary = await onHost('uxsv01', 'cat /etc/bind/named.conf.local /etc/bind/named.conf.options');
    expect(primary.stdout).toMatch(/type master;\s+file "\/srv\/dns\/db\.example\.jp";/);
    expect(primary.stdout).toContain('file "/srv/dns/db.100.51.198.in-addr.arpa";');
    expect(primary.stdout).toContain('also-notify { 198.51.100.12; 198.51.100.13; };');
    for (const host of ['uxsv02', 'uxsv03'] as const) {
      const conf = await onHost(host, 'cat /etc/bind/named.conf.local');
      expect(conf.stdout).toMatch(/type slave;\s+masters \{ 198\.51\.100\.11; \};\s+file "\/var\/cache\/bind\/db\.example\.jp";/);
      expect(conf.stdout).toContain('zone "100.51.198.in-addr.arpa"');
    }
  });

  it('answers A, MX, NS and PTR at every host address, from the client', async () => {
    // The secondaries may still be transferring right after the first run.
    const serial = await serialAt(HOSTS.uxsv01);
    expect(serial).toMatch(/^\d{10}$/);
    expect(await waitForSerial(servers, serial)).toEqual(Object.fromEntries(servers.map((s) => [s, serial])));
    for (const server of servers) {
      for (const [name, address] of Object.entries(A_RECORDS)) {
        expect(await short(server, `${name}.${DOMAIN} A`), `${name} at ${server}`).toBe(address);
      }
      for (const [address, name] of Object.entries(PTR_RECORDS)) {
        expect(await short(server, `-x ${address}`), `PTR ${address} at ${server}`).toBe(`${name}.${DOMAIN}.`);
      }
      expect(await short(server, `${DOMAIN} MX`)).toBe(`10 mail.${DOMAIN}.`);
      expect((await short(server, `${DOMAIN} NS`)).split('\n').sort()).toEqual([`ns1.${DOMAIN}.`, `ns2.${DOMAIN}.`, `ns3.${DOMAIN}.`]);
      // Authoritative answers; no recursion for names outside the zones.
      expect(await dig(server, `www.${DOMAIN} A`)).toMatch(/flags: qr aa/);
      expect(await dig(server, 'www.debian.org A')).toMatch(/status: REFUSED/);
    }
  });

  it('carries a change made on the primary to every secondary (NOTIFY)', async () => {
    const serial = await editZone('uxsv01', ['dnstest1\tIN\tA\t198.51.100.91']);
    expect(await waitForSerial(servers, serial)).toEqual(Object.fromEntries(servers.map((s) => [s, serial])));
    for (const server of servers) expect(await short(server, `dnstest1.${DOMAIN} A`)).toBe('198.51.100.91');
  });

  it('in degraded-uxsv03, uxsv02 is the only secondary and still follows the primary', async () => {
    const live = ['uxsv01', 'uxsv02'];
    expectOk(await play('-e', 'cluster_mode=degraded-uxsv03', '--limit', '!uxsv03'), live);
    const again = expectOk(await play('-e', 'cluster_mode=degraded-uxsv03', '--limit', '!uxsv03'), live);
    for (const host of live) expect(again[host]!.changed, host).toBe(0);
    const options = await onHost('uxsv01', 'cat /etc/bind/named.conf.options');
    expect(options.stdout).toContain('also-notify { 198.51.100.12; };');

    const serial = await editZone('uxsv01', ['dnstest1\tIN\tA\t198.51.100.91', 'dnstest2\tIN\tA\t198.51.100.92']);
    const live2 = [HOSTS.uxsv01, HOSTS.uxsv02];
    expect(await waitForSerial(live2, serial)).toEqual(Object.fromEntries(live2.map((s) => [s, serial])));
    expect(await short(HOSTS.uxsv02, `dnstest2.${DOMAIN} A`)).toBe('198.51.100.92');
    expect(await short(HOSTS.uxsv02, `www.${DOMAIN} A`)).toBe('198.51.100.21');
    expect(await short(HOSTS.uxsv02, '-x 198.51.100.21')).toBe(`www.${DOMAIN}.`);
  });

  it('back in normal mode, every secondary follows again', async () => {
    expectOk(await play('-e', 'cluster_mode=normal'), all);
    const options = await onHost('uxsv01', 'cat /etc/bind/named.conf.options');
    expect(options.stdout).toContain('also-notify { 198.51.100.12; 198.51.100.13; };');
    // Remove the test's records: the last operator edit.
    const serial = await editZone('uxsv01', []);
    expect(await waitForSerial(servers, serial)).toEqual(Object.fromEntries(servers.map((s) => [s, serial])));
    for (const server of servers) {
      expect(await short(server, `dnstest1.${DOMAIN} A`)).toBe('');
      expect(await short(server, `www.${DOMAIN} A`)).toBe('198.51.100.21');
    }
    const again = expectOk(await play('-e', 'cluster_mode=normal'), all);
    for (const host of all) expect(again[host]!.changed, host).toBe(0);
  });
});
