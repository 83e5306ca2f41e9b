import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encrypt } from '../../../engine/vault/index.js';
import { encryptLabel, parseVaultId, resolveVaultSecrets, vaultIdentities } from '../../../engine/vault/cli.js';
import { project, uxsv, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

describe('vault identities (--vault-id)', () => {
  it('splits LABEL@SOURCE, a bare source taking the default label', () => {
    expect(parseVaultId('dev@files/dev.txt')).toEqual({ label: 'dev', source: 'files/dev.txt' });
    expect(parseVaultId('prod@prompt')).toEqual({ label: 'prod', source: 'prompt' });
    expect(parseVaultId('pass.txt')).toEqual({ label: 'default', source: 'pass.txt' });
    expect(parseVaultId('pass.txt', 'site')).toEqual({ label: 'site', source: 'pass.txt' });
  });

  it("orders them as Ansible does: vault_identity_list, --vault-id, password files (then ansible.cfg's), the prompt", () => {
    const ids = vaultIdentities(
      { vaultId: ['a@a.txt'], vaultPasswordFile: ['b.txt'], askVaultPass: true },
      { identityList: ['cfg@cfg.txt'], passwordFile: '/etc/pass' },
    );
    expect(ids).toEqual([
      { label: 'cfg', source: 'cfg.txt' },
      { label: 'a', source: 'a.txt' },
      { label: 'default', source: 'b.txt' },
      { label: 'default', source: '/etc/pass' },
      { label: 'default', source: 'prompt' },
    ]);
  });

  it('decrypts with any of the identities, and asks a -client script for its label', async () => {
    p = project({ 'dev.txt': 'devpass\n' });
    const script = p.write('keyring-client.sh', '#!/bin/sh\n[ "$1" = --vault-id ] && [ "$2" = prod ] && echo prodpass\n');
    chmodSync(script, 0o755);
    const secrets = await resolveVaultSecrets({ vaultId: [`dev@${p.path('dev.txt')}`, `prod@${script}`] });
    expect(secrets.decrypt(encrypt('one', 'devpass', 'dev'), 'x').toString()).toBe('one');
    expect(secrets.decrypt(encrypt('two', 'prodpass', 'prod'), 'x').toString()).toBe('two');
  });

  it('encrypts with --encrypt-vault-id, else the first identity, labelling the text (format 1.2)', () => {
    expect(encryptLabel({ vaultId: ['dev@a', 'prod@b'] })).toEqual({ label: 'dev', index: 0 });
    expect(encryptLabel({ vaultId: ['dev@a', 'prod@b'], encryptVaultId: 'prod' })).toEqual({ label: 'prod', index: 1 });
    expect(encryptLabel({ vaultPasswordFile: ['a'] })).toEqual({ label: undefined, index: 0 });
    expect(() => encryptLabel({ vaultId: ['dev@a'], encryptVaultId: 'nope' })).toThrow(/Did not find a match for --encrypt-vault-id=nope/);
  });

  it('uxsv vault encrypt --vault-id writes a labelled 1.2 file that --vault-id opens again', async () => {
    p = project({ 'pw': 'pw1\n', 'secret.yml': 'token: abc\n' });
    await uxsv(p, ['vault', 'encrypt', '--vault-id', 'ops@pw', 'secret.yml']);
    expect(readFileSync(p.path('secret.yml'), 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;ops');
    const view = await uxsv(p, ['vault', 'view', '--vault-id', 'ops@pw', 'secret.yml']);
    expect(view.output).toBe('token: abc\n');
  });

  it('uxsv play reads vault-encrypted vars with --vault-id and with vault_password_file of ansible.cfg', async () => {
    p = project({ 'pw': 'pw1\n', 'hosts.ini': 'h1 ansible_connection=local\n' });
    writeFileSync(p.path('vars.yml'), encrypt('greeting: hi from the vault\n', 'pw1', 'ops'));
    p.write('site.yml', '- hosts: h1\n  gather_facts: false\n  vars_files: [vars.yml]\n  tasks:\n    - debug: msg="{{ greeting }}"\n');
    const without = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini']);
    expect(without.code).toBe(1);
    const byId = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini', '--vault-id', 'ops@pw', '-v']);
    expect(byId.code).toBe(0);
    p.write('ansible.cfg', `[defaults]\nvault_password_file = ${join(p.dir, 'pw')}\n`);
    const byConfig = await uxsv(p, ['play', 'site.yml', '-i', 'hosts.ini']);
    expect(byConfig.code).toBe(0);
  });
});
