/**
 * Values and types: default, mandatory, bool, ternary, the conversions
 * (int, float, string, list), length, attr, type_debug and pprint, with
 * Python's conversion rules.
 */
import { member } from '../members.js';
import { Undefined, isDict, isString, isUndefinedValue, iterate, pyStr, repr, truthy, type Dict } from '../python.js';
import { TaggedText, UNSAFE } from '../trust.js';
import { FilterError, bindArgs, isPyObject, pySorted, strict, text, type FilterFn } from './support.js';
import { isMarkup } from './html.js';
import { isVaultEncrypted } from './vault.js';

function defaultFilter(value: unknown, ...args: unknown[]): unknown {
  const [defaultValue = '', boolean = false] = bindArgs('default', args, ['default_value', 'boolean']);
  if (isUndefinedValue(value) || (truthy(boolean) && !truthy(value))) return defaultValue;
  return value;
}

/** The name Jinja2 gives an undefined value: the missing attribute, or the missing variable at the root. */
function undefinedName(value: Undefined): string {
  const attribute = /has no attribute '(.*)'$/.exec(value.reason);
  if (attribute) return attribute[1]!;
  const variable = /^'(.*)' is undefined$/.exec(value.reason);
  return variable ? variable[1]! : value.name;
}

function mandatory(value: unknown, ...args: unknown[]): unknown {
  const [message] = bindArgs('mandatory', args, ['msg']);
  if (isUndefinedValue(value)) {
    if (message !== undefined && message !== null) throw new FilterError(pyStr(message));
    const name = value instanceof Undefined ? `'${undefinedName(value)}' ` : '';
    // Ansible's message has two spaces after the name.
    throw new FilterError(`Mandatory variable ${name} not defined.`);
  }
  return value;
}

/** Ansible's `bool` filter: None and booleans pass through; 'yes', 'on', '1', 'true' (any case) and 1 are true. */
function bool(value: unknown): boolean | null {
  strict(value);
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1;
  if (isString(value)) return ['yes', 'on', '1', 'true'].includes(String(value).toLowerCase());
  return false;
}

function ternary(value: unknown, ...args: unknown[]): unknown {
  const [whenTrue, whenFalse, whenNone = null] = bindArgs('ternary', args, ['true_val', 'false_val', 'none_val']);
  if (value === null && whenNone !== null) return whenNone;
  return truthy(value) ? whenTrue : whenFalse;
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Python's int(text, base), or undefined where Python raises ValueError. */
export function parsePyInt(textValue: string, base: number): number | undefined {
  let s = textValue.trim().toLowerCase();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  const prefixes: Record<string, number> = { '0x': 16, '0o': 8, '0b': 2 };
  const prefix = prefixes[s.slice(0, 2)];
  if (base === 0) {
    if (prefix) {
      base = prefix;
      s = s.slice(2);
    } else {
      base = 10;
      if (/^0+_?[1-9]/.test(s.replace(/_/g, ''))) return undefined; // '010' is refused in base 0
    }
  } else if (prefix === base) {
    s = s.slice(2);
    if (s.startsWith('_')) s = s.slice(1);
  }
  if (base < 2 || base > 36) throw new RangeError('int() base must be >= 2 and <= 36, or 0');
  const digit = `[${DIGITS.slice(0, base)}]`;
  if (!new RegExp(`^${digit}+(_${digit}+)*$`).test(s)) return undefined;
  const digits = s.replace(/_/g, '');
  const n = base === 10 ? Number(digits) : digits.split('').reduce((acc, c) => acc * base + DIGITS.indexOf(c), 0);
  return sign * n;
}

/** Python's float(text), or undefined where Python raises ValueError. */
export function parsePyFloat(textValue: string): number | undefined {
  const s = textValue.trim().toLowerCase();
  const special = /^([-+]?)(inf|infinity|nan)$/.exec(s);
  if (special) return special[2] === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const number = /^[-+]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)(e[-+]?\d+(_\d+)*)?$/;
  if (!number.test(s)) return undefined;
  return Number(s.replace(/_/g, ''));
}

/** Jinja2's int: strings in the base, else through float ('4.7' is 4); the default when nothing works. */
function toInt(value: unknown, ...args: unknown[]): unknown {
  const [fallback = 0, base = 10] = bindArgs('int', args, ['default', 'base']);
  strict(value);
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number') return checkedTrunc(value, fallback);
  if (isString(value)) {
    const parsed = parsePyInt(String(value), Number(base));
    if (parsed !== undefined) return parsed;
    const asFloat = parsePyFloat(String(value));
    return asFloat === undefined ? fallback : checkedTrunc(asFloat, fallback);
  }
  return fallback;
}

function checkedTrunc(n: number, fallback: unknown): unknown {
  if (Number.isNaN(n)) return fallback;
  if (!Number.isFinite(n)) throw new RangeError('cannot convert float infinity to integer');
  return Math.trunc(n);
}

function toFloat(value: unknown, ...args: unknown[]): unknown {
  const [fallback = 0] = bindArgs('float', args, ['default']);
  strict(value);
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  if (isString(value)) return parsePyFloat(String(value)) ?? fallback;
  return fallback;
}

/** Python's len(). */
export function pyLen(value: unknown): number {
  strict(value);
  if (isString(value)) return [...String(value)].length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  throw new TypeError(`object of type '${value === null || value === undefined ? 'NoneType' : typeName(value)}' has no len()`);
}

function typeName(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value === 'function' ? 'function' : 'object';
}

/** What `type_debug` reports: Python's class names, and Ansible's for text that came from outside. */
function typeDebug(value: unknown): string {
  strict(value);
  if (isVaultEncrypted(value)) return 'AnsibleVaultEncryptedUnicode';
  if (isMarkup(value)) return 'Markup';
  if (value instanceof TaggedText && value.tags & UNSAFE) return 'AnsibleUnsafeText';
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (isString(value)) return 'str';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'function') return 'method';
  if (isPyObject(value)) return (value as object).constructor.name.replace(/^Py/, '').toLowerCase();
  return 'dict';
}

/** attr: an attribute (a method), never a dict key: `{'a': 1} | attr('a')` is undefined. */
function attr(value: unknown, ...args: unknown[]): unknown {
  const [name] = bindArgs('attr', args, ['name']);
  strict(value);
  const key = pyStr(name);
  if (isDict(value) && Object.hasOwn(value, key)) {
    // Only the names dicts have as methods (items, keys, get...) are attributes of a dict.
    const isMethod = typeof member({}, key, true, key) === 'function';
    if (!isMethod) return new Undefined(key, `'dict object' has no attribute '${key}'`);
  }
  return member(value, key, true, key);
}

/** Python's pprint.pformat: repr with sorted dict keys, wrapped at 80 columns. */
export function pformat(value: unknown, indent = 0, width = 80): string {
  const flat = sortedRepr(value);
  if (flat.length + indent <= width || (!Array.isArray(value) && !isDict(value))) return flat;
  const entries = Array.isArray(value)
    ? value.map((v) => ({ prefix: '', v }))
    : pySorted(Object.entries(value as Dict), ([k]) => k).map(([k, v]) => ({ prefix: `${repr(k)}: `, v }));
  if (entries.length === 0) return flat;
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const inner = indent + 1;
  const lines = entries.map(({ prefix, v }, i) => {
    const last = i === entries.length - 1;
    const body = pformat(v, inner + prefix.length, width - (last ? 1 : 0));
    return prefix + body;
  });
  return open + lines.join(`,\n${' '.repeat(inner)}`) + close;
}

function sortedRepr(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedRepr).join(', ')}]`;
  if (isDict(value)) {
    const entries = pySorted(Object.entries(value), ([k]) => k);
    return `{${entries.map(([k, v]) => `${repr(k)}: ${sortedRepr(v)}`).join(', ')}}`;
  }
  return repr(value);
}

export const coreFilters: Record<string, FilterFn> = {
  default: defaultFilter,
  d: defaultFilter,
  mandatory,
  bool,
  ternary,
  int: toInt,
  float: toFloat,
  string: (v) => (v instanceof String ? v : text(v)),
  list: (v) => {
    strict(v);
    if (v === null || v === undefined) throw new TypeError(`'NoneType' object is not iterable`);
    return [...iterate(v)];
  },
  length: pyLen,
  count: pyLen,
  attr,
  type_debug: typeDebug,
  pprint: (v) => pformat(strict(v)),
};
