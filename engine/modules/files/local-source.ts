/**
 * Reading a source file on the controller for copy, template and assemble:
 * a vault-encrypted file is decrypted with the run's vault passwords when
 * `decrypt` is on (Ansible's default), and refused with Ansible's message
 * when the run has none.
 */
import { readFileSync } from 'node:fs';
import { decryptLoaded, isVaultText } from '../../vault/index.js';

/** A source that cannot be read (its message is the task's failure). */
export class LocalSourceError extends Error {}

export function readLocalSource(path: string, decrypt = true): Buffer {
  const bytes = readFileSync(path);
  // The vault header is ASCII: only a file starting with it is looked at as text.
  if (!decrypt || bytes.length < 14 || !isVaultText(bytes.subarray(0, 64).toString('latin1'))) return bytes;
  try {
    return Buffer.from(decryptLoaded(bytes.toString('utf8'), path, 'file'), 'utf8');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no vault password was given/.test(message)) throw new LocalSourceError(`A vault password or secret must be specified to decrypt ${path}`);
    throw new LocalSourceError(`Decryption failed (no vault secrets were found that could decrypt) on ${path}`);
  }
}
