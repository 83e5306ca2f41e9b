/**
 * Issue 7: the production inventory's secrets live in
 * inventory/production/group_vars/all/vault.yml (Ansible Vault 1.1), encrypted
 * with the example password of examples/vault-password.example
 * until the site rekeys it. The shared settings are links to inventory/group_vars/all/.
 */
import { chmodSync, copyFileSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uxsvHere } from '../../helpers/engine.js';
import { loadCluster } from '../../../engine/cli/cluster.js';
import { Inventory } from '../../../engine/inventory/index.js';
import { decrypt, DECRYPTION_FAILED, encrypt, parseVaultText, readPasswordFile, setActiveVaultSecrets, VaultSecrets } from '../../../engine/vault/index.js';

const PROD = 'inventory/production';
const VAULT = `${PROD}/group_vars/all/vault.yml`;
const EXAMPLE = 'examples/vault-password.example';
const PLACEHOLDER = 'SITE MUST SET';

/** `uxsv ARGS` in-process from the repository root. */
const uxsv = uxsvHere;

/** Every leaf of a YAML value, with its path. */
function leaves(value: unknown, at = ''): Array<[string, unknown]> {
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, at ? `${at}.${k}` : k));
  return [[at, value]];
}

const examplePassword = () => readPasswordFile(EXAMPLE);
const vaultPlaintext = () => decrypt(readFileSync(VAULT, 'utf8'), examplePassword(), VAULT).toString('utf8');

afterEach(() => setActiveVaultSecrets(undefined));

describe('production inventory: secrets in group_vars/all/vault.yml', () => {
  it('the example password says it is one; vault.yml is wholly encrypted in format 1.1', () => {
    expect(examplePassword()).toBe('uxsv-example-vault-password-CHANGE-ME');
    const text = readFileSync(VAULT, 'utf8');
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(parseVaultText(text, VAULT).vaultId).toBeUndefined();
    expect(text).not.toContain(PLACEHOLDER);
    expect(text.split('\n').slice(1, -1).every((line) => /^[0-9a-f]{1,80}$/.test(line))).toBe(true);
  });

  it('every vault value is a SITE MUST SET placeholder: mail accounts, and certificate and key of www and www3', () => {
    const secrets = parse(vaultPlaintext());
    expect(Object.keys(secrets).sort()).toEqual(['mail_users', 'web_tls_certificates']);
    expect(Object.keys(secrets.mail_users).length).toBeGreaterThan(0);
    for (const account of Object.values<any>(secrets.mail_users)) expect(Object.keys(account)).toEqual(['password']);
    expect(secrets.web_tls_certificates).toEqual({
      www: { certificate: PLACEHOLDER, key: PLACEHOLDER },
      www3: { certificate: PLACEHOLDER, key: PLACEHOLDER },
    });
    const all = leaves(secrets);
    expect(all.length).toBe(Object.keys(secrets.mail_users).length + 4);
    for (const [where, value] of all) expect({ where, value }).toEqual({ where, value: PLACEHOLDER });
  });

  it('hosts.yml keeps no secret and says where they are; list subscribers stay there', () => {
    const text = readFileSync(`${PROD}/hosts.yml`, 'utf8');
    const vars = parse(text).all.vars;
    expect(vars).not.toHaveProperty('mail_users');
    expect(vars).not.toHaveProperty('web_tls_certificates');
    expect(vars).toHaveProperty('mailing_lists');
    expect(text).toContain('group_vars/all/vault.yml');
    expect(text).not.toMatch(/-e @secrets/);
  });

  it('group_vars/all links the shared placement.yml and cluster.yml with relative links, as the lab reads them', () => {
    expect(lstatSync(`${PROD}/group_vars`).isSymbolicLink()).toBe(false);
    expect(readdirSync(`${PROD}/group_vars/all`).sort()).toEqual(['cluster.yml', 'placement.yml', 'vault.yml']);
    for (const name of ['placement.yml', 'cluster.yml']) {
      const link = `${PROD}/group_vars/all/${name}`;
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(`../../../group_vars/all/${name}`);
      expect(realpathSync(link)).toBe(realpathSync(`inventory/group_vars/all/${name}`));
      expect(realpathSync(`inventory/lab/group_vars/all/${name}`)).toBe(realpathSync(link));
    }
  });

  it('loads with the example password: the vault values, the shared settings and the site values together', () => {
    setActiveVaultSecrets(new VaultSecrets([examplePassword()]));
    const secrets = parse(vaultPlaintext());
    const inventory = Inventory.load([PROD]);
    for (const host of ['uxsv01', 'uxsv02', 'uxsv03']) {
      const vars = inventory.hostVars(host);
      expect(vars.mail_users).toEqual(secrets.mail_users);
      expect(vars.web_tls_certificates).toEqual(secrets.web_tls_certificates);
      expect(Object.keys(vars.cluster_modes as object)).toContain('degraded-uxsv02'); // placement.yml
      expect(Object.keys(vars.web_sites as object).sort()).toEqual(['www', 'www3']); // cluster.yml
      expect(vars.cluster_site).toBe('production'); // hosts.yml
    }
    // What uxsv status/check/degrade/restore read first: the placement matrix, validated.
    expect(loadCluster([PROD]).hosts).toEqual(['uxsv01', 'uxsv02', 'uxsv03']);
  });

  it('a --syntax-check of site.yml with the example password exits 0', async () => {
    const run = await uxsv(['play', 'playbooks/site.yml', '-i', PROD, '--vault-password-file', EXAMPLE, '--syntax-check']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.output).toContain('playbook: ');
  });

  it('without a password, a run and every cluster command exit 1 naming vault.yml and --vault-password-file', async () => {
    // A password left active by an earlier run in this process must not be used.
    setActiveVaultSecrets(new VaultSecrets([examplePassword()]));
    const commands = [
      ['play', 'playbooks/site.yml', '-i', PROD, '--check'],
      ['status', '-i', PROD],
      ['check', '-i', PROD],
      ['degrade', 'uxsv01', '-i', PROD],
      ['restore', '-i', PROD],
    ];
    for (const args of commands) {
      const run = await uxsv(args);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr).toContain(`ERROR! ${VAULT}: this file is vault-encrypted and no vault password was given: pass --vault-password-file FILE`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.output).not.toMatch(/TASK|PLAY RECAP/);
    }
  });

  it('a run on the placeholders stops at the guards, before any host is contacted (exit 2)', async () => {
    const run = await uxsv(['play', '-i', PROD, '--vault-password-file', EXAMPLE, 'playbooks/site.yml']);
    expect(run.code).toBe(2);
    expect(run.output).toContain("still hold the example vault file's placeholders");
    expect(run.output).not.toMatch(/unreachable: \[/);   // 192.0.2.x is never dialled
    expect(run.output).not.toContain(PLACEHOLDER.toLowerCase());
  });

  it('a wrong password exits 1 naming vault.yml', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uxsv-prod-'));
    try {
      writeFileSync(path.join(dir, 'wrong'), 'not-the-password\n');
      const run = await uxsv(['status', '-i', PROD, '--vault-password-file', path.join(dir, 'wrong')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`${DECRYPTION_FAILED} on ${VAULT}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('uxsv vault rekey', () => {
  let dir: string;
  const p = (name: string) => path.join(dir, name);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'uxsv-rekey-'));
    writeFileSync(p('new-password'), 'the-site-s-own-password\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-encrypts the production vault: the old password no longer opens it, the new one does, same content, mode kept', async () => {
    copyFileSync(VAULT, p('vault.yml'));
    chmodSync(p('vault.yml'), 0o640);
    const before = vaultPlaintext();
    const run = await uxsv(['vault', 'rekey', p('vault.yml'), '--vault-password-file', EXAMPLE, '--new-vault-password-file', p('new-password')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = readFileSync(p('vault.yml'), 'utf8');
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(() => decrypt(text, examplePassword(), 'vault.yml')).toThrow(DECRYPTION_FAILED);
    expect(decrypt(text, 'the-site-s-own-password', 'vault.yml').toString('utf8')).toBe(before);
    expect(statSync(p('vault.yml')).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['new-password', 'vault.yml']); // no temporary file left

    const old = await uxsv(['vault', 'view', p('vault.yml'), '--vault-password-file', EXAMPLE]);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain(DECRYPTION_FAILED);
    const view = await uxsv(['vault', 'view', p('vault.yml'), '--vault-password-file', p('new-password')]);
    expect(view.output).toBe(before);
  });

  it('keeps a 1.2 vault id, and rekeys several files at once', async () => {
    writeFileSync(p('a.yml'), encrypt('a: 1\n', 'old-pw', 'prod'));
    writeFileSync(p('b.yml'), encrypt('b: 2\n', 'old-pw'));
    writeFileSync(p('old-password'), 'old-pw\n');
    const run = await uxsv(['vault', 'rekey', p('a.yml'), p('b.yml'), '--vault-password-file', p('old-password'), '--new-vault-password-file', p('new-password')]);
    expect(run.code).toBe(0);
    expect(readFileSync(p('a.yml'), 'utf8').split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;prod');
    expect(decrypt(readFileSync(p('a.yml'), 'utf8'), 'the-site-s-own-password').toString()).toBe('a: 1\n');
    expect(decrypt(readFileSync(p('b.yml'), 'utf8'), 'the-site-s-own-password').toString()).toBe('b: 2\n');
  });

  it('changes nothing when the old password cannot open one of the files, or no new password is given', async () => {
    writeFileSync(p('a.yml'), encrypt('a: 1\n', 'old-pw'));
    writeFileSync(p('b.yml'), encrypt('b: 2\n', 'another-pw'));
    writeFileSync(p('old-password'), 'old-pw\n');
    const a = readFileSync(p('a.yml'), 'utf8');
    const b = readFileSync(p('b.yml'), 'utf8');
    const wrong = await uxsv(['vault', 'rekey', p('a.yml'), p('b.yml'), '--vault-password-file', p('old-password'), '--new-vault-password-file', p('new-password')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`${DECRYPTION_FAILED} on ${p('b.yml')}`);
    expect(readFileSync(p('a.yml'), 'utf8')).toBe(a);
    expect(readFileSync(p('b.yml'), 'utf8')).toBe(b);
    if (!process.stdin.isTTY) {
      const noNew = await uxsv(['vault', 'rekey', p('a.yml'), '--vault-password-file', p('old-password')]);
      expect(noNew.code).toBe(1);
      expect(noNew.stderr).toContain('no new vault password given: use --new-vault-password-file');
      const noOld = await uxsv(['vault', 'rekey', p('a.yml'), '--new-vault-password-file', p('new-password')]);
      expect(noOld.code).toBe(1);
      expect(noOld.stderr).toContain('no vault password given');
      expect(readFileSync(p('a.yml'), 'utf8')).toBe(a);
    }
  });
});
