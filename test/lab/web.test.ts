// Role web on the lab: Apache serves www and www3 over https on their own
// service addresses, each from the host placement.web gives it, and www3
// moves to uxsv03 in degraded-uxsv02 mode. Proven with curl from the client
// side. The service addresses are added by the test playbook's stand-in for
// the alias role (uxsv.ip_alias, not persisted) and removed at the end.
// Runs only with UXSV_LAB=1; leaves the lab in normal mode with the role applied.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB, labExec, labPlaybook, onHost, uxsvCli, type Exec, type Host, type PlayRun } from '../helpers/lab.js';

const PLAYBOOK = 'test/lab/playbooks/web.yml';
const SITES = {
  www: { name: 'www.example.jp', address: '198.51.100.21' },
  www3: { name: 'www3.example.jp', address: '198.51.100.23' },
} as const;
type Site = keyof typeof SITES;

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

const play = labPlaybook(PLAYBOOK, 300_000);

function expectRun(res: PlayRun, hosts: string[], changed?: 0): void {
  const detail = `${res.stdout.slice(-4000)}\n${res.stderr}`;
  expect(res.rc, detail).toBe(0);
  expect(Object.keys(res.recap).sort(), detail).toEqual([...hosts].sort());
  for (const host of hosts) {
    expect(res.recap[host]!.failed + res.recap[host]!.unreachable, detail).toBe(0);
    if (changed === 0) expect(res.recap[host]!.changed, `${host} not idempotent\n${detail}`).toBe(0);
  }
}

let tmp: string;
const certFile = (site: Site) => join(tmp, `${site}.crt`);

/** Fetch the site's certificate from the host that has its data, for curl --cacert. */
async function fetchCert(site: Site, host: Host): Promise<string> {
  const res = await onHost(host, `cat /srv/www/${site}/tls/${site}.crt`);
  expect(res.rc, res.stderr).toBe(0);
  expect(res.stdout).toContain('BEGIN CERTIFICATE');
  writeFileSync(certFile(site), res.stdout);
  return res.stdout;
}

/** https from the client side to the site's service address, with a marker in the query to find in the access log. */
async function curlSite(site: Site, marker: string): Promise<Exec> {
  const { name, address } = SITES[site];
  return labExec(
    `curl -sS --max-time 10 --retry 3 --retry-delay 1 --retry-connrefused --cacert ${certFile(site)} --resolve ${name}:443:${address} 'https://${name}/?probe=${marker}'`,
    60_000,
  );
}

async function expectServedBy(site: Site, host: Host, others: Host[]): Promise<void> {
  const marker = `${site}-${host}-${Date.now()}`;
  const res = await curlSite(site, marker);
  expect(res.rc, res.stderr).toBe(0);
  expect(res.stdout).toContain(`${SITES[site].name} served from the mirrored docroot`);
  // The request reached the host the mode gives the site.
  const log = await onHost(host, `grep -c -- '${marker}' /var/log/apache2/${site}-access.log`);
  expect(log.stdout.trim(), `${site} request not in ${host}'s access log`).toBe('1');
  for (const other of others) {
    const ip = await onHost(other, `ip -o -4 addr show`);
    expect(ip.stdout, `${other} still carries ${site}'s address`).not.toContain(`${SITES[site].address}/`);
  }
}

async function expectApache(host: Host, active: boolean): Promise<void> {
  const res = await onHost(host, 'systemctl is-active apache2; systemctl is-enabled apache2');
  expect(res.stdout.trim().split('\n'), host).toEqual(active ? ['active', 'enabled'] : ['inactive', 'disabled']);
}

/** Sites enabled on a host (sites-enabled/*.conf). */
async function enabledSites(host: Host): Promise<string[]> {
  const res = await onHost(host, 'cd /etc/apache2/sites-enabled && ls');
  return res.stdout.split('\n').filter(Boolean).sort();
}

describe.skipIf(!LAB)('role web (lab)', () => {
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'uxsv-web-test-'));
  });

  afterAll(async () => {
    // No extra addresses left behind (the alias role is the lead's).
    await uxsvCli(['play', '-i', 'inventory/lab', PLAYBOOK, '--tags', 'web_test_aliases', '-e', 'web_test_alias_state=absent'], 120_000);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('normal mode: www on uxsv01, www3 on uxsv02 over https; uxsv03 has apache2 stopped; idempotent', async () => {
    expectRun(await play('-e', 'cluster_mode=normal'), ['uxsv01', 'uxsv02', 'uxsv03']);
    expectRun(await play('-e', 'cluster_mode=normal'), ['uxsv01', 'uxsv02', 'uxsv03'], 0);
    expectRun(await play('-e', 'cluster_mode=normal', '--check'), ['uxsv01', 'uxsv02', 'uxsv03'], 0);

    expect(await enabledSites('uxsv01')).toEqual(['www.conf']);
    expect(await enabledSites('uxsv02')).toEqual(['www3.conf']);
    expect(await enabledSites('uxsv03')).toEqual([]);
    await expectApache('uxsv01', true);
    await expectApache('uxsv02', true);
    await expectApache('uxsv03', false);

    const key = await onHost('uxsv01', 'stat -c %a /srv/www/www/tls/www.key');
    expect(key.stdout.trim()).toBe('600');
    await fetchCert('www', 'uxsv01');
    await fetchCert('www3', 'uxsv02');
    await expectServedBy('www', 'uxsv01', ['uxsv02', 'uxsv03']);
    await expectServedBy('www3', 'uxsv02', ['uxsv01', 'uxsv03']);

    // http redirects to https.
    const http = await labExec(`curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 10 --resolve www3.example.jp:80:198.51.100.23 http://www3.example.jp/`);
    expect(http.stdout).toBe('301 https://www3.example.jp/');
  });

  it('refuses a broken virtual host and keeps the installed one', async () => {
    const before = await onHost('uxsv01', 'sha1sum /etc/apache2/sites-available/www.conf');
    const broken = JSON.stringify({ web_sites: { www: { server_name: 'www.example.jp\n</VirtualHost>' }, www3: { server_name: 'www3.example.jp' } } });
    const res = await play('--limit', 'uxsv01', '--tags', 'web', '-e', broken);
    expect(res.rc).not.toBe(0);
    expect(strip(res.stdout + res.stderr)).toMatch(/failed to validate.*without matching <VirtualHost> section/);
    const after = await onHost('uxsv01', 'sha1sum /etc/apache2/sites-available/www.conf; ls -A /etc/apache2/sites-available');
    expect(after.stdout).toContain(before.stdout.trim());
    expect(after.stdout).not.toContain('.uxsv.');
    await expectServedBy('www', 'uxsv01', []);
  });

  it('degraded-uxsv02: www3 moves to uxsv03 with its data and certificate; idempotent', async () => {
    // uxsv02 "goes away": its service address is dropped (its apache2 is left alone).
    expectRun(await play('--limit', 'uxsv02', '--tags', 'web_test_aliases', '-e', 'web_test_alias_state=absent'), ['uxsv02']);
    // The mirror (another role) keeps uxsv02's /srv/www/www3 on uxsv03: do its job here.
    const tar = await onHost('uxsv02', 'tar -C /srv/www -czf - www3 | base64 -w0');
    expect(tar.rc, tar.stderr).toBe(0);
    const untar = await onHost('uxsv03', `set -e; rm -rf /srv/www/www3; mkdir -p /srv/www; echo '${tar.stdout.trim()}' | base64 -d | tar -C /srv/www -xzf -`);
    expect(untar.rc, untar.stderr).toBe(0);

    const live = ['uxsv01', 'uxsv03'];
    expectRun(await play('-e', 'cluster_mode=degraded-uxsv02', '--limit', '!uxsv02'), live);
    expectRun(await play('-e', 'cluster_mode=degraded-uxsv02', '--limit', '!uxsv02'), live, 0);

    expect(await enabledSites('uxsv01')).toEqual(['www.conf']);
    expect(await enabledSites('uxsv03')).toEqual(['www3.conf']);
    await expectApache('uxsv03', true);
    // The certificate came with the data (none was generated): uxsv02's still verifies.
    await expectServedBy('www3', 'uxsv03', ['uxsv01', 'uxsv02']);
    await expectServedBy('www', 'uxsv01', []);
  });

  it('back to normal: www3 on uxsv02 again, uxsv03 stopped; idempotent', async () => {
    const all = ['uxsv01', 'uxsv02', 'uxsv03'];
    expectRun(await play('-e', 'cluster_mode=normal'), all);
    expectRun(await play('-e', 'cluster_mode=normal'), all, 0);
    expect(await enabledSites('uxsv02')).toEqual(['www3.conf']);
    expect(await enabledSites('uxsv03')).toEqual([]);
    await expectApache('uxsv02', true);
    await expectApache('uxsv03', false);
    await expectServedBy('www3', 'uxsv02', ['uxsv01', 'uxsv03']);
    await expectServedBy('www', 'uxsv01', ['uxsv02', 'uxsv03']);
  });
});
