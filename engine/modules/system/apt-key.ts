/**
 * apt_key: an OpenPGP key in apt's keyring through apt-key, as Ansible's
 * apt_key: the key id comes from `id` or from the key itself (gpg
 * --with-colons on the data, file or downloaded url), the keyring is listed
 * with `apt-key adv --list-public-keys --keyid-format=long`, all in one read.
 */
import { quote } from '../../connection/quote.js';
import { readFact } from '../../facts/index.js';
import { lines, sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { boolSchema } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface AptKeyArgs {
  id?: string;
  url?: string;
  data?: string;
  file?: string;
  keyring?: string;
  keyserver?: string;
  validate_certs?: unknown;
  state?: 'present' | 'absent';
}

export interface AptKeyState {
  binaries: { aptKey: boolean; gpg: boolean };
  /** Key ids listed by apt-key (long form). */
  keys: string[];
  listError?: string;
  /** The key id read from the data/file/url (when no id was given). */
  keyIdFromKey?: string;
  keyError?: string;
}

/** Ansible's parse_output_for_keys: ids of pub/sub lines (apt-key's "pub rsa4096/ID" or gpg's colon format). */
export function parseKeyIds(output: string, short = false): string[] {
  const found: string[] = [];
  for (const line of output.split('\n')) {
    if (!(line.startsWith('pub') || line.startsWith('sub')) || line.includes('expired')) continue;
    const tokens = line.split(/\s+/).filter(Boolean);
    const code = tokens[1]?.split('/');
    if (code && code.length === 2) found.push(code[1]!);
    else {
      const colon = line.split(':');
      if (colon.length > 4) found.push(colon[4]!);
    }
  }
  return short ? found.map((k) => k.slice(-8)) : found;
}

/** Ansible's parse_key_id: [short id, the id compared with the listing, the id as given]. */
export function parseKeyId(keyId: string): { short: string; fingerprint: string; id: string } {
  let id = keyId.toUpperCase();
  if (!/^(0X)?[0-9A-F]+$/.test(id)) throw new Error('Invalid key_id');
  if (id.startsWith('0X')) id = id.slice(2);
  if (id.length !== 8 && id.length !== 16 && id.length <= 16) throw new Error('key_id must be 8, 16, or 16+ hexadecimal characters in length');
  return { short: id.slice(-8), fingerprint: id.length > 16 ? id.slice(-16) : id, id };
}

function keyringWords(keyring: string | undefined): string {
  return keyring !== undefined ? ` --keyring ${quote(keyring)}` : '';
}

/** A shell pipeline printing the key's bytes (the url downloaded on the host, as Ansible's fetch_url does). */
function keySource(args: AptKeyArgs): string | undefined {
  if (args.url !== undefined) {
    const insecure = args.validate_certs === false ? ' -k' : '';
    const wgetInsecure = args.validate_certs === false ? ' --no-check-certificate' : '';
    const u = quote(args.url);
    return `if command -v curl >/dev/null 2>&1; then curl -fsSL${insecure} -- ${u}; else wget -q${wgetInsecure} -O - -- ${u}; fi`;
  }
  if (args.file !== undefined) return `cat -- ${quote(args.file)}`;
  return undefined;
}

const aptKeyFact: Fact<{ args: AptKeyArgs }, AptKeyState> = sectionsFact(
  'apt.keys',
  ({ args }) => {
    const sections: Record<string, string> = {
      bins: 'command -v apt-key >/dev/null 2>&1 && echo apt-key; command -v gpg >/dev/null 2>&1 && echo gpg; true',
      keys: `LANG=C LC_ALL=C apt-key${keyringWords(args.keyring)} adv --list-public-keys --keyid-format=long 2>&1`,
    };
    const source = keySource(args);
    if (!args.id && (source || args.data !== undefined)) {
      // The data is given on stdin by the reader: here only a file or a url.
      sections.keyid = source ? `{ ${source}; } | LANG=C LC_ALL=C gpg --with-colons 2>&1` : 'true';
    }
    return sections;
  },
  (s) => {
    const bins = lines(s.bins!.out);
    const state: AptKeyState = { binaries: { aptKey: bins.includes('apt-key'), gpg: bins.includes('gpg') }, keys: [] };
    if (s.keys!.rc !== 0) state.listError = s.keys!.out.trim();
    else state.keys = parseKeyIds(s.keys!.out);
    if (s.keyid) {
      if (s.keyid.rc !== 0) state.keyError = s.keyid.out.trim();
      else state.keyIdFromKey = parseKeyIds(s.keyid.out)[0];
    }
    return state;
  },
);

async function readAptKey(ctx: ModuleContext, args: AptKeyArgs): Promise<AptKeyState> {
  const state = await readFact(ctx, aptKeyFact, { args });
  if (!args.id && args.data !== undefined && args.url === undefined && args.file === undefined) {
    const res = await ctx.run('LANG=C LC_ALL=C gpg --with-colons 2>&1', { stdin: args.data });
    if (res.rc !== 0) state.keyError = res.stdout.toString().trim();
    else state.keyIdFromKey = parseKeyIds(res.stdout.toString())[0];
  }
  return state;
}

export function planAptKey(ctx: ModuleContext, args: AptKeyArgs, state: AptKeyState): Plan {
  const given = [args.data, args.file, args.keyserver, args.url].filter((v) => v !== undefined).length;
  if (given > 1) return { changed: false, failed: true, msg: 'parameters are mutually exclusive: data|file|keyserver|url' };
  if (!state.binaries.aptKey) return { changed: false, failed: true, msg: 'Failed to find required executable "apt-key" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  if (!state.binaries.gpg) return { changed: false, failed: true, msg: 'Failed to find required executable "gpg" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  if (!args.id && args.keyserver) return { changed: false, failed: true, msg: 'Missing key_id, required with keyserver.' };
  if (state.keyError) return { changed: false, failed: true, msg: `Unable to extract key from '${args.file ?? (args.url ? args.url : 'inline data')}'`, result: { stderr: state.keyError } };
  const keyId = args.id ?? state.keyIdFromKey;
  const r: Record<string, unknown> = { id: keyId ?? null };
  let parsed: ReturnType<typeof parseKeyId>;
  try {
    parsed = parseKeyId(keyId ?? '');
  } catch {
    return { changed: false, failed: true, msg: 'Invalid key_id', result: r };
  }
  Object.assign(r, { short_id: parsed.short, fp: parsed.fingerprint, key_id: parsed.id });
  if (state.listError !== undefined) return { changed: false, failed: true, msg: 'Unable to list public keys', result: { ...r, stderr: state.listError } };
  const shortFormat = parsed.id.length === 8;
  const keys = shortFormat ? state.keys.map((k) => k.slice(-8)) : state.keys;
  r.before = keys;
  const kr = keyringWords(args.keyring);
  const present = (args.state ?? 'present') === 'present';
  let command: string | undefined;
  let stdin: string | undefined;
  if (present) {
    if (!keys.includes(shortFormat ? parsed.short : parsed.fingerprint)) {
      if (args.file !== undefined) command = `apt-key${kr} add ${quote(args.file)}`;
      else if (args.keyserver !== undefined) command = `LANG=C LC_ALL=C apt-key${kr} adv --no-tty --keyserver ${quote(args.keyserver)} --recv ${quote(parsed.id)}`;
      else if (args.data !== undefined) {
        command = `apt-key${kr} add -`;
        stdin = args.data;
      } else if (args.url !== undefined) command = `{ ${keySource(args)}; } | apt-key${kr} add -`;
      else return { changed: false, failed: true, msg: 'No key to add ... how did i get here?!?!', result: r };
    }
  } else if (keys.includes(parsed.fingerprint)) {
    command = `apt-key${kr} del ${quote(parsed.short)}`;
  }
  if (!command) return { changed: false, result: r };
  return {
    changed: true,
    result: r,
    apply: async () => {
      const attempts = args.keyserver !== undefined ? 5 : 1;
      let res = await runText(ctx, command!, stdin !== undefined ? { stdin } : {});
      for (let i = 1; i < attempts && res.rc !== 0; i++) res = await runText(ctx, command!);
      if (res.rc !== 0) {
        const msg = !present ? `Unable to remove a key with id ${parsed.short}`
          : args.keyserver !== undefined ? `Error fetching key ${parsed.id} from keyserver: ${args.keyserver}`
          : args.file !== undefined ? `Unable to add a key from file ${args.file}` : 'Unable to add a key from binary data';
        return { failed: true, msg, rc: res.rc, stdout: res.stdout, stderr: res.stderr };
      }
      const after = await runText(ctx, `LANG=C LC_ALL=C apt-key${kr} adv --list-public-keys --keyid-format=long 2>&1`);
      const now = parseKeyIds(after.stdout, shortFormat);
      const wanted = shortFormat ? parsed.short : parsed.fingerprint;
      if (present !== now.includes(wanted)) {
        return { failed: true, after: now, msg: `apt-key did not return an error, but ${present ? 'failed to add the key' : 'the key was not removed'} (check that the id is correct and *not* a subkey)` };
      }
      return { after: now };
    },
  };
}

export const aptKey: Module<AptKeyArgs, AptKeyState> = {
  name: 'apt_key',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      id: { type: 'string', description: 'The key id (8, 16 or more hex digits); read from the key when omitted' },
      url: { type: 'string', description: 'Download the key from this URL (on the host, with curl or wget)' },
      data: { type: 'string', description: 'The key itself' },
      file: { type: 'string', description: 'A key file on the host' },
      keyring: { type: 'string', description: 'A keyring file (apt-key --keyring)' },
      keyserver: { type: 'string', description: 'Receive the key from this keyserver (needs id)' },
      validate_certs: { ...boolSchema, description: 'Check the URL\'s certificate (default true)' },
      state: { enum: ['present', 'absent'] },
    },
  },
  doc: {
    description:
      'Adds or removes an OpenPGP key in apt\'s keyring with apt-key, like Ansible\'s apt_key (apt-key and gpg must be on ' +
      'the host). The key is identified by `id` or read from data/file/url with gpg; present when its id is listed by ' +
      '`apt-key adv --list-public-keys`.',
    returns: { id: 'the id used', short_id: 'its last 8 digits', fp: 'the id compared (last 16 digits)', key_id: 'the id as given', before: 'keys before', after: 'keys after (when changed)' },
    example: '- name: Trust the local mirror\'s key\n  apt_key:\n    file: /etc/uxsv/mirror.asc\n',
  },
  read: readAptKey,
  plan: planAptKey,
};
