/**
 * The mission, on the lab: provision the three hosts, then for each host a
 * failure (or planned maintenance), the switch to two-host operation, and the
 * return to normal — every time proven from the client side with real clients
 * (dig, dhclient, curl, swaks + POP3, chronyd -Q), idempotent second runs,
 * and the drift check. Runs after the per-role lab tests; leaves normal mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { ALL_HOSTS as HOSTS, LAB, onHost, uxsvCli, uxsvPlay, type Exec, type Host } from '../helpers/lab.js';
import { labFail, labHeal } from '../../lab/index.js';
import { ADDRESSES, dhcpLease, dig, expectMail, httpsGet, ntpAnswers, sendMail, soaSerial, stopDhcpClients, waitUntil } from './clients.js';

const INV = ['-i', 'inventory/lab'];
const MODES = (await import('yaml')).parse(readFileSync('inventory/group_vars/all/placement.yml', 'utf8')).cluster_modes as Record<string, any>;
const SWITCH_TIMES = 'bench/switch-times.json';

async function uxsv(...args: string[]): Promise<Exec> {
  const r = await uxsvCli(args, 900_000);
  if (r.rc !== 0) console.error(`uxsv ${args.join(' ')} -> ${r.rc}\n${r.stdout.slice(-6000)}\n${r.stderr}`);
  return r;
}

/** The playbook of a mode, run again: nothing may change. */
async function expectIdempotent(playbook: string, limit?: string): Promise<void> {
  const args = [...INV, `playbooks/${playbook}`, ...(limit ? ['--limit', limit] : [])];
  const r = await uxsvPlay(args, 900_000);
  if (r.rc !== 0) console.error(`uxsv play ${args.join(' ')} -> ${r.rc}\n${r.stdout.slice(-6000)}\n${r.stderr}`);
  expect(r.rc).toBe(0);
  const changed = Object.fromEntries(Object.entries(r.recap).map(([host, counts]) => [host, counts.changed]));
  expect(Object.keys(changed).length).toBeGreaterThan(0);
  expect(changed, r.stdout.split('\n').filter((l) => l.startsWith('changed:')).join('\n')).toEqual(Object.fromEntries(Object.keys(changed).map((h) => [h, 0])));
}

/** Every service of the mode answers from the client side, at the addresses clients use. */
async function expectServices(mode: string, tag: string): Promise<void> {
  const p = MODES[mode];
  // DNS at all three host addresses (a down host's address is answered by its taker).
  for (const server of [ADDRESSES.uxsv01, ADDRESSES.uxsv02, ADDRESSES.uxsv03]) {
    await waitUntil(`DNS at ${server}`, async () => ((await dig(server, 'www.example.jp')).includes(ADDRESSES.www) ? true : undefined), 30_000);
    expect(await dig(server, 'www3.example.jp')).toEqual([ADDRESSES.www3]);
    expect(await dig(server, '21.100.51.198.in-addr.arpa', 'PTR')).toEqual(['www.example.jp.']);
  }
  // The same SOA serial everywhere (a secondary that was down catches up by itself, within a bounded wait).
  await waitUntil('the same SOA serial on every server', async () => {
    const serials = await Promise.all([ADDRESSES.uxsv01, ADDRESSES.uxsv02, ADDRESSES.uxsv03].map((s) => soaSerial(s)));
    return new Set(serials).size === 1 && serials[0] ? true : undefined;
  }, 60_000, 1000);

  // DHCP: one server, the mode's.
  const lease = await dhcpLease(tag);
  expect(lease.address).toMatch(/^198\.51\.100\.1[5-9]\d$/);
  const dhcpActive = await Promise.all(HOSTS.filter((h) => h !== p.down).map(async (h) => [h, (await onHost(h, 'systemctl is-active uxsv-dhcpd', 120_000)).stdout.trim()] as const));
  expect(dhcpActive.filter(([, s]) => s === 'active').map(([h]) => h)).toEqual([p.dhcp]);

  // Web: both sites over https at their service addresses, from the host the mode places them on.
  expect(await httpsGet('www')).toContain('www.example.jp');
  expect(await httpsGet('www3')).toContain('www3.example.jp');

  // Mail: SMTP and POP3 at the mail address (uxsv01's, wherever it is), and the list.
  const text = `mail-${tag}-${Date.now()}`;
  await sendMail(ADDRESSES.uxsv01, 'alice@example.jp', text);
  await expectMail(ADDRESSES.uxsv01, ['alice'], text);
  const post = `list-${tag}-${Date.now()}`;
  await sendMail(ADDRESSES.uxsv01, 'staff@example.jp', post);
  await expectMail(ADDRESSES.uxsv01, ['alice', 'bob', 'carol'], post, 90_000);

  // NTP at every live address, aliases included.
  for (const server of [ADDRESSES.uxsv01, ADDRESSES.uxsv02, ADDRESSES.uxsv03]) expect(await ntpAnswers(server), `NTP at ${server}`).toBe(true);
}

/** A change on the current primary reaches every secondary (NOTIFY). */
async function expectZoneChangePropagates(mode: string): Promise<void> {
  const p = MODES[mode];
  const name = `probe-${Date.now()}`;
  const edit = [
    'f=/srv/dns/db.example.jp',
    `old=$(awk '/; serial/ {print $1; exit}' "$f")`,
    'new=$((old + 1))',
    `sed -i "s/^\\([[:space:]]*\\)$old\\([[:space:]]*; serial\\)/\\1$new\\2/" "$f"`,
    `printf '%s\\n' '${name} IN TXT "${mode}"' >> "$f"`,
    'named-checkzone -q example.jp "$f" && rndc reload example.jp',
  ].join('\n');
  const r = await onHost(p.dns_primary, edit, 120_000);
  expect(r.rc, r.stdout + r.stderr).toBe(0);
  for (const s of p.dns_secondaries as Host[]) {
    await waitUntil(`${name} on ${s}`, async () => ((await dig(ADDRESSES[s], `${name}.example.jp`, 'TXT')).length ? true : undefined), 60_000, 2000);
  }
}

function recordSwitchTime(what: string, seconds: number): void {
  mkdirSync('bench', { recursive: true });
  const all = existsSync(SWITCH_TIMES) ? JSON.parse(readFileSync(SWITCH_TIMES, 'utf8')) : {};
  all[what] = { seconds: Math.round(seconds * 10) / 10, measured: new Date().toISOString() };
  writeFileSync(SWITCH_TIMES, JSON.stringify(all, null, 2) + '\n');
}

/** Runs a switch and measures from the command to every service answering again. */
async function timedSwitch(what: string, args: string[], mode: string): Promise<void> {
  const t0 = Date.now();
  const r = await uxsv(...args);
  expect(r.rc).toBe(0);
  const commandSeconds = (Date.now() - t0) / 1000;
  await waitUntil('services answering', async () => {
    const ok = (await dig(ADDRESSES.uxsv01, 'www.example.jp')).includes(ADDRESSES.www) && (await httpsGet('www')).includes('www.example.jp') && (await httpsGet('www3')).includes('www3.example.jp');
    return ok ? true : undefined;
  }, 60_000, 200);
  const total = (Date.now() - t0) / 1000;
  recordSwitchTime(what, total);
  console.log(`${what}: command ${commandSeconds.toFixed(1)} s, services answering after ${total.toFixed(1)} s (mode ${mode})`);
}

async function expectModeOnHosts(mode: string): Promise<void> {
  for (const h of HOSTS.filter((x) => x !== MODES[mode].down)) expect((await onHost(h, 'cat /etc/uxsv/mode', 120_000)).stdout.trim(), h).toBe(mode);
}

describe.skipIf(!LAB)('the cluster on the lab', () => {
  beforeAll(async () => {
    const r = await uxsv('play', ...INV, 'playbooks/site.yml');
    expect(r.rc).toBe(0);
  }, 1_800_000);

  afterAll(async () => {
    await stopDhcpClients();
  });

  it('provisions normal mode: every service answers real clients, a second run changes nothing', async () => {
    await expectModeOnHosts('normal');
    await expectIdempotent('site.yml');
    await expectServices('normal', 'normal');
    await expectZoneChangePropagates('normal');
  });

  it('uxsv status draws the table; uxsv check is 0 in sync and 3 after a hand edit, naming the file', async () => {
    const status = await uxsv('status', ...INV, '--json');
    expect(status.rc).toBe(0);
    expect(JSON.parse(status.stdout).mode).toBe('normal');
    expect((await uxsv('check', ...INV)).rc).toBe(0);
    await onHost('uxsv02', "sed -i 's/^maxsources.*//; $a # edited by hand' /etc/chrony/chrony.conf", 120_000);
    const drift = await uxsv('check', ...INV, '--report', '/tmp/uxsv-drift.json');
    expect(drift.rc).toBe(3);
    expect(drift.stdout).toContain('/etc/chrony/chrony.conf');
    const report = JSON.parse(readFileSync('/tmp/uxsv-drift.json', 'utf8'));
    const drifted = (report.hosts.uxsv02 as any[]).filter((t) => t.changed);
    expect(drifted.map((t) => t.path)).toContain('/etc/chrony/chrony.conf');
    expect((await uxsv('play', ...INV, 'playbooks/site.yml')).rc).toBe(0);
    expect((await uxsv('check', ...INV)).rc).toBe(0);
  });

  it('refuses to take over an address that still answers (split brain) and changes nothing', async () => {
    const r = await uxsv('degrade', 'uxsv02', ...INV);
    expect(r.rc).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/still answers/);
    await expectModeOnHosts('normal');
  });

  for (const down of HOSTS) {
    const mode = `degraded-${down}`;
    it(`${down} loses power: degrade, serve everything from two hosts, keep the data, restore`, async () => {
      // Data written before the failure and mirrored by the last pass.
      const before = `before-${down}-${Date.now()}`;
      await sendMail(ADDRESSES.uxsv01, 'bob@example.jp', before);
      await expectMail(ADDRESSES.uxsv01, ['bob'], before);
      const leaseBefore = await dhcpLease(`${down}-before`);
      for (const h of HOSTS) expect((await onHost(h, 'systemctl start uxsv-mirror.service', 120_000)).rc, h).toBe(0);

      await labFail(down, 'power');
      await timedSwitch(`degrade ${down} (power failure)`, ['degrade', down, ...INV], mode);
      await expectModeOnHosts(mode);
      await expectServices(mode, mode);
      await expectMail(ADDRESSES.uxsv01, ['bob'], before);
      expect((await dhcpLease(`${down}-before`)).address).toBe(leaseBefore.address);
      await expectZoneChangePropagates(mode);
      await expectIdempotent(`degrade-${down}.yml`);
      expect((await uxsv('check', ...INV)).rc).toBe(0);
      const other = HOSTS.find((h) => h !== down)!;
      const second = await uxsv('degrade', other, ...INV);
      expect(second.rc).toBe(2);
      expect(second.stdout).toMatch(/already degraded/);

      const during = `during-${down}-${Date.now()}`;
      await sendMail(ADDRESSES.uxsv01, 'carol@example.jp', during);
      await expectMail(ADDRESSES.uxsv01, ['carol'], during);

      // The host comes back: it does not claim its address, and serves nothing until restore.
      await labHeal(down);
      const guard = await onHost(down, 'systemctl is-active named uxsv-dhcpd apache2 postfix dovecot; ip -4 -o addr show dev host0', 120_000);
      expect(guard.stdout).not.toMatch(/^active$/m);
      expect(guard.stdout).not.toContain(` ${ADDRESSES[down]}/`);

      await timedSwitch(`restore after ${down}`, ['restore', ...INV], 'normal');
      await expectModeOnHosts('normal');
      await expectServices('normal', `after-${down}`);
      await expectMail(ADDRESSES.uxsv01, ['carol'], during);
      await expectIdempotent('normal.yml');
      expect((await uxsv('check', ...INV)).rc).toBe(0);
    }, 1_800_000);
  }

  it('planned maintenance of uxsv01: services stop, a last mirror pass, nothing is lost', async () => {
    const last = `planned-${Date.now()}`;
    await sendMail(ADDRESSES.uxsv01, 'alice@example.jp', last);
    await expectMail(ADDRESSES.uxsv01, ['alice'], last);
    await timedSwitch('degrade uxsv01 (planned)', ['degrade', 'uxsv01', '--planned', ...INV], 'degraded-uxsv01');
    await expectModeOnHosts('degraded-uxsv01');
    expect((await onHost('uxsv01', 'systemctl is-active postfix named; true', 120_000)).stdout).not.toMatch(/^active$/m);
    await expectServices('degraded-uxsv01', 'planned');
    // Mail delivered just before the switch, after the last timer pass, was carried over.
    await expectMail(ADDRESSES.uxsv01, ['alice'], last);
    await timedSwitch('restore after planned uxsv01', ['restore', ...INV], 'normal');
    await expectServices('normal', 'after-planned');
    expect((await uxsv('check', ...INV)).rc).toBe(0);
  }, 1_800_000);
});
