/**
 * The secrets registry: every value decrypted from Ansible Vault while a run
 * loads (an inline `!vault` value; a wholly encrypted vars file, as a whole and
 * each of its leaf strings) is registered here when it is decrypted, and every
 * sink that leaves the process (the plain and TTY output, the `--report` JSON,
 * diffs, warnings, verbose output, the errors the CLI prints) replaces each
 * occurrence of a registered value with MASK. The sinks call maskSecrets /
 * maskSecretsDeep (engine/output/censor.ts, engine/cli/main.ts); modules and
 * the runner know nothing of it, and the values themselves stay intact in
 * memory (templates, files and commands get the real secret).
 *
 * What is recognised is the value as decrypted, its lines when it has several
 * (a key or certificate shown line by line in a diff or an error), its
 * JSON-escaped form (a command that prints JSON) and its shell-quoted form (the
 * `quote` filter). A value transformed any other way (`b64encode`, `upper`,
 * a hash, part of it) is not recognised: that is what `no_log` is for.
 *
 * `uxsv vault view/decrypt/encrypt_string` do not use this: printing the
 * plaintext is their job.
 */
import { quote } from '../connection/quote.js';
import type { SecretSink } from '../template/trust.js';

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

const registered = new Set<string>();

function add(value: string): void {
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH || registered.has(trimmed)) return;
  registered.add(trimmed);
}

/** The forms in which a decrypted value may show up verbatim in output. */
function addWithVariants(value: string): void {
  add(value);
  add(JSON.stringify(value.trim()).slice(1, -1));
  if (!value.includes('\0')) add(quote(value.trim()));
}

/**
 * Registers a decrypted value. With `lines` (the default) each line of a
 * multi-line value is registered too; a whole vars file is registered without
 * (its lines are YAML structure such as `---`; its leaves are registered by
 * registerSecretLeaves).
 */
export function registerSecret(value: string, options: { lines?: boolean } = {}): void {
  addWithVariants(value);
  if (options.lines === false || !/[\r\n]/.test(value.trim())) return;
  for (const line of value.split(/\r?\n|\r/)) addWithVariants(line);
}

/** Registers every string (keys excepted) in data loaded from a decrypted vars file. */
export function registerSecretLeaves(data: unknown, seen = new Set<object>()): void {
  if (typeof data === 'string') return registerSecret(data);
  if (!data || typeof data !== 'object' || seen.has(data)) return;
  seen.add(data);
  for (const value of Array.isArray(data) ? data : Object.values(data)) registerSecretLeaves(value, seen);
}

/**
 * Where the templates report secret strings they compute (a slice, a filter's
 * result, a rendered text holding a secret: engine/template/trust.ts). The
 * whole string is registered, not its lines: a rendered file holding one
 * secret line would otherwise mask every line of it; and not when it shows
 * a registered secret verbatim, which masking that secret already covers.
 */
export const secretSink: SecretSink = {
  add(text: string): void {
    // A text that shows a registered secret as it is ("password = s3cret") is masked where it shows it: registering
    // the whole text too would mask all of it and leave nothing to read around the mask.
    for (const secret of registered) if (text.includes(secret)) return;
    registerSecret(text, { lines: false });
  },
};

/** Forgets every registered value: a run starts empty and registers what it decrypts. */
export function clearSecrets(): void {
  registered.clear();
}

export function hasSecrets(): boolean {
  return registered.size > 0;
}

/**
 * Replaces every occurrence of a registered value with MASK. Occurrences that
 * overlap or nest (two secrets sharing characters, one inside another) are
 * merged into a single mask, so no fragment of either is left visible; this
 * is what "longest first" replacement is after, without its blind spot for
 * partial overlaps.
 */
export function maskSecrets(text: string): string {
  if (registered.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
  const spans: Array<[number, number]> = [];
  for (const secret of registered) {
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
export function maskSecretsDeep<T>(value: T): T {
  if (registered.size === 0) return value;
  return maskValue(value, new Map()) as T;
}

function maskValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (!value || typeof value !== 'object') return value;
  const copied = seen.get(value);
  if (copied !== undefined) return copied;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(maskValue(item, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value)) out[maskSecrets(key)] = maskValue(item, seen);
  return out;
}
