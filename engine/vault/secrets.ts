/**
 * A run's secrets: its vault passwords and the registry of every value it
 * decrypted (an inline `!vault` value; a wholly encrypted vars file, as a
 * whole and each of its leaf strings), plus what templates compute from them
 * (engine/template/trust.ts reports those through `add`, the SecretSink).
 * Every sink that leaves the process (the plain and TTY output, the
 * `--report` JSON, diffs, warnings, verbose output, the errors the CLI
 * prints) replaces each occurrence of a registered value with MASK; modules
 * and the runner know nothing of it, and the values themselves stay intact
 * in memory (templates, files and commands get the real secret).
 *
 * One SecretRegistry belongs to one run: the CLI makes it with the run's
 * passwords and gives it to the loader (what it decrypts is registered
 * there), the reporters (they mask with it) and the runner (RunOptions
 * `secrets` and `decryptVault`). Two runs in one process share nothing.
 *
 * What is recognised is the value as decrypted, its lines when it has several
 * (a key or certificate shown line by line in a diff or an error), its
 * JSON-escaped form (a command that prints JSON) and its shell-quoted form (the
 * `quote` filter). A value transformed any other way (`b64encode`, `upper`,
 * a hash, part of it) is not recognised unless a template computed it (then
 * it is reported through `add`): that is what `no_log` is for.
 *
 * `uxsv vault view/decrypt/encrypt_string` do not use this: printing the
 * plaintext is their job.
 */
import { UserError } from '../errors.js';
import { quote } from '../connection/quote.js';
import type { SecretSink } from '../template/trust.js';
import type { VaultSecrets } from './index.js';

/** What a secret is replaced with (Ansible's own mask). */
export const MASK = '********';

/**
 * Values shorter than this (after trimming whitespace) are not registered:
 * masking every "1", "no" or "on" in the output would wreck it and hide little,
 * since a secret that short is guessed anyway. Surrounding whitespace is
 * trimmed before registering (a block scalar's trailing newline is not part of
 * what the output shows), and the same rule applies to each line of a
 * multi-line value.
 */
export const MIN_SECRET_LENGTH = 3;

export class SecretRegistry implements SecretSink {
  private readonly values = new Set<string>();

  /**
   * `passwords`: the run's vault passwords (none: decrypting fails, asking
   * for one). `inherited`: a registry whose values this one masks too, never
   * adding to it (a run masks what the code paths without a run registered
   * in defaultSecrets, such as the unvault filter).
   */
  constructor(
    private passwords?: VaultSecrets,
    private readonly inherited?: SecretRegistry,
  ) {}

  /** Whether the run was given a vault password. */
  get hasPasswords(): boolean {
    return Boolean(this.passwords && !this.passwords.empty);
  }

  /** How many values are registered (forms and lines included; those of the inherited registry too). */
  get size(): number {
    return this.values.size + (this.inherited?.size ?? 0);
  }

  /** Every registered value, the inherited registry's included. */
  private *known(): Iterable<string> {
    yield* this.values;
    if (this.inherited) yield* this.inherited.known();
  }

  /**
   * Decrypts vaulted text found while loading `source` with the run's
   * passwords, or explains that a password is needed. The plaintext is
   * registered: a `value` with its lines; a whole `file` as it is, its leaf
   * strings being registered by the loader once parsed (registerLeaves).
   */
  decrypt(text: string, source: string, kind: 'value' | 'file' = 'value'): string {
    if (!this.passwords || this.passwords.empty) {
      // `source` names the file (e.g. inventory/production/group_vars/all/vault.yml), or says "a !vault value".
      const what = kind === 'file' ? 'this file is vault-encrypted' : 'this value is vault-encrypted';
      throw new UserError(`${what} and no vault password was given: pass --vault-password-file FILE (or --ask-vault-pass)`, { file: source });
    }
    const plaintext = this.passwords.decrypt(text, source).toString('utf8');
    this.register(plaintext, { lines: kind === 'value' });
    return plaintext;
  }

  /**
   * Registers a decrypted value. With `lines` (the default) each line of a
   * multi-line value is registered too; a whole vars file is registered without
   * (its lines are YAML structure such as `---`; its leaves are registered by
   * registerLeaves).
   */
  register(value: string, options: { lines?: boolean } = {}): void {
    this.addWithVariants(value);
    if (options.lines === false || !/[\r\n]/.test(value.trim())) return;
    for (const line of value.split(/\r?\n|\r/)) this.addWithVariants(line);
  }

  /** Registers every string (keys excepted) in data loaded from a decrypted vars file. */
  registerLeaves(data: unknown, seen = new Set<object>()): void {
    if (typeof data === 'string') return this.register(data);
    if (!data || typeof data !== 'object' || seen.has(data)) return;
    seen.add(data);
    for (const value of Array.isArray(data) ? data : Object.values(data)) this.registerLeaves(value, seen);
  }

  /**
   * SecretSink: a secret string a template computed (a slice, a filter's
   * result, a rendered text holding a secret). The whole string is
   * registered, not its lines: a rendered file holding one secret line would
   * otherwise mask every line of it; and not when it shows a registered
   * secret as it is ("password = s3cret"): masking that secret covers it and
   * leaves the rest of the text readable.
   */
  add(text: string): void {
    for (const secret of this.known()) if (text.includes(secret)) return;
    this.register(text, { lines: false });
  }

  /**
   * Replaces every occurrence of a registered value with MASK. Occurrences that
   * overlap or nest (two secrets sharing characters, one inside another) are
   * merged into a single mask, so no fragment of either is left visible; this
   * is what "longest first" replacement is after, without its blind spot for
   * partial overlaps.
   */
  mask(text: string): string {
    if (this.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    const spans: Array<[number, number]> = [];
    for (const secret of this.known()) {
      if (secret.length > text.length) continue;
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) spans.push([at, at + secret.length]);
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let copied = 0;
    for (let i = 0; i < spans.length; ) {
      const from = spans[i][0];
      let to = spans[i][1];
      for (i++; i < spans.length && spans[i][0] < to; i++) to = Math.max(to, spans[i][1]);
      out += text.slice(copied, from) + MASK;
      copied = to;
    }
    return out + text.slice(copied);
  }

  /**
   * A copy of a JSON-like value with every string (values and keys) masked.
   * The original is not touched (the runner keeps results for `register`).
   * Non-plain objects (Buffer, Date, class instances) are returned as they are.
   */
  maskDeep<T>(value: T): T {
    if (this.size === 0) return value;
    return this.maskValue(value, new Map()) as T;
  }

  /**
   * An error with what the run holds masked, for printing after the run: a
   * UserError as a new one (its message and code frame masked), any other
   * Error masked in place (message and stack), so its class stays.
   */
  maskError<E>(err: E): E {
    if (!(err instanceof Error) || this.size === 0) return err;
    if (err instanceof UserError) return new UserError(this.mask(err.message), err.position, err.frame === undefined ? undefined : this.mask(err.frame)) as E;
    err.message = this.mask(err.message);
    if (err.stack) err.stack = this.mask(err.stack);
    return err;
  }

  /** Forgets every value registered here (the passwords and the inherited registry stay). */
  clear(): void {
    this.values.clear();
  }

  /** Replaces the passwords (the process-wide default only: a run's registry is made with its own). */
  usePasswords(passwords: VaultSecrets | undefined): void {
    this.passwords = passwords;
  }

  private keep(value: string): void {
    const trimmed = value.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH) this.values.add(trimmed);
  }

  /** The forms in which a decrypted value may show up verbatim in output. */
  private addWithVariants(value: string): void {
    this.keep(value);
    this.keep(JSON.stringify(value.trim()).slice(1, -1));
    if (!value.includes('\0')) this.keep(quote(value.trim()));
  }

  private maskValue(value: unknown, seen: Map<object, unknown>): unknown {
    if (typeof value === 'string') return this.mask(value);
    // A tagged string (engine/template/trust.ts TaggedText) that reached the output is text like any other.
    if (value instanceof String) return this.mask(String(value));
    if (!value || typeof value !== 'object') return value;
    const copied = seen.get(value);
    if (copied !== undefined) return copied;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(this.maskValue(item, seen));
      return out;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [key, item] of Object.entries(value)) out[this.mask(key)] = this.maskValue(item, seen);
    return out;
  }
}

/**
 * The registry of code that runs outside a run (a unit test reading a vars
 * file, a command that loads an inventory without playing) and of the code
 * paths that do not take a run's registry yet: the functions below. It starts
 * without passwords, so decrypting there fails with a clear message.
 */
export const defaultSecrets = new SecretRegistry();

/** defaultSecrets.register. @deprecated pass the run's SecretRegistry instead. */
export function registerSecret(value: string, options: { lines?: boolean } = {}): void {
  defaultSecrets.register(value, options);
}

/** defaultSecrets.registerLeaves. @deprecated pass the run's SecretRegistry instead. */
export function registerSecretLeaves(data: unknown): void {
  defaultSecrets.registerLeaves(data);
}

/** defaultSecrets.clear. @deprecated a run's registry starts empty. */
export function clearSecrets(): void {
  defaultSecrets.clear();
}

/** Whether defaultSecrets holds a value. @deprecated use the run's registry. */
export function hasSecrets(): boolean {
  return defaultSecrets.size > 0;
}

/** defaultSecrets.mask. @deprecated mask with the run's registry. */
export function maskSecrets(text: string): string {
  return defaultSecrets.mask(text);
}

/** defaultSecrets.maskDeep. @deprecated mask with the run's registry. */
export function maskSecretsDeep<T>(value: T): T {
  return defaultSecrets.maskDeep(value);
}
