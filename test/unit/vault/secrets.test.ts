/** The secrets registry: what is registered, and how masking treats overlaps, short values and structures. */
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, hasSecrets, MASK, maskSecrets, maskSecretsDeep, MIN_SECRET_LENGTH, registerSecret, registerSecretLeaves } from '../../../engine/vault/secrets.js';

afterEach(() => clearSecrets());

describe('secrets registry', () => {
  it('masks every occurrence and nothing when nothing is registered', () => {
    expect(maskSecrets('hunter2 and hunter2')).toBe('hunter2 and hunter2');
    expect(hasSecrets()).toBe(false);
    registerSecret('hunter2');
    expect(hasSecrets()).toBe(true);
    expect(maskSecrets('pw=hunter2, again hunter2.')).toBe(`pw=${MASK}, again ${MASK}.`);
    expect(maskSecrets('nothing here')).toBe('nothing here');
  });

  it('ignores empty and too short values, and trims surrounding whitespace', () => {
    expect(MIN_SECRET_LENGTH).toBe(3);
    registerSecret('');
    registerSecret('ab');
    registerSecret('  x \n');
    expect(hasSecrets()).toBe(false);
    expect(maskSecrets('ab x')).toBe('ab x');
    registerSecret('abc\n');
    expect(maskSecrets('[abc]')).toBe(`[${MASK}]`);
  });

  it('masks a secret inside another, and overlapping secrets, as one mask leaving no fragment', () => {
    registerSecret('secret');
    registerSecret('my-secret-value');
    expect(maskSecrets('x my-secret-value y secret z')).toBe(`x ${MASK} y ${MASK} z`);
    clearSecrets();
    registerSecret('abcdef');
    registerSecret('defghi');
    expect(maskSecrets('-abcdefghi-')).toBe(`-${MASK}-`);
    expect(maskSecrets('abcdef defghi')).toBe(`${MASK} ${MASK}`);
    clearSecrets();
    registerSecret('aaa');
    expect(maskSecrets('aaaaa|aaa')).toBe(`${MASK}|${MASK}`);
  });

  it('registers the lines of a multi-line value, its JSON-escaped and its shell-quoted forms', () => {
    registerSecret('-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----\n');
    expect(maskSecrets('+MIIEpAIBAAKCAQEA')).toBe(`+${MASK}`);
    expect(maskSecrets(JSON.stringify({ key: '-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----' }))).toBe(`{"key":"${MASK}"}`);
    registerSecret(`it's "quoted"`);
    expect(maskSecrets(`echo 'it'\\''s "quoted"'`)).toBe(`echo ${MASK}`);
    expect(maskSecrets(`{"v": "it's \\"quoted\\""}`)).toBe(`{"v": "${MASK}"}`);
  });

  it('a whole file is registered without its lines; its leaves are registered one by one', () => {
    const file = '---\ndb:\n  password: hunter2\n  users: [alice-admin, bob]\n';
    registerSecret(file, { lines: false });
    expect(maskSecrets('---')).toBe('---');
    registerSecretLeaves({ db: { password: 'hunter2', users: ['alice-admin', 'bob'], port: 5432 } });
    expect(maskSecrets('hunter2 alice-admin bob db password 5432')).toBe(`${MASK} ${MASK} ${MASK} db password 5432`);
  });

  it('masks strings and keys deep in a structure without touching the original', () => {
    registerSecret('hunter2');
    const original = { msg: 'pw hunter2', list: ['hunter2', 3, true, null], nested: { hunter2: 'key' }, when: new Date(0) };
    const masked = maskSecretsDeep(original);
    expect(masked).toEqual({ msg: `pw ${MASK}`, list: [MASK, 3, true, null], nested: { [MASK]: 'key' }, when: new Date(0) });
    expect(original.msg).toBe('pw hunter2');
    expect(original.list[0]).toBe('hunter2');
    const cyclic: Record<string, unknown> = { a: 'hunter2' };
    cyclic.self = cyclic;
    const copy = maskSecretsDeep(cyclic);
    expect(copy.a).toBe(MASK);
    expect(copy.self).toBe(copy);
  });
});
