/**
 * Set theory and combinatorics (Ansible's mathstuff): unique, union,
 * intersect, difference, symmetric_difference, product, permutations,
 * combinations, zip and zip_longest. Results keep the order of first
 * occurrence, as Ansible's list-based versions do.
 */
import { splitKwargs } from '../members.js';
import { contains, eq, pyStr, truthy } from '../python.js';
import { FilterError, asList, bindArgs, hashable, keyGetter, type FilterFn } from './support.js';

/**
 * Ansible's unique: Jinja2's (case-insensitive by default, optional
 * attribute) while every key can go in a set; with a list or dict among the
 * keys, Ansible's own plain version (case-sensitive, whole items), unless
 * case_sensitive=False or an attribute was asked for, which it cannot honour.
 */
export function uniqueItems(value: unknown, caseSensitive: unknown = null, attribute: unknown = null): unknown[] {
  const items = asList(value);
  const key = keyGetter(attribute, truthy(caseSensitive ?? false));
  const keys = items.map(key);
  if (keys.every(hashable)) return firstOccurrences(items, keys);
  if (caseSensitive === false || truthy(attribute ?? null)) {
    throw new FilterError("Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied");
  }
  return firstOccurrences(items, items);
}

function firstOccurrences(items: unknown[], keys: unknown[]): unknown[] {
  const out: unknown[] = [];
  const seen: unknown[] = [];
  items.forEach((item, i) => {
    const k = keys[i];
    if (!seen.some((s) => eq(s, k))) {
      seen.push(k);
      out.push(item);
    }
  });
  return out;
}

function unique(value: unknown, ...args: unknown[]): unknown[] {
  const [caseSensitive = null, attribute = null] = bindArgs('unique', args, ['case_sensitive', 'attribute']);
  return uniqueItems(value, caseSensitive, attribute);
}

/** `x in b` for the set filters: a string container needs string items, as in Python. */
const within = (item: unknown, container: unknown) => contains(container, item);

function intersect(a: unknown, b: unknown): unknown[] {
  return uniqueItems(asList(a).filter((x) => within(x, b)), true);
}

function difference(a: unknown, b: unknown): unknown[] {
  return uniqueItems(asList(a).filter((x) => !within(x, b)), true);
}

function union(a: unknown, b: unknown): unknown[] {
  return uniqueItems([...asList(a), ...asList(b)], true);
}

function symmetricDifference(a: unknown, b: unknown): unknown[] {
  const common = intersect(a, b);
  return union(a, b).filter((x) => !common.some((y) => eq(x, y)));
}

/** itertools.product(*lists, repeat=n). */
function product(value: unknown, ...args: unknown[]): unknown[][] {
  const { positional, kwargs } = splitKwargs(args);
  const repeat = kwargs.repeat === undefined ? 1 : Number(kwargs.repeat);
  const pools = [value, ...positional].map((p) => asList(p));
  const all = Array.from({ length: repeat }, () => pools).flat();
  return all.reduce<unknown[][]>((acc, pool) => acc.flatMap((prefix) => pool.map((x) => [...prefix, x])), [[]]);
}

/** itertools.permutations(items, r). */
function permutations(value: unknown, ...args: unknown[]): unknown[][] {
  const [r = null] = bindArgs('permutations', args, ['r']);
  const pool = asList(value);
  const size = r === null ? pool.length : Number(r);
  if (size > pool.length) return [];
  const out: unknown[][] = [];
  const walk = (prefix: number[]) => {
    if (prefix.length === size) {
      out.push(prefix.map((i) => pool[i]));
      return;
    }
    for (let i = 0; i < pool.length; i++) if (!prefix.includes(i)) walk([...prefix, i]);
  };
  walk([]);
  return out;
}

/** itertools.combinations(items, r). */
function combinations(value: unknown, ...args: unknown[]): unknown[][] {
  const [r] = bindArgs('combinations', args, ['r']);
  if (r === undefined) throw new TypeError("combinations() missing required argument 'r' (pos 2)");
  const pool = asList(value);
  const size = Number(r);
  if (size < 0) throw new RangeError('r must be non-negative');
  const out: unknown[][] = [];
  const walk = (start: number, prefix: unknown[]) => {
    if (prefix.length === size) {
      out.push(prefix);
      return;
    }
    for (let i = start; i < pool.length; i++) walk(i + 1, [...prefix, pool[i]]);
  };
  walk(0, []);
  return out;
}

function zip(value: unknown, ...others: unknown[]): unknown[][] {
  const lists = [value, ...splitKwargs(others).positional].map((l) => asList(l));
  const n = Math.min(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
}

function zipLongest(value: unknown, ...args: unknown[]): unknown[][] {
  const { positional, kwargs } = splitKwargs(args);
  for (const key of Object.keys(kwargs)) {
    if (key !== 'fillvalue') throw new TypeError(`zip_longest() got an unexpected keyword argument '${pyStr(key)}'`);
  }
  const fill = kwargs.fillvalue ?? null;
  const lists = [value, ...positional].map((l) => asList(l));
  const n = Math.max(...lists.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => lists.map((l) => (i < l.length ? l[i] : fill)));
}

export const setFilters: Record<string, FilterFn> = {
  unique,
  union,
  intersect,
  difference,
  symmetric_difference: symmetricDifference,
  product,
  permutations,
  combinations,
  zip,
  zip_longest: zipLongest,
};
