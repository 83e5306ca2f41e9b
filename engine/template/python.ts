/**
 * Python/Jinja2 value semantics that JavaScript does not share: truthiness
 * (empty list and dict are false), deep equality, `+` on lists, `str()` and
 * `repr()` formatting, `in`, slicing, and the string/dict/list methods that
 * Ansible users call inside expressions. The compiled templates call these
 * through the `py` runtime (compiler.ts).
 */

/**
 * The value of a variable that does not exist, returned only where a filter or
 * test is about to handle it (`default`, `is defined`, `mandatory`). Everywhere
 * else an undefined lookup throws straight away.
 */
export class Undefined {
  constructor(
    /** The expression as written, e.g. `a.b`. */
    readonly name: string,
    /** Why it is undefined, e.g. "'dict object' has no attribute 'b'". */
    readonly reason: string,
  ) {}
}

/** Thrown inside a render when an undefined variable is used. */
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

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Undefined) return false;
  // String objects (nunjucks' SafeString) are strings, not mappings.
  return !(value instanceof String);
}

/** Strings, including nunjucks' SafeString wrapper. */
export function isString(value: unknown): value is string | String {
  return typeof value === 'string' || value instanceof String;
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (isString(value)) return 'str';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Undefined) return 'AnsibleUndefined';
  if (typeof value === 'function') return 'function';
  return 'dict';
}

export function truthy(value: unknown): boolean {
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (isString(value)) return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Python's `repr()`: strings quoted, True/False/None, lists and dicts. */
export function repr(value: unknown): string {
  if (isString(value)) return reprString(String(value));
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (isDict(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${reprString(k)}: ${repr(v)}`).join(', ')}}`;
  }
  return pyStr(value);
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const escaped = s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return quote + (quote === "'" ? escaped.replace(/'/g, "\\'") : escaped) + quote;
}

/** Python's `str()`: what `~`, `string` and `join` produce. */
export function pyStr(value: unknown): string {
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return formatNumber(value);
  if (isString(value)) return String(value);
  if (Array.isArray(value) || isDict(value)) return repr(value);
  if (typeof value === 'function') return `<function ${value.name || 'anonymous'}>`;
  return String(value);
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
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

export function eq(a: unknown, b: unknown): boolean {
  if (a instanceof Undefined) throw new UndefinedVariableError(a.name, a.reason);
  if (b instanceof Undefined) throw new UndefinedVariableError(b.name, b.reason);
  if (a === b) return true;
  if (a === undefined || b === undefined) return a === b || (a ?? null) === (b ?? null);
  if (isString(a) && isString(b)) return String(a) === String(b);
  if ((typeof a === 'boolean' || typeof a === 'number') && (typeof b === 'boolean' || typeof b === 'number')) {
    return Number(a) === Number(b);
  }
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
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  if (isString(v)) return String(v);
  if (Array.isArray(v)) return v;
  if (v instanceof Undefined) throw new UndefinedVariableError(v.name, v.reason);
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
  if (container instanceof Undefined) throw new UndefinedVariableError(container.name, container.reason);
  if (Array.isArray(container)) return container.some((x) => eq(x, item));
  if (isString(container)) {
    if (!isString(item)) throw new TypeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return String(container).includes(String(item));
  }
  if (isDict(container)) return isString(item) || typeof item === 'number' ? Object.hasOwn(container, String(item)) : false;
  throw new TypeError(`argument of type '${typeName(container)}' is not iterable`);
}

function operandError(op: string, a: unknown, b: unknown): TypeError {
  return new TypeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function numeric(v: unknown): v is number | boolean {
  return typeof v === 'number' || typeof v === 'boolean';
}

export function add(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (isString(a) && isString(b)) return String(a) + String(b);
  if (numeric(a) && numeric(b)) return Number(a) + Number(b);
  throw operandError('+', a, b);
}

export function mul(a: unknown, b: unknown): unknown {
  if (numeric(a) && numeric(b)) return Number(a) * Number(b);
  const [seq, times] = numeric(a) ? [b, Number(a)] : [a, Number(b)];
  if (!numeric(numeric(a) ? a : b)) throw operandError('*', a, b);
  if (isString(seq)) return String(seq).repeat(Math.max(0, times));
  if (Array.isArray(seq)) return Array.from({ length: Math.max(0, times) }, () => seq).flat();
  throw operandError('*', a, b);
}

/** Python %-formatting: `'%s:%d' | format(host, port)`. */
export function percentFormat(template: string, args: unknown[]): string {
  let next = 0;
  return template.replace(/%(-?)(0?)(\d*)(?:\.(\d+))?([sdifrx%])/g, (_m, left: string, zero: string, width: string, precision: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    const arg = args[next++];
    let text: string;
    if (conv === 's') text = pyStr(arg);
    else if (conv === 'r') text = repr(arg);
    else if (conv === 'd' || conv === 'i') text = String(Math.trunc(Number(arg)));
    else if (conv === 'x') text = Math.trunc(Number(arg)).toString(16);
    else text = Number(arg).toFixed(precision === undefined ? 6 : Number(precision));
    const w = Number(width || 0);
    return left ? text.padEnd(w) : text.padStart(w, zero && conv !== 's' ? '0' : ' ');
  });
}

export function arith(op: '-' | '/' | '//' | '%' | '**', a: unknown, b: unknown): unknown {
  // `'%s:%d' % (host, port)`: tuples are lists here.
  if (op === '%' && isString(a)) return percentFormat(String(a), Array.isArray(b) ? b : [b]);
  if (!numeric(a) || !numeric(b)) throw operandError(op, a, b);
  const x = Number(a);
  const y = Number(b);
  if (y === 0 && (op === '/' || op === '//' || op === '%')) throw new RangeError('division by zero');
  switch (op) {
    case '-': return x - y;
    case '/': return x / y;
    case '//': return Math.floor(x / y);
    case '%': return ((x % y) + y) % y; // Python's modulo takes the divisor's sign
    case '**': return x ** y;
  }
}

/** What a `for` loop iterates: lists as is, dict keys, string characters. */
export function iterate(value: unknown): unknown[] {
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  if (Array.isArray(value)) return value;
  if (isString(value)) return [...String(value)];
  if (value instanceof Map) return [...value.keys()];
  if (value instanceof Set) return [...value];
  if (isDict(value)) return Object.keys(value);
  throw new TypeError(`'${typeName(value)}' object is not iterable`);
}

export function slice(value: unknown, start: number | null, stop: number | null, step: number | null): unknown {
  const isStr = isString(value);
  const seq: unknown[] = isStr ? [...String(value)] : Array.isArray(value) ? value : [];
  if (!isStr && !Array.isArray(value)) throw new TypeError(`'${typeName(value)}' object is not subscriptable`);
  const by = step ?? 1;
  if (by === 0) throw new RangeError('slice step cannot be zero');
  const len = seq.length;
  const clamp = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + len : i, lo), hi);
  const out: unknown[] = [];
  if (by > 0) {
    const from = start === null ? 0 : clamp(start, 0, len);
    const to = stop === null ? len : clamp(stop, 0, len);
    for (let i = from; i < to; i += by) out.push(seq[i]);
  } else {
    const from = start === null ? len - 1 : clamp(start, -1, len - 1);
    const to = stop === null ? -1 : clamp(stop, -1, len - 1);
    for (let i = from; i > to; i += by) out.push(seq[i]);
  }
  return isStr ? out.join('') : out;
}

/** Build a dict from a flat [key, value, key, value, ...] list, as a `{k: v}` literal does. */
export function dictLiteral(flat: unknown[]): Dict {
  const out: Dict = {};
  for (let i = 0; i < flat.length; i += 2) out[pyStr(flat[i])] = flat[i + 1];
  return out;
}
