/**
 * Jinja2 and Ansible filters, with their Python behaviour. Each receives the
 * piped value first; keyword arguments arrive as nunjucks' trailing
 * keyword-arguments object and are merged with positional ones by name.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import YAML from 'yaml';
import { quote } from '../connection/quote.js';
import { member, pySplit, splitKwargs } from './members.js';
import {
  Undefined, UndefinedVariableError, eq, isDict, isString, isUndefinedValue, iterate, percentFormat, pyStr, sortKey, truthy,
  typeName, type Dict,
} from './python.js';
import { groupOf, pyFindall, pyRegex, pySub } from './regex.js';
import { pyJsonDumps, pyYamlDump } from './serialize.js';

/** What nunjucks binds `this` to when calling a filter or test: the render context. */
export interface FilterContext {
  env: {
    getFilter(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
    getTest(name: string): (this: FilterContext, ...args: unknown[]) => unknown;
  };
}

type FilterFn = (this: FilterContext, value: unknown, ...args: unknown[]) => unknown;

/**
 * Bind positional and keyword arguments to parameter names, Python style.
 * Returns the arguments in parameter order (undefined where not given).
 */
export function bindArgs(filter: string, args: unknown[], names: string[]): unknown[] {
  const { positional, kwargs } = splitKwargs(args);
  if (positional.length > names.length) throw new TypeError(`${filter}: too many arguments`);
  const bound = names.map((_, i) => positional[i]);
  for (const [key, value] of Object.entries(kwargs)) {
    const i = names.indexOf(key);
    if (i < 0) throw new TypeError(`${filter}: unexpected keyword argument '${key}'`);
    bound[i] = value;
  }
  return bound;
}

function strict(value: unknown): unknown {
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  return value;
}

function asList(filter: string, value: unknown): unknown[] {
  strict(value);
  if (value === null || value === undefined) throw new TypeError(`${filter}: expected a list, got None`);
  return iterate(value);
}

function asDict(filter: string, value: unknown): Dict {
  if (!isDict(strict(value))) throw new TypeError(`${filter}: expected a dict, got ${typeName(value)}`);
  return value as Dict;
}

/** Jinja2's attribute getter: `a.b` walks dicts, `0` indexes lists; missing gives undefined. */
export function getAttribute(item: unknown, attribute: unknown): unknown {
  const parts = typeof attribute === 'number' ? [attribute] : String(attribute).split('.');
  let current: unknown = item;
  for (const part of parts) {
    const key = typeof part === 'string' && /^\d+$/.test(part) && Array.isArray(current) ? Number(part) : part;
    const next = member(current, key, true, String(attribute));
    if (next instanceof Undefined) return undefined;
    current = next;
  }
  return current;
}

function callTest(ctx: FilterContext, name: unknown, value: unknown, args: unknown[]): boolean {
  if (name === undefined) return truthy(value);
  return truthy(ctx.env.getTest(String(name)).call(ctx, value, ...args));
}

// ---- values and types ----

function defaultFilter(value: unknown, defaultValue: unknown = '', boolean: unknown = false): unknown {
  if (isUndefinedValue(value)) return defaultValue;
  if (truthy(boolean) && !truthy(value)) return defaultValue;
  return value;
}

function mandatory(value: unknown, message?: unknown): unknown {
  if (isUndefinedValue(value)) {
    const name = value instanceof Undefined ? value.name : 'value';
    throw new Error(message === undefined ? `Mandatory variable '${name}' not defined.` : pyStr(message));
  }
  return value;
}

/** Ansible's `bool`: yes/on/1/true (any case) are true; everything else false. */
export function toBool(value: unknown): boolean {
  strict(value);
  if (typeof value === 'boolean') return value;
  if (value === null || value === undefined) return false;
  if (typeof value === 'number') return value === 1;
  return ['yes', 'on', '1', 'true', 'y', 't'].includes(pyStr(value).trim().toLowerCase());
}

function toInt(value: unknown, ...args: unknown[]): number {
  const [fallback = 0, base = 10] = bindArgs('int', args, ['default', 'base']);
  strict(value);
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : (fallback as number);
  if (isString(value)) {
    const s = String(value).trim().replace(/_/g, '');
    const b = Number(base);
    const digits = b === 16 ? s.replace(/^([-+]?)0x/i, '$1') : b === 8 ? s.replace(/^([-+]?)0o/i, '$1') : b === 2 ? s.replace(/^([-+]?)0b/i, '$1') : s;
    const valid = new RegExp(`^[-+]?[${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b)}]+$`, 'i');
    if (valid.test(digits)) return parseInt(digits, b);
    if (b === 10 && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return Math.trunc(parseFloat(s));
  }
  return fallback as number;
}

function toFloat(value: unknown, fallback: unknown = 0.0): number {
  strict(value);
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  if (isString(value) && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(String(value))) return parseFloat(String(value));
  if (isString(value) && /^\s*[-+]?(inf|infinity|nan)\s*$/i.test(String(value))) {
    const s = String(value).trim().toLowerCase();
    return s.includes('nan') ? NaN : s.startsWith('-') ? -Infinity : Infinity;
  }
  return fallback as number;
}

function length(value: unknown): number {
  strict(value);
  if (isString(value)) return [...String(value)].length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return Object.keys(value).length;
  throw new TypeError(`object of type '${typeName(value)}' has no len()`);
}

function ternary(value: unknown, whenTrue: unknown, whenFalse: unknown, whenNone?: unknown): unknown {
  if (value === null && whenNone !== undefined) return whenNone;
  return truthy(value) ? whenTrue : whenFalse;
}

// ---- strings ----

function trim(value: unknown, chars?: unknown): string {
  const s = pyStr(value);
  if (chars === undefined || chars === null) return s.trim();
  const set = String(chars);
  let start = 0;
  let end = s.length;
  while (start < end && set.includes(s[start]!)) start++;
  while (end > start && set.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Jinja2's indent: lines after the first are indented; blank lines only with blank=true. */
function indent(value: unknown, ...args: unknown[]): string {
  const [width = 4, first = false, blank = false] = bindArgs('indent', args, ['width', 'first', 'blank']);
  const pad = typeof width === 'number' ? ' '.repeat(width) : pyStr(width);
  const lines = pyStr(value).split('\n');
  return lines
    .map((line, i) => ((i === 0 && !truthy(first)) || (line.trim() === '' && !truthy(blank)) ? line : pad + line))
    .join('\n');
}

function regexFlags(ignorecase: unknown, multiline: unknown): string {
  return (truthy(ignorecase ?? false) ? 'i' : '') + (truthy(multiline ?? false) ? 'm' : '');
}

function regexReplace(value: unknown, ...args: unknown[]): string {
  const [pattern = '', replacement = '', ignorecase, multiline, count = 0] =
    bindArgs('regex_replace', args, ['pattern', 'replacement', 'ignorecase', 'multiline', 'count']);
  return pySub(pyRegex(pyStr(pattern), regexFlags(ignorecase, multiline)), pyStr(replacement), pyStr(value), Number(count));
}

/** regex_search: the match (or None); with group arguments ('\\1', '\\g<name>') a list of those groups. */
function regexSearch(value: unknown, ...args: unknown[]): unknown {
  const { positional, kwargs } = splitKwargs(args);
  const [pattern, ...groups] = positional;
  const re = pyRegex(pyStr(pattern), regexFlags(kwargs.ignorecase, kwargs.multiline));
  const m = re.exec(pyStr(value));
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => groupOf(m, pyStr(g)));
}

function regexFindall(value: unknown, ...args: unknown[]): unknown[] {
  const [pattern, multiline, ignorecase] = bindArgs('regex_findall', args, ['regex', 'multiline', 'ignorecase']);
  return pyFindall(pyRegex(pyStr(pattern), regexFlags(ignorecase, multiline)), pyStr(value));
}

function regexEscape(value: unknown): string {
  return pyStr(value).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function hash(value: unknown, algorithm: unknown = 'sha1'): string {
  return createHash(pyStr(algorithm)).update(pyStr(value), 'utf8').digest('hex');
}

// ---- lists ----

function join(value: unknown, separator: unknown = '', attribute?: unknown): string {
  const items = asList('join', value);
  return items.map((x) => pyStr(attribute === undefined ? x : getAttribute(x, attribute))).join(pyStr(separator));
}

/** map('filter', args...), map(attribute='x', default=...), map('attribute', 'x'). */
function map(this: FilterContext, value: unknown, ...args: unknown[]): unknown[] {
  const items = asList('map', value);
  const { positional, kwargs } = splitKwargs(args);
  if ('attribute' in kwargs || (positional[0] === 'attribute' && !hasFilter(this, 'attribute'))) {
    const attribute = 'attribute' in kwargs ? kwargs.attribute : positional[1];
    return items.map((item) => {
      const found = getAttribute(item, attribute);
      if (found !== undefined) return found;
      if ('default' in kwargs) return kwargs.default;
      // Like Jinja2's StrictUndefined: an error only when the value is used, so `select('defined')` can drop it.
      return new Undefined(String(attribute), `'${typeName(item)} object' has no attribute '${pyStr(attribute)}'`);
    });
  }
  const [name, ...rest] = positional;
  if (name === undefined) throw new TypeError('map: a filter name or attribute= is required');
  const filter = this.env.getFilter(pyStr(name));
  const restArgs = Object.keys(kwargs).length > 0 ? [...rest, { ...kwargs, __keywords: true }] : rest;
  return items.map((item) => filter.call(this, item, ...restArgs));
}

function hasFilter(ctx: FilterContext, name: string): boolean {
  try {
    ctx.env.getFilter(name);
    return true;
  } catch {
    return false;
  }
}

function selectBy(ctx: FilterContext, value: unknown, args: unknown[], keep: boolean): unknown[] {
  const [test, ...rest] = splitKwargs(args).positional;
  return asList('select', value).filter((item) => callTest(ctx, test, item, rest) === keep);
}

function selectAttrBy(ctx: FilterContext, value: unknown, args: unknown[], keep: boolean): unknown[] {
  const [attribute, test, ...rest] = splitKwargs(args).positional;
  if (attribute === undefined) throw new TypeError('selectattr: an attribute name is required');
  return asList('selectattr', value).filter((item) => callTest(ctx, test, getAttribute(item, attribute), rest) === keep);
}

function unique(value: unknown, ...args: unknown[]): unknown[] {
  const [caseSensitive = false, attribute] = bindArgs('unique', args, ['case_sensitive', 'attribute']);
  const keyOf = (x: unknown) => {
    const v = attribute === undefined ? x : getAttribute(x, attribute);
    return !truthy(caseSensitive) && isString(v) ? String(v).toLowerCase() : v;
  };
  const out: unknown[] = [];
  const seen: unknown[] = [];
  for (const item of asList('unique', value)) {
    const key = keyOf(item);
    if (!seen.some((s) => eq(s, key))) {
      seen.push(key);
      out.push(item);
    }
  }
  return out;
}

function sort(value: unknown, ...args: unknown[]): unknown[] {
  const [reverse = false, caseSensitive = false, attribute] = bindArgs('sort', args, ['reverse', 'case_sensitive', 'attribute']);
  const keyOf = (x: unknown) => {
    const v = attribute === undefined ? x : getAttribute(x, attribute);
    return !truthy(caseSensitive) && isString(v) ? String(v).toLowerCase() : v;
  };
  const sorted = [...asList('sort', value)].sort((a, b) => sortKey(keyOf(a), keyOf(b)));
  return truthy(reverse) ? sorted.reverse() : sorted;
}

function extreme(filter: 'min' | 'max', value: unknown, args: unknown[]): unknown {
  const [caseSensitive = false, attribute] = bindArgs(filter, args, ['case_sensitive', 'attribute']);
  const items = asList(filter, value);
  if (items.length === 0) return undefined;
  const keyOf = (x: unknown) => {
    const v = attribute === undefined ? x : getAttribute(x, attribute);
    return !truthy(caseSensitive) && isString(v) ? String(v).toLowerCase() : v;
  };
  return items.reduce((best, x) => {
    const c = sortKey(keyOf(x), keyOf(best));
    return (filter === 'min' ? c < 0 : c > 0) ? x : best;
  });
}

function sum(value: unknown, ...args: unknown[]): unknown {
  const [attribute, start = 0] = bindArgs('sum', args, ['attribute', 'start']);
  return asList('sum', value).reduce<number>((acc, x) => acc + Number(attribute === undefined ? x : getAttribute(x, attribute)), Number(start));
}

function flatten(value: unknown, ...args: unknown[]): unknown[] {
  const [levels, skipNulls = true] = bindArgs('flatten', args, ['levels', 'skip_nulls']);
  const walk = (items: unknown[], depth: number): unknown[] =>
    items.flatMap((x) => {
      if (Array.isArray(x) && (levels === undefined || levels === null || depth < Number(levels))) return walk(x, depth + 1);
      if (truthy(skipNulls) && (x === null || x === 'None')) return [];
      return [x];
    });
  return walk(asList('flatten', value), 0);
}

function toList(value: unknown): unknown[] {
  return [...asList('list', value)];
}

function first(value: unknown): unknown {
  const items = asList('first', value);
  return items.length > 0 ? items[0] : undefined;
}

function last(value: unknown): unknown {
  const items = asList('last', value);
  return items.length > 0 ? items[items.length - 1] : undefined;
}

function zip(value: unknown, ...others: unknown[]): unknown[][] {
  const lists = [asList('zip', value), ...others.map((o) => asList('zip', o))];
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
}

function setOp(filter: string, a: unknown, b: unknown, keep: (x: unknown, inA: boolean, inB: boolean) => boolean): unknown[] {
  const left = asList(filter, a);
  const right = asList(filter, b);
  const pool = [...left, ...right];
  return unique(pool, true).filter((x) => keep(x, left.some((y) => eq(x, y)), right.some((y) => eq(x, y))));
}

// ---- dicts ----

type ListMerge = 'replace' | 'keep' | 'append' | 'prepend' | 'append_rp' | 'prepend_rp';

function mergeLists(x: unknown[], y: unknown[], mode: ListMerge): unknown[] {
  switch (mode) {
    case 'replace': return y;
    case 'keep': return x;
    case 'append': return [...x, ...y];
    case 'prepend': return [...y, ...x];
    case 'append_rp': return [...x.filter((v) => !y.some((w) => eq(v, w))), ...y];
    case 'prepend_rp': return [...y, ...x.filter((v) => !y.some((w) => eq(v, w)))];
  }
}

/** Ansible's merge_hash: dicts recurse when recursive; lists merge by list_merge at any depth. */
function mergeHash(x: Dict, y: Dict, recursive: boolean, listMerge: ListMerge): Dict {
  const out: Dict = { ...x };
  for (const [key, value] of Object.entries(y)) {
    const old = out[key];
    if (!(key in out)) out[key] = value;
    else if (recursive && isDict(old) && isDict(value)) out[key] = mergeHash(old, value, recursive, listMerge);
    else if (Array.isArray(old) && Array.isArray(value)) out[key] = mergeLists(old, value, listMerge);
    else out[key] = value;
  }
  return out;
}

function combine(value: unknown, ...args: unknown[]): Dict {
  const { positional, kwargs } = splitKwargs(args);
  const listMerge = (kwargs.list_merge ?? 'replace') as ListMerge;
  if (!['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'].includes(listMerge)) {
    throw new RangeError(`combine: list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp`);
  }
  const dicts = [value, ...positional].flatMap((d) => (Array.isArray(d) ? d : [d]));
  return dicts.reduce<Dict>((acc, d) => mergeHash(acc, asDict('combine', d), truthy(kwargs.recursive ?? false), listMerge), {});
}

function dict2items(value: unknown, ...args: unknown[]): Dict[] {
  const [keyName = 'key', valueName = 'value'] = bindArgs('dict2items', args, ['key_name', 'value_name']);
  return Object.entries(asDict('dict2items', value)).map(([k, v]) => ({ [pyStr(keyName)]: k, [pyStr(valueName)]: v }));
}

function items2dict(value: unknown, ...args: unknown[]): Dict {
  const [keyName = 'key', valueName = 'value'] = bindArgs('items2dict', args, ['key_name', 'value_name']);
  const out: Dict = {};
  for (const item of asList('items2dict', value)) {
    const d = asDict('items2dict', item);
    if (!(pyStr(keyName) in d) || !(pyStr(valueName) in d)) {
      throw new RangeError(`items2dict: each item needs '${pyStr(keyName)}' and '${pyStr(valueName)}'`);
    }
    out[pyStr(d[pyStr(keyName)])] = d[pyStr(valueName)];
  }
  return out;
}

/** extract: `groups.web | map('extract', hostvars, 'ansible_host')`. */
function extract(item: unknown, container: unknown, morekeys?: unknown): unknown {
  const keys = [item, ...(morekeys === undefined ? [] : Array.isArray(morekeys) ? morekeys : [morekeys])];
  return keys.reduce((current, key) => member(current, key, false, `extract(${pyStr(item)})`), container);
}

// ---- serialisation ----

function toJson(value: unknown, ...args: unknown[]): string {
  const [indentBy, sortKeys = false, ensureAscii = true] = bindArgs('to_json', args, ['indent', 'sort_keys', 'ensure_ascii']);
  return pyJsonDumps(value, { indent: indentBy as number | undefined, sortKeys: truthy(sortKeys), ensureAscii: truthy(ensureAscii) });
}

function toNiceJson(value: unknown, ...args: unknown[]): string {
  const [indentBy = 4, sortKeys = true, ensureAscii = true] = bindArgs('to_nice_json', args, ['indent', 'sort_keys', 'ensure_ascii']);
  return pyJsonDumps(value, { indent: Number(indentBy), sortKeys: truthy(sortKeys), ensureAscii: truthy(ensureAscii) });
}

function fromJson(value: unknown): unknown {
  try {
    return JSON.parse(pyStr(value));
  } catch (err) {
    throw new SyntaxError(`from_json: ${(err as Error).message}`);
  }
}

function fromYaml(value: unknown): unknown {
  if (!isString(value)) return value;
  try {
    return YAML.parse(String(value));
  } catch (err) {
    throw new SyntaxError(`from_yaml: ${(err as Error).message}`);
  }
}

export const filters: Record<string, FilterFn> = {
  default: defaultFilter,
  d: defaultFilter,
  mandatory,
  bool: toBool,
  int: toInt,
  float: toFloat,
  string: (v) => pyStr(strict(v)),
  lower: (v) => pyStr(v).toLowerCase(),
  upper: (v) => pyStr(v).toUpperCase(),
  capitalize: (v) => {
    const s = pyStr(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  trim,
  indent,
  format: (v, ...args) => percentFormat(pyStr(v), args),
  split: (v, sep, max) => pySplit(pyStr(v), sep, max),
  replace: (v, from, to, count) => {
    const parts = pyStr(v).split(pyStr(from));
    const n = count === undefined ? parts.length : Number(count) + 1;
    return parts.slice(0, n).join(pyStr(to)) + (n < parts.length ? pyStr(from) + parts.slice(n).join(pyStr(from)) : '');
  },
  regex_replace: regexReplace,
  regex_search: regexSearch,
  regex_findall: regexFindall,
  regex_escape: regexEscape,
  basename: (v) => path.posix.basename(pyStr(v)),
  dirname: (v) => {
    // Python's os.path.dirname keeps nothing for a bare name and '/' for a top-level path.
    const s = pyStr(v);
    const i = s.lastIndexOf('/');
    return i < 0 ? '' : s.slice(0, i).replace(/\/+$/, '') || '/';
  },
  quote: (v) => quote(pyStr(strict(v))),
  b64encode: (v) => Buffer.from(pyStr(v), 'utf8').toString('base64'),
  b64decode: (v) => Buffer.from(pyStr(v), 'base64').toString('utf8'),
  hash,
  checksum: (v) => hash(v, 'sha1'),
  md5: (v) => hash(v, 'md5'),
  sha1: (v) => hash(v, 'sha1'),
  ternary,
  length,
  count: length,
  first,
  last,
  list: toList,
  flatten,
  min(v, ...args) { return extreme('min', v, args); },
  max(v, ...args) { return extreme('max', v, args); },
  sum,
  zip,
  join,
  map,
  select(v, ...args) { return selectBy(this, v, args, true); },
  reject(v, ...args) { return selectBy(this, v, args, false); },
  selectattr(v, ...args) { return selectAttrBy(this, v, args, true); },
  rejectattr(v, ...args) { return selectAttrBy(this, v, args, false); },
  attr: (v, name) => member(v, name, false, pyStr(name)),
  unique,
  sort,
  reverse: (v) => (isString(v) ? [...String(v)].reverse().join('') : [...asList('reverse', v)].reverse()),
  union: (a, b) => setOp('union', a, b, () => true),
  intersect: (a, b) => setOp('intersect', a, b, (_x, inA, inB) => inA && inB),
  difference: (a, b) => setOp('difference', a, b, (_x, inA, inB) => inA && !inB),
  symmetric_difference: (a, b) => setOp('symmetric_difference', a, b, (_x, inA, inB) => inA !== inB),
  combine,
  dict2items,
  items2dict,
  items: (v) => Object.entries(asDict('items', v)),
  extract,
  to_json: toJson,
  to_nice_json: toNiceJson,
  to_yaml: (v, ...args) => pyYamlDump(v, { indent: bindArgs('to_yaml', args, ['indent'])[0] as number | undefined, flowLeaves: true }),
  to_nice_yaml: (v, ...args) => pyYamlDump(v, { indent: Number(bindArgs('to_nice_yaml', args, ['indent'])[0] ?? 4), flowLeaves: false }),
  from_json: fromJson,
  from_yaml: fromYaml,
  type_debug: (v) => typeName(v),
};
