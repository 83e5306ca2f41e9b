// vault and unvault. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';
import { VaultText } from '../../../engine/template/filters/vault.js';
import { clearSecrets, maskSecrets } from '../../../engine/vault/secrets.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');

// 'secret' | vault('test', salt='2147483647') as Ansible writes it.
const ANSIBLE_VAULTED = [
  '$ANSIBLE_VAULT;1.2;AES256;filter_default',
  '33323331333433373334333833333336333433370a65356262666465636633646563616638303836',
  '39333762653537346530653130383234383438366236626165656164643064663561303563396530',
  '34376138660a6261396636363732656661386664333363333230313862363165343736376530',
  '',
].join('\n');

describe('vault', () => {
  it('with a salt writes exactly what Ansible writes, labelled with the vault id', () => {
    expect(ev("'secret' | vault('test', salt='2147483647')")).toBe(ANSIBLE_VAULTED);
    const labelled = ev("'secret' | vault('test', salt='abc', vaultid='myid')") as string;
    expect(labelled.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;myid');
    expect(labelled.split('\n')[1]).toBe('3631363236330a346562373861623635616561333837353032616538623230393939323931343361');
    expect((ev("'secret' | vault('test', salt='abc', vaultid='default')") as string).split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
  });
  it('without a salt differs each time but reads back', () => {
    expect(ev("'secret' | vault('test')")).not.toBe(ev("'secret' | vault('test')"));
    expect(ev("'secret' | vault('test') | unvault('test')")).toBe('secret');
  });
  it('wrap_object marks the text as an encrypted vault value', () => {
    expect(ev("'secret' | vault('test', salt='abc', wrap_object=true) | type_debug")).toBe('AnsibleVaultEncryptedUnicode');
    expect(ev("'secret' | vault('test', salt='abc', wrap_object=true) is vault_encrypted")).toBe(true);
    expect(ev("'secret' | vault('test', salt='abc') is vault_encrypted")).toBe(false);
  });
  it('refuses what Ansible refuses', () => {
    expect(() => ev("'secret' | vault(5)")).toThrow("Secret passed is required to be a string, instead we got: <class 'int'>");
    expect(() => ev("5 | vault('x')")).toThrow("Can only vault strings, instead we got: <class 'int'>");
    expect(() => ev("'secret' | vault('test', salt='')")).toThrow('Unable to encrypt: Empty or invalid salt passed to encrypt()');
  });
});

describe('unvault', () => {
  it("reads Ansible's text; plain text passes through; the plaintext is masked in output", () => {
    clearSecrets();
    expect(ev('v | unvault("test")', { v: ANSIBLE_VAULTED })).toBe('secret');
    expect(maskSecrets('the password is secret')).not.toContain('secret');
    clearSecrets();
    expect(ev("'plain' | unvault('test')")).toBe('plain');
  });
  it('decrypts a value a loader kept encrypted (marked as such), with the password given', () => {
    const kept = new VaultText(ANSIBLE_VAULTED);
    expect(ev('v is vault_encrypted', { v: kept })).toBe(true);
    expect(ev("v | unvault('test')", { v: kept })).toBe('secret');
    expect(ev('v is vault_encrypted', { v: ANSIBLE_VAULTED })).toBe(false);
  });
  it('a wrong password is an error', () => {
    expect(() => ev('v | unvault("wrong")', { v: ANSIBLE_VAULTED })).toThrow(
      'Unable to decrypt: Decryption failed (no vault secrets were found that could decrypt)',
    );
  });
});
