import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { parseDocument } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../engine/errors.js';
import { decrypt, DECRYPTION_FAILED, encrypt, isVaultText, parseVaultText, readPasswordFile, VaultSecrets } from '../../../engine/vault/index.js';
import { registerVaultCommands } from '../../../engine/vault/cli.js';

// Files from ansible/ansible test/integration/targets/ansible-vault, written by
// real ansible-vault. Their password is "test-vault-password" (printed by that
// target's password-script.py, which runme.sh uses to `view` these files).
const ANSIBLE_FORMAT_1_1 = `$ANSIBLE_VAULT;1.1;AES256
33613463343938323434396164663236376438313435633837336438366530666431643031333734
6463646538393331333239393363333830613039376562360a396635393636636539346332336364
35303039353164386461326439346165656463383137663932323930666632326263636266656461
3232663537653637640a643166666232633936636664376435316664656631633166323237356163
6138
`;
const ANSIBLE_FORMAT_1_2 = `$ANSIBLE_VAULT;1.2;AES256;test_vault_id
30383835613535356232333534303264656530633664616233386138396563623939626136366537
3635323530646538626138383136636437616637616430610a386661346563346136326637656461
64393364343964633364336666333630383164643662343930663432316333633537353938376437
6134656262373731390a363166356461376663313532343733326438386632623930313366643038
6133
`;
// Same target: vault-with-spaces, whose password file "password-with-spaces" holds " space\n".
const ANSIBLE_VAULT_WITH_SPACES = `$ANSIBLE_VAULT;1.1;AES256
38393632313331373734303966333362626464336365346335383837383130366230633037636237
6139303838613765366337623234666332376230636665660a663163373230666632343432383166
37386636366537633063343461366139373262366162643932366263643432303834303862323564
3666376637316264340a643438356461303138343563303565376139356363316634386362336538
3462
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uxsv-vault-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('vault format', () => {
  it.each([
    ['text', Buffer.from('db_password: hunter2\n')],
    ['binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['empty', Buffer.alloc(0)],
    ['Japanese', Buffer.from('パスワード: 秘密の値\n', 'utf8')],
    ['multi-line', Buffer.from('a: 1\nb:\n  - x\n  - y\nc: |\n  line one\n  line two\n')],
    ['exactly one block', Buffer.from('0123456789abcdef')],
  ])('round-trips %s', (_name, plaintext) => {
    const text = encrypt(plaintext, 'pw');
    expect(isVaultText(text)).toBe(true);
    expect(decrypt(text, 'pw').equals(plaintext)).toBe(true);
  });

  it('accepts a string plaintext as UTF-8', () => {
    expect(decrypt(encrypt('héllo', 'pw'), 'pw').toString('utf8')).toBe('héllo');
  });

  it('decrypts files written by real ansible-vault (1.1 and 1.2)', () => {
    expect(decrypt(ANSIBLE_FORMAT_1_1, 'test-vault-password', 'format_1_1_AES256.yml').toString()).toBe('foobar\n');
    expect(decrypt(ANSIBLE_FORMAT_1_2, 'test-vault-password', 'format_1_2_AES256.yml').toString()).toBe('foobar\n');
    expect(parseVaultText(ANSIBLE_FORMAT_1_2).vaultId).toBe('test_vault_id');
    expect(parseVaultText(ANSIBLE_FORMAT_1_1).vaultId).toBeUndefined();
  });

  it('writes 1.1 without a vault id, 1.2 with one, wrapped at 80 columns, ending with a newline', () => {
    const text = encrypt('x'.repeat(500), 'pw');
    const lines = text.split('\n');
    expect(lines[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    expect(text.endsWith('\n')).toBe(true);
    const body = lines.slice(1, -1);
    expect(body.length).toBeGreaterThan(2);
    body.slice(0, -1).forEach((line) => expect(line).toMatch(/^[0-9a-f]{80}$/));
    expect(body.at(-1)!.length).toBeLessThanOrEqual(80);
    expect(encrypt('x', 'pw', 'prod').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(encrypt('x', 'pw', 'default').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
  });

  it('uses a fresh salt each time', () => {
    expect(encrypt('same', 'pw')).not.toBe(encrypt('same', 'pw'));
  });

  it('fails clearly on a wrong password, naming the source', () => {
    const err = thrown(() => decrypt(ANSIBLE_FORMAT_1_1, 'wrong', 'group_vars/all/vault.yml'));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(`${DECRYPTION_FAILED} on group_vars/all/vault.yml`);
    expect((err as UserError).position?.file).toBe('group_vars/all/vault.yml');
  });

  it('rejects tampered ciphertext (HMAC)', () => {
    const envelope = parseVaultText(encrypt('secret value', 'pw'));
    const ciphertext = Buffer.from(envelope.ciphertext);
    ciphertext[0] ^= 1;
    const payload = [envelope.salt.toString('hex'), envelope.hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
    const tampered = `$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from(payload).toString('hex')}\n`;
    expect(thrown(() => decrypt(tampered, 'pw', 'tampered.yml')).message).toContain(DECRYPTION_FAILED);
  });

  it('reports malformed envelopes as format errors', () => {
    expect(thrown(() => decrypt('$ANSIBLE_VAULT;1.1;AES256\nzz\n', 'pw', 'bad.yml')).message).toMatch(/format error in bad.yml/);
    expect(thrown(() => decrypt('plain: yaml\n', 'pw', 'plain.yml')).message).toMatch(/plain.yml is not a vault encrypted file/);
    expect(isVaultText('plain: yaml')).toBe(false);
  });

  it('VaultSecrets tries each password in order', () => {
    const secrets = new VaultSecrets(['wrong', 'test-vault-password']);
    expect(secrets.empty).toBe(false);
    expect(secrets.decrypt(ANSIBLE_FORMAT_1_1, 'f.yml').toString()).toBe('foobar\n');
    expect(new VaultSecrets([]).empty).toBe(true);
    expect(thrown(() => new VaultSecrets(['a', 'b']).decrypt(ANSIBLE_FORMAT_1_1, 'f.yml')).message).toContain(DECRYPTION_FAILED);
  });
});

describe('readPasswordFile', () => {
  it('strips only line endings, keeping spaces (ansible test data: " space")', () => {
    const file = join(dir, 'password-with-spaces');
    writeFileSync(file, ' space\n');
    const password = readPasswordFile(file);
    expect(password).toBe(' space');
    expect(decrypt(ANSIBLE_VAULT_WITH_SPACES, password).toString()).toBe('spaces\n');
  });

  it('runs an executable file and uses the first line of its stdout', () => {
    const script = join(dir, 'password-script');
    writeFileSync(script, '#!/bin/sh\necho test-vault-password\necho ignored\n');
    chmodSync(script, 0o755);
    expect(readPasswordFile(script)).toBe('test-vault-password');
  });

  it('refuses an empty password and a missing file', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => readPasswordFile(empty)).toThrow(/empty/);
    expect(() => readPasswordFile(join(dir, 'missing'))).toThrow(/Could not read vault password file/);
  });
});

describe('uxsv vault CLI', () => {
  let output: string;
  let passwordFile: string;

  async function run(...args: string[]): Promise<void> {
    const program = new Command('uxsv').exitOverride();
    registerVaultCommands(program, { write: (text) => void (output += text) });
    await program.parseAsync(args, { from: 'user' });
  }

  beforeEach(() => {
    output = '';
    passwordFile = join(dir, 'vault-pass');
    writeFileSync(passwordFile, 'cli-password\n');
  });

  it('encrypts in place keeping the mode, views, and decrypts byte for byte', async () => {
    const file = join(dir, 'secrets.yml');
    const original = Buffer.from('token: 東京\nbinary: \u0000\u00ff\n', 'utf8');
    writeFileSync(file, original);
    chmodSync(file, 0o640);

    await run('vault', 'encrypt', file, '--vault-password-file', passwordFile);
    expect(readFileSync(file, 'utf8').startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o640);

    await run('vault', 'view', file, '--vault-password-file', passwordFile);
    expect(output).toBe(original.toString('utf8'));

    await run('vault', 'decrypt', file, '--vault-password-file', passwordFile);
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('refuses to encrypt twice and to decrypt with a wrong password, leaving the file alone', async () => {
    const file = join(dir, 'f.yml');
    writeFileSync(file, 'a: 1\n');
    await run('vault', 'encrypt', file, '--vault-password-file', passwordFile);
    const encrypted = readFileSync(file, 'utf8');
    await expect(run('vault', 'encrypt', file, '--vault-password-file', passwordFile)).rejects.toThrow(/already encrypted/);
    const wrong = join(dir, 'wrong-pass');
    writeFileSync(wrong, 'nope\n');
    await expect(run('vault', 'decrypt', file, '--vault-password-file', wrong)).rejects.toThrow(`${DECRYPTION_FAILED} on ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(encrypted);
  });

  it('tries each --vault-password-file in turn', async () => {
    const file = join(dir, 'ansible.yml');
    writeFileSync(file, ANSIBLE_FORMAT_1_2);
    const wrong = join(dir, 'wrong-pass');
    writeFileSync(wrong, 'nope\n');
    const right = join(dir, 'right-pass');
    writeFileSync(right, 'test-vault-password\n');
    await run('vault', 'view', file, '--vault-password-file', wrong, '--vault-password-file', right);
    expect(output).toBe('foobar\n');
  });

  it('edit re-encrypts what the editor wrote, keeping the vault id', async () => {
    const file = join(dir, 'edit.yml');
    writeFileSync(file, encrypt('colour: red\n', 'cli-password', 'prod'));
    const before = process.env.EDITOR;
    process.env.EDITOR = 'sed -i s/red/blue/';
    try {
      await run('vault', 'edit', file, '--vault-password-file', passwordFile);
    } finally {
      if (before === undefined) delete process.env.EDITOR;
      else process.env.EDITOR = before;
    }
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(decrypt(text, 'cli-password').toString()).toBe('colour: blue\n');
  });

  it('encrypt_string prints YAML with a !vault tag', async () => {
    await run('vault', 'encrypt_string', '--name', 'db_password', 's3cr3t', '--vault-password-file', passwordFile);
    const vaultTag = {
      tag: '!vault',
      resolve: (value: string) => ({ vault: value }),
    };
    const doc = parseDocument(output, { customTags: [vaultTag] });
    expect(doc.errors).toEqual([]);
    const value = doc.toJS().db_password as { vault: string };
    expect(value.vault.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(decrypt(value.vault, 'cli-password').toString()).toBe('s3cr3t');
    expect(output.startsWith('db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
  });

  it('needs a password, and --ask-vault-pass needs a terminal', async () => {
    const file = join(dir, 'f.yml');
    writeFileSync(file, 'a: 1\n');
    await expect(run('vault', 'encrypt', file)).rejects.toThrow(/no vault password given/);
    if (!process.stdin.isTTY) {
      await expect(run('vault', 'encrypt', file, '--ask-vault-pass')).rejects.toThrow(/needs a terminal/);
    }
    expect(readFileSync(file, 'utf8')).toBe('a: 1\n');
  });
});
