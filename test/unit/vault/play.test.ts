/** Vault in a run: an encrypted vars file and an inline !vault value are decrypted in memory with --vault-password-file. */
import { afterEach, describe, expect, it } from 'vitest';
import { encrypt, setActiveVaultSecrets } from '../../../engine/vault/index.js';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => {
  p?.cleanup();
  setActiveVaultSecrets(undefined);
});

describe('vault in playbooks', () => {
  it('decrypts vars files and !vault values with the password file; refuses clearly without it', async () => {
    p = project();
    p.write('pw', 'correct horse\n');
    p.write('secrets.yml', encrypt('db_password: s3cret-db\n', 'correct horse'));
    const inline = encrypt('inline-value', 'correct horse').trimEnd().split('\n').map((l) => `      ${l}`).join('\n');
    const pb = `- hosts: h1\n  gather_facts: false\n  vars_files: [secrets.yml]\n  vars:\n    token: !vault |\n${inline}\n  tasks:\n    - name: show\n      debug: msg="{{ db_password }} {{ token }}"\n`;
    const run = await play(p, pb, ['--vault-password-file', p.path('pw')]);
    expect(run.code).toBe(0);
    expect(results(run, 'show').h1[0].msg).toBe('s3cret-db inline-value');
    setActiveVaultSecrets(undefined);
    const without = await play(p, pb);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/vault password/);
    expect(without.stderr).not.toMatch(/\n\s+at /);
  });
});
