/**
 * Attribute and item access (`a.b`, `a['b']`, `a[0]`, `a.items()`) with
 * Jinja2/Ansible semantics: a missing key is undefined (an error unless
 * `default` or `is defined` is handling it), negative indexes count from the
 * end, and Python's common str/dict/list methods exist. JavaScript's own
 * properties and methods (`length`, `toUpperCase`, `constructor`) are not
 * visible to templates.
 */
import { Undefined, UndefinedVariableError, eq, isDict, isString, iterate, pyStr, typeName, type Dict } from './python.js';
import { touch } from './trace.js';
import { carryTags, untag } from './trust.js';

const MISSING = Symbol('missing');
type Found = unknown | typeof MISSING;
type Method = (...args: unknown[]) => unknown;

/** Drop the trailing nunjucks keyword-arguments object from a call's arguments. */
export function splitKwargs(args: unknown[]): { positional: unknown[]; kwargs: Dict } {
  const last = args[args.length - 1];
  // nunjucks marks the keyword-arguments object of a call with an own `__keywords` key.
  if (args.length > 0 && last !== null && typeof last === 'object' && Object.hasOwn(last, '__keywords')) {
    const { __keywords: _ignored, ...kwargs } = last as Dict;
    return { positional: args.slice(0, -1), kwargs };
  }
  return { positional: args, kwargs: {} };
}

/** A value that Object.prototype supplies (toString, constructor...), not data. */
function isPrototypeBuiltin(obj: object, key: string, value: unknown): boolean {
  return key in Object.prototype && value === (Object.prototype as Dict)[key];
}

/**
 * `obj.key` / `obj[key]`. `path` is the expression as written, for messages;
 * `soft` is true under `default`/`is defined`, where a miss returns an
 * Undefined instead of throwing.
 */
export function member(obj: unknown, key: unknown, soft: boolean, path: string): unknown {
  if (obj instanceof Undefined) {
    if (soft) return new Undefined(path, obj.reason);
    throw new UndefinedVariableError(obj.name, obj.reason);
  }
  const found = obj === null || obj === undefined ? MISSING : findMember(obj, key);
  if (found !== MISSING) return touch(found);
  const reason = obj === null || obj === undefined
    ? `'None' has no attribute '${pyStr(key)}'`
    : `'${typeName(obj)} object' has no attribute '${pyStr(key)}'`;
  if (soft) return new Undefined(path, reason);
  throw new UndefinedVariableError(path, reason);
}

function findMember(obj: unknown, key: unknown): Found {
  if (Array.isArray(obj)) {
    if (typeof key === 'number') return indexed(obj, key);
    return methodOf(listMethods, obj, key);
  }
  if (isString(obj)) {
    const s = String(obj);
    // A character of a secret is part of it; the methods' results too (`sec.upper()`).
    if (typeof key === 'number') return carried(indexed([...s], key), obj);
    return carried(methodOf(stringMethods, s, key), obj);
  }
  if (isDict(obj)) {
    const k = pyStr(key);
    if (k in obj) {
      const value = (obj as Dict)[k];
      if (value !== undefined && !isPrototypeBuiltin(obj, k, value)) return value;
    }
    return methodOf(dictMethods, obj as Dict, key);
  }
  return MISSING;
}

/** A string's character or bound method, whose results carry the string's tags (trust.ts). */
function carried(found: Found, self: unknown): Found {
  if (found === MISSING) return found;
  if (typeof found !== 'function') return carryTags(found, self);
  const method = found as Method;
  return (...args: unknown[]) => carryTags(method(...args.map(untag)), self, ...args);
}

function indexed(seq: unknown[], index: number): Found {
  if (!Number.isInteger(index)) return MISSING;
  const i = index < 0 ? seq.length + index : index;
  return i >= 0 && i < seq.length ? seq[i] : MISSING;
}

function methodOf<T>(table: Record<string, (self: T, ...args: unknown[]) => unknown>, self: T, key: unknown): Found {
  if (typeof key !== 'string' || !Object.hasOwn(table, key)) return MISSING;
  const impl = table[key]!;
  const bound: Method = (...args) => (rawArgMethods.has(key) ? impl(self, ...args) : impl(self, ...splitKwargs(args).positional));
  return bound;
}

const WHITESPACE = ' \t\n\r\x0b\x0c';

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? WHITESPACE : String(chars);
  let start = 0;
  let end = s.length;
  if (left) while (start < end && set.includes(s[start]!)) start++;
  if (right) while (end > start && set.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Python str.split: no separator splits on whitespace runs; maxsplit keeps the rest. */
export function pySplit(s: string, sep?: unknown, maxsplit?: unknown): string[] {
  const limit = maxsplit === undefined || maxsplit === null ? -1 : Number(maxsplit);
  if (sep === undefined || sep === null) {
    const words: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest !== '') {
      if (limit >= 0 && words.length === limit) { words.push(rest); break; }
      const m = /\s+/.exec(rest);
      if (!m) { words.push(rest); break; }
      words.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return words;
  }
  const separator = String(sep);
  if (separator === '') throw new RangeError('empty separator');
  const parts = s.split(separator);
  if (limit < 0 || parts.length <= limit + 1) return parts;
  return [...parts.slice(0, limit), parts.slice(limit).join(separator)];
}

function pyRsplit(s: string, sep?: unknown, maxsplit?: unknown): string[] {
  const limit = maxsplit === undefined || maxsplit === null ? -1 : Number(maxsplit);
  if (limit < 0) return pySplit(s, sep);
  const separator = sep === undefined || sep === null ? undefined : String(sep);
  if (separator === undefined) {
    const words = pySplit(s);
    if (words.length <= limit + 1) return words;
    const head = s.trimEnd();
    const tail = words.slice(words.length - limit);
    const cut = head.length - tail.join(' ').length;
    return [head.slice(0, cut).trimEnd(), ...tail];
  }
  const parts = s.split(separator);
  if (parts.length <= limit + 1) return parts;
  return [parts.slice(0, parts.length - limit).join(separator), ...parts.slice(parts.length - limit)];
}

function prefixes(arg: unknown): string[] {
  return Array.isArray(arg) ? arg.map(String) : [String(arg)];
}

/** Python str.format with `{}`, `{0}` and `{name}` fields; format specs are not supported. */
export function pyFormat(template: string, args: unknown[], kwargs: Dict): string {
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const name = (field ?? '').split(/[:!]/)[0]!;
    if (name === '') return pyStr(args[auto++]);
    if (/^\d+$/.test(name)) return pyStr(args[Number(name)]);
    if (!Object.hasOwn(kwargs, name)) throw new RangeError(`format: no value for field '${name}'`);
    return pyStr(kwargs[name]);
  });
}

const stringMethods: Record<string, (s: string, ...args: unknown[]) => unknown> = {
  split: (s, sep, max) => pySplit(s, sep, max),
  rsplit: (s, sep, max) => pyRsplit(s, sep, max),
  splitlines: (s) => s.split(/\r\n|\r|\n/).filter((line, i, all) => i < all.length - 1 || line !== ''),
  strip: (s, chars) => stripChars(s, chars, true, true),
  lstrip: (s, chars) => stripChars(s, chars, true, false),
  rstrip: (s, chars) => stripChars(s, chars, false, true),
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  title: (s) => s.toLowerCase().replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  startswith: (s, p) => prefixes(p).some((x) => s.startsWith(x)),
  endswith: (s, p) => prefixes(p).some((x) => s.endsWith(x)),
  replace: (s, from, to, count) => {
    const parts = s.split(String(from));
    const n = count === undefined || Number(count) < 0 ? parts.length : Number(count) + 1;
    return parts.slice(0, n).join(String(to)) + (n < parts.length ? String(from) + parts.slice(n).join(String(from)) : '');
  },
  find: (s, sub) => s.indexOf(String(sub)),
  rfind: (s, sub) => s.lastIndexOf(String(sub)),
  index: (s, sub) => {
    const i = s.indexOf(String(sub));
    if (i < 0) throw new RangeError('substring not found');
    return i;
  },
  count: (s, sub) => (String(sub) === '' ? s.length + 1 : s.split(String(sub)).length - 1),
  join: (s, items) => iterate(items).map((x) => {
    if (!isString(x)) throw new TypeError(`join: expected str, found ${typeName(x)}`);
    return String(x);
  }).join(s),
  format: (s, ...args) => {
    const { positional, kwargs } = splitKwargs(args);
    return pyFormat(s, positional, kwargs);
  },
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  zfill: (s, width) => (s.startsWith('-') || s.startsWith('+') ? s[0] + s.slice(1).padStart(Number(width) - 1, '0') : s.padStart(Number(width), '0')),
  ljust: (s, width, fill) => s.padEnd(Number(width), fill === undefined ? ' ' : String(fill)),
  rjust: (s, width, fill) => s.padStart(Number(width), fill === undefined ? ' ' : String(fill)),
};

// Methods that read keyword arguments themselves get the raw argument list.
const rawArgMethods = new Set(['format']);

const dictMethods: Record<string, (d: Dict, ...args: unknown[]) => unknown> = {
  items: (d) => Object.entries(d),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, key, fallback = null) => (Object.hasOwn(d, pyStr(key)) ? d[pyStr(key)] : fallback),
  copy: (d) => ({ ...d }),
};

const listMethods: Record<string, (l: unknown[], ...args: unknown[]) => unknown> = {
  index: (l, item) => {
    const i = l.findIndex((x) => eq(x, item));
    if (i < 0) throw new RangeError(`${pyStr(item)} is not in list`);
    return i;
  },
  count: (l, item) => l.filter((x) => eq(x, item)).length,
  copy: (l) => [...l],
};
