/**
 * Ansible Vault, format 1.1/1.2 with the AES256 cipher, compatible both ways with
 * `ansible-vault` (lib/ansible/parsing/vault/__init__.py, class VaultAES256).
 *
 * Envelope: a header line `$ANSIBLE_VAULT;1.1;AES256` (1.2 appends `;VAULT_ID`),
 * then hexlify(payload) wrapped at 80 columns. The payload is
 * `hexlify(salt) \n hex(hmac) \n hexlify(ciphertext)`.
 * Keys: PBKDF2-HMAC-SHA256(password, salt, 10000, 80) -> AES key | HMAC key | CTR iv.
 * Ansible PKCS7-pads the plaintext even though CTR does not need it; we must too.
 */
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { UserError } from '../errors.js';
import { defaultSecrets, type SecretRegistry } from './secrets.js';

const HEADER = '$ANSIBLE_VAULT';
const CIPHER = 'AES256';
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const SALT_LENGTH = 32;
const PBKDF2_ITERATIONS = 10_000;
const LINE_WIDTH = 80;
const BLOCK = 16;

export const DECRYPTION_FAILED = 'Decryption failed (no vault secrets were found that could decrypt)';

/** True when the text starts with the vault header (what Ansible's is_encrypted checks). */
export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(HEADER);
}

interface DerivedKeys { aesKey: Buffer; hmacKey: Buffer; iv: Buffer }

function deriveKeys(password: string, salt: Buffer): DerivedKeys {
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, PBKDF2_ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
  return {
    aesKey: derived.subarray(0, KEY_LENGTH),
    hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH),
    iv: derived.subarray(2 * KEY_LENGTH),
  };
}

function pkcs7Pad(data: Buffer): Buffer {
  const padLength = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(padLength, padLength)]);
}

/** Returns undefined on malformed padding (which, after a valid HMAC, means a corrupt writer). */
function pkcs7Unpad(data: Buffer): Buffer | undefined {
  if (data.length === 0 || data.length % BLOCK !== 0) return undefined;
  const padLength = data[data.length - 1];
  if (padLength < 1 || padLength > BLOCK) return undefined;
  for (let i = data.length - padLength; i < data.length; i++) if (data[i] !== padLength) return undefined;
  return data.subarray(0, data.length - padLength);
}

function aesCtr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  // CTR is symmetric: the same keystream XOR encrypts and decrypts.
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function hmacSha256(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines;
}

/**
 * Encrypts to a complete vault text ending with "\n". With a vault id (other than
 * Ansible's "default") the header is format 1.2 and carries the id as its label.
 */
export function encrypt(plaintext: Buffer | string, password: string, vaultId?: string): string {
  if (!password) throw new UserError('A vault password must not be empty');
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const salt = randomBytes(SALT_LENGTH);
  const { aesKey, hmacKey, iv } = deriveKeys(password, salt);
  const ciphertext = aesCtr(aesKey, iv, pkcs7Pad(data));
  const hmac = hmacSha256(hmacKey, ciphertext);
  const payload = [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  const body = Buffer.from(payload, 'ascii').toString('hex');
  const header = vaultId && vaultId !== 'default'
    ? [HEADER, '1.2', CIPHER, vaultId].join(';')
    : [HEADER, '1.1', CIPHER].join(';');
  return [header, ...wrap(body, LINE_WIDTH), ''].join('\n');
}

export interface VaultEnvelope {
  version: string;
  cipher: string;
  vaultId?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function unhex(text: string, what: string, source: string): Buffer {
  if (!HEX.test(text)) throw new UserError(`Vault format error in ${source}: ${what} is not valid hex`, { file: source });
  return Buffer.from(text, 'hex');
}

/** Splits a vault text into header fields and the binary salt/hmac/ciphertext. */
export function parseVaultText(vaultText: string, source = '<string>'): VaultEnvelope {
  if (!isVaultText(vaultText)) throw new UserError(`${source} is not a vault encrypted file`, { file: source });
  const [headerLine, ...bodyLines] = vaultText.trim().split(/\r?\n/);
  const fields = headerLine.trim().split(';').map((f) => f.trim());
  if (fields.length < 3) throw new UserError(`Vault envelope format error in ${source}: bad header "${headerLine}"`, { file: source });
  const [, version, cipher, vaultId] = fields;
  if (cipher !== CIPHER) {
    throw new UserError(`Vault cipher "${cipher}" in ${source} is not supported (only ${CIPHER})`, { file: source });
  }
  const body = bodyLines.map((l) => l.trim()).join('');
  const parts = unhex(body, 'the body', source).toString('latin1').split('\n');
  if (parts.length !== 3) throw new UserError(`Vault format error in ${source}: expected salt, hmac and ciphertext`, { file: source });
  return {
    version,
    cipher,
    vaultId: vaultId || undefined,
    salt: unhex(parts[0], 'the salt', source),
    hmac: unhex(parts[1], 'the hmac', source),
    ciphertext: unhex(parts[2], 'the ciphertext', source),
  };
}

/** Tries one password; undefined when the HMAC does not match (wrong password or tampering). */
function tryDecrypt(envelope: VaultEnvelope, password: string): Buffer | undefined {
  const { aesKey, hmacKey, iv } = deriveKeys(password, envelope.salt);
  const expected = hmacSha256(hmacKey, envelope.ciphertext);
  if (expected.length !== envelope.hmac.length || !timingSafeEqual(expected, envelope.hmac)) return undefined;
  return pkcs7Unpad(aesCtr(aesKey, iv, envelope.ciphertext));
}

function decryptionFailed(source: string): UserError {
  return new UserError(`${DECRYPTION_FAILED} on ${source}`, { file: source });
}

function decryptWithAny(vaultText: string, passwords: string[], source: string): Buffer {
  const envelope = parseVaultText(vaultText, source);
  for (const password of passwords) {
    const plaintext = tryDecrypt(envelope, password);
    if (plaintext) return plaintext;
  }
  throw decryptionFailed(source);
}

/** Decrypts a vault text; throws a UserError naming `source` when the password is wrong. */
export function decrypt(vaultText: string, password: string, source = '<string>'): Buffer {
  return decryptWithAny(vaultText, [password], source);
}

function stripLineEndings(text: string): string {
  return text.replace(/^[\r\n]+|[\r\n]+$/g, '');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a vault password the way current Ansible does: only line endings are
 * stripped (Ansible's `strip(b'\r\n')`), so a password with leading or trailing
 * spaces survives — ansible's own test data has a password " space". An
 * executable file is run and the first line of its stdout is the password.
 */
export function readPasswordFile(file: string): string {
  let password: string;
  if (isExecutable(file)) {
    let stdout: string;
    try {
      stdout = execFileSync(file, [], { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'], timeout: 60_000 });
    } catch (err) {
      throw new UserError(`Vault password script ${file} failed: ${(err as Error).message}`, { file });
    }
    password = stripLineEndings(stdout).split(/\r?\n/)[0];
  } else {
    try {
      password = stripLineEndings(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UserError(`Could not read vault password file ${file}: ${(err as Error).message}`, { file });
    }
  }
  if (!password) throw new UserError(`Invalid vault password was provided from ${file} (empty)`, { file });
  return password;
}

/** The set of known vault passwords; decryption tries each in order, like Ansible. */
export class VaultSecrets {
  private readonly passwords: string[];

  constructor(passwords: string[]) {
    this.passwords = passwords.filter((p) => p.length > 0);
  }

  get empty(): boolean {
    return this.passwords.length === 0;
  }

  /** The password used to encrypt: the first one given. */
  get encryptPassword(): string {
    if (this.empty) throw new UserError('A vault password must be specified to encrypt data');
    return this.passwords[0];
  }

  decrypt(text: string, source: string): Buffer {
    if (this.empty) {
      throw new UserError(`Attempting to decrypt ${source} but no vault secrets were given (use --vault-password-file or --ask-vault-pass)`, { file: source });
    }
    return decryptWithAny(text, this.passwords, source);
  }
}

/**
 * The passwords of the code paths that do not take a run's SecretRegistry
 * yet (engine/vault/secrets.ts defaultSecrets). @deprecated make the run's
 * registry with them: `new SecretRegistry(passwords)`.
 */
export function setActiveVaultSecrets(secrets: VaultSecrets | undefined): void {
  defaultSecrets.usePasswords(secrets);
}

/**
 * Decrypt vaulted text found while loading `source` with the run's passwords
 * (`secrets`, the run's registry; without one, the default registry's), or
 * explain that a password is needed. The plaintext is registered there, so no
 * output of the run shows it (SecretRegistry.decrypt).
 */
export function decryptLoaded(text: string, source: string, kind: 'value' | 'file' = 'value', secrets: SecretRegistry = defaultSecrets): string {
  return secrets.decrypt(text, source, kind);
}
