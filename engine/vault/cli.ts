/**
 * `uxsv vault ...`: the ansible-vault subcommands we need (encrypt, decrypt,
 * view, edit, rekey, encrypt_string), reading and writing files ansible-vault can open.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { quote } from '../connection/quote.js';
import { AnsibleConfig, vaultConfigDefaults } from '../config/index.js';
import { encrypt, isVaultText, parseVaultText, readPasswordFile, VaultSecrets } from './index.js';

export interface VaultPasswordOptions {
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
  /** --vault-id LABEL@SOURCE (SOURCE: a file, an executable, or `prompt`), repeatable. */
  vaultId?: string[];
  /** --encrypt-vault-id LABEL: which vault id encrypts, when several are given. */
  encryptVaultId?: string;
}

/** Vault settings of ansible.cfg / ANSIBLE_* (engine/config): identities and a password file used on every run. */
export interface VaultConfigDefaults {
  identityList?: string[];
  passwordFile?: string;
  /** DEFAULT_VAULT_IDENTITY: the label of a password given without one ('default'). */
  defaultIdentity?: string;
  /** DEFAULT_VAULT_ENCRYPT_IDENTITY. */
  encryptIdentity?: string;
}

export interface RekeyOptions extends VaultPasswordOptions {
  newVaultPasswordFile?: string;
}

const INDENT = ' '.repeat(10); // ansible-vault encrypt_string indents the block by 10 spaces

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Reads one line from the terminal without echoing it. Refuses when there is no TTY. */
export async function promptHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UserError('--ask-vault-pass needs a terminal (stdin is not a TTY); use --vault-password-file');
  process.stderr.write(prompt);
  // Readline echoes through `output`; a sink that drops everything hides the typing.
  const silent = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new UserError('no vault password entered (end of input)')));
    });
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

async function askPassword(confirm: boolean): Promise<string> {
  const password = await promptHidden(confirm ? 'New Vault password: ' : 'Vault password: ');
  if (!password) throw new UserError('Invalid vault password was provided (empty)');
  if (confirm && (await promptHidden('Confirm New Vault password: ')) !== password) {
    throw new UserError('Passwords do not match');
  }
  return password;
}

/** One vault identity: a label and where its password comes from. */
export interface VaultIdentity {
  label: string;
  source: string;
}

/** `LABEL@SOURCE`, or a bare SOURCE (labelled with the default identity), as Ansible splits --vault-id. */
export function parseVaultId(text: string, defaultLabel = 'default'): VaultIdentity {
  const at = text.indexOf('@');
  if (at < 0) return { label: defaultLabel, source: text };
  return { label: text.slice(0, at) || defaultLabel, source: text.slice(at + 1) };
}

/**
 * The identities of a run in Ansible's order: ansible.cfg's vault_identity_list,
 * --vault-id, --vault-password-file (then ansible.cfg's vault_password_file),
 * and a prompt for --ask-vault-pass.
 */
export function vaultIdentities(options: VaultPasswordOptions, config: VaultConfigDefaults = {}): VaultIdentity[] {
  const label = config.defaultIdentity ?? 'default';
  const ids = [...(config.identityList ?? []).filter((t) => t.trim() !== ''), ...(options.vaultId ?? [])].map((t) => parseVaultId(t, label));
  const files = [...(options.vaultPasswordFile ?? [])];
  if (config.passwordFile) files.push(config.passwordFile);
  ids.push(...files.map((source) => ({ label, source })));
  if (options.askVaultPass) ids.push({ label, source: 'prompt' });
  return ids;
}

/** A vault client script (name ending in -client, any extension) is told which id it is asked for. */
function isClientScript(file: string): boolean {
  return /-client$/.test(basename(file).replace(/\.[^.]*$/, ''));
}

function readIdentityPassword(id: VaultIdentity): string {
  if (!isClientScript(id.source)) return readPasswordFile(id.source);
  let stdout: string;
  try {
    stdout = execFileSync(id.source, ['--vault-id', id.label], { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'], timeout: 60_000 });
  } catch (err) {
    throw new UserError(`Vault password client script ${id.source} did not find a secret for vault-id=${id.label}: ${(err as Error).message}`, { file: id.source });
  }
  const password = stdout.replace(/\r?\n$/, '').split(/\r?\n/)[0];
  if (!password) throw new UserError(`Invalid vault password was provided from script ${id.source} (empty)`, { file: id.source });
  return password;
}

/** The passwords of the identities, in order; `prompt` asks on the terminal (twice when `confirm`). */
async function identityPasswords(ids: VaultIdentity[], confirm: boolean): Promise<string[]> {
  const passwords: string[] = [];
  for (const id of ids) {
    if (id.source === 'prompt' || id.source === 'prompt_ask_vault_pass') passwords.push(await askPassword(confirm));
    else passwords.push(readIdentityPassword(id));
  }
  return passwords;
}

/**
 * Builds the secrets from the vault identities (see vaultIdentities). `confirm`
 * asks twice, as ansible-vault does when encrypting.
 */
export async function resolveVaultSecrets(options: VaultPasswordOptions, confirm = false, config: VaultConfigDefaults = {}): Promise<VaultSecrets> {
  const secrets = new VaultSecrets(await identityPasswords(vaultIdentities(options, config), confirm));
  if (secrets.empty) throw new UserError('no vault password given: use --vault-password-file FILE, --vault-id LABEL@FILE or --ask-vault-pass');
  return secrets;
}

/** The secrets plus the password and label that encrypt (--encrypt-vault-id, else the first identity). */
export async function resolveEncryption(options: VaultPasswordOptions, config: VaultConfigDefaults = {}): Promise<{ secrets: VaultSecrets; password: string; label?: string }> {
  const { label, index } = encryptLabel(options, config);
  const passwords = await identityPasswords(vaultIdentities(options, config), true);
  const secrets = new VaultSecrets(passwords);
  if (secrets.empty) throw new UserError('no vault password given: use --vault-password-file FILE, --vault-id LABEL@FILE or --ask-vault-pass');
  return { secrets, password: passwords[index] ?? secrets.encryptPassword, label };
}

/** Whether any vault password source is given on the command line or in the configuration. */
export function vaultPasswordGiven(options: VaultPasswordOptions, config: VaultConfigDefaults = {}): boolean {
  return vaultIdentities(options, config).length > 0;
}

/**
 * The label a new encryption carries (vault format 1.2): --encrypt-vault-id, else
 * the only --vault-id given; none (format 1.1) for the default identity.
 */
export function encryptLabel(options: VaultPasswordOptions, config: VaultConfigDefaults = {}): { label?: string; index: number } {
  const ids = vaultIdentities(options, config);
  const wanted = options.encryptVaultId ?? config.encryptIdentity;
  const index = wanted ? ids.findIndex((id) => id.label === wanted) : 0;
  if (wanted && index < 0) throw new UserError(`Did not find a match for --encrypt-vault-id=${wanted} in the known vault-ids ${JSON.stringify(ids.map((i) => i.label))}`);
  const label = ids[index]?.label;
  return { label: label && label !== (config.defaultIdentity ?? 'default') ? label : undefined, index };
}

/**
 * The passwords of `rekey`, like ansible-vault rekey: the old ones from
 * --vault-password-file / --ask-vault-pass (asked on a terminal when neither
 * is given), the new one from --new-vault-password-file (asked twice on a
 * terminal when not given). Without a terminal both must come from files.
 */
export async function resolveRekeyPasswords(options: RekeyOptions): Promise<{ old: VaultSecrets; newPassword: string }> {
  const askOld = !vaultPasswordGiven(options) && Boolean(process.stdin.isTTY);
  const old = await resolveVaultSecrets({ ...options, askVaultPass: options.askVaultPass || askOld });
  let newPassword: string;
  if (options.newVaultPasswordFile) newPassword = readPasswordFile(options.newVaultPasswordFile);
  else if (process.stdin.isTTY) newPassword = await askPassword(true);
  else throw new UserError('no new vault password given: use --new-vault-password-file FILE (or run on a terminal to be asked)');
  return { old, newPassword };
}

/** Replaces `file` through a temp file in the same directory and a rename, keeping mode and owner. */
export function writeFileAtomic(file: string, data: Buffer | string): void {
  const before = statSync(file, { throwIfNoEntry: false });
  const temp = join(dirname(file), `.${basename(file)}.uxsv-vault-${process.pid}-${Date.now()}`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (before) {
      chmodSync(temp, before.mode & 0o7777);
      if (process.getuid?.() === 0) chownSync(temp, before.uid, before.gid);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

function readInput(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`, { file });
  }
}

function encryptFiles(files: string[], password: string, label?: string): void {
  for (const file of files) {
    const data = readInput(file);
    if (isVaultText(data.toString('latin1'))) throw new UserError(`input is already encrypted: ${file}`, { file });
    writeFileAtomic(file, encrypt(data, password, label));
  }
}

function decryptFiles(files: string[], secrets: VaultSecrets): void {
  // Decrypt everything first so one bad file leaves all of them untouched.
  const plaintexts = files.map((file) => secrets.decrypt(readInput(file).toString('utf8'), file));
  files.forEach((file, i) => writeFileAtomic(file, plaintexts[i]));
}

/**
 * Re-encrypts each file with the new password, keeping its vault id, its mode
 * and owner (writeFileAtomic). Everything is decrypted first, so a file the old
 * passwords cannot open leaves all of them as they were.
 */
function rekeyFiles(files: string[], old: VaultSecrets, newPassword: string): void {
  const decrypted = files.map((file) => {
    const vaultText = readInput(file).toString('utf8');
    return { file, vaultId: parseVaultText(vaultText, file).vaultId, plaintext: old.decrypt(vaultText, file) };
  });
  for (const { file, vaultId, plaintext } of decrypted) writeFileAtomic(file, encrypt(plaintext, newPassword, vaultId));
}

/** Overwrites a plaintext temp file before removing it, like ansible-vault's shred fallback. */
function shred(file: string): void {
  const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (size > 0) writeFileSync(file, Buffer.alloc(size));
  rmSync(file, { force: true });
}

function runEditor(file: string): void {
  const editor = process.env.EDITOR || 'vi';
  // $EDITOR may hold arguments ("code -w"), so it goes to the shell as words; the path is quoted.
  const result = spawnSync('sh', ['-c', `${editor} ${quote(file)}`], { stdio: 'inherit' });
  if (result.error) throw new UserError(`could not run editor ${editor}: ${result.error.message}`);
  if (result.status !== 0) throw new UserError(`editor ${editor} exited with status ${result.status ?? result.signal}; ${file} left unchanged`);
}

function editFile(file: string, secrets: VaultSecrets): void {
  const vaultText = readInput(file).toString('utf8');
  const vaultId = parseVaultText(vaultText, file).vaultId;
  const plaintext = secrets.decrypt(vaultText, file);
  const dir = mkdtempSync(join(tmpdir(), 'uxsv-vault-'));
  const temp = join(dir, basename(file));
  try {
    writeFileSync(temp, plaintext, { mode: 0o600 });
    runEditor(temp);
    const edited = readFileSync(temp);
    if (!edited.equals(plaintext)) writeFileAtomic(file, encrypt(edited, secrets.encryptPassword, vaultId));
  } finally {
    shred(temp);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The YAML ansible-vault encrypt_string prints: `NAME: !vault |` and the indented vault text. */
export function formatEncryptedString(vaultText: string, name?: string): string {
  const block = vaultText.trimEnd().split('\n').map((line) => INDENT + line).join('\n');
  return `${name ? `${name}: ` : ''}!vault |\n${block}\n`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

function withPasswordOptions(command: Command): Command {
  return command
    .option('--vault-password-file <file>', 'file holding the vault password, or an executable printing it (repeatable)', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password on the terminal')
    .option('--vault-id <id>', 'a vault identity LABEL@SOURCE: SOURCE is a password file, an executable, or prompt (repeatable)', collect)
    .option('--encrypt-vault-id <label>', 'the vault id whose password encrypts (when several are given)');
}

/** ansible.cfg's vault settings, read when a vault command runs. */
function vaultConfig(): VaultConfigDefaults {
  return vaultConfigDefaults(AnsibleConfig.load());
}

export function registerVaultCommands(program: Command, io: { write(text: string): void }): void {
  const vault = program.command('vault').description('encrypt and decrypt Ansible Vault (1.1/1.2 AES256) files, like ansible-vault');

  withPasswordOptions(vault.command('encrypt').description('encrypt files in place').argument('<file...>', 'files to encrypt'))
    .action(async (files: string[], options: VaultPasswordOptions) => {
      const { password, label } = await resolveEncryption(options, vaultConfig());
      encryptFiles(files, password, label);
    });

  withPasswordOptions(vault.command('decrypt').description('decrypt vault files in place').argument('<file...>', 'vault files'))
    .action(async (files: string[], options: VaultPasswordOptions) => {
      decryptFiles(files, await resolveVaultSecrets(options, false, vaultConfig()));
    });

  withPasswordOptions(vault.command('view').description('print the decrypted content of a vault file').argument('<file>', 'vault file'))
    .action(async (file: string, options: VaultPasswordOptions) => {
      const secrets = await resolveVaultSecrets(options, false, vaultConfig());
      io.write(secrets.decrypt(readInput(file).toString('utf8'), file).toString('utf8'));
    });

  withPasswordOptions(vault.command('edit').description('decrypt to a private temp file, run $EDITOR, re-encrypt if changed').argument('<file>', 'vault file'))
    .action(async (file: string, options: VaultPasswordOptions) => {
      editFile(file, await resolveVaultSecrets(options, false, vaultConfig()));
    });

  withPasswordOptions(
    vault
      .command('rekey')
      .description('re-encrypt vault files with a new password, in place (the old one: --vault-password-file or --ask-vault-pass)')
      .argument('<file...>', 'vault files')
      .option('--new-vault-password-file <file>', 'file holding the new vault password, or an executable printing it'),
  ).action(async (files: string[], options: RekeyOptions) => {
    const { old, newPassword } = await resolveRekeyPasswords(options);
    rekeyFiles(files, old, newPassword);
  });

  withPasswordOptions(
    vault
      .command('encrypt_string')
      .description('print a string encrypted as a YAML `!vault` value (reads stdin without STRING)')
      .argument('[string]', 'the string to encrypt')
      .option('--name <name>', 'the variable name to print before the value'),
  ).action(async (value: string | undefined, options: VaultPasswordOptions & { name?: string }) => {
    const { password, label } = await resolveEncryption(options, vaultConfig());
    const plaintext = value ?? (await readStdin());
    io.write(formatEncryptedString(encrypt(plaintext, password, label), options.name));
  });
}
