/**
 * Where a value came from, carried by the value itself (Ansible's "unsafe"
 * text, plus our "secret"):
 *
 * - UNSAFE: data from outside the playbook's own text: what a host sent
 *   (registered results, facts, file contents), lookup results and YAML
 *   values tagged `!unsafe`. Unsafe text is never templated again, wherever
 *   it travels (set_fact, lists and dicts, loop items, include vars): a host
 *   cannot make the controller run `{{ lookup('file', ...) }}`.
 * - SECRET: a value decrypted from Ansible Vault, or anything computed from
 *   one (`sec[0:8]`, `sec | lower`, `'x' ~ sec`). Each secret string reports
 *   itself to its run's secret registry (the `sink`) when it is made, so the
 *   output masks derived values too.
 *
 * Strings carry the tags as a `TaggedText` (a String object, like Jinja2's
 * Markup, so `isString`, `String(x)`, `length` and JSON keep working);
 * lists and dicts carry them as a hidden (non-enumerable) property, so that
 * their keys are protected too. Anything computed from a tagged value (a
 * filter's result, a slice, a concatenation, a rendered template) gets the
 * union of its inputs' tags: `carryTags`.
 *
 * Modules and the output never see TaggedText: the module driver and the
 * reporters get `untag`ged plain data.
 */

import { types } from 'node:util';

export const UNSAFE = 1;
export const SECRET = 2;
/**
 * Not a trust tag: a string filter's result (`to_json`, `string`) that stays
 * text where Ansible would otherwise read text back as a list or dict
 * (Ansible's NativeJinjaText). It is not carried to derived values.
 */
export const TEXT = 4;
/**
 * Not a trust tag: with native types, text a playbook value's template
 * made (a concatenation, a filter's result, several pieces joined),
 * Python's `str`. Text read as it is from the playbook's data stays a plain
 * string (Ansible's AnsibleUnicode); only `type_debug` tells the two apart.
 * It is not carried to derived values.
 */
export const MADE_TEXT = 8;
/** The tags that derived values inherit. */
const CARRIED = UNSAFE | SECRET;

/**
 * The marker of a value that came vault-encrypted (Ansible's
 * AnsibleVaultEncryptedUnicode), shared with the vault filters and tests
 * (`is vault_encrypted`, `unvault`): a String object with this symbol set
 * and its `ciphertext`.
 */
export const VAULT_ENCRYPTED = Symbol.for('uxsv.vaultEncrypted');
const VAULT_TEXT = Symbol('uxsv.vaultText');

/** A decrypted `!vault` value that remembers its vault text. */
export function withVaultText(text: TaggedText, ciphertext: string): TaggedText {
  Object.defineProperty(text, VAULT_TEXT, { value: ciphertext.trim(), enumerable: false });
  return text;
}

/** The vault text a value was decrypted from, if it came vault-encrypted. */
export function vaultTextOf(value: unknown): string | undefined {
  return value instanceof TaggedText ? (value as unknown as { [VAULT_TEXT]?: string })[VAULT_TEXT] : undefined;
}

/** Receives every secret string as it is made (the run's secret registry). */
export interface SecretSink {
  add(text: string): void;
}

const TAGS = Symbol('uxsv.tags');
const SINK = Symbol('uxsv.sink');
/** Objects that must never be walked (hostvars: walking it would build every host's variables). */
export const OPAQUE = Symbol('uxsv.opaque');

export class TaggedText extends String {
  constructor(
    text: string,
    readonly tags: number,
    readonly sink?: SecretSink,
  ) {
    super(text);
    if (tags & SECRET) sink?.add(text);
  }
}

type Container = (unknown[] | Record<string, unknown>) & { [TAGS]?: number; [SINK]?: SecretSink };

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null && !(value instanceof String) && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null);
}

/**
 * Opaque objects and proxies: views the engine made (lazy variables,
 * hostvars, a host's variables in it), which render what they hold when it
 * is read. They are never walked (that would build and render all of it) and
 * are passed on as themselves.
 */
export function isOpaque(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (types.isProxy(value) || (value as { [OPAQUE]?: boolean })[OPAQUE] === true);
}

/** The value's own tags (not its contents'). */
export function ownTags(value: unknown): number {
  if (value instanceof TaggedText) return value.tags;
  if (isContainer(value)) return value[TAGS] ?? 0;
  return 0;
}

export function isUnsafe(value: unknown): boolean {
  return (ownTags(value) & UNSAFE) !== 0;
}

/** Tags of the value and everything in it, and the sink of a secret found there. */
export function deepTags(value: unknown): { tags: number; sink?: SecretSink } {
  const out: { tags: number; sink?: SecretSink } = { tags: 0 };
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (out.tags === (UNSAFE | SECRET) && out.sink) return;
    if (v instanceof TaggedText) {
      out.tags |= v.tags;
      out.sink ??= v.sink;
      return;
    }
    if (!isContainer(v) || seen.has(v) || isOpaque(v)) return;
    seen.add(v);
    out.tags |= v[TAGS] ?? 0;
    out.sink ??= v[SINK];
    for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item);
  };
  visit(value);
  return out;
}

/**
 * The value with `tags` added to every string in it and to every list and
 * dict (copies; the input is not changed). Untagged input with tags 0 is
 * returned as is.
 */
export function withTags<T>(value: T, tags: number, sink?: SecretSink): T {
  if (!tags) return value;
  const seen = new Map<object, unknown>();
  const wrap = (v: unknown): unknown => {
    if (typeof v === 'string') return new TaggedText(v, tags, sink);
    if (v instanceof TaggedText) return (v.tags | tags) === v.tags ? v : new TaggedText(String(v), v.tags | tags, v.sink ?? sink);
    if (!isContainer(v) || isOpaque(v)) return v;
    if (seen.has(v)) return seen.get(v);
    const copy: Container = Array.isArray(v) ? [] : {};
    seen.set(v, copy);
    if (Array.isArray(v)) for (const item of v) (copy as unknown[]).push(wrap(item));
    else for (const [k, item] of Object.entries(v)) (copy as Record<string, unknown>)[k] = wrap(item);
    Object.defineProperty(copy, TAGS, { value: (v[TAGS] ?? 0) | tags, enumerable: false, configurable: true });
    if (sink ?? v[SINK]) Object.defineProperty(copy, SINK, { value: sink ?? v[SINK], enumerable: false, configurable: true });
    return copy;
  };
  return wrap(value) as T;
}

/**
 * A new list or dict made from `from` (rendered, copied) gets `from`'s own
 * tags (not deep: its contents carry their own). Changes `to` in place.
 */
export function keepOwnTags<T>(to: T, from: unknown): T {
  if (!isContainer(to) || !isContainer(from)) return to;
  const tags = from[TAGS] ?? 0;
  if (tags) Object.defineProperty(to, TAGS, { value: (to[TAGS] ?? 0) | tags, enumerable: false, configurable: true });
  if (from[SINK] && !to[SINK]) Object.defineProperty(to, SINK, { value: from[SINK], enumerable: false, configurable: true });
  return to;
}

/**
 * Adds `tags` to every string, list and dict in `value`, changing the lists
 * and dicts in place (for a loader building fresh data whose containers may
 * already be shared, as YAML aliases are). Returns the value, or a
 * TaggedText for a string.
 */
export function tagInPlace<T>(value: T, tags: number, sink?: SecretSink): T {
  const seen = new Set<object>();
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string' || v instanceof TaggedText) return withTags(v, tags, sink);
    if (!isContainer(v) || isOpaque(v) || seen.has(v)) return v;
    seen.add(v);
    if (Array.isArray(v)) v.forEach((item, i) => { v[i] = visit(item); });
    else for (const [k, item] of Object.entries(v)) v[k] = visit(item);
    Object.defineProperty(v, TAGS, { value: (v[TAGS] ?? 0) | tags, enumerable: false, configurable: true });
    if (sink && !v[SINK]) Object.defineProperty(v, SINK, { value: sink, enumerable: false, configurable: true });
    return v;
  };
  return visit(value) as T;
}

/** Marks data that came from outside the playbook (a host, a lookup, `!unsafe`). */
export function markUnsafe<T>(value: T): T {
  return withTags(value, UNSAFE);
}

/** Marks a decrypted vault value; every string in it is reported to `sink`. */
export function markSecret<T>(value: T, sink: SecretSink): T {
  return withTags(value, SECRET, sink);
}

/**
 * `output` computed from `inputs` (a filter's result, an operator's, a
 * slice): a string that was not among the inputs is new text made from them
 * and gets every tag found in them; a string that was among them passes
 * through with the tags it had there (`[sec, 'public'] | first` is not
 * secret); lists and dicts get the inputs' UNSAFE tag. Numbers, booleans and
 * None carry nothing: `sec | length` is not a secret.
 */
export function carryTags<T>(output: T, ...inputs: unknown[]): T {
  // Most inputs are plain strings and numbers: nothing to carry, nothing to allocate.
  if (inputs.every((input) => typeof input !== 'object' || input === null)) return output;
  const found = collectStrings(inputs);
  if (!found.tags) return output;
  const seen = new Map<object, unknown>();
  const tag = (v: unknown): unknown => {
    if (typeof v === 'string' || v instanceof TaggedText) {
      const text = String(v);
      const own = v instanceof TaggedText ? v.tags : 0;
      const before = found.strings.get(text);
      const tags = own | (before ? before.tags : found.tags);
      const sink = (v instanceof TaggedText ? v.sink : undefined) ?? before?.sink ?? found.sink;
      if (!tags) return v;
      return v instanceof TaggedText && v.tags === tags ? v : new TaggedText(text, tags, sink);
    }
    if (!isContainer(v) || isOpaque(v)) return v;
    if (seen.has(v)) return seen.get(v);
    const copy: Container = Array.isArray(v) ? [] : {};
    seen.set(v, copy);
    if (Array.isArray(v)) for (const item of v) (copy as unknown[]).push(tag(item));
    else for (const [k, item] of Object.entries(v)) (copy as Record<string, unknown>)[k] = tag(item);
    const tags = (v[TAGS] ?? 0) | (found.tags & UNSAFE);
    if (tags) Object.defineProperty(copy, TAGS, { value: tags, enumerable: false, configurable: true });
    if (v[SINK]) Object.defineProperty(copy, SINK, { value: v[SINK], enumerable: false, configurable: true });
    return copy;
  };
  return tag(output) as T;
}

interface StringTags {
  tags: number;
  sink?: SecretSink;
}

/** Every string in `inputs` with its own tags, and the union of all tags. */
function collectStrings(inputs: unknown[]): StringTags & { strings: Map<string, StringTags> } {
  const out: StringTags & { strings: Map<string, StringTags> } = { tags: 0, strings: new Map() };
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string' || v instanceof TaggedText) {
      const tags = v instanceof TaggedText ? v.tags & CARRIED : 0;
      const sink = v instanceof TaggedText ? v.sink : undefined;
      const text = String(v);
      const known = out.strings.get(text);
      if (!known) out.strings.set(text, { tags, sink });
      else {
        known.tags |= tags;
        known.sink ??= sink;
      }
      out.tags |= tags;
      out.sink ??= sink;
      return;
    }
    if (!isContainer(v) || seen.has(v) || isOpaque(v)) return;
    seen.add(v);
    out.tags |= (v[TAGS] ?? 0) & CARRIED;
    out.sink ??= v[SINK];
    for (const item of Array.isArray(v) ? v : Object.values(v)) visit(item);
  };
  for (const input of inputs) visit(input);
  return out;
}

/**
 * Whether the value or anything in it is unsafe: what a template "touched"
 * when it looked the value up (Ansible marks the whole result unsafe then).
 * `seen` lets one render skip containers it has already looked through.
 */
export function holdsUnsafe(value: unknown, seen: Set<object> = new Set()): boolean {
  if (value instanceof TaggedText) return (value.tags & UNSAFE) !== 0;
  if (!isContainer(value) || isOpaque(value)) return false;
  if ((value[TAGS] ?? 0) & UNSAFE) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    if (typeof item === 'object' && item !== null && holdsUnsafe(item, seen)) return true;
  }
  return false;
}

/**
 * Plain data: every TaggedText back to a string (and every boxed number to
 * a number). Returns the input itself when it holds none (no copy). With
 * `keep`, strings keep those of their tags (`untag(v, UNSAFE | SECRET)`
 * drops only the TEXT marker); with `keepBoxedNumbers`, integral floats stay
 * boxed (for code that knows python.ts FloatValue).
 */
export function untag<T>(value: T, keep = 0, keepBoxedNumbers = false): T {
  const seen = new Map<object, unknown>();
  const plain = (v: unknown): unknown => {
    if (v instanceof TaggedText) {
      const tags = v.tags & keep;
      if (tags === v.tags) return v;
      return tags ? new TaggedText(String(v), tags, v.sink) : String(v);
    }
    // An integral float (python.ts FloatValue) is a number to code outside the templates.
    if (v instanceof Number) return keepBoxedNumbers ? v : Number(v);
    if (!isContainer(v) || isOpaque(v)) return v;
    if (seen.has(v)) return seen.get(v);
    seen.set(v, v);
    let copy: Container | undefined;
    const entries = Array.isArray(v) ? v.entries() : Object.entries(v);
    for (const [k, item] of entries) {
      const p = plain(item);
      if (p !== item && !copy) {
        copy = Array.isArray(v) ? [...v] : { ...v };
        if (keep && v[TAGS]) Object.defineProperty(copy, TAGS, { value: v[TAGS] & keep, enumerable: false, configurable: true });
        seen.set(v, copy);
      }
      if (copy) (copy as Record<string | number, unknown>)[k] = p;
    }
    return copy ?? v;
  };
  return plain(value) as T;
}
