/**
 * OpenSSH known_hosts: reading, matching a host (plain, wildcard, negated and
 * hashed `|1|salt|hash` names, `[host]:port` for ports other than 22),
 * comparing keys by their base64 blob, and appending new hosts.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  /** 1-based line in the file, for messages. */
  line: number;
  /** The comma-separated host patterns (or one hashed name). */
  names: string;
  keyType: string;
  /** The key blob, base64 as in the file. */
  blob: string;
  marker?: '@revoked' | '@cert-authority';
}

export type HostKeyCheck =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** The name OpenSSH looks up and records: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    const [names, keyType, blob] = fields;
    if (!names || !keyType || !blob) return;   // malformed lines are skipped, as OpenSSH does
    entries.push({ line: index + 1, names, keyType, blob, ...(marker ? { marker } : {}) });
  });
  return entries;
}

export function readKnownHosts(file: string): KnownHostEntry[] {
  if (!existsSync(file)) return [];
  return parseKnownHosts(readFileSync(file, 'utf8'));
}

/** Does the entry's name field match hostName? A matching negated pattern wins over any positive one. */
export function hostMatches(names: string, hostName: string): boolean {
  if (names.startsWith('|1|')) return hashedNameMatches(names, hostName);
  let matched = false;
  for (const pattern of names.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!wildcardMatches(body, hostName)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

function hashedNameMatches(field: string, hostName: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostName).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** `SHA256:` and the unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer | string): string {
  const bytes = typeof blob === 'string' ? Buffer.from(blob, 'base64') : blob;
  return `SHA256:${createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string inside the blob (uint32 length, then the name). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('host key blob too short');
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

export function checkHostKey(entries: KnownHostEntry[], hostName: string, blob: Buffer): HostKeyCheck {
  const offered = blob.toString('base64');
  const mine = entries.filter((e) => e.marker !== '@cert-authority' && hostMatches(e.names, hostName));
  const revoked = mine.find((e) => e.marker === '@revoked' && e.blob === offered);
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.blob === offered);
  if (same) return { status: 'known', entry: same };
  if (plain.length === 0) return { status: 'unknown' };
  // Prefer an entry of the offered type to show the old fingerprint.
  const type = keyTypeOfBlob(blob);
  return { status: 'changed', entry: plain.find((e) => e.keyType === type) ?? plain[0]! };
}

/**
 * ssh2 host key algorithms for the types already known for this host, so the
 * server is asked for a key we can check rather than one of another type.
 */
export function hostKeyAlgorithmsFor(entries: KnownHostEntry[], hostName: string): string[] {
  const types = new Set(
    entries.filter((e) => e.marker === undefined && hostMatches(e.names, hostName)).map((e) => e.keyType),
  );
  const algorithms: string[] = [];
  for (const type of types) {
    if (type === 'ssh-rsa') algorithms.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa');
    else algorithms.push(type);
  }
  return algorithms;
}

/** Record a new host the way OpenSSH does; the file (and its folder) is created private. */
export function appendKnownHost(file: string, hostName: string, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existed = existsSync(file);
  let prefix = '';
  if (existed) {
    const current = readFileSync(file, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  }
  appendFileSync(file, `${prefix}${hostName} ${keyTypeOfBlob(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
  if (!existed) chmodSync(file, 0o600);
}
