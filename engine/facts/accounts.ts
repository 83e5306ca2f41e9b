/**
 * Account facts: passwd, group and shadow entries through getent (so NSS
 * sources count, as Python's pwd/grp modules see them), and any getent
 * database for the getent module.
 */
import { quote } from '../connection/quote.js';
import type { Fact } from './types.js';
import { lines, sectionsFact } from './sections.js';

export interface PasswdEntry {
  name: string;
  password: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface ShadowEntry {
  name: string;
  /** The hash field ('!' or '*' prefixed when locked). */
  hash: string;
  /** Days since the epoch of the last change ('' when unset). */
  lastChange: string;
  min: string;
  max: string;
  warn: string;
  inactive: string;
  /** Account expiry, days since the epoch ('' when none). */
  expire: string;
}

export function parsePasswdLine(line: string): PasswdEntry | undefined {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length < 7 || f[0] === '' || !/^\d+$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) return undefined;
  return { name: f[0]!, password: f[1]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f.slice(6).join(':') };
}

export function parseGroupLines(out: string): GroupEntry[] {
  return lines(out).flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4 || f[0] === '' || !/^\d+$/.test(f[2]!)) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] }];
  });
}

export function parseShadowLine(line: string): ShadowEntry | undefined {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length < 8 || f[0] === '') return undefined;
  return { name: f[0]!, hash: f[1]!, lastChange: f[2]!, min: f[3]!, max: f[4]!, warn: f[5]!, inactive: f[6]!, expire: f[7]! };
}

/** A group by name, or by gid when given digits (Ansible's group_info). */
export function findGroup(groups: GroupEntry[], nameOrGid: string): GroupEntry | undefined {
  return groups.find((g) => g.name === nameOrGid) ?? (/^\d+$/.test(nameOrGid) ? groups.find((g) => g.gid === Number(nameOrGid)) : undefined);
}

export interface AccountState {
  user?: PasswdEntry;
  /** The whole group database. */
  groups: GroupEntry[];
  shadow?: ShadowEntry;
  /** The user's home folder exists. */
  homeExists: boolean;
  /** Whether the ssh key file (given) exists, and its public key text. */
  sshKey?: { exists: boolean; publicKey?: string };
  /** Users already using the uid asked for (non_unique checks). */
}

export interface AccountParams {
  name: string;
  /** A home folder other than the current one, whose existence matters (create_home with a new home). */
  home?: string;
  /** ssh_key_file relative to the home folder, or absolute. */
  sshKeyFile?: string;
}

/** The passwd entry, shadow entry, group database and home of one user, in one command. */
export const accountFact: Fact<AccountParams, AccountState> = sectionsFact(
  'accounts.user',
  ({ name, home, sshKeyFile }) => {
    const n = quote(name);
    const homeExpr = home !== undefined ? quote(home) : `"$(getent passwd -- ${n} | cut -d: -f6)"`;
    const sections: Record<string, string> = {
      passwd: `getent passwd -- ${n}`,
      group: 'getent group',
      shadow: `getent shadow -- ${n}`,
      home: `h=${homeExpr}; if [ -n "$h" ] && [ -e "$h" ]; then echo yes; fi`,
    };
    if (sshKeyFile !== undefined) {
      const key = sshKeyFile.startsWith('/') ? quote(sshKeyFile) : `"$(getent passwd -- ${n} | cut -d: -f6)"/${quote(sshKeyFile)}`;
      sections.sshkey = `k=${key}; if [ -e "$k" ]; then echo yes; cat -- "$k.pub" 2>/dev/null; fi; true`;
    }
    return sections;
  },
  (s) => {
    const state: AccountState = { groups: parseGroupLines(s.group!.out), homeExists: s.home!.out.trim() === 'yes' };
    const user = parsePasswdLine(lines(s.passwd!.out)[0] ?? '');
    if (user) state.user = user;
    const shadow = parseShadowLine(lines(s.shadow!.out)[0] ?? '');
    if (shadow && user) state.shadow = shadow;
    if (s.sshkey) {
      const out = s.sshkey.out;
      state.sshKey = out.startsWith('yes\n') ? { exists: true, publicKey: out.slice(4).trim() || undefined } : { exists: false };
    }
    return state;
  },
);

/** One group by name (never by gid, as grp.getgrnam). */
export const groupFact: Fact<{ name: string }, GroupEntry | undefined> = {
  name: 'accounts.group',
  command: ({ name }) => `getent group -- ${quote(name)}; true`,
  parse: (output, { name }) => parseGroupLines(output.stdout.toString('utf8')).find((g) => g.name === name),
  inline: true,
};

export interface GetentParams {
  database: string;
  key?: string;
  service?: string;
}

export interface GetentResult {
  rc: number;
  stdout: string;
  stderr: string;
}

/** `getent DATABASE [KEY]` as it ran (the getent module interprets rc and output). */
export const getentFact: Fact<GetentParams, GetentResult> = {
  name: 'accounts.getent',
  command: ({ database, key, service }) =>
    `getent${service !== undefined ? ` -s ${quote(service)}` : ''} -- ${quote(database)}${key !== undefined ? ` ${quote(key)}` : ''}`,
  parse: (output) => ({ rc: output.rc, stdout: output.stdout.toString('utf8'), stderr: output.stderr }),
  inline: true,
};
