// Roles base-install and disable-unneeded-services on the lab: applied in
// normal mode (a no-op on the provisioned hosts, checked for idempotency and
// drift), the files they manage read back on every host, sshd probed from the
// client side, and the one apt call checked against a fresh host's package
// state with no network. Runs only with UXSV_LAB=1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_HOSTS as ALL, HOSTS, LAB, expectOk, labExec, labPlaybook, onHost } from '../helpers/lab.js';
import { imageRootfs } from '../../lab/image.js';

const PLAYBOOK = 'test/lab/playbooks/base.yml';
const play = labPlaybook(PLAYBOOK);
const UNNEEDED = ['apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'fstrim.timer'];

describe.skipIf(!LAB)('roles base-install and disable-unneeded-services', () => {
  it('apply in normal mode, and a second run changes nothing', async () => {
    expectOk(await play());
    const again = expectOk(await play());
    for (const host of ALL) expect(again[host]!.changed).toBe(0);
  });

  it('list the hosts and service names in /etc/hosts', async () => {
    for (const host of ALL) {
      const r = await onHost(host, 'for n in uxsv01 uxsv02.example.jp uxsv03 ns1 ns3.example.jp www www3.example.jp mail ntp; do getent hosts $n | cut -d" " -f1; done');
      expect(r.stdout.trim().split('\n')).toEqual([
        HOSTS.uxsv01, HOSTS.uxsv02, HOSTS.uxsv03, HOSTS.uxsv01, HOSTS.uxsv03,
        '198.51.100.21', '198.51.100.23', HOSTS.uxsv01, HOSTS.uxsv01,
      ]);
    }
  });

  it('point the resolver at the three DNS servers, search the cluster domain', async () => {
    for (const host of ALL) {
      const r = await onHost(host, 'test -f /etc/resolv.conf && test ! -L /etc/resolv.conf && grep -v "^#" /etc/resolv.conf');
      expect(r.rc).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toContain('search example.jp');
      expect(lines.filter((l) => l.startsWith('nameserver '))).toEqual(Object.values(HOSTS).map((a) => `nameserver ${a}`));
    }
  });

  it('configure sshd: root by key only, no passwords, no X11', async () => {
    for (const host of ALL) {
      const r = await onHost(host, 'sshd -T | grep -E "^(permitrootlogin|passwordauthentication|kbdinteractiveauthentication|x11forwarding|pubkeyauthentication) " | sort');
      expect(r.stdout.trim().split('\n')).toEqual([
        'kbdinteractiveauthentication no',
        'passwordauthentication no',
        'permitrootlogin without-password', // sshd -T spells prohibit-password this way
        'pubkeyauthentication yes',
        'x11forwarding no',
      ]);
    }
    // From a client: the server offers public key authentication only.
    for (const address of Object.values(HOSTS)) {
      const r = await labExec(
        `ssh -o BatchMode=yes -o PubkeyAuthentication=no -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 root@${address} true`,
        30_000,
      );
      expect(r.rc).not.toBe(0);
      expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
    }
  });

  it('refuse an sshd drop-in that would lock root out, and keep the old one', async () => {
    const bad = await play('--limit', 'uxsv03', '-e', '{"base_sshd_settings": {"PermitRootLogin": "no"}}');
    expect(bad.rc).not.toBe(0);
    expect(bad.stdout).toMatch(/root could no longer log in by key/);
    const r = await onHost('uxsv03', 'grep PermitRootLogin /etc/ssh/sshd_config.d/uxsv.conf');
    expect(r.stdout.trim()).toBe('PermitRootLogin prohibit-password');
  });

  it('report a manual edit as drift in check mode, change nothing, then repair it', async () => {
    await onHost('uxsv03', 'echo "198.51.100.99 drift.example.jp" >> /etc/hosts');
    try {
      const check = expectOk(await play('--check', '--limit', 'uxsv03'), ['uxsv03']);
      expect(check.uxsv03!.changed).toBeGreaterThan(0);
      expect((await onHost('uxsv03', 'grep -c drift.example.jp /etc/hosts')).stdout.trim()).toBe('1');
    } finally {
      expectOk(await play('--limit', 'uxsv03'), ['uxsv03']);
    }
    expect((await onHost('uxsv03', 'grep -c drift.example.jp /etc/hosts')).stdout.trim()).toBe('0');
    const clean = expectOk(await play('--check', '--limit', 'uxsv03'), ['uxsv03']);
    expect(clean.uxsv03!.changed).toBe(0);
  });

  it('lay out /srv and /etc/uxsv', async () => {
    for (const host of ALL) {
      const r = await onHost(host, 'stat -c "%n %U:%G %a" /srv /srv/dns /srv/dhcp /srv/www /srv/mail /etc/uxsv; test -d /srv/ml && echo ml');
      expect(r.stdout.trim().split('\n')).toEqual([
        '/srv root:root 755', '/srv/dns root:bind 755', '/srv/dhcp root:root 755', '/srv/www root:root 755',
        '/srv/mail root:root 755', '/etc/uxsv root:root 755', 'ml',
      ]);
    }
  });

  it('stop and disable the unneeded units', async () => {
    for (const host of ALL) {
      const r = await onHost(host, `for u in ${UNNEEDED.join(' ')}; do echo $(systemctl is-enabled $u) $(systemctl is-active $u); done`);
      expect(r.stdout.trim().split('\n')).toEqual(UNNEEDED.map(() => 'disabled inactive'));
    }
  });

  it('would install every package on a fresh host from the apt cache, with no network', async () => {
    // The image the hosts run on (their overlay's lower layer) is what a fresh host starts from.
    const root = await onHost('uxsv01', 'findmnt -n -o OPTIONS /');
    const lower = /(?:^|,)lowerdir=([^,:]+)/.exec(root.stdout)?.[1] ?? imageRootfs();
    const status = join(lower, 'var/lib/dpkg/status');
    expect(existsSync(status)).toBe(true);
    const r = expectOk(await play('-e', `base_test_fresh_status=${status}`));
    // apt resolved the install against the image's package state and found every archive.
    expect(r.uxsv01!.failed).toBe(0);
    expect(r.uxsv01!.changed).toBe(2); // the status copy and its removal, nothing else
  });
});
