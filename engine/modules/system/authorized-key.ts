/**
 * authorized_key: SSH public keys in a user's authorized_keys, ported from
 * Ansible's authorized_key.py: keys are identified by their base64 blob, lines
 * that are not keys are kept in place, new keys go after the existing ones,
 * and a rewritten key line is `options type blob comment` (with Ansible's
 * trailing space when there is no comment).
 */
import { quote } from '../../connection/quote.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runChecked, lines } from './util.js';
import { pathWord } from '../../facts/content.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { parsePasswdLine as parsePasswd, type PasswdEntry } from '../../facts/accounts.js';

const KEY_TYPES = new Set([
  'sk-ecdsa-sha2-nistp256@openssh.com', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com', 'sk-ssh-ed25519-cert-v01@openssh.com',
  'ssh-ed25519', 'ssh-ed25519-cert-v01@openssh.com',
  'ssh-dss', 'ssh-rsa', 'ssh-xmss@openssh.com', 'ssh-xmss-cert-v01@openssh.com',
  'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', 'ssh-dss-cert-v01@openssh.com',
]);

/** Options in order; a value of null is a flag (`no-pty`). Duplicate keys keep the last value. */
export type KeyOptions = Map<string, string | null>;

/** A parsed line: a key (blob, type, options, comment) or a line kept as is ('skipped'). */
export interface KeyEntry {
  id: string;
  type: string;
  options?: KeyOptions;
  comment?: string;
  rank: number;
}

export function parseOptions(options: string | undefined): KeyOptions | undefined {
  if (!options) return undefined;
  const dict: KeyOptions = new Map();
  for (const m of options.matchAll(/((?:[^,"']|"[^"]*"|'[^']*')+)/g)) {
    const part = m[1]!;
    const eq = part.indexOf('=');
    if (eq >= 0) dict.set(part.slice(0, eq), part.slice(eq + 1));
    else dict.set(part, null);
  }
  return dict;
}

/** authorized_key.py's parsekey; undefined for a line that holds no key. */
export function parseKey(raw: string, rank: number): KeyEntry | undefined {
  const line = raw.replace(/\\#/g, '#');
  const parts = line.split(/\s+/).filter(Boolean);
  if (parts[0] === '#') return { id: line, type: 'skipped', rank };
  const typeIndex = parts.findIndex((p) => KEY_TYPES.has(p));
  if (typeIndex < 0 || parts[typeIndex + 1] === undefined) return undefined;
  const options = typeIndex > 0 ? parseOptions(parts.slice(0, typeIndex).join(' ')) : undefined;
  return { id: parts[typeIndex + 1]!, type: parts[typeIndex]!, options, comment: parts.slice(typeIndex + 2).join(' '), rank };
}

/** The file's lines by id (the key blob, or the line itself); later duplicates win, as in a Python dict. */
export function parseKeys(content: string): Map<string, KeyEntry> {
  const keys = new Map<string, KeyEntry>();
  const rawLines = content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  rawLines.forEach((line, rank) => {
    const entry = parseKey(line, rank) ?? { id: line, type: 'skipped', rank };
    keys.set(entry.id, entry);
  });
  return keys;
}

function sameOptions(a: KeyOptions | undefined, b: KeyOptions | undefined): boolean {
  const x = a ?? new Map();
  const y = b ?? new Map();
  if (x.size !== y.size) return false;
  for (const [k, v] of x) if (!y.has(k) || y.get(k) !== v) return false;
  return true;
}

function sameKey(a: KeyEntry, b: KeyEntry): boolean {
  return a.id === b.id && a.type === b.type && sameOptions(a.options, b.options) && (a.comment ?? null) === (b.comment ?? null);
}

export function serializeKeys(keys: Map<string, KeyEntry>): string {
  const ordered = [...keys.values()].sort((a, b) => a.rank - b.rank);
  return ordered.map((key) => {
    if (key.type === 'skipped') return key.id.endsWith('\n') ? key.id : `${key.id}\n`;
    const options = key.options && key.options.size > 0
      ? `${[...key.options].map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(',')} `
      : '';
    return `${options}${key.type} ${key.id} ${key.comment ?? ''}\n`;
  }).join('');
}

export interface AuthorizedKeyArgs {
  user: string;
  key: string;
  path?: string;
  manage_dir?: unknown;
  state?: 'present' | 'absent';
  exclusive?: unknown;
  key_options?: string;
  comment?: string;
  follow?: unknown;
  validate_certs?: unknown;
}

export interface KeyFileState {
  user?: PasswdEntry;
  path: string;
  exists: boolean;
  content: string;
}

/** authorized_key.py's enforce_state without writing: the new content, or an error. */
export function enforceKeys(args: AuthorizedKeyArgs, existingContent: string): { write: boolean; content: string; error?: string } {
  const present = (args.state ?? 'present') === 'present';
  const existing = parseKeys(existingContent);
  const newKeys = args.key.split(/\r?\n/).filter((s) => s && !s.startsWith('#'));
  const keysToExist: string[] = [];
  const maxRank = existing.size;
  let write = false;
  for (const [rankIndex, newKey] of newKeys.entries()) {
    let parsed = parseKey(newKey, rankIndex);
    if (!parsed || parsed.type === 'skipped') return { write: false, content: existingContent, error: `invalid key specified: ${newKey}` };
    if (args.key_options !== undefined && args.key_options !== null) parsed = { ...parsed, options: parseOptions(args.key_options) };
    if (args.comment !== undefined && args.comment !== null) parsed = { ...parsed, comment: args.comment };
    const current = existing.get(parsed.id);
    let matched = false;
    let nonMatching = false;
    if (current) {
      if (!sameKey(parsed, current) && present) nonMatching = true;
      else matched = true;
    }
    if (present) {
      keysToExist.push(parsed.id);
      if (nonMatching) {
        existing.delete(parsed.id);
        write = true;
      }
      if (!matched) {
        existing.set(parsed.id, { ...parsed, rank: maxRank + parsed.rank });
        write = true;
      }
    } else if (matched) {
      existing.delete(parsed.id);
      write = true;
    }
  }
  if (present && toBool(args.exclusive, false)) {
    for (const id of [...existing.keys()]) {
      if (!keysToExist.includes(id)) {
        existing.delete(id);
        write = true;
      }
    }
  }
  return { write, content: write ? serializeKeys(existing) : existingContent };
}


const keyFileFact: Fact<{ user: string; path?: string; follow: boolean }, KeyFileState> = sectionsFact(
  'ssh.authorized_keys',
  ({ user, path, follow }) => {
    const u = quote(user);
    const pathExpr = path === undefined ? `"$(getent passwd -- ${u} | cut -d: -f6)/.ssh/authorized_keys"` : pathWord(path);
    return {
      passwd: `getent passwd -- ${u}`,
      file: `p=${pathExpr}; ${follow ? 'p=$(readlink -f -- "$p")' : 'true'}; printf '%s\\n' "$p"; if [ -f "$p" ]; then echo yes; base64 -w0 < "$p"; fi`,
    };
  },
  (s) => {
    const user = parsePasswd(lines(s.passwd!.out)[0] ?? '');
    const body = s.file!.out;
    const nl = body.indexOf('\n');
    const path = body.slice(0, nl);
    const rest = body.slice(nl + 1);
    if (rest.startsWith('yes\n')) return { user, path, exists: true, content: Buffer.from(rest.slice(4).trim(), 'base64').toString('utf8') };
    return { user, path, exists: false, content: '' };
  },
);

async function readKeyFile(ctx: ModuleContext, args: AuthorizedKeyArgs): Promise<KeyFileState> {
  return readFact(ctx, keyFileFact, { user: args.user, ...(args.path ? { path: args.path } : {}), follow: toBool(args.follow, false) });
}

export function planAuthorizedKey(ctx: ModuleContext, args: AuthorizedKeyArgs, state: KeyFileState): Plan {
  if (!state.user) return { changed: false, failed: true, msg: `Failed to lookup user ${args.user}` };
  if (/^https?:/.test(args.key)) return { changed: false, failed: true, msg: 'keys from URLs are not supported: give the key text' };
  const outcome = enforceKeys(args, state.content);
  if (outcome.error) return { changed: false, failed: true, msg: outcome.error };
  const manageDir = toBool(args.manage_dir, true);
  const result = {
    user: args.user, key: args.key, key_options: args.key_options ?? null, keyfile: state.path, path: args.path ?? null,
    manage_dir: manageDir, state: args.state ?? 'present', exclusive: toBool(args.exclusive, false), comment: args.comment ?? null,
  };
  const diff = [{ before_header: state.path, after_header: state.path, before: state.content, after: outcome.content }];
  if (!outcome.write) return { changed: false, result, diff };
  const entry = state.user;
  return {
    changed: true,
    result,
    diff,
    apply: async () => {
      if (manageDir) {
        const ssh = quote(`${entry.home}/.ssh`);
        await runChecked(ctx, `{ [ -d ${ssh} ] || mkdir -m 0700 -- ${ssh}; } && chown ${entry.uid}:${entry.gid} -- ${ssh} && chmod 0700 -- ${ssh}`, 'creating .ssh');
      }
      // As Ansible: a link at the key file is replaced by the file; with follow, state.path is already the link's target.
      await writeFileAtomic(ctx, state.path, outcome.content, {
        mode: '0600', owner: String(entry.uid), group: String(entry.gid), createParents: true, followLink: false,
      });
    },
  };
}

export const authorizedKey: Module<AuthorizedKeyArgs, KeyFileState> = {
  name: 'authorized_key',
  aliases: ['ansible.posix.authorized_key'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['user', 'key'],
    properties: {
      user: { type: 'string' },
      key: { type: 'string' },
      path: { type: 'string' },
      manage_dir: boolSchema,
      state: { enum: ['present', 'absent'] },
      exclusive: boolSchema,
      key_options: { type: 'string' },
      comment: { type: 'string' },
      follow: boolSchema,
      validate_certs: boolSchema,
    },
  },
  doc: {
    description:
      'Adds or removes SSH public keys in a user\'s authorized_keys like Ansible\'s authorized_key. `key` may hold ' +
      'several lines. Keys are matched by their base64 blob; a key present with other options or comment is rewritten; ' +
      'new keys go after the existing lines; exclusive removes every other line. With manage_dir (default true) ~/.ssh ' +
      'is created 0700 and owned by the user; the file is written 0600 owned by the user. Keys from URLs are not supported.',
    returns: { keyfile: 'the authorized_keys path', user: 'the user', state: 'present or absent' },
    example: '- name: Let uxsv01 push mirrors\n  authorized_key:\n    user: root\n    key: "{{ lookup(\'file\', \'mirror_ed25519.pub\') }}"\n    key_options: \'from="198.51.100.11"\'\n',
  },
  read: readKeyFile,
  plan: planAuthorizedKey,
};
