import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost, checkHostKey, fingerprint, hostKeyAlgorithmsFor, hostMatches, keyTypeOfBlob, knownHostName, parseKnownHosts,
} from '../../../engine/connection/known-hosts.js';

// A real ed25519 public key and its fingerprint as printed by `ssh-keygen -l`.
const BLOB = 'AAAAC3NzaC1lZDI1NTE5AAAAICpaZ73I9YpWQe0CMdle9mw3W0INzh+hzrJqIbfwVrbY';
const FINGERPRINT = 'SHA256:O2XycD+BVhK4s3y6NspIZxpViPeGosw68KhxS2/8IXQ';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIOtherKeyOtherKeyOtherKeyOtherKeyOtherKey0';
const key = Buffer.from(BLOB, 'base64');

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdefghij');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uxsv-kh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('computes OpenSSH fingerprints and key types', () => {
    expect(fingerprint(key)).toBe(FINGERPRINT);
    expect(fingerprint(BLOB)).toBe(FINGERPRINT);
    expect(keyTypeOfBlob(key)).toBe('ssh-ed25519');
  });

  it('names non-standard ports in brackets', () => {
    expect(knownHostName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('parses entries with line numbers, skipping comments, blanks and malformed lines', () => {
    const entries = parseKnownHosts(`# c\n\nweb1,10.0.0.1 ssh-ed25519 ${BLOB} comment\nbroken-line\n@revoked * ssh-rsa AAAA\n`);
    expect(entries).toEqual([
      { line: 3, names: 'web1,10.0.0.1', keyType: 'ssh-ed25519', blob: BLOB },
      { line: 5, names: '*', keyType: 'ssh-rsa', blob: 'AAAA', marker: '@revoked' },
    ]);
  });

  it('matches plain, comma-separated, wildcard, negated and hashed names', () => {
    expect(hostMatches('web1,10.0.0.1', '10.0.0.1')).toBe(true);
    expect(hostMatches('web1,10.0.0.1', '10.0.0.10')).toBe(false);
    expect(hostMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222')).toBe(true);
    expect(hostMatches('[10.0.0.1]:2222', '10.0.0.1')).toBe(false);
    expect(hostMatches('*.example.jp', 'ns1.example.jp')).toBe(true);
    expect(hostMatches('*.example.jp,!bad.example.jp', 'bad.example.jp')).toBe(false);
    expect(hostMatches('web?', 'web1')).toBe(true);
    expect(hostMatches(hashed('[127.0.0.1]:2222'), '[127.0.0.1]:2222')).toBe(true);
    expect(hostMatches(hashed('[127.0.0.1]:2222'), '127.0.0.1')).toBe(false);
  });

  it('tells known, unknown, changed and revoked keys apart', () => {
    const entries = parseKnownHosts([
      `other ssh-ed25519 ${OTHER}`,
      `${hashed('web1')} ssh-ed25519 ${BLOB}`,
      `web2 ssh-ed25519 ${OTHER}`,
      `@revoked web3 ssh-ed25519 ${BLOB}`,
      `web3 ssh-ed25519 ${BLOB}`,
      `@cert-authority web4 ssh-ed25519 ${BLOB}`,
    ].join('\n'));
    expect(checkHostKey(entries, 'web1', key)).toMatchObject({ status: 'known', entry: { line: 2 } });
    expect(checkHostKey(entries, 'web2', key)).toMatchObject({ status: 'changed', entry: { line: 3, blob: OTHER } });
    expect(checkHostKey(entries, 'web3', key)).toMatchObject({ status: 'revoked', entry: { line: 4 } });
    expect(checkHostKey(entries, 'web4', key)).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, 'nobody', key)).toEqual({ status: 'unknown' });
  });

  it('asks the server for the key types already known for the host', () => {
    const entries = parseKnownHosts(`h ssh-rsa AAAA\nh ssh-ed25519 ${BLOB}\nx ecdsa-sha2-nistp256 AAAA`);
    expect(hostKeyAlgorithmsFor(entries, 'h')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(hostKeyAlgorithmsFor(entries, 'unknown')).toEqual([]);
  });

  it('appends new hosts to a private file, creating it and its folder', () => {
    const file = join(dir, 'deep', 'known_hosts');
    appendKnownHost(file, '[h]:2222', key);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, readFileSync(file, 'utf8').trimEnd());   // a file without a final newline
    appendKnownHost(file, 'h2', key);
    expect(readFileSync(file, 'utf8')).toBe(`[h]:2222 ssh-ed25519 ${BLOB}\nh2 ssh-ed25519 ${BLOB}\n`);
  });
});
