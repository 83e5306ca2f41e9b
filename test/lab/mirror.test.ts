// Role mirror on the lab: the ring uxsv01 -> uxsv02 -> uxsv03 -> uxsv01 copies
// the data homed on each host in normal mode (uxsv01: dns, dhcp, www, mail,
// ml; uxsv02: www3; uxsv03: nothing). Proven with files written on the
// holders and passes run now (`systemctl start uxsv-mirror.service`) and by
// the timer; then degraded-uxsv03 (timers off, a pass by hand refused), then
// back to normal. The role never writes the mode file (the mode playbooks do):
// the test writes `normal` where it is missing. Runs only with UXSV_LAB=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_HOSTS as ALL, HOSTS, LAB, expectOk, labPlaybook, onHost, type Exec, type Host } from '../helpers/lab.js';
import { MGMT_ADDRESSES } from '../../lab/index.js';

const PLAYBOOK = 'test/lab/playbooks/mirror.yml';
const MODE_FILE = '/etc/uxsv/mode';
/** Every file the test writes carries this prefix, so cleanup finds them all. */
const PREFIX = 'uxsv-mirror-test-';
const TOKEN = `${PREFIX}${process.pid}-${Date.now()}`;
const TEST_DIRS = ['/srv/dns', '/srv/www/www3'];
const play = labPlaybook(PLAYBOOK);

/** One pass now; returns when it is over. */
async function pass(host: Host): Promise<Exec> {
  return onHost(host, 'systemctl start uxsv-mirror.service', 300_000);
}

async function expectPass(host: Host): Promise<void> {
  const r = await pass(host);
  if (r.rc !== 0) console.error((await onHost(host, 'journalctl -u uxsv-mirror.service -n 30 --no-pager -o cat', 120_000)).stdout);
  expect(r.rc).toBe(0);
}

const exists = async (host: Host, path: string) => (await onHost(host, `test -e ${path}`, 120_000)).rc === 0;
const read = async (host: Host, path: string) => (await onHost(host, `cat ${path}`, 120_000)).stdout;
const timer = async (host: Host) => (await onHost(host, 'echo $(systemctl is-enabled uxsv-mirror.timer) $(systemctl is-active uxsv-mirror.timer)', 120_000)).stdout.trim();
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe.skipIf(!LAB)('role mirror', () => {
  beforeAll(async () => {
    for (const host of ALL) {
      await onHost(host, `mkdir -p /etc/uxsv && { test -f ${MODE_FILE} || echo normal > ${MODE_FILE}; }`, 120_000);
      expect((await read(host, MODE_FILE)).trim()).toBe('normal');
    }
  });

  afterAll(async () => {
    // Leave the role applied in normal mode, and no test file anywhere (the
    // holders' passes delete the copies of files removed there).
    await play();
    for (const host of ALL) await onHost(host, `rm -f ${TEST_DIRS.map((d) => `${d}/${PREFIX}*`).join(' ')}`, 120_000);
    for (const host of ALL) await pass(host);
  });

  it('applies in normal mode, and a second run changes nothing', async () => {
    expectOk(await play());
    const again = expectOk(await play());
    for (const host of ALL) expect(again[host]!.changed).toBe(0);
    for (const host of ALL) expect(await timer(host)).toBe('enabled active');
  });

  it('exchanges the ring keys: each host accepts the previous one, from its address only', async () => {
    const previous: Record<Host, Host> = { uxsv01: 'uxsv03', uxsv02: 'uxsv01', uxsv03: 'uxsv02' };
    const next: Record<Host, Host> = { uxsv01: 'uxsv02', uxsv02: 'uxsv03', uxsv03: 'uxsv01' };
    for (const host of ALL) {
      const key = (await read(previous[host], '/root/.ssh/uxsv_mirror.pub')).trim().split(/\s+/).slice(0, 2).join(' ');
      const authorized = await read(host, '/root/.ssh/authorized_keys');
      expect(authorized).toContain(`from="${HOSTS[previous[host]]},${MGMT_ADDRESSES[previous[host]]}",restrict ${key}`);
      const hostKey = (await read(next[host], '/etc/ssh/ssh_host_ed25519_key.pub')).trim().split(/\s+/).slice(0, 2).join(' ');
      expect((await read(host, '/etc/uxsv/mirror_known_hosts')).trim()).toBe(`${HOSTS[next[host]]} ${hostKey}`);
    }
    // The key works from the previous host's addresses only (from=): not from another host.
    const ssh = (on: Host, bind: string, key: string) =>
      onHost(on, `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes ` +
        `-o UserKnownHostsFile=/etc/uxsv/mirror_known_hosts -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=10 ` +
        `-o BindAddress=${bind} root@${HOSTS.uxsv02} echo in`, 120_000);
    expect((await ssh('uxsv01', HOSTS.uxsv01, '/root/.ssh/uxsv_mirror')).stdout.trim()).toBe('in');
    expect((await ssh('uxsv01', MGMT_ADDRESSES.uxsv01, '/root/.ssh/uxsv_mirror')).stdout.trim()).toBe('in');
    const stolen = (await read('uxsv01', '/root/.ssh/uxsv_mirror')).trim();
    await onHost('uxsv03', `umask 077; printf '%s\\n' '${stolen}' > /tmp/stolen-key`, 120_000);
    const other = await onHost('uxsv03', `ssh -i /tmp/stolen-key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 root@${HOSTS.uxsv02} echo in; rc=$?; rm -f /tmp/stolen-key; exit $rc`, 120_000);
    expect(other.rc).not.toBe(0);
    expect(other.stderr).toMatch(/Permission denied/);
  });

  it('copies the data homed on a host to the next host, and nothing from a host with nothing homed', async () => {
    await onHost('uxsv01', `echo dns-${TOKEN} > /srv/dns/${TOKEN}`, 120_000);
    await onHost('uxsv02', `mkdir -p /srv/www/www3 && echo www3-${TOKEN} > /srv/www/www3/${TOKEN}`, 120_000);
    await onHost('uxsv03', `echo stray-${TOKEN} > /srv/dns/${TOKEN}-uxsv03`, 120_000);
    for (const host of ALL) await expectPass(host);

    expect((await read('uxsv02', `/srv/dns/${TOKEN}`)).trim()).toBe(`dns-${TOKEN}`);
    expect((await read('uxsv03', `/srv/www/www3/${TOKEN}`)).trim()).toBe(`www3-${TOKEN}`);
    // uxsv03 has nothing homed: its file stays there, uxsv01 gets nothing.
    expect(await exists('uxsv01', `/srv/dns/${TOKEN}-uxsv03`)).toBe(false);
    expect(await exists('uxsv03', `/srv/dns/${TOKEN}-uxsv03`)).toBe(true);
    const log = await onHost('uxsv03', 'journalctl -u uxsv-mirror.service -n 5 --no-pager -o cat', 120_000);
    expect(log.stdout).toMatch(/nothing is homed on this host/);
    // Only the homed data moves: uxsv02's www3 does not go back to uxsv01.
    expect(await exists('uxsv01', `/srv/www/www3/${TOKEN}`)).toBe(false);
  });

  it('deletes on the next host what was deleted on the holder, at the next pass', async () => {
    await onHost('uxsv02', `rm -f /srv/www/www3/${TOKEN}`, 120_000);
    expect(await exists('uxsv03', `/srv/www/www3/${TOKEN}`)).toBe(true);
    await expectPass('uxsv02');
    expect(await exists('uxsv03', `/srv/www/www3/${TOKEN}`)).toBe(false);
  });

  it('runs passes by itself on the timer (mirror_interval 1min in the lab)', async () => {
    const file = `/srv/dns/${TOKEN}-timer`;
    await onHost('uxsv01', `echo timer > ${file}`, 120_000);
    let seen = false;
    for (let i = 0; i < 30 && !seen; i++) {
      await sleep(5_000);
      seen = await exists('uxsv02', file);
    }
    expect(seen).toBe(true);
  });

  it('in degraded-uxsv03: timers stopped and disabled, a pass by hand refused; then back to normal', async () => {
    const degraded = ['-e', 'cluster_mode=degraded-uxsv03', '--limit', '!uxsv03'];
    expectOk(await play(...degraded), ['uxsv01', 'uxsv02']);
    const again = expectOk(await play(...degraded), ['uxsv01', 'uxsv02']);
    expect(again.uxsv01!.changed).toBe(0);
    expect(again.uxsv02!.changed).toBe(0);
    expect(await timer('uxsv01')).toBe('disabled inactive');
    expect(await timer('uxsv02')).toBe('disabled inactive');

    // What the mode playbooks record in degraded operation: a pass refuses.
    await onHost('uxsv01', `echo degraded-uxsv03 > ${MODE_FILE}`, 120_000);
    try {
      await onHost('uxsv01', `echo refused > /srv/dns/${TOKEN}-refused`, 120_000);
      const r = await pass('uxsv01');
      expect(r.rc).not.toBe(0);
      const log = await onHost('uxsv01', 'journalctl -u uxsv-mirror.service -n 5 --no-pager -o cat', 120_000);
      expect(log.stdout).toMatch(/refused: the mode is 'degraded-uxsv03'/);
      expect(await exists('uxsv02', `/srv/dns/${TOKEN}-refused`)).toBe(false);
    } finally {
      await onHost('uxsv01', `echo normal > ${MODE_FILE}`, 120_000);
    }

    expectOk(await play());
    const normal = expectOk(await play());
    for (const host of ALL) expect(normal[host]!.changed).toBe(0);
    for (const host of ALL) expect(await timer(host)).toBe('enabled active');
    await expectPass('uxsv01');
    expect(await exists('uxsv02', `/srv/dns/${TOKEN}-refused`)).toBe(true);
  });
});
