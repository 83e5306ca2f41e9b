/**
 * Python/Jinja2 value semantics that JavaScript does not share: truthiness
 * (empty list and dict are false), deep equality, `+` on lists, `str()` and
 * `repr()` formatting, `in`, slicing, int versus float, tuples, and %
 * formatting. The compiled templates call these through the runtime; the
 * filter library uses them too.
 *
 * Numbers: a JavaScript number is a Python int when it is integral and a
 * float otherwise; an integral float (`1.0`, `4 / 2`) is a FloatValue, so
 * that it prints as Python prints it (`2.0`). Tuples are arrays marked as
 * such (they print as `(1, 2)`).
 */
import { types } from 'node:util';

/**
 * The value of a variable, attribute or item that does not exist (Jinja2's
 * Undefined, as Ansible configures it: any use but a test, `default` or
 * attribute access is an error, and attribute access gives the same
 * Undefined back, keeping the first failure).
 */
export class Undefined {
  constructor(
    /** The expression as written, e.g. `a.b`, or the variable's name. */
    readonly name: string,
    /** Why it is undefined, e.g. "'dict object' has no attribute 'b'": Jinja2's message. */
    readonly reason: string,
  ) {}
}

/**
 * The missing `else` of `{{ x if cond }}`: Jinja2's lenient Undefined, which
 * prints as nothing, is false and iterates as empty.
 */
export class SilentUndefined extends Undefined {}

/** Thrown when an Undefined is used (printed, iterated, compared...). */
export class UndefinedVariableError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'UndefinedVariableError';
  }
}

export function isUndefinedValue(value: unknown): value is Undefined | undefined {
  return value === undefined || value instanceof Undefined;
}

/** Fails with the Undefined's own message. */
export function failUndefined(value: Undefined): never {
  throw new UndefinedVariableError(value.name, value.reason);
}

/** The runtime's objects that are neither dicts nor lists (loop, namespace, macros' modules...). */
export abstract class PyObject {
  /** Python's type name (`LoopContext`, `Namespace`). */
  abstract get pyType(): string;
  /** What `str()` gives. */
  abstract pyStr(): string;
  /** An attribute (`loop.index`, `ns.count`); undefined when there is none. */
  abstract attribute(name: string): unknown;
}

export type Dict = Record<string, unknown>;

/**
 * Whether a dict has a key. A proxy (hostvars, lazy variables) answers
 * through its `has`, which may know keys it does not list; a plain dict's
 * inherited properties (`constructor`) are not keys.
 */
export function hasKey(d: Dict, key: string): boolean {
  return types.isProxy(d) ? key in d : Object.hasOwn(d, key);
}

export function isDict(value: unknown): value is Dict {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Undefined) return false;
  // String objects (TaggedText) are strings; Number objects (FloatValue) numbers.
  return !(value instanceof String) && !(value instanceof Number) && !(value instanceof PyObject);
}

/** Strings, including the String objects that carry trust tags (TaggedText). */
export function isString(value: unknown): value is string | String {
  return typeof value === 'string' || value instanceof String;
}

// ---- numbers ----

/** An integral float (`1.0`): JavaScript cannot tell it from the int 1. */
export class FloatValue extends Number {}

/** A float: integral values are boxed so they keep printing as floats. */
export function pyFloat(n: number): number | FloatValue {
  return Number.isInteger(n) ? new FloatValue(n) : n;
}

export function isFloat(value: unknown): boolean {
  return value instanceof FloatValue || (typeof value === 'number' && !Number.isInteger(value));
}

/** Python int (booleans excluded). */
export function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** int or float (booleans excluded). */
export function isNumber(value: unknown): value is number | FloatValue {
  return typeof value === 'number' || value instanceof FloatValue;
}

/** Plain JavaScript data: FloatValue becomes a number (what foreign code is given). */
export function plainNumber<T>(value: T): T | number {
  return value instanceof FloatValue ? Number(value) : value;
}

function numeric(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof FloatValue;
}

// ---- tuples ----

const TUPLE = Symbol('uxsv.tuple');

/** A tuple: an array that prints as `(1, 2)`. */
export function tuple<T>(items: T[]): T[] {
  Object.defineProperty(items, TUPLE, { value: true, enumerable: false });
  return items;
}

export function isTuple(value: unknown): boolean {
  return Array.isArray(value) && (value as { [TUPLE]?: boolean })[TUPLE] === true;
}

// ---- types and truth ----

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (isNumber(value)) return isFloat(value) ? 'float' : 'int';
  if (isString(value)) return 'str';
  if (Array.isArray(value)) return isTuple(value) ? 'tuple' : 'list';
  if (value instanceof Undefined) return 'AnsibleUndefined';
  if (value instanceof PyObject) return value.pyType;
  if (typeof value === 'function') return 'function';
  return 'dict';
}

export function truthy(value: unknown): boolean {
  if (value instanceof SilentUndefined) return false;
  if (value instanceof Undefined) failUndefined(value);
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (value instanceof FloatValue) return Number(value) !== 0;
  if (isString(value)) return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof PyObject || typeof value === 'function') return true;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

// ---- str and repr ----

/** Python's `repr()`: strings quoted, True/False/None, lists, tuples and dicts. */
export function repr(value: unknown): string {
  if (isString(value)) return reprString(String(value));
  if (Array.isArray(value)) {
    const items = value.map(repr);
    if (isTuple(value)) return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
    return `[${items.join(', ')}]`;
  }
  if (isDict(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${reprString(k)}: ${repr(v)}`).join(', ')}}`;
  }
  if (value instanceof Undefined) return reprUndefined(value);
  return pyStr(value);
}

/**
 * Ansible's repr of an undefined value: a missing variable has no hint of
 * its own (Jinja2 words "'x' is undefined" only when it is used); an
 * explicit one (`undef('why')`, a lazy variable's failure) is shown.
 */
function reprUndefined(value: Undefined): string {
  const hint = value.reason === `'${value.name}' is undefined` ? 'None' : reprString(value.reason);
  return `AnsibleUndefined(hint=${hint}, obj=missing, name=${reprString(value.name)})`;
}

const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code > 0x7f && UNPRINTABLE.test(ch)) {
      out += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** Python's `str()`: what `~`, `string` and `join` produce. */
export function pyStr(value: unknown): string {
  if (value instanceof SilentUndefined) return '';
  if (value instanceof Undefined) failUndefined(value);
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? formatInt(value) : formatFloat(value);
  if (value instanceof FloatValue) return formatFloat(Number(value));
  if (isString(value)) return String(value);
  if (Array.isArray(value) || isDict(value)) return repr(value);
  if (value instanceof PyObject) return value.pyStr();
  if (typeof value === 'function') return `<function ${value.name || 'anonymous'}>`;
  return String(value);
}

function formatInt(n: number): string {
  return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
}

/** Python's float repr: the shortest round-trip digits, `1.0`, `1e+16`, `1e-05`. */
export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = n.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const text = String(n);
  return Number.isInteger(n) ? `${formatInt(n)}.0` : text.includes('e') ? n.toFixed(Math.max(0, -exponent + mantissa.replace(/[-.]/g, '').length - 1)) : text;
}

/**
 * What `{{ value }}` prints. None prints as an empty string, as Ansible's
 * finalize hook does; lists and dicts print in Python repr form
 * (`['a', 'b']`, `{'k': 1}`), as they do in Ansible.
 */
export function outputStr(value: unknown): string {
  if (value === null || value === undefined) return '';
  return pyStr(value);
}

// ---- comparisons ----

export function eq(a: unknown, b: unknown): boolean {
  if (a instanceof Undefined) failUndefined(a);
  if (b instanceof Undefined) failUndefined(b);
  if (a === b) return true;
  if (a === undefined || b === undefined) return a === b || (a ?? null) === (b ?? null);
  if (isString(a) && isString(b)) return String(a) === String(b);
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => eq(x, b[i]));
  }
  if (isDict(a) && isDict(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && eq(a[k], b[k]));
  }
  return false;
}

type Ordering = '<' | '>' | '<=' | '>=';

/** Ordering comparisons refuse mixed types, as Python 3 does ('12' < 3 is an error). */
export function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === '==' || op === '===') return eq(a, b);
  if (op === '!=' || op === '!==') return !eq(a, b);
  const x = orderable(a);
  const y = orderable(b);
  if (typeof x !== typeof y || Array.isArray(x) !== Array.isArray(y)) {
    throw new TypeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  }
  const c = Array.isArray(x) ? compareLists(x, y as unknown[]) : (x as string) < (y as string) ? -1 : (x as string) > (y as string) ? 1 : 0;
  switch (op as Ordering) {
    case '<': return c < 0;
    case '>': return c > 0;
    case '<=': return c <= 0;
    case '>=': return c >= 0;
    default: throw new Error(`unknown comparison operator ${op}`);
  }
}

function orderable(v: unknown): number | string | unknown[] {
  if (numeric(v)) return Number(v);
  if (isString(v)) return String(v);
  if (Array.isArray(v)) return v;
  if (v instanceof Undefined) failUndefined(v);
  throw new TypeError(`'${typeName(v)}' values cannot be ordered`);
}

function compareLists(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (compare(a[i], '<', b[i])) return -1;
    if (compare(a[i], '>', b[i])) return 1;
  }
  return a.length - b.length;
}

/** Sort comparator with Python ordering (numbers numerically, strings by code point). */
export function sortKey(a: unknown, b: unknown): number {
  if (compare(a, '<', b)) return -1;
  if (compare(a, '>', b)) return 1;
  return 0;
}

export function contains(container: unknown, item: unknown): boolean {
  if (container instanceof Undefined) failUndefined(container);
  if (item instanceof Undefined) failUndefined(item);
  if (Array.isArray(container)) return container.some((x) => eq(x, item));
  if (isString(container)) {
    if (!isString(item)) throw new TypeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return String(container).includes(String(item));
  }
  if (isDict(container)) return isString(item) || isNumber(item) ? hasKey(container, pyStr(item)) : false;
  throw new TypeError(`argument of type '${typeName(container)}' is not iterable`);
}

// ---- arithmetic ----

/** Python's ZeroDivisionError. */
export class ZeroDivisionError extends RangeError {
  override name = 'ZeroDivisionError';
}

function operandError(op: string, a: unknown, b: unknown): TypeError {
  return new TypeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** A numeric result: a float when Python's would be (a float operand, or true division). */
function numberResult(n: number, float: boolean): number | FloatValue {
  return float ? pyFloat(n) : n;
}

export function add(a: unknown, b: unknown): unknown {
  if (a instanceof Undefined) failUndefined(a);
  if (b instanceof Undefined) failUndefined(b);
  if (Array.isArray(a) && Array.isArray(b)) return isTuple(a) && isTuple(b) ? tuple([...a, ...b]) : [...a, ...b];
  if (isString(a) && isString(b)) return String(a) + String(b);
  if (numeric(a) && numeric(b)) return numberResult(Number(a) + Number(b), isFloat(a) || isFloat(b));
  if (isString(a)) throw new TypeError(`can only concatenate str (not "${typeName(b)}") to str`);
  if (Array.isArray(a)) throw new TypeError(`can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`);
  throw operandError('+', a, b);
}

export function mul(a: unknown, b: unknown): unknown {
  if (a instanceof Undefined) failUndefined(a);
  if (b instanceof Undefined) failUndefined(b);
  if (numeric(a) && numeric(b)) return numberResult(Number(a) * Number(b), isFloat(a) || isFloat(b));
  const [seq, count] = numeric(a) ? [b, a] : [a, b];
  if (!isInt(count) && typeof count !== 'boolean') {
    if (isFloat(count)) throw new TypeError(`can't multiply sequence by non-int of type 'float'`);
    throw operandError('*', a, b);
  }
  const times = Math.max(0, Number(count));
  if (isString(seq)) return String(seq).repeat(times);
  if (Array.isArray(seq)) return Array.from({ length: times }, () => seq).flat();
  throw operandError('*', a, b);
}

export function neg(value: unknown): unknown {
  if (value instanceof Undefined) failUndefined(value);
  if (!numeric(value)) throw new TypeError(`bad operand type for unary -: '${typeName(value)}'`);
  return numberResult(-Number(value), isFloat(value));
}

export function pos(value: unknown): unknown {
  if (value instanceof Undefined) failUndefined(value);
  if (!numeric(value)) throw new TypeError(`bad operand type for unary +: '${typeName(value)}'`);
  return typeof value === 'boolean' ? Number(value) : value;
}

export function arith(op: '-' | '/' | '//' | '%' | '**', a: unknown, b: unknown): unknown {
  if (a instanceof Undefined) failUndefined(a);
  if (b instanceof Undefined) failUndefined(b);
  // `'%s:%d' % (host, port)`: tuples are lists here.
  if (op === '%' && isString(a)) return percentFormat(String(a), Array.isArray(b) ? b : isDict(b) ? b : [b]);
  if (!numeric(a) || !numeric(b)) throw operandError(op === '**' ? '** or pow()' : op, a, b);
  const x = Number(a);
  const y = Number(b);
  const float = isFloat(a) || isFloat(b);
  if (y === 0 && (op === '/' || op === '//' || op === '%')) {
    const messages = float
      ? { '/': 'float division by zero', '//': 'float floor division by zero', '%': 'float modulo' }
      : { '/': 'division by zero', '//': 'integer division or modulo by zero', '%': 'integer modulo by zero' };
    throw new ZeroDivisionError(messages[op]);
  }
  switch (op) {
    case '-': return numberResult(x - y, float);
    case '/': return pyFloat(x / y);
    case '//': return numberResult(Math.floor(x / y), float);
    case '%': return numberResult(x - y * Math.floor(x / y), float); // the divisor's sign, as in Python
    case '**': {
      if (x === 0 && y < 0) throw new RangeError('0.0 cannot be raised to a negative power');
      return numberResult(x ** y, float || y < 0);
    }
  }
}

// ---- % formatting ----

const PERCENT = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

/**
 * Python %-formatting: `'%s:%d' % (host, port)`, `'%(name)s' % {'name': x}`,
 * widths, precision and flags. `args` is the tuple (or the one value in a
 * list), or a dict for named fields.
 */
export function percentFormat(template: string, args: unknown[] | Dict): string {
  let next = 0;
  const positional = Array.isArray(args) ? args : [args];
  const take = (): unknown => {
    if (next >= positional.length) throw new TypeError('not enough arguments for format string');
    return positional[next++];
  };
  let usedMapping = false;
  const out = template.replace(PERCENT, (_m, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const w = width === '*' ? Number(take()) : Number(width ?? 0);
    const p = precision === '*' ? Number(take()) : precision === undefined ? undefined : Number(precision);
    let arg: unknown;
    if (key !== undefined) {
      if (!isDict(args)) throw new TypeError('format requires a mapping');
      if (!Object.hasOwn(args, key)) throw new RangeError(`'${key}'`);
      arg = args[key];
      usedMapping = true;
    } else arg = take();
    return pad(formatOne(arg, conv, flags, p), w, flags, /[diouxXeEfFgG]/.test(conv));
  });
  if (!usedMapping && Array.isArray(args) && next < positional.length) throw new TypeError('not all arguments converted during string formatting');
  return out;
}

function formatOne(arg: unknown, conv: string, flags: string, precision: number | undefined): string {
  const sign = (n: number, text: string) => (n < 0 || Object.is(n, -0) ? text : flags.includes('+') ? `+${text}` : flags.includes(' ') ? ` ${text}` : text);
  const number = (): number => {
    if (!numeric(arg)) throw new TypeError(`%${conv} format: a real number is required, not ${typeName(arg)}`);
    return Number(arg);
  };
  switch (conv) {
    case 's': { const s = pyStr(arg); return precision === undefined ? s : s.slice(0, precision); }
    case 'r': case 'a': { const s = repr(arg); return precision === undefined ? s : s.slice(0, precision); }
    case 'c': return isString(arg) ? String(arg) : String.fromCodePoint(number());
    case 'd': case 'i': case 'u': { const n = Math.trunc(number()); return sign(n, String(Math.abs(n))); }
    case 'o': case 'x': case 'X': {
      const n = Math.trunc(number());
      let digits = Math.abs(n).toString(conv === 'o' ? 8 : 16);
      if (conv === 'X') digits = digits.toUpperCase();
      if (flags.includes('#')) digits = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + digits;
      return sign(n, digits);
    }
    case 'e': case 'E': {
      const n = number();
      const [m, e] = Math.abs(n).toExponential(precision ?? 6).split('e') as [string, string];
      const text = `${m}e${Number(e) < 0 ? '-' : '+'}${String(Math.abs(Number(e))).padStart(2, '0')}`;
      return sign(n, conv === 'E' ? text.toUpperCase() : text);
    }
    case 'f': case 'F': { const n = number(); return sign(n, Math.abs(n).toFixed(precision ?? 6)); }
    default: {
      // %g: the shorter of %e and %f, trailing zeros removed.
      const n = number();
      const digits = precision === 0 ? 1 : (precision ?? 6);
      const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
      let text = exp < -4 || exp >= digits ? Math.abs(n).toExponential(digits - 1) : Math.abs(n).toFixed(Math.max(0, digits - 1 - exp));
      if (!flags.includes('#')) text = text.replace(/\.?0+(?=e|$)/, '');
      text = text.replace(/e([+-])(\d)$/, 'e$10$2');
      return sign(n, conv === 'G' ? text.toUpperCase() : text);
    }
  }
}

function pad(text: string, width: number, flags: string, isNumber: boolean): string {
  if (text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (flags.includes('0') && isNumber) {
    const signChar = /^[-+ ]/.test(text) ? text[0]! : '';
    return signChar + text.slice(signChar.length).padStart(width - signChar.length, '0');
  }
  return text.padStart(width);
}

// ---- sequences ----

/** What a `for` loop iterates: lists as is, dict keys, string characters. */
export function iterate(value: unknown): unknown[] {
  if (value instanceof SilentUndefined) return [];
  if (value instanceof Undefined) failUndefined(value);
  if (Array.isArray(value)) return value;
  if (isString(value)) return [...String(value)];
  if (value instanceof Map) return [...value.keys()];
  if (value instanceof Set) return [...value];
  if (isDict(value)) return Object.keys(value);
  throw new TypeError(`'${typeName(value)}' object is not iterable`);
}

export function slice(value: unknown, start: number | null, stop: number | null, step: number | null): unknown {
  if (value instanceof Undefined) failUndefined(value);
  const isStr = isString(value);
  const seq: unknown[] = isStr ? [...String(value)] : Array.isArray(value) ? value : [];
  if (!isStr && !Array.isArray(value)) throw new TypeError(`'${typeName(value)}' object is not subscriptable`);
  for (const bound of [start, stop, step]) {
    if (bound !== null && !isInt(bound) && typeof bound !== 'boolean') throw new TypeError('slice indices must be integers or None or have an __index__ method');
  }
  const by = step === null ? 1 : Number(step);
  if (by === 0) throw new RangeError('slice step cannot be zero');
  const len = seq.length;
  const clamp = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + len : i, lo), hi);
  const out: unknown[] = [];
  if (by > 0) {
    const from = start === null ? 0 : clamp(Number(start), 0, len);
    const to = stop === null ? len : clamp(Number(stop), 0, len);
    for (let i = from; i < to; i += by) out.push(seq[i]);
  } else {
    const from = start === null ? len - 1 : clamp(Number(start), -1, len - 1);
    const to = stop === null ? -1 : clamp(Number(stop), -1, len - 1);
    for (let i = from; i > to; i += by) out.push(seq[i]);
  }
  if (isStr) return out.join('');
  return isTuple(value) ? tuple(out) : out;
}

/** Build a dict from a flat [key, value, key, value, ...] list, as a `{k: v}` literal does. */
export function dictLiteral(flat: unknown[]): Dict {
  const out: Dict = {};
  for (let i = 0; i < flat.length; i += 2) out[dictKey(flat[i])] = flat[i + 1];
  return out;
}

/** A dict key: JavaScript objects have string keys, so `{1: 'a'}` is keyed '1'. */
export function dictKey(key: unknown): string {
  if (key instanceof Undefined) failUndefined(key);
  if (Array.isArray(key) || isDict(key)) throw new TypeError(`unhashable type: '${typeName(key)}'`);
  return pyStr(key);
}
