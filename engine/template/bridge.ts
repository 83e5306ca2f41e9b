/**
 * How the templates call the filter and test library (filters.ts, tests.ts
 * and any added later): each filter sees plain data (strings, numbers;
 * never a TaggedText or a boxed float) and its result carries the trust
 * tags of its inputs (trust.ts carryTags); tests give plain booleans.
 *
 * JavaScript has one number type where Python has int and float: the
 * templates box an integral float (python.ts FloatValue) so that `4 / 2`
 * prints `2.0`. The library works on plain numbers, so the few filters
 * whose Python result is a float by type are re-boxed here, and the number
 * type tests are answered here; a filter or test that handles FloatValue
 * itself says so (ACCEPTS_FLOAT_VALUE) and gets the boxed value.
 */
import { splitKwargs } from './members.js';
import { FloatValue, PyObject, Undefined, isFloat, isInt, isNumber, isTuple, pyFloat, truthy, typeName, type Dict } from './python.js';
import { keepAsText } from './jinja/output.js';
import { touch, touchedUnsafe } from './trace.js';
import { TEXT, TaggedText, UNSAFE, VAULT_ENCRYPTED, carryTags, markUnsafe, untag, vaultTextOf } from './trust.js';

export type TemplateFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Ansible's STRING_TYPE_FILTERS: their text result stays text (NativeJinjaText). */
const STRING_TYPE_FILTERS = new Set(['string', 'to_json', 'to_nice_json', 'to_yaml', 'to_nice_yaml', 'ppretty', 'json']);

/** Filters whose Python result is a float whatever the numbers' values. */
const FLOAT_FILTERS = new Set(['float', 'log', 'pow', 'root']);

function shortName(name: string): string {
  return name.replace(/^ansible\.(builtin|legacy)\./, '');
}

/** The result's Python type where the library's plain number cannot tell (`4.0 | round` is 4.0). */
function pythonNumber(name: string, args: unknown[], result: unknown): unknown {
  if (typeof result !== 'number') return result;
  if (FLOAT_FILTERS.has(name)) return pyFloat(result);
  if (name === 'round') {
    const { positional, kwargs } = splitKwargs(args.slice(1));
    const method = kwargs.method ?? positional[1] ?? 'common';
    return isFloat(args[0]) || method !== 'common' ? pyFloat(result) : result;
  }
  if (name === 'abs') return isFloat(args[0]) ? pyFloat(result) : result;
  if (name === 'sum') return Array.isArray(args[0]) && args[0].some(isFloat) ? pyFloat(result) : result;
  return result;
}

/**
 * What Ansible's type_debug names where the library, seeing plain data,
 * cannot tell: tagged strings, integral floats, tuples, undefined values and
 * the runtime's own objects (loop, namespace, macro, type).
 */
function taggedTypeName(value: unknown): string | undefined {
  if (value instanceof Undefined) return 'AnsibleUndefined';
  if (value instanceof FloatValue || isTuple(value) || value instanceof PyObject) return typeName(value);
  if (!(value instanceof TaggedText)) return undefined;
  const text = (value.tags & TEXT) !== 0;
  if (value.tags & UNSAFE) return text ? 'NativeJinjaUnsafeText' : 'AnsibleUnsafeText';
  return text ? 'NativeJinjaText' : undefined;
}

/**
 * A filter or test that handles python.ts FloatValue itself (prints `2.0`,
 * says `float`) sets this on its function; it is then given integral floats
 * boxed instead of as plain numbers.
 */
export const ACCEPTS_FLOAT_VALUE = 'acceptsFloatValue';

function acceptsFloatValue(fn: TemplateFunction): boolean {
  return (fn as unknown as Record<string, unknown>)[ACCEPTS_FLOAT_VALUE] === true;
}

/**
 * An argument as the library gets it: plain data; a value that came
 * vault-encrypted is the text marked as such (what `is vault_encrypted`
 * and `unvault` read), as Ansible keeps it.
 */
function plainArgument(arg: unknown, keepFloats: boolean): unknown {
  const ciphertext = vaultTextOf(arg);
  if (ciphertext !== undefined) return Object.assign(new String(String(arg)), { [VAULT_ENCRYPTED]: true, ciphertext });
  return untag(arg, 0, keepFloats);
}

/** A filter as templates call it (see the file comment). */
export function templateFilter(name: string, filter: TemplateFunction): TemplateFunction {
  const short = shortName(name);
  const keepFloats = acceptsFloatValue(filter);
  return function (this: unknown, ...args: unknown[]) {
    if (short === 'type_debug') {
      const tagged = taggedTypeName(args[0]);
      if (tagged) return tagged;
    }
    for (const arg of args) touch(arg);
    let result = filter.apply(this, args.map((arg) => plainArgument(arg, keepFloats)));
    result = pythonNumber(short, args, result);
    result = carryTags(result, ...args);
    return STRING_TYPE_FILTERS.has(short) ? keepAsText(result) : result;
  };
}

/** Tests of a value's number type, answered with Python's int/float distinction. */
const NUMBER_TESTS: Record<string, (value: unknown) => boolean> = {
  // As Python's numbers.Number, which booleans are.
  number: (value) => isNumber(value) || typeof value === 'boolean',
  integer: isInt,
  float: isFloat,
};

/** A test as templates call it: plain data in, a plain boolean out. */
export function templateTest(name: string, test: TemplateFunction): TemplateFunction {
  const numberTest = NUMBER_TESTS[shortName(name)];
  if (numberTest && !acceptsFloatValue(test)) return (value: unknown) => numberTest(value);
  const keepFloats = acceptsFloatValue(test);
  return function (this: unknown, ...args: unknown[]) {
    for (const arg of args) touch(arg);
    return truthy(test.apply(this, args.map((arg) => plainArgument(arg, keepFloats))));
  };
}

/**
 * A lookup global (`lookup`, `query`, `q`): its results are unsafe, as in
 * Ansible: what a lookup read (a file, a command's output) is never
 * templated again, and the render that used it gives unsafe output, unless
 * the call says `allow_unsafe=True` (Ansible marks only when it `is False`).
 */
export function unsafeLookup(lookup: TemplateFunction): TemplateFunction {
  return function (this: unknown, ...args: unknown[]) {
    const allowUnsafe = (splitKwargs(args).kwargs as Dict).allow_unsafe;
    // Terms keep their tags: the lookups template terms again, but never unsafe ones.
    const result = lookup.apply(this, args);
    if (allowUnsafe !== undefined && allowUnsafe !== false) return result;
    if (result === null || result === undefined || (Array.isArray(result) && result.length === 0)) return result;
    touchedUnsafe();
    return markUnsafe(result);
  };
}
