/**
 * `uxsv vault ...`: the ansible-vault subcommands we need (encrypt, decrypt,
 * view, edit, rekey, encrypt_string), reading and writing files ansible-vault can open.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { quote } from '../connection/quote.js';
import { encrypt, isVaultText, parseVaultText, readPasswordFile, VaultSecrets } from './index.js';

export interface VaultPasswordOptions {
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
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

/**
 * Builds the secrets from --vault-password-file (each, in order) and
 * --ask-vault-pass. `confirm` asks twice, as ansible-vault does when encrypting.
 */
export async function resolveVaultSecrets(options: VaultPasswordOptions, confirm = false): Promise<VaultSecrets> {
  const passwords = (options.vaultPasswordFile ?? []).map(readPasswordFile);
  if (options.askVaultPass) passwords.push(await askPassword(confirm));
  const secrets = new VaultSecrets(passwords);
  if (secrets.empty) throw new UserError('no vault password given: use --vault-password-file FILE or --ask-vault-pass');
  return secrets;
}

/**
 * The passwords of `rekey`, like ansible-vault rekey: the old ones from
 * --vault-password-file / --ask-vault-pass (asked on a terminal when neither
 * is given), the new one from --new-vault-password-file (asked twice on a
 * terminal when not given). Without a terminal both must come from files.
 */
export async function resolveRekeyPasswords(options: RekeyOptions): Promise<{ old: VaultSecrets; newPassword: string }> {
  const askOld = !options.vaultPasswordFile?.length && !options.askVaultPass && Boolean(process.stdin.isTTY);
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

function encryptFiles(files: string[], secrets: VaultSecrets): void {
  for (const file of files) {
    const data = readInput(file);
    if (isVaultText(data.toString('latin1'))) throw new UserError(`input is already encrypted: ${file}`, { file });
    writeFileAtomic(file, encrypt(data, secrets.encryptPassword));
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
    .option('--ask-vault-pass', 'ask for the vault password on the terminal');
}

export function registerVaultCommands(program: Command, io: { write(text: string): void }): void {
  const vault = program.command('vault').description('encrypt and decrypt Ansible Vault (1.1/1.2 AES256) files, like ansible-vault');

  withPasswordOptions(vault.command('encrypt').description('encrypt files in place').argument('<file...>', 'files to encrypt'))
    .action(async (files: string[], options: VaultPasswordOptions) => {
      encryptFiles(files, await resolveVaultSecrets(options, true));
    });

  withPasswordOptions(vault.command('decrypt').description('decrypt vault files in place').argument('<file...>', 'vault files'))
    .action(async (files: string[], options: VaultPasswordOptions) => {
      decryptFiles(files, await resolveVaultSecrets(options));
    });

  withPasswordOptions(vault.command('view').description('print the decrypted content of a vault file').argument('<file>', 'vault file'))
    .action(async (file: string, options: VaultPasswordOptions) => {
      const secrets = await resolveVaultSecrets(options);
      io.write(secrets.decrypt(readInput(file).toString('utf8'), file).toString('utf8'));
    });

  withPasswordOptions(vault.command('edit').description('decrypt to a private temp file, run $EDITOR, re-encrypt if changed').argument('<file>', 'vault file'))
    .action(async (file: string, options: VaultPasswordOptions) => {
      editFile(file, await resolveVaultSecrets(options));
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
    const secrets = await resolveVaultSecrets(options, true);
    const plaintext = value ?? (await readStdin());
    io.write(formatEncryptedString(encrypt(plaintext, secrets.encryptPassword), options.name));
  });
}
