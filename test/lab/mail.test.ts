// Role mail on the lab: Postfix takes mail for example.jp from a client
// (swaks), Dovecot serves it over POP3 (curl pop3://), and a post to the
// mlmmj list staff@example.jp reaches every subscriber; nothing listens on
// 25/110 on the other hosts. Then the service moves: with uxsv01's daemons
// stopped and its /srv/mail and /srv/ml copied to uxsv02 (tar over `lab ssh`,
// standing in for the mirror), the role in degraded-uxsv01 mode (limited to
// uxsv02,uxsv03) serves the old mail and takes new mail on uxsv02's own address
// (.12; carrying .11 there is the alias role's job). Back to normal: the data
// is copied back the same way and the role is applied in normal mode on all
// three hosts. Runs only with UXSV_LAB=1; leaves the lab in normal mode with
// the role applied.
import { execFile } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_HOSTS, HOSTS, LAB, labExec, labPlaybook, onHost, type Exec, type Host, type PlayRun } from '../helpers/lab.js';

const PLAYBOOK = 'test/lab/playbooks/mail.yml';
const CLI = 'dist/uxsv.mjs';
const USERS = { alice: 'alice-lab-pw', bob: 'bob-lab-pw', carol: 'carol-lab-pw' } as const;
type User = keyof typeof USERS;

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const token = (what: string) => `uxsv-mail-${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

const play = labPlaybook(PLAYBOOK, 400_000);

function expectRun(res: PlayRun, hosts: Host[], changed?: 0): void {
  const detail = `${strip(res.stdout).slice(-6000)}\n${res.stderr}`;
  expect(res.rc, detail).toBe(0);
  expect(Object.keys(res.recap).sort(), detail).toEqual([...hosts].sort());
  for (const host of hosts) {
    expect(res.recap[host]!.failed + res.recap[host]!.unreachable, detail).toBe(0);
    if (changed === 0) expect(res.recap[host]!.changed, `${host} not idempotent\n${detail}`).toBe(0);
  }
}

/** Applies the role in a mode, twice: the second run must change nothing. */
async function converge(mode: string, hosts: Host[]): Promise<void> {
  const limit = hosts.length < ALL_HOSTS.length ? ['--limit', hosts.join(',')] : [];
  expectRun(await play('-e', `cluster_mode=${mode}`, ...limit), hosts);
  expectRun(await play('-e', `cluster_mode=${mode}`, ...limit), hosts, 0);
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Copies /srv/mail and /srv/ml exactly from one host to another (tar over `lab ssh`), owners by number. */
async function copyData(from: Host, to: Host): Promise<void> {
  const node = q(process.execPath);
  const clear = await onHost(to, 'rm -rf /srv/mail /srv/ml', 120_000);
  expect(clear.rc, clear.stderr).toBe(0);
  const pipe = await runShell(
    `${node} ${CLI} lab ssh ${from} -- tar -C / --numeric-owner -cpf - srv/mail srv/ml | ${node} ${CLI} lab ssh ${to} -- tar -C / --numeric-owner -xpf -`,
  );
  expect(pipe.rc, pipe.stderr).toBe(0);
  const [a, b] = await Promise.all([from, to].map((h) => onHost(h, 'cd / && find srv/mail srv/ml | sort | md5sum', 120_000)));
  expect(b!.stdout, `the copy ${from} -> ${to} differs`).toBe(a!.stdout);
}

/** A shell pipeline on this machine (both ends are `uxsv lab ssh`). */
function runShell(cmd: string): Promise<Exec> {
  return new Promise((done) => {
    execFile('/bin/sh', ['-c', cmd], { timeout: 300_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      done({ rc: err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** swaks from the client side to the SMTP server at `address`. */
async function send(address: string, to: string, body: string): Promise<void> {
  const res = await labExec(
    `swaks --to ${to} --from tester@example.net --server ${address} --timeout 20 --header 'Subject: ${body}' --body 'hello ${body}'`,
    60_000,
  );
  expect(res.rc, `${res.stdout}\n${res.stderr}`).toBe(0);
  expect(res.stdout).toMatch(/250 2\.0\.0 Ok: queued/);
}

/** The POP3 listing (`N size` lines) of a user's mailbox at `address`. */
async function popList(address: string, user: User): Promise<number[]> {
  const res = await labExec(`curl -sS --max-time 10 pop3://${address}/ -u ${user}:${USERS[user]}`, 30_000);
  expect(res.rc, `POP3 list for ${user} at ${address}: ${res.stderr}`).toBe(0);
  return res.stdout.split(/\r?\n/).map((l) => /^(\d+) \d+$/.exec(l.trim())).filter((m) => m !== null).map((m) => Number(m![1]));
}

/** Whether a message containing `text` is in the user's mailbox (newest first). */
async function popHas(address: string, user: User, text: string): Promise<boolean> {
  const numbers = await popList(address, user);
  for (const n of numbers.reverse().slice(0, 20)) {
    const res = await labExec(`curl -sS --max-time 10 pop3://${address}/${n} -u ${user}:${USERS[user]}`, 30_000);
    expect(res.rc, res.stderr).toBe(0);
    if (res.stdout.includes(text)) return true;
  }
  return false;
}

/** Waits (bounded: about 40 s) until every user has a message with `text` at `address`. */
async function expectDelivered(address: string, users: User[], text: string): Promise<void> {
  const missing = new Set(users);
  for (let attempt = 0; attempt < 20 && missing.size > 0; attempt++) {
    if (attempt > 0) await sleep(2000);
    for (const user of [...missing]) if (await popHas(address, user, text)) missing.delete(user);
  }
  expect([...missing], `no message "${text}" at ${address} for`).toEqual([]);
}

/** A TCP connection from the client side to address:port succeeds. */
async function reachable(address: string, port: number): Promise<boolean> {
  const res = await labExec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${address}/${port}'`, 20_000);
  return res.rc === 0;
}

/** The mail host of the mode listens on 25 and 110; the others do not, and have everything off. */
async function expectServedBy(host: Host, others: Host[]): Promise<void> {
  expect(await reachable(HOSTS[host], 25), `${host}:25`).toBe(true);
  expect(await reachable(HOSTS[host], 110), `${host}:110`).toBe(true);
  const here = await onHost(host, 'systemctl is-enabled postfix.service dovecot.service; test -f /etc/cron.d/uxsv-mlmmj && echo cron', 120_000);
  expect(here.stdout.split('\n').filter(Boolean)).toEqual(['enabled', 'enabled', 'cron']);
  for (const other of others) {
    expect(await reachable(HOSTS[other], 25), `${other}:25 answers`).toBe(false);
    expect(await reachable(HOSTS[other], 110), `${other}:110 answers`).toBe(false);
    const ss = await onHost(other, 'ss -ltnH', 120_000);
    expect(ss.rc, ss.stderr).toBe(0);
    expect(ss.stdout, `${other} listens on 25/110/995`).not.toMatch(/:(25|110|995)\s/);
    const off = await onHost(other, 'systemctl is-active postfix.service postfix@-.service dovecot.service; systemctl is-enabled postfix.service dovecot.service; test -f /etc/cron.d/uxsv-mlmmj && echo cron', 120_000);
    expect(off.stdout.split('\n').filter(Boolean), `${other}`).toEqual(['inactive', 'inactive', 'inactive', 'disabled', 'disabled']);
  }
}

describe.skipIf(!LAB)('role mail', () => {
  const sent: Record<string, string> = {};
  let degraded = false;
  let normalAgain = false;

  afterAll(async () => {
    // A failure half way: put the data back on uxsv01 and the lab in normal mode.
    if (degraded && !normalAgain) {
      await onHost('uxsv02', 'systemctl stop postfix.service dovecot.service', 120_000);
      await copyData('uxsv02', 'uxsv01').catch(() => undefined);
      await play('-e', 'cluster_mode=normal');
    }
  }, 900_000);

  it('applies in normal mode on all three hosts, idempotently', async () => {
    await converge('normal', ALL_HOSTS);
  });

  it('serves SMTP and POP3 on uxsv01 only', async () => {
    await expectServedBy('uxsv01', ['uxsv02', 'uxsv03']);
  });

  it('delivers mail from a client to a Maildir, readable over POP3', async () => {
    sent.normal = token('normal');
    await send(HOSTS.uxsv01, 'alice@example.jp', sent.normal);
    await expectDelivered(HOSTS.uxsv01, ['alice'], sent.normal);
    const files = await onHost('uxsv01', `grep -rl -- ${sent.normal} /srv/mail/vhosts/example.jp/alice | xargs stat -c %U`, 120_000);
    expect(files.stdout.trim(), 'the Maildir file is owned by vmail').toBe('vmail');
  });

  it('distributes a post to staff@example.jp to every subscriber', async () => {
    const post = token('list');
    await send(HOSTS.uxsv01, 'staff@example.jp', post);
    await expectDelivered(HOSTS.uxsv01, ['alice', 'bob', 'carol'], post);
    const subs = await onHost('uxsv01', '/usr/bin/mlmmj-list -L /srv/ml/staff | sort', 120_000);
    expect(subs.stdout.trim().split('\n')).toEqual(['alice@example.jp', 'bob@example.jp', 'carol@example.jp']);
  });

  it('moves to uxsv02 in degraded-uxsv01 mode, with the mail data', async () => {
    // uxsv01 "fails": its daemons stop; its data goes to uxsv02 (the mirror's job).
    const stop = await onHost('uxsv01', 'systemctl stop postfix.service dovecot.service', 120_000);
    expect(stop.rc, stop.stderr).toBe(0);
    degraded = true;
    await copyData('uxsv01', 'uxsv02');
    await converge('degraded-uxsv01', ['uxsv02', 'uxsv03']);
    await expectServedBy('uxsv02', ['uxsv03']);
    expect(await reachable(HOSTS.uxsv01, 25)).toBe(false);

    // The mail delivered on uxsv01 is there, and new mail and list posts arrive.
    await expectDelivered(HOSTS.uxsv02, ['alice'], sent.normal!);
    sent.degraded = token('degraded');
    await send(HOSTS.uxsv02, 'bob@example.jp', sent.degraded);
    await expectDelivered(HOSTS.uxsv02, ['bob'], sent.degraded);
    const post = token('degraded-list');
    await send(HOSTS.uxsv02, 'staff@example.jp', post);
    await expectDelivered(HOSTS.uxsv02, ['alice', 'bob', 'carol'], post);
  });

  it('returns to normal: the data comes back to uxsv01, which serves again', async () => {
    const stop = await onHost('uxsv02', 'systemctl stop postfix.service dovecot.service', 120_000);
    expect(stop.rc, stop.stderr).toBe(0);
    await copyData('uxsv02', 'uxsv01');
    await converge('normal', ALL_HOSTS);
    normalAgain = true;
    await expectServedBy('uxsv01', ['uxsv02', 'uxsv03']);
    await expectDelivered(HOSTS.uxsv01, ['bob'], sent.degraded!);
    const back = token('back');
    await send(HOSTS.uxsv01, 'carol@example.jp', back);
    await expectDelivered(HOSTS.uxsv01, ['carol'], back);
  });
});
