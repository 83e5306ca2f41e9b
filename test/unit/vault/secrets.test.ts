/**
 * A run's secret registry: what is registered, how masking treats overlaps,
 * short values and structures, and that two runs' registries share nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../engine/errors.js';
import { decryptLoaded, encrypt, setActiveVaultSecrets, VaultSecrets } from '../../../engine/vault/index.js';
import * as legacy from '../../../engine/vault/secrets.js';
import { defaultSecrets, MASK, MIN_SECRET_LENGTH, SecretRegistry } from '../../../engine/vault/secrets.js';
import { markSecret, markUnsafe, TaggedText, UNSAFE } from '../../../engine/template/trust.js';

let registry: SecretRegistry;
beforeEach(() => {
  registry = new SecretRegistry();
});
const registerSecret = (value: string, options?: { lines?: boolean }) => registry.register(value, options);
const registerSecretLeaves = (data: unknown) => registry.registerLeaves(data);
const maskSecrets = (text: string) => registry.mask(text);
const maskSecretsDeep = <T>(value: T) => registry.maskDeep(value);
const hasSecrets = () => registry.size > 0;
const clearSecrets = () => registry.clear();

describe('secrets registry', () => {
  it('masks tagged strings (host data, lookup results) in a structure like plain ones', () => {
    registerSecret('hunter2-Secret');
    const masked = maskSecretsDeep({ out: new TaggedText('pw=hunter2-Secret', UNSAFE), list: markUnsafe(['hunter2-Secret']) });
    expect(masked).toEqual({ out: `pw=${MASK}`, list: [MASK] });
  });

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

describe('one registry per run', () => {
  const PASSWORD = 'correct horse';

  it('decrypts with its own passwords and registers the plaintext there only', () => {
    const runA = new SecretRegistry(new VaultSecrets([PASSWORD]));
    const runB = new SecretRegistry(new VaultSecrets(['another one']));
    const text = encrypt('tok-Run-A-1234\nsecond-line-x\n', PASSWORD);
    expect(runA.decrypt(text, 'a !vault value')).toBe('tok-Run-A-1234\nsecond-line-x\n');
    expect(runA.mask('got tok-Run-A-1234 / second-line-x')).toBe(`got ${MASK} / ${MASK}`);
    // Another run neither decrypts with A's password nor masks what A decrypted.
    expect(() => runB.decrypt(text, 'a !vault value')).toThrow(/Decryption failed/);
    expect(runB.mask('got tok-Run-A-1234')).toBe('got tok-Run-A-1234');
    expect(defaultSecrets.mask('got tok-Run-A-1234')).toBe('got tok-Run-A-1234');
    // A whole file is registered without its lines (its leaves come from the loader).
    const file = runA.decrypt(encrypt('---\nkey: file-Leaf-5678\n', PASSWORD), 'vault.yml', 'file');
    expect(runA.mask('---')).toBe('---');
    expect(runA.mask(file)).toBe(`${MASK}\n`);
  });

  it('without a password, decrypting names the source and asks for one', () => {
    const run = new SecretRegistry();
    expect(run.hasPasswords).toBe(false);
    const text = encrypt('x-secret-x', PASSWORD);
    let error: unknown;
    try {
      run.decrypt(text, 'group_vars/all/vault.yml', 'file');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).format()).toMatch(/^group_vars\/all\/vault\.yml: this file is vault-encrypted and no vault password was given: pass --vault-password-file/);
    expect(new SecretRegistry(new VaultSecrets([PASSWORD])).hasPasswords).toBe(true);
  });

  it('is the sink of secrets computed by templates: whole texts, not those that show a known secret as it is', () => {
    const run = new SecretRegistry();
    run.register('s3cret-pw');
    const derived = markSecret('S3CRET-PW', run);
    expect(String(derived)).toBe('S3CRET-PW');
    expect(run.mask('upper S3CRET-PW')).toBe(`upper ${MASK}`);
    markSecret('password = s3cret-pw\nuser = app', run);
    expect(run.mask('user = app')).toBe('user = app');
    markSecret('line one\nline two', run);
    expect(run.mask('line one')).toBe('line one');
    expect(run.mask('line one\nline two')).toBe(MASK);
  });

  it('masks the message and code frame of an error the CLI prints after the run', () => {
    const run = new SecretRegistry();
    run.register('hunter22');
    const masked = run.maskError(new UserError("undefined variable in 'hunter22'", { file: 'site.yml', line: 3 }, '> 3 | pw: hunter22'));
    expect(masked.format()).toBe(`site.yml:3: undefined variable in '${MASK}'\n> 3 | pw: ${MASK}`);
    const internal = new RangeError('bad hunter22');
    expect(run.maskError(internal)).toBe(internal);
    expect(internal.message).toBe(`bad ${MASK}`);
    expect(internal.stack).not.toContain('hunter22');
    expect(run.maskError('hunter22')).toBe('hunter22');
  });

  it("masks the values of the registry it inherits, and registers only in its own", () => {
    const parent = new SecretRegistry();
    parent.register('from-Parent-1');
    const run = new SecretRegistry(undefined, parent);
    run.register('from-Run-2');
    expect(run.mask('from-Parent-1 from-Run-2')).toBe(`${MASK} ${MASK}`);
    expect(parent.mask('from-Parent-1 from-Run-2')).toBe(`${MASK} from-Run-2`);
    expect(run.maskDeep({ a: 'from-Parent-1' })).toEqual({ a: MASK });
    // A derived text showing an inherited secret as it is is not registered whole.
    run.add('pw = from-Parent-1');
    expect(run.mask('pw = x')).toBe('pw = x');
    run.clear();
    expect(run.mask('from-Parent-1 from-Run-2')).toBe(`${MASK} from-Run-2`);
  });

  it('the functions of code paths without a run use the default registry', () => {
    try {
      setActiveVaultSecrets(new VaultSecrets([PASSWORD]));
      expect(decryptLoaded(encrypt('default-Run-9', PASSWORD), 'x')).toBe('default-Run-9');
      expect(legacy.hasSecrets()).toBe(true);
      expect(legacy.maskSecrets('default-Run-9')).toBe(MASK);
      const run = new SecretRegistry(new VaultSecrets(['other']));
      expect(() => decryptLoaded(encrypt('mine', 'other'), 'x', 'value', new SecretRegistry())).toThrow(/no vault password/);
      expect(decryptLoaded(encrypt('run-Only-77', 'other'), 'x', 'value', run)).toBe('run-Only-77');
      expect(legacy.maskSecrets('run-Only-77')).toBe('run-Only-77');
    } finally {
      setActiveVaultSecrets(undefined);
      legacy.clearSecrets();
    }
    expect(legacy.hasSecrets()).toBe(false);
  });
});
