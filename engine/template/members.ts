/**
 * Attribute and item access (`a.b`, `a['b']`, `a[0]`, `a.items()`) as Jinja2
 * does it: `a.b` looks for an attribute (a method) first and then the item,
 * `a['b']` the item first and then the attribute; what is missing is an
 * Undefined carrying Jinja2's message ("'dict object' has no attribute
 * 'b'"). Negative indexes count from the end, and Python's str/dict/list
 * methods exist. JavaScript's own properties (`length`, `constructor`) are
 * not visible to templates.
 */
import {
  FloatValue, PyObject, Undefined, dictKey, eq, failUndefined, hasKey, isDict, isInt, isString,
  iterate, pyStr, repr, sortKey, tuple, typeName, type Dict,
} from './python.js';
import { assertMutable, touch } from './trace.js';
import { carryTags, untag } from './trust.js';

const MISSING = Symbol('missing');
type Found = unknown;
type Method = (...args: unknown[]) => unknown;

/** Drop the trailing keyword-arguments object from a call's arguments. */
export function splitKwargs(args: unknown[]): { positional: unknown[]; kwargs: Dict } {
  const last = args[args.length - 1];
  // The keyword-arguments object of a call is marked with an own `__keywords` key.
  if (args.length > 0 && last !== null && typeof last === 'object' && Object.hasOwn(last, '__keywords')) {
    const { __keywords: _ignored, ...kwargs } = last as Dict;
    return { positional: args.slice(0, -1), kwargs };
  }
  return { positional: args, kwargs: {} };
}

/** Jinja2's name for a value's type in messages: `dict object`, `None`. */
function typeRepr(obj: unknown): string {
  if (obj === null || obj === undefined) return 'None';
  return `${typeName(obj)} object`;
}

function noAttribute(obj: unknown, name: string, path: string): Undefined {
  return new Undefined(path, `'${typeRepr(obj)}' has no attribute '${name}'`);
}

/** `obj.name` (Getattr): the attribute first, then the item. */
export function getattr(obj: unknown, name: string, path = name): unknown {
  if (obj instanceof Undefined) return obj;
  const attr = attributeOf(obj, name);
  if (attr !== MISSING) return touch(attr);
  const item = itemOf(obj, name);
  if (item !== MISSING) return touch(item);
  return noAttribute(obj, name, path);
}

/** `obj[key]` (Getitem): the item first, then (for a string key) the attribute. */
export function getitem(obj: unknown, key: unknown, path = pyStr(key)): unknown {
  if (obj instanceof Undefined) return obj;
  if (key instanceof Undefined) failUndefined(key);
  const item = itemOf(obj, key);
  if (item !== MISSING) return touch(item);
  if (isString(key)) {
    const attr = attributeOf(obj, String(key));
    if (attr !== MISSING) return touch(attr);
    return noAttribute(obj, String(key), path);
  }
  return new Undefined(path, `${typeRepr(obj)} has no element ${repr(key)}`);
}

/**
 * `obj.key` / `obj[key]` for the filter library. `path` is the expression as
 * written, for messages; `soft` is true under `default`/`is defined`, where a
 * miss returns an Undefined instead of throwing.
 */
export function member(obj: unknown, key: unknown, soft: boolean, path: string): unknown {
  if (obj instanceof Undefined) {
    if (soft) return obj;
    failUndefined(obj);
  }
  const found = getitem(obj, key, path);
  if (found instanceof Undefined && !soft) failUndefined(found);
  return found;
}

function itemOf(obj: unknown, key: unknown): Found {
  if (Array.isArray(obj)) return isInt(key) || typeof key === 'boolean' ? indexed(obj, Number(key)) : MISSING;
  if (isString(obj)) return isInt(key) || typeof key === 'boolean' ? carried(indexed([...String(obj)], Number(key)), obj) : MISSING;
  if (isDict(obj)) {
    if (Array.isArray(key) || isDict(key) || key === null || key === undefined) return MISSING;
    const k = dictKey(key);
    return hasKey(obj, k) && obj[k] !== undefined ? obj[k] : MISSING;
  }
  if (obj instanceof PyObject) return isString(key) ? found(obj.attribute(String(key))) : MISSING;
  return MISSING;
}

function found(value: unknown): Found {
  return value === undefined ? MISSING : value;
}

/** A value's `__class__`: Python's type object, which prints as `<class 'bool'>`. */
class PyClass extends PyObject {
  constructor(private readonly name: string) {
    super();
  }

  get pyType(): string {
    return 'type';
  }

  pyStr(): string {
    return `<class '${this.name}'>`;
  }

  attribute(name: string): unknown {
    return name === '__name__' ? this.name : undefined;
  }
}

function attributeOf(obj: unknown, name: string): Found {
  if (name === '__class__' && obj !== undefined) return new PyClass(typeName(obj));
  if (Array.isArray(obj)) return methodOf(listMethods, obj, name, obj);
  if (isString(obj)) return carried(methodOf(stringMethods, String(obj), name, obj), obj);
  if (isDict(obj)) return methodOf(dictMethods, obj, name, obj);
  if (obj instanceof PyObject) return found(obj.attribute(name));
  if (typeof obj === 'number' || obj instanceof FloatValue) return methodOf(numberMethods, Number(obj), name, obj);
  return MISSING;
}

function indexed(seq: unknown[], index: number): Found {
  const i = index < 0 ? seq.length + index : index;
  return i >= 0 && i < seq.length ? seq[i] : MISSING;
}

/** A string's character or bound method, whose results carry the string's tags (trust.ts). */
function carried(item: Found, self: unknown): Found {
  if (item === MISSING) return item;
  if (typeof item !== 'function') return carryTags(item, self);
  const method = item as Method;
  return (...args: unknown[]) => carryTags(method(...args), self, ...args);
}

function methodOf<T>(table: Record<string, (self: T, ...args: unknown[]) => unknown>, self: T, name: string, original: unknown): Found {
  if (!Object.hasOwn(table, name)) return MISSING;
  const impl = table[name]!;
  const bound: Method = (...args) => {
    if (MUTATING.has(name) && !Object.hasOwn(stringMethods, name)) assertMutable(original, `${typeName(original)}.${name}()`);
    return RAW_ARG_METHODS.has(name) ? impl(self, ...args) : impl(self, ...untag(splitKwargs(args).positional));
  };
  return bound;
}

const WHITESPACE = ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

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

/** Python str.format with `{}`, `{0}`, `{name}`, `{0[key]}`/`{0.attr}` fields and common format specs. */
export function pyFormat(template: string, args: unknown[], kwargs: Dict): string {
  let auto = 0;
  let numbering: 'auto' | 'manual' | undefined;
  const use = (how: 'auto' | 'manual') => {
    if (numbering && numbering !== how) {
      throw new RangeError(how === 'manual' ? 'cannot switch from automatic field numbering to manual field specification' : 'cannot switch from manual field specification to automatic field numbering');
    }
    numbering = how;
  };
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (match, field: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const [, ref = '', conversion, spec = ''] = /^([^!:]*)(?:!([rsa]))?(?::(.*))?$/s.exec(field ?? '') ?? [];
    const [head = '', ...rest] = ref.split(/(?=[.[])/);
    let value: unknown;
    if (head === '') use('auto');
    else if (/^\d+$/.test(head)) use('manual');
    if (head === '') value = args[auto++];
    else if (/^\d+$/.test(head)) value = args[Number(head)];
    else {
      if (!Object.hasOwn(kwargs, head)) throw new RangeError(`'${head}'`);
      value = kwargs[head];
    }
    for (const part of rest) value = part.startsWith('.') ? getattr(value, part.slice(1)) : getitem(value, /^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : part.slice(1, -1));
    if (value instanceof Undefined) throw new IndexError(`Replacement index ${head} out of range for positional args tuple`);
    const text = conversion === 'r' || conversion === 'a' ? repr(value) : value;
    return formatSpec(text, spec);
  });
}

class IndexError extends RangeError {}

/** A format spec (`>10`, `<5`, `^8`, `08.2f`, `,`, `x`): the common parts of Python's mini-language. */
function formatSpec(value: unknown, spec: string): string {
  if (spec === '') return pyStr(value);
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new RangeError(`Invalid format specifier '${spec}'`);
  const [, fill = ' ', align, sign = '-', , zero, width, grouping, precision, type] = m;
  let text: string;
  const n = typeof value === 'number' || value instanceof FloatValue ? Number(value) : undefined;
  if (type && n !== undefined) {
    const p = precision === undefined ? 6 : Number(precision);
    if (type === 'd' || type === 'n') text = String(Math.trunc(Math.abs(n)));
    else if (type === 'x' || type === 'X' || type === 'o' || type === 'b') text = Math.trunc(Math.abs(n)).toString(type === 'o' ? 8 : type === 'b' ? 2 : 16);
    else if (type === 'e' || type === 'E') text = Math.abs(n).toExponential(p).replace(/e([+-])(\d)$/, 'e$10$2');
    else if (type === '%') text = `${(Math.abs(n) * 100).toFixed(p)}%`;
    else if (type === 'c') text = String.fromCodePoint(n);
    else text = Math.abs(n).toFixed(p);
    if (type === 'X' || type === 'E') text = text.toUpperCase();
    if (grouping) text = text.replace(/^(\d+)/, (d) => d.replace(/\B(?=(\d{3})+$)/g, grouping));
    text = (n < 0 ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '') + text;
  } else if (n !== undefined && precision !== undefined) {
    text = n.toFixed(Number(precision));
  } else if (n !== undefined && grouping) {
    text = pyStr(value).replace(/^(-?)(\d+)/, (_m, sign: string, d: string) => sign + d.replace(/\B(?=(\d{3})+$)/g, grouping));
  } else {
    text = pyStr(value);
    if (precision !== undefined && n === undefined) text = text.slice(0, Number(precision));
  }
  const w = Number(width ?? 0);
  if (text.length >= w) return text;
  const how = align ?? (zero ? '=' : n !== undefined ? '>' : '<');
  const padChar = zero && !align ? '0' : fill;
  const padding = padChar.repeat(w - text.length);
  if (how === '<') return text + padding;
  if (how === '^') {
    const left = Math.floor((w - text.length) / 2);
    return padChar.repeat(left) + text + padChar.repeat(w - text.length - left);
  }
  if (how === '=') {
    const signChar = /^[-+ ]/.test(text) ? text[0]! : '';
    return signChar + padding + text.slice(signChar.length);
  }
  return padding + text;
}

function substringIndex(s: string, sub: unknown, start: unknown, end: unknown, last: boolean): number {
  const from = start === undefined || start === null ? 0 : Number(start) < 0 ? Math.max(0, s.length + Number(start)) : Number(start);
  const to = end === undefined || end === null ? s.length : Number(end) < 0 ? s.length + Number(end) : Number(end);
  const window = s.slice(0, to);
  const i = last ? window.lastIndexOf(String(sub)) : window.indexOf(String(sub), from);
  return i >= from ? i : -1;
}

function titleCase(s: string): string {
  return s.replace(/[\p{L}\p{N}']+/gu, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).replace(/(\d)(\p{L})/gu, (_m, d: string, c: string) => d + c.toLowerCase());
}

const stringMethods: Record<string, (s: string, ...args: unknown[]) => unknown> = {
  split: (s, sep, max) => pySplit(s, sep, max),
  rsplit: (s, sep, max) => pyRsplit(s, sep, max),
  splitlines: (s, keepends) => {
    const lines = s.match(/[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]|$)/g) ?? [];
    const out = lines.filter((l, i) => l !== '' || i < lines.length - 1);
    return keepends ? out : out.map((l) => l.replace(/(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/, ''));
  },
  strip: (s, chars) => stripChars(s, chars, true, true),
  lstrip: (s, chars) => stripChars(s, chars, true, false),
  rstrip: (s, chars) => stripChars(s, chars, false, true),
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  title: (s) => titleCase(s),
  center: (s, width, fill = ' ') => {
    const w = Number(width);
    if (s.length >= w) return s;
    const total = w - s.length;
    const left = Math.floor(total / 2) + (total & w & 1);
    return String(fill).repeat(left) + s + String(fill).repeat(total - left);
  },
  startswith: (s, p, start, end) => prefixes(p).some((x) => s.slice(Number(start ?? 0), end === undefined || end === null ? undefined : Number(end)).startsWith(x)),
  endswith: (s, p, start, end) => prefixes(p).some((x) => s.slice(Number(start ?? 0), end === undefined || end === null ? undefined : Number(end)).endsWith(x)),
  removeprefix: (s, p) => (s.startsWith(String(p)) ? s.slice(String(p).length) : s),
  removesuffix: (s, p) => (String(p) !== '' && s.endsWith(String(p)) ? s.slice(0, -String(p).length) : s),
  replace: (s, from, to, count) => {
    const old = String(from);
    const parts = old === '' ? ['', ...[...s], ''] : s.split(old);
    const glue = (items: string[], sep: string) => (old === '' ? items.join(sep) : items.join(sep));
    const n = count === undefined || count === null || Number(count) < 0 ? parts.length : Number(count) + 1;
    if (old === '') {
      const chars = [...s];
      const times = Math.min(n - 1, chars.length + 1);
      return chars.map((c, i) => (i < times ? String(to) + c : c)).join('') + (times > chars.length ? String(to) : '');
    }
    return glue(parts.slice(0, n), String(to)) + (n < parts.length ? old + parts.slice(n).join(old) : '');
  },
  find: (s, sub, start, end) => substringIndex(s, sub, start, end, false),
  rfind: (s, sub, start, end) => substringIndex(s, sub, start, end, true),
  index: (s, sub, start, end) => {
    const i = substringIndex(s, sub, start, end, false);
    if (i < 0) throw new RangeError('substring not found');
    return i;
  },
  rindex: (s, sub, start, end) => {
    const i = substringIndex(s, sub, start, end, true);
    if (i < 0) throw new RangeError('substring not found');
    return i;
  },
  count: (s, sub) => (String(sub) === '' ? [...s].length + 1 : s.split(String(sub)).length - 1),
  partition: (s, sep) => {
    const i = s.indexOf(String(sep));
    return tuple(i < 0 ? [s, '', ''] : [s.slice(0, i), String(sep), s.slice(i + String(sep).length)]);
  },
  rpartition: (s, sep) => {
    const i = s.lastIndexOf(String(sep));
    return tuple(i < 0 ? ['', '', s] : [s.slice(0, i), String(sep), s.slice(i + String(sep).length)]);
  },
  join: (s, items) => iterate(items).map((x) => {
    if (!isString(x)) throw new TypeError(`sequence item: expected str instance, ${typeName(x)} found`);
    return String(x);
  }).join(s),
  format: (s, ...args) => {
    const { positional, kwargs } = splitKwargs(args);
    return pyFormat(s, positional, kwargs);
  },
  format_map: (s, mapping) => pyFormat(s, [], mapping as Dict),
  expandtabs: (s, size = 8) => s.split('\n').map((line) => {
    let out = '';
    for (const c of line) out += c === '\t' ? ' '.repeat(Number(size) - (out.length % Number(size))) : c;
    return out;
  }).join('\n'),
  isdigit: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\p{N}+$/u.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  isidentifier: (s) => /^[\p{ID_Start}_][\p{ID_Continue}]*$/u.test(s),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  istitle: (s) => /\p{L}/u.test(s) && s === titleCase(s),
  zfill: (s, width) => (s.startsWith('-') || s.startsWith('+') ? s[0] + s.slice(1).padStart(Number(width) - 1, '0') : s.padStart(Number(width), '0')),
  ljust: (s, width, fill) => s.padEnd(Number(width), fill === undefined ? ' ' : String(fill)),
  rjust: (s, width, fill) => s.padStart(Number(width), fill === undefined ? ' ' : String(fill)),
};

// Methods that read keyword arguments themselves get the raw argument list.
const RAW_ARG_METHODS = new Set(['format', 'update', 'sort']);
/** Methods that change their list or dict (allowed only on what the render itself made: trace.ts). */
const MUTATING = new Set(['append', 'extend', 'insert', 'pop', 'remove', 'reverse', 'sort', 'clear', 'update', 'setdefault', 'popitem']);

const dictMethods: Record<string, (d: Dict, ...args: unknown[]) => unknown> = {
  items: (d) => Object.entries(d).map((pair) => tuple(pair)),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, key, fallback = null) => {
    const k = dictKey(key);
    return hasKey(d, k) ? d[k] : fallback;
  },
  copy: (d) => ({ ...d }),
  update: (d, ...args) => {
    const { positional, kwargs } = splitKwargs(args);
    for (const source of positional) {
      if (isDict(source)) Object.assign(d, source);
      else for (const pair of iterate(source)) {
        const [k, v] = iterate(pair);
        d[dictKey(k)] = v;
      }
    }
    Object.assign(d, kwargs);
    return null;
  },
  pop: (d, key, ...fallback) => {
    const k = dictKey(key);
    if (!Object.hasOwn(d, k)) {
      if (fallback.length) return fallback[0];
      throw new RangeError(repr(key));
    }
    const value = d[k];
    delete d[k];
    return value;
  },
  popitem: (d) => {
    const keys = Object.keys(d);
    if (!keys.length) throw new RangeError("'popitem(): dictionary is empty'");
    const k = keys[keys.length - 1]!;
    const value = d[k];
    delete d[k];
    return tuple([k, value]);
  },
  setdefault: (d, key, fallback = null) => {
    const k = dictKey(key);
    if (!Object.hasOwn(d, k)) d[k] = fallback;
    return d[k];
  },
  clear: (d) => {
    for (const k of Object.keys(d)) delete d[k];
    return null;
  },
};

const listMethods: Record<string, (l: unknown[], ...args: unknown[]) => unknown> = {
  index: (l, item) => {
    const i = l.findIndex((x) => eq(x, item));
    if (i < 0) throw new RangeError(`${repr(item)} is not in list`);
    return i;
  },
  count: (l, item) => l.filter((x) => eq(x, item)).length,
  copy: (l) => [...l],
  append: (l, item) => {
    l.push(item);
    return null;
  },
  extend: (l, items) => {
    l.push(...iterate(items));
    return null;
  },
  insert: (l, index, item) => {
    const i = Number(index);
    l.splice(i < 0 ? Math.max(0, l.length + i) : i, 0, item);
    return null;
  },
  pop: (l, index = -1) => {
    if (!l.length) throw new RangeError('pop from empty list');
    const i = Number(index) < 0 ? l.length + Number(index) : Number(index);
    if (i < 0 || i >= l.length) throw new RangeError('pop index out of range');
    return l.splice(i, 1)[0];
  },
  remove: (l, item) => {
    const i = l.findIndex((x) => eq(x, item));
    if (i < 0) throw new RangeError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  reverse: (l) => {
    l.reverse();
    return null;
  },
  sort: (l, ...args) => {
    const { kwargs } = splitKwargs(args);
    l.sort(sortKey);
    if (kwargs.reverse !== undefined && kwargs.reverse !== false && kwargs.reverse !== null) l.reverse();
    return null;
  },
  clear: (l) => {
    l.length = 0;
    return null;
  },
};

const numberMethods: Record<string, (n: number, ...args: unknown[]) => unknown> = {
  is_integer: (n) => Number.isInteger(n),
  bit_length: (n) => (n === 0 ? 0 : Math.floor(Math.log2(Math.abs(n))) + 1),
};

