/**
 * What a template's output becomes, as Ansible's three Jinja2 environments
 * decide ("concat"):
 * - `text`: the template module (Ansible's ansible_concat): the pieces
 *   joined as text;
 * - `eval`: values in a playbook (ansible_eval_concat): one piece keeps its
 *   value unless it is text; text that looks like a list, a dict or a
 *   boolean is read back as one (`"[1, 2]"` → [1, 2]); everything else is
 *   text, so `{{ 1 + 1 }}` gives "2";
 * - `native`: jinja2_native (ansible_native_concat): one piece keeps its
 *   value; text is read as a Python literal when it is one.
 * Macros, `{% set %}` blocks, filter blocks and recursive loops use the same
 * rule for their own output.
 */
import { FloatValue, PyObject, SilentUndefined, Undefined, failUndefined, isDict, isString, isTuple, pyStr } from '../python.js';
import { printed } from '../trace.js';
import { MADE_TEXT, TEXT, TaggedText, isOpaque, ownTags } from '../trust.js';
import { literalEval } from './literal.js';

/** `value`: one expression's own value (Templar.evaluate). */
export type ConcatMode = 'text' | 'eval' | 'native' | 'value';

/** Ansible's finalize: an Undefined anywhere in a printed value is an error. */
function failOnUndefined(value: unknown, seen: Set<object> = new Set()): void {
  if (value instanceof SilentUndefined) return;
  if (value instanceof Undefined) failUndefined(value);
  if (typeof value !== 'object' || value === null || seen.has(value) || value instanceof String || value instanceof PyObject || isOpaque(value)) return;
  if (!Array.isArray(value) && !isDict(value)) return;
  seen.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) failOnUndefined(item, seen);
}

/** The pieces of one template's (or macro's) output. */
export class Output {
  private readonly parts: unknown[] = [];
  /** The last piece is a value read as it is from a variable (compile.ts readsStoredValue). */
  private lastStored = false;

  constructor(readonly mode: ConcatMode) {}

  data(text: string): void {
    this.lastStored = false;
    this.parts.push(text);
  }

  /** `{{ value }}`: finalized as Ansible does (None prints nothing, except in native mode). */
  value(value: unknown, stored = false): void {
    this.lastStored = stored;
    failOnUndefined(value);
    printed(value);
    if (value instanceof SilentUndefined) value = '';
    if (this.mode === 'text') this.parts.push(value === null || value === undefined ? '' : pyStr(value));
    else this.parts.push(this.mode === 'eval' && (value === null || value === undefined) ? '' : value);
  }

  /** Pieces of another output (an include, a block) join this one as they are. */
  append(other: Output): void {
    this.lastStored = false;
    this.parts.push(...other.parts);
  }

  text(): string {
    // In text mode every piece is already a string.
    if (this.mode === 'text') return this.parts.join('');
    return this.parts.map((p) => (isString(p) ? String(p) : pyStr(p))).join('');
  }

  /**
   * Whether `result` (this output's result) is text the template made, not
   * a variable's text passed through as it is (`{{ name }}` alone): Python's
   * `str`. Marked with native types only, where values already carry such
   * markers (NativeJinjaText); otherwise callers get plain strings.
   */
  madeText(result: unknown): boolean {
    if (this.mode !== 'native' || typeof result !== 'string') return false;
    return !(this.parts.length === 1 && this.lastStored && this.parts[0] === result);
  }

  /** The output as Ansible's concat for this mode makes it. */
  result(): unknown {
    const parts = this.parts;
    if (this.mode === 'text') return this.text();
    if (this.mode === 'value') return parts.length === 0 ? null : parts.length === 1 ? parts[0] : this.text();
    if (parts.length === 0) return this.mode === 'native' ? null : '';
    if (parts.length === 1) {
      const only = parts[0];
      if (ownTags(only) & TEXT) return only;
      if (this.mode === 'native' && !isString(only)) return only;
      if (this.mode === 'eval' && !isString(only) && literalRoundTrips(only)) return only;
    }
    const text = this.text();
    if (this.mode === 'eval') {
      if (!(text.startsWith('{') || text.startsWith('[') || text === 'True' || text === 'False')) return text;
      const value = literalEval(text, { json: true });
      return value === undefined ? text : value;
    }
    const value = literalEval(text);
    if (value === undefined) return text;
    // Ansible keeps the quotes of a string literal ("'x'" stays "'x'").
    if (isString(value)) return `${text[0]}${String(value)}${text[0]}`;
    return value;
  }
}

/**
 * Whether a value printed and read back with literal_eval gives itself: a
 * bool, or a list/dict of plain data (Ansible takes that road; taking the
 * value itself skips the printing and keeps its tags). Other values (a
 * number, None) read back as text, which the caller does.
 */
function literalRoundTrips(value: unknown): boolean {
  if (typeof value === 'boolean' || isOpaque(value)) return true;
  // A tuple prints as `(1, 2)`, which is not read back.
  if ((!Array.isArray(value) || isTuple(value)) && !isDict(value)) return false;
  const plain = (v: unknown): boolean => {
    if (isOpaque(v)) return true;
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || v instanceof FloatValue || isString(v)) {
      return typeof v !== 'number' || Number.isFinite(v);
    }
    if (Array.isArray(v)) return v.every(plain);
    if (isDict(v)) return Object.values(v).every(plain);
    return false;
  };
  return plain(value);
}

/** The top-level result of a template, made text marked as such (trust.ts MADE_TEXT). */
export function topLevelResult(out: Output): unknown {
  const result = out.result();
  return out.madeText(result) ? new TaggedText(result as string, MADE_TEXT) : result;
}

/** Marks a string filter's result as text that stays text (Ansible's NativeJinjaText). */
export function keepAsText(value: unknown): unknown {
  if (!isString(value)) return value;
  return new TaggedText(String(value), ownTags(value) | TEXT, value instanceof TaggedText ? value.sink : undefined);
}
