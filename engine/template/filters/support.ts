/**
 * What every filter and test family shares: the calling convention (nunjucks
 * binds `this` to the render context and passes keyword arguments as a
 * trailing object), Python-style argument binding, Jinja2's attribute getter,
 * Python's ordering for sorts, and the errors a user sees.
 */
import { member, splitKwargs } from '../members.js';
import { Undefined, UndefinedVariableError, eq, isDict, isString, iterate, pyStr, typeName, type Dict } from '../python.js';

/** What nunjucks binds `this` to when calling a filter or test: the render context. */
export interface FilterContext {
  env: {
    getFilter(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
    getTest(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
  };
}

export type FilterFn = (this: FilterContext, value: unknown, ...args: unknown[]) => unknown;
export type TestFn = (this: FilterContext, value: unknown, ...args: unknown[]) => boolean;

/** Ansible's AnsibleFilterError: the message is what the user reads. */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnsibleFilterError';
  }
}

/** Ansible's AnsibleFilterTypeError. */
export class FilterTypeError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'AnsibleFilterTypeError';
  }
}

/**
 * Bind positional and keyword arguments to parameter names, Python style.
 * Returns the arguments in parameter order (undefined where not given), so
 * callers can use JavaScript defaults; an explicit None stays null.
 */
export function bindArgs(filter: string, args: unknown[], names: string[]): unknown[] {
  const { positional, kwargs } = splitKwargs(args);
  if (positional.length > names.length) {
    throw new TypeError(`${filter}() takes at most ${names.length + 1} positional arguments (${positional.length + 1} given)`);
  }
  const bound = names.map((_, i) => positional[i]);
  for (const [key, value] of Object.entries(kwargs)) {
    const i = names.indexOf(key);
    if (i < 0) throw new TypeError(`${filter}() got an unexpected keyword argument '${key}'`);
    if (i < positional.length) throw new TypeError(`${filter}() got multiple values for argument '${key}'`);
    bound[i] = value;
  }
  return bound;
}

/** An Undefined reaching a filter that uses its value is the usual undefined-variable error. */
export function strict<T>(value: T): T {
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  return value;
}

/**
 * An object standing for a Python object other than a dict (a datetime, a
 * timedelta): a class instance with its own toString, which is its str().
 */
export function isPyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof String) return false;
  const proto = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null && typeof value.toString === 'function' && value.toString !== Object.prototype.toString;
}

/** Python's str() of a defined value. */
export function text(value: unknown): string {
  strict(value);
  return isPyObject(value) ? String(value) : pyStr(value);
}

/** What Python's `for x in value` visits (a string's characters, a dict's keys). */
export function asList(value: unknown): unknown[] {
  strict(value);
  if (value === null || value === undefined) throw new TypeError(`'NoneType' object is not iterable`);
  return iterate(value);
}

export function asDict(filter: string, value: unknown): Dict {
  if (!isDict(strict(value))) throw new FilterTypeError(`${filter} expects a dict, got ${typeName(value)}`);
  return value as Dict;
}

export function isIterable(value: unknown): boolean {
  return Array.isArray(value) || isString(value) || isDict(value) || value instanceof Map || value instanceof Set;
}

/** Jinja2's attribute path: `a.b.0` → ['a', 'b', 0] (digit parts index lists). */
export function attributeParts(attribute: unknown): Array<string | number> {
  if (attribute === null || attribute === undefined) return [];
  if (isString(attribute)) return String(attribute).split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return [attribute as number];
}

/**
 * Jinja2's make_attrgetter: follows the path with item-then-attribute
 * lookup; a missing step gives an Undefined (an error when used) unless a
 * non-None `fallback` is given.
 */
export function getAttribute(item: unknown, attribute: unknown, fallback?: unknown): unknown {
  let current = item;
  for (const part of attributeParts(attribute)) {
    current = lookupItem(current, part, pyStr(attribute));
    if (current instanceof Undefined && fallback !== undefined && fallback !== null) current = fallback;
  }
  return current;
}

function lookupItem(container: unknown, key: string | number, path: string): unknown {
  // A digit part indexes a list; on a dict it finds the key written with those digits
  // (YAML's `80: http` is an integer key in Ansible, a string key here).
  return member(container, typeof key === 'number' && isDict(container) ? String(key) : key, true, path);
}

/** Jinja2's ignore_case postprocessor. */
export function ignoreCase(value: unknown): unknown {
  return isString(value) ? String(value).toLowerCase() : value;
}

/** A key function over an attribute path, lower-casing strings unless case_sensitive. */
export function keyGetter(attribute: unknown, caseSensitive: boolean, fallback?: unknown): (item: unknown) => unknown {
  return (item) => {
    const value = attribute === undefined || attribute === null ? item : getAttribute(item, attribute, fallback);
    return caseSensitive ? value : ignoreCase(value);
  };
}

/** Python's type name as its TypeErrors say it. */
export function pyTypeName(value: unknown): string {
  if (value instanceof Undefined) return 'AnsibleUndefined';
  return typeName(value);
}

/**
 * Python's `a < b`, refusing what Python refuses: numbers (and bools) with
 * numbers, strings with strings, lists element by element.
 */
export function pyLess(a: unknown, b: unknown): boolean {
  strict(a);
  strict(b);
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  if (numeric(a) && numeric(b)) return Number(a) < Number(b);
  if (isString(a) && isString(b)) return String(a) < String(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!eq(a[i], b[i])) return pyLess(a[i], b[i]);
    }
    return a.length < b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${pyTypeName(a)}' and '${pyTypeName(b)}'`);
}

/** A comparator with Python's ordering; `reverse` keeps ties in their order, as sorted(reverse=True) does. */
export function pyComparator<T>(key: (x: T) => unknown, reverse = false): (a: T, b: T) => number {
  return (x, y) => {
    const [a, b] = reverse ? [key(y), key(x)] : [key(x), key(y)];
    if (pyLess(a, b)) return -1;
    if (pyLess(b, a)) return 1;
    return 0;
  };
}

/** Python's sorted(). */
export function pySorted<T>(items: T[], key: (x: T) => unknown = (x) => x, reverse = false): T[] {
  return [...items].sort(pyComparator(key, reverse));
}

/** Whether Python could put the value in a set (lists and dicts cannot). */
export function hashable(value: unknown): boolean {
  return !Array.isArray(value) && !isDict(value);
}

/** A filter family: the short names, each also registered as `ansible.builtin.<name>`. */
export function withBuiltinNames<F>(family: Record<string, F>): Record<string, F> {
  const out: Record<string, F> = {};
  for (const [name, fn] of Object.entries(family)) {
    out[name] = fn;
    if (/^[A-Za-z_]\w*$/.test(name)) out[`ansible.builtin.${name}`] = fn;
  }
  return out;
}
