// Role ntp on the lab: chrony on every live host, synced to the lab's external
// server (198.51.100.1) only, serving the client side; proven with
// `chronyd -Q` from the client (a one-shot query that touches nothing there).
// Normal mode, then degraded-uxsv03 (uxsv01 and uxsv02 keep serving), then
// back to normal. Runs only with UXSV_LAB=1.
import { describe, expect, it } from 'vitest';
import { ALL_HOSTS as ALL, HOSTS, LAB, expectOk, labExec, labPlaybook, onHost, type Exec, type Host } from '../helpers/lab.js';

const PLAYBOOK = 'test/lab/playbooks/ntp.yml';
const UPSTREAM = '198.51.100.1';
const play = labPlaybook(PLAYBOOK);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Waits (at most ~60 s) until the host's chrony has selected the external server. */
async function synced(host: Host): Promise<string> {
  let sources = '';
  for (let i = 0; i < 30; i++) {
    sources = (await onHost(host, 'chronyc -n sources')).stdout;
    if (new RegExp(`^\\^\\*\\s+${UPSTREAM.replace(/\./g, '\\.')}\\s`, 'm').test(sources)) return sources;
    await sleep(2_000);
  }
  throw new Error(`${host} did not sync to ${UPSTREAM}:\n${sources}`);
}

/** One NTP query from the client side; `chronyd -Q` with no configuration file, so nothing there is read or changed. */
function ask(address: string): Promise<Exec> {
  return labExec(`chronyd -Q -f /dev/null -t 10 'server ${address} iburst maxsamples 1'`, 30_000);
}

async function expectServes(host: Host): Promise<void> {
  await synced(host);
  const r = await ask(HOSTS[host]);
  expect(r.rc, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/System clock wrong by -?[0-9.]+ seconds/);
}

describe.skipIf(!LAB)('role ntp', () => {
  it('applies in normal mode, and a second run changes nothing', async () => {
    expectOk(await play());
    const again = expectOk(await play());
    for (const host of ALL) expect(again[host]!.changed).toBe(0);
  });

  it('runs chrony on every host, without clock control, synced to the external server only', async () => {
    for (const host of ALL) {
      const state = await onHost(host, 'systemctl is-active chrony; systemctl is-enabled chrony; ps -o args= -C chronyd | head -n 1');
      expect(state.stdout.trim().split('\n')).toEqual(['active', 'enabled', '/usr/sbin/chronyd -F 1 -x']);
      const sources = await synced(host);
      expect(sources).toContain(UPSTREAM);
      for (const other of Object.values(HOSTS)) expect(sources).not.toContain(other);
    }
  });

  it('answers NTP clients on each host address', async () => {
    for (const host of ALL) await expectServes(host);
  });

  it('reports a manual edit as drift in check mode, then repairs it', async () => {
    // An operator adds peering to uxsv01: drift.
    await onHost('uxsv02', `echo 'server ${HOSTS.uxsv01} iburst' >> /etc/chrony/chrony.conf`);
    try {
      const check = expectOk(await play('--check', '--limit', 'uxsv02'), ['uxsv02']);
      expect(check.uxsv02!.changed).toBeGreaterThan(0);
      expect((await onHost('uxsv02', `grep -c '${HOSTS.uxsv01}' /etc/chrony/chrony.conf`)).stdout.trim()).toBe('1');
    } finally {
      expectOk(await play('--limit', 'uxsv02'), ['uxsv02']);
    }
    expect((await onHost('uxsv02', `grep -c '${HOSTS.uxsv01}' /etc/chrony/chrony.conf`)).stdout.trim()).toBe('0');
    expect(await synced('uxsv02')).not.toContain(HOSTS.uxsv01);
  });

  it('keeps serving on the live hosts in degraded-uxsv03, then back in normal mode', async () => {
    const degraded = ['-e', 'cluster_mode=degraded-uxsv03', '--limit', '!uxsv03'];
    const first = expectOk(await play(...degraded), ['uxsv01', 'uxsv02']);
    // NTP runs on every live host in every mode: nothing to change.
    expect(first.uxsv01!.changed).toBe(0);
    expect(first.uxsv02!.changed).toBe(0);
    await expectServes('uxsv01');
    await expectServes('uxsv02');

    const normal = expectOk(await play());
    for (const host of ALL) expect(normal[host]!.changed).toBe(0);
    for (const host of ALL) await expectServes(host);
  });
});
