/**
 * known_hosts: one host's key in a known_hosts file, ported from Ansible's
 * known_hosts.py: `ssh-keygen -F` finds the host's lines; a line with the same
 * key type but another key is replaced; hash_host writes a hashed host name.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { quote } from '../../connection/quote.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, pick, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { contentSections, pathWord } from '../../facts/content.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';

export interface KnownHostsArgs {
  name: string;
  host?: string;
  key?: string;
  path?: string;
  hash_host?: unknown;
  state?: 'present' | 'absent';
}

export interface KnownHostsState {
  path: string;
  exists: boolean;
  content: string;
  /** ssh-keygen -F output and rc (when the file exists). */
  found?: { out: string; rc: number };
}

interface NormalizedKey {
  options?: string;
  host: string;
  type: string;
  key: string;
}

export function normalizeKnownHostsKey(line: string): NormalizedKey {
  const k = line.trim().split(/\s+/);
  if (k[0]!.startsWith('@')) return { options: k[0], host: k[1]!, type: k[2]!, key: k[3]! };
  return { host: k[0]!, type: k[1]!, key: k[2]! };
}

function sameKey(a: NormalizedKey, b: NormalizedKey): boolean {
  return a.options === b.options && a.host === b.host && a.type === b.type && a.key === b.key;
}

export interface HostKeySearch {
  found: boolean;
  replaceOrAdd: boolean;
  foundLine?: number;
  error?: string;
}

/** known_hosts.py's search_for_host_key, on ssh-keygen -F output. */
export function searchHostKey(state: KnownHostsState, key: string | undefined): HostKeySearch {
  if (!state.exists || !state.found) return { found: false, replaceOrAdd: false };
  const { out, rc } = state.found;
  if (out === '' && (rc === 0 || rc === 1)) return { found: false, replaceOrAdd: false };
  if (rc !== 0) return { found: false, replaceOrAdd: false, error: `ssh-keygen failed (rc=${rc}, stdout='${out}')` };
  if (!key) return { found: true, replaceOrAdd: false };
  const wanted = normalizeKnownHostsKey(key);
  let foundLine: number | undefined;
  for (const l of out.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('#')) {
      const m = /found: line (\d+)/.exec(l);
      if (m) foundLine = Number(m[1]);
      continue;
    }
    const found = normalizeKnownHostsKey(l);
    // An entry already hashed keeps its hash.
    if (wanted.host.startsWith('|1|') && found.host.startsWith('|1|')) wanted.host = found.host;
    if (sameKey(wanted, found)) return { found: true, replaceOrAdd: false, foundLine };
    if (wanted.type === found.type) return { found: true, replaceOrAdd: true, foundLine };
  }
  return { found: true, replaceOrAdd: true };
}

/** OpenSSH's hashed host name: |1|base64(salt)|base64(HMAC-SHA1(salt, host)). */
export function hashHostName(host: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`;
}

/** The file after the change (compute_diff's `after`, which is also what gets written). */
export function newKnownHosts(content: string, search: HostKeySearch, present: boolean, key: string | undefined): string {
  const fileLines: string[] = content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  if ((search.replaceOrAdd || !present) && search.foundLine !== undefined && search.foundLine >= 1 && search.foundLine <= fileLines.length) {
    fileLines.splice(search.foundLine - 1, 1);
  }
  if (present && key && (search.replaceOrAdd || search.foundLine === undefined)) fileLines.push(key);
  return fileLines.join('');
}

/** Hosts in the key's host field (comma separated, maybe `[host]:port`). */
function keyHosts(key: string): string[] {
  return normalizeKnownHostsKey(key).host.split(',');
}

function normalized(args: KnownHostsArgs) {
  const name = String(pick(args as unknown as Record<string, unknown>, 'name', 'host')).toLowerCase();
  let key = args.key;
  if (key && !key.endsWith('\n')) key += '\n';
  return { name, key, present: (args.state ?? 'present') === 'present', hash: toBool(args.hash_host, false) };
}

const knownHostsFact: Fact<{ path: string; host: string }, KnownHostsState> = sectionsFact(
  'ssh.known_hosts',
  ({ path, host }) => ({
    ...contentSections({ path }),
    found: `p=${pathWord(path)}; if [ -f "$p" ]; then ssh-keygen -F ${quote(host)} -f "$p" 2>&1; else true; fi`,
  }),
  (s, { path }) => {
    const resolved = s.path!.out.replace(/\n$/, '') || path;
    const out = s.file!.out;
    const exists = out.startsWith('file\n');
    const state: KnownHostsState = { path: resolved, exists, content: exists ? Buffer.from(out.slice(5).trim(), 'base64').toString('utf8') : '' };
    if (exists) state.found = { out: s.found!.out, rc: s.found!.rc };
    return state;
  },
);

async function readKnownHosts(ctx: ModuleContext, args: KnownHostsArgs): Promise<KnownHostsState> {
  return readFact(ctx, knownHostsFact, { path: args.path ?? '~/.ssh/known_hosts', host: normalized(args).name });
}

export function planKnownHosts(ctx: ModuleContext, args: KnownHostsArgs, state: KnownHostsState): Plan {
  const a = normalized(args);
  let key = a.key;
  if (key && /\S+(\s+)?,(\s+)?/.test(a.name)) {
    return { changed: false, failed: true, msg: 'Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.' };
  }
  if (key) {
    const hosts = keyHosts(key);
    const plain = hosts.some((h) => h.toLowerCase() === a.name);
    const hashedMatch = hosts.some((h) => h.startsWith('|1|') && hashedMatches(h, a.name));
    if (!plain && !hashedMatch) {
      // Ansible asks ssh-keygen -F and says this whatever the host field looks like.
      return { changed: false, failed: true, msg: 'Host parameter does not match hashed host field in supplied key' };
    }
    if (a.hash && !hosts[0]!.startsWith('|1|')) {
      const k = normalizeKnownHostsKey(key);
      key = `${k.options ? `${k.options} ` : ''}${hashHostName(a.name)} ${k.type} ${k.key}\n`;
    }
  }
  if (a.present && !key) return { changed: false, failed: true, msg: 'No key specified when adding a host' };
  const search = searchHostKey(state, key);
  if (search.error) return { changed: false, failed: true, msg: search.error };
  const removeHost = !a.present && !key && search.found;
  const after = removeHost ? removeHostLines(state) : newKnownHosts(state.content, search, a.present, key);
  // Ansible's compute_diff: always part of the result, as a dict.
  const diff = { before_header: state.exists ? state.path : '/dev/null', after_header: state.path, before: state.content, after };
  const result = { name: a.name, key: args.key ?? null, path: state.path, hash_host: a.hash, state: a.present ? 'present' : 'absent', diff };
  // Removing a key that is not there: nothing to do.
  if (!a.present && search.foundLine === undefined && key) return { changed: false, result };
  const changed = search.replaceOrAdd || a.present !== search.found;
  return {
    changed,
    result,
    diff: [diff],
    // As Ansible: a link at the file is replaced by the file, never written through.
    apply: changed ? async () => { await writeFileAtomic(ctx, state.path, after, { followLink: false, ...(state.exists ? {} : { mode: '0644' }) }); } : undefined,
  };
}

/** What `ssh-keygen -R host` leaves: the file minus the lines ssh-keygen -F reported. */
function removeHostLines(state: KnownHostsState): string {
  const drop = new Set<number>();
  for (const m of (state.found?.out ?? '').matchAll(/found: line (\d+)/g)) drop.add(Number(m[1]));
  const fileLines = state.content.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return fileLines.filter((_, i) => !drop.has(i + 1)).join('');
}

function hashedMatches(hashed: string, host: string): boolean {
  const [, , salt, hash] = hashed.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64') === hash;
}

export const knownHosts: Module<KnownHostsArgs, KnownHostsState> = {
  name: 'known_hosts',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      host: { type: 'string' },
      key: { type: 'string' },
      path: { type: 'string' },
      hash_host: boolSchema,
      state: { enum: ['present', 'absent'] },
    },
    anyOf: [{ required: ['name'] }, { required: ['host'] }],
  },
  doc: {
    description:
      'Adds or removes a host key in a known_hosts file (default ~/.ssh/known_hosts of the user running the task) like ' +
      'Ansible\'s known_hosts. `key` is a full known_hosts line whose host field must contain `name` (use `[host]:port` ' +
      'for another port). A line of the same key type with a different key is replaced. state=absent without key ' +
      'removes all of the host\'s lines. hash_host writes a hashed host name.',
    returns: { path: 'the known_hosts file', name: 'the host' },
    example: '- name: Trust uxsv02\'s host key\n  known_hosts:\n    name: 198.51.100.12\n    key: "198.51.100.12 ssh-ed25519 AAAA..."\n',
  },
  read: readKnownHosts,
  plan: planKnownHosts,
};
