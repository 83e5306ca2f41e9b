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
 * Strings carry the tags as a `TaggedText` (a String object, like nunjucks'
 * SafeString, so `isString`, `String(x)`, `length` and JSON keep working);
 * lists and dicts carry them as a hidden (non-enumerable) property, so that
 * their keys are protected too. Anything computed from a tagged value (a
 * filter's result, a slice, a concatenation, a rendered template) gets the
 * union of its inputs' tags: `carryTags`.
 *
 * Modules and the output never see TaggedText: the module driver and the
 * reporters get `untag`ged plain data.
 */

export const UNSAFE = 1;
export const SECRET = 2;

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

function isOpaque(value: object): boolean {
  return (value as { [OPAQUE]?: boolean })[OPAQUE] === true;
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
    Object.defineProperty(copy, TAGS, { value: (v[TAGS] ?? 0) | tags, enumerable: false });
    if (sink ?? v[SINK]) Object.defineProperty(copy, SINK, { value: sink ?? v[SINK], enumerable: false });
    return copy;
  };
  return wrap(value) as T;
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
 * `output` computed from `inputs`: it gets every tag found in them. Use it
 * for anything a filter, an operator or a render produces.
 */
export function carryTags<T>(output: T, ...inputs: unknown[]): T {
  let tags = 0;
  let sink: SecretSink | undefined;
  for (const input of inputs) {
    const found = deepTags(input);
    tags |= found.tags;
    sink ??= found.sink;
  }
  return withTags(output, tags, sink);
}

/**
 * Plain data: every TaggedText back to a string. Returns the input itself
 * when it holds none (no copy).
 */
export function untag<T>(value: T): T {
  const seen = new Map<object, unknown>();
  const plain = (v: unknown): unknown => {
    if (v instanceof TaggedText) return String(v);
    if (!isContainer(v) || isOpaque(v)) return v;
    if (seen.has(v)) return seen.get(v);
    seen.set(v, v);
    let copy: Container | undefined;
    const entries = Array.isArray(v) ? v.entries() : Object.entries(v);
    for (const [k, item] of entries) {
      const p = plain(item);
      if (p !== item && !copy) {
        copy = Array.isArray(v) ? [...v] : { ...v };
        seen.set(v, copy);
      }
      if (copy) (copy as Record<string | number, unknown>)[k] = p;
    }
    return copy ?? v;
  };
  return plain(value) as T;
}
