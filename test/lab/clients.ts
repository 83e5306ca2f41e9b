/**
 * The department's clients, from the lab's client side: dig, dhclient, curl
 * (https and POP3), swaks, chronyd -Q. Every wait is bounded.
 */
import { expect } from 'vitest';
import { HOSTS, dhclientExchange, labExec, type Lease } from '../helpers/lab.js';

export const ADDRESSES = { ...HOSTS, www: '198.51.100.21', www3: '198.51.100.23' } as const;
export const USERS = { alice: 'alice-lab-pw', bob: 'bob-lab-pw', carol: 'carol-lab-pw' } as const;
export type User = keyof typeof USERS;

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 1000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function dig(server: string, name: string, type = 'A'): Promise<string[]> {
  const r = await labExec(`dig +short +time=2 +tries=2 @${server} ${name} ${type}`, 30_000);
  return r.stdout.trim().split('\n').filter(Boolean);
}

export async function soaSerial(server: string, zone = 'example.jp'): Promise<string> {
  const [soa] = await dig(server, zone, 'SOA');
  return soa?.split(/\s+/)[2] ?? '';
}

/** One DHCP exchange with dhclient (-sf /bin/true: the client keeps its static address); the lease file is kept per tag. */
export async function dhcpLease(tag: string): Promise<Lease> {
  const r = await dhclientExchange(`/tmp/uxsv-cluster-dhcp-${tag}`);
  expect(r.rc, r.stdout + r.stderr).toBe(0);
  // The lease file accumulates: the last lease is the newest.
  const { addresses, servers } = r;
  expect(addresses.length, r.stdout).toBeGreaterThan(0);
  return { address: addresses[addresses.length - 1], server: servers[servers.length - 1] };
}

export async function stopDhcpClients(): Promise<void> {
  await labExec('pkill -f "dhclient.*uxsv-cluster-dhcp" || true; rm -f /tmp/uxsv-cluster-dhcp-*', 30_000);
}

/** https GET of a site at its service address; the site's certificate is self-signed in the lab (-k), its name is checked by --resolve. */
export async function httpsGet(site: 'www' | 'www3'): Promise<string> {
  const r = await labExec(`curl -sS -k --max-time 10 --resolve ${site}.example.jp:443:${ADDRESSES[site]} https://${site}.example.jp/`, 30_000);
  return r.rc === 0 ? r.stdout : `curl failed (${r.rc}): ${r.stderr}`;
}

export async function sendMail(server: string, to: string, text: string): Promise<void> {
  const r = await labExec(`swaks --to ${to} --from tester@example.net --server ${server} --timeout 20 --header 'Subject: ${text}' --body 'hello ${text}'`, 60_000);
  expect(r.rc, r.stdout + r.stderr).toBe(0);
}

/** Whether `user`'s POP3 mailbox at `server` holds a message containing `text`. */
export async function popHas(server: string, user: User, text: string): Promise<boolean> {
  const list = await labExec(`curl -sS --max-time 10 pop3://${server}/ -u ${user}:${USERS[user]}`, 30_000);
  if (list.rc !== 0) return false;
  const numbers = list.stdout.trim().split('\n').map((l) => Number(l.split(/\s+/)[0])).filter((n) => n > 0);
  for (const n of numbers.reverse()) {
    const msg = await labExec(`curl -sS --max-time 10 pop3://${server}/${n} -u ${user}:${USERS[user]}`, 30_000);
    if (msg.stdout.includes(text)) return true;
  }
  return false;
}

export async function expectMail(server: string, users: User[], text: string, timeoutMs = 60_000): Promise<void> {
  for (const user of users) await waitUntil(`${text} in ${user}'s mailbox at ${server}`, async () => ((await popHas(server, user, text)) ? true : undefined), timeoutMs, 2000);
}

/** One NTP exchange with chronyd -Q, which measures and never sets this machine's clock. */
export async function ntpAnswers(server: string): Promise<boolean> {
  const r = await labExec(`chronyd -Q -f /dev/null -t 10 'server ${server} iburst maxsamples 1'`, 30_000);
  return r.rc === 0 && /clock wrong by/.test(r.stdout + r.stderr);
}
