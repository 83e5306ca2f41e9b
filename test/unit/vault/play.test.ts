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
    const pb = `- hosts: h1\n  gather_facts: false\n  vars_files: [secrets.yml]\n  vars:\n    token: !vault |\n${inline}\n  tasks:\n    - name: show\n      copy: content="{{ db_password }} {{ token }}" dest=${p.dir}/out.txt\n`;
    const run = await play(p, pb, ['--vault-password-file', p.path('pw')]);
    expect(run.code).toBe(0);
    expect(p.read('out.txt')).toBe('s3cret-db inline-value');
    // The values reach the host; the output masks them (censor.test.ts).
    expect(results(run, 'show').h1[0].status).toBe('changed');
    setActiveVaultSecrets(undefined);
    const without = await play(p, pb);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/vault password/);
    expect(without.stderr).not.toMatch(/\n\s+at /);
  });
});
