/**
 * The vault and unvault filters: Ansible Vault (1.2, AES256) text made from
 * a string and a password given in the template, and read back. `salt`
 * makes the output reproducible, as in Ansible (the salt's text is the
 * PBKDF2 salt). Decrypted text is registered as a secret, like every
 * vault plaintext of a run, so the output masks it.
 */
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { decrypt, isVaultText } from '../../vault/index.js';
import { registerSecret } from '../../vault/secrets.js';
import { isString, pyStr, truthy } from '../python.js';
import { FilterError, FilterTypeError, bindArgs, pyTypeName, strict, type FilterFn } from './support.js';

/**
 * Marks a value as an encrypted vault value (Ansible's
 * AnsibleVaultEncryptedUnicode): `is vault_encrypted` is true for it, and
 * `unvault` decrypts its `ciphertext` with the password it is given. A
 * loader that keeps `!vault` values as such objects sets the same marker.
 */
export const VAULT_ENCRYPTED = Symbol.for('uxsv.vaultEncrypted');

export interface VaultEncrypted {
  [VAULT_ENCRYPTED]: true;
  /** The vault text ($ANSIBLE_VAULT;...). */
  ciphertext: string;
}

/** What `vault(..., wrap_object=true)` gives: the vault text, marked as encrypted. */
export class VaultText extends String implements VaultEncrypted {
  readonly [VAULT_ENCRYPTED] = true as const;
  readonly ciphertext: string;

  constructor(ciphertext: string) {
    super(ciphertext);
    this.ciphertext = ciphertext;
  }
}

export function isVaultEncrypted(value: unknown): value is VaultEncrypted {
  return typeof value === 'object' && value !== null && (value as { [VAULT_ENCRYPTED]?: boolean })[VAULT_ENCRYPTED] === true;
}

/** An Ansible error raised with orig_exc: its message, then the original one after it. */
function withCause(what: string, cause: string): string {
  return `${what}: ${cause}. ${cause}`;
}

function pythonClass(value: unknown): string {
  return `<class '${pyTypeName(value)}'>`;
}

/** VaultAES256.encrypt with a chosen salt, in the 1.2 envelope with the vault id as label. */
function encryptWithSalt(plaintext: Buffer, password: string, salt: Buffer, vaultId: string): string {
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 10000, 80, 'sha256');
  const [key, hmacKey, iv] = [derived.subarray(0, 32), derived.subarray(32, 64), derived.subarray(64)];
  const padLength = 16 - (plaintext.length % 16);
  const padded = Buffer.concat([plaintext, Buffer.alloc(padLength, padLength)]);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const ciphertext = Buffer.concat([cipher.update(padded), cipher.final()]);
  const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
  const payload = [salt.toString('hex'), hmac.toString('hex'), ciphertext.toString('hex')].join('\n');
  const body = Buffer.from(payload, 'ascii').toString('hex');
  const header = vaultId && vaultId !== 'default' ? `$ANSIBLE_VAULT;1.2;AES256;${vaultId}` : '$ANSIBLE_VAULT;1.1;AES256';
  const lines = body.match(/.{1,80}/g) ?? [];
  return [header, ...lines, ''].join('\n');
}

function vault(value: unknown, ...args: unknown[]): unknown {
  const [secret, salt = null, vaultId = 'filter_default', wrapObject = false] =
    bindArgs('vault', args, ['secret', 'salt', 'vaultid', 'wrap_object']);
  if (!isString(strict(secret))) throw new FilterTypeError(`Secret passed is required to be a string, instead we got: ${pythonClass(secret)}`);
  if (!isString(strict(value))) throw new FilterTypeError(`Can only vault strings, instead we got: ${pythonClass(value)}`);
  // Ansible's message names the cause twice (its error and the original one).
  if (salt !== null && !truthy(salt)) throw new FilterError(withCause('Unable to encrypt', 'Empty or invalid salt passed to encrypt()'));
  const saltBytes = salt === null ? randomBytes(32) : Buffer.from(pyStr(salt), 'utf8');
  const text = encryptWithSalt(Buffer.from(String(value), 'utf8'), String(secret), saltBytes, pyStr(vaultId));
  return truthy(wrapObject) ? new VaultText(text) : text;
}

function unvault(value: unknown, ...args: unknown[]): string {
  const [secret] = bindArgs('unvault', args, ['secret', 'vaultid']);
  if (!isString(strict(secret))) throw new FilterTypeError(`Secret passed is required to be as string, instead we got: ${pythonClass(secret)}`);
  strict(value);
  if (!isString(value) && !isVaultEncrypted(value)) throw new FilterTypeError(`Vault should be in the form of a string, instead we got: ${pythonClass(value)}`);
  const text = isVaultEncrypted(value) ? value.ciphertext : String(value);
  if (!isVaultText(text)) return text;
  let plaintext: string;
  try {
    plaintext = decrypt(text, String(secret), 'the unvault filter').toString('utf8');
  } catch (err) {
    const reason = (err as Error).message.replace(/ on the unvault filter$/, '');
    throw new FilterError(withCause('Unable to decrypt', reason));
  }
  registerSecret(plaintext, { lines: true });
  return plaintext;
}

export const vaultFilters: Record<string, FilterFn> = {
  vault,
  unvault,
};
