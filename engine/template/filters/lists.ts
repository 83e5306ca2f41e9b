/**
 * Sequences: first, last, join, min, max, sum, sort, reverse, batch, slice,
 * flatten, random and shuffle, with Python's ordering and errors (mixed
 * types do not sort; an empty sequence has no first item).
 */
import { Undefined, add, isDict, isString, truthy } from '../python.js';
import { PyRandom, randrange, shuffleInPlace, systemRandom, type RandomSource } from './pyrandom.js';
import {
  FilterError, asList, bindArgs, getAttribute, ignoreCase, keyGetter, pyComparator, pyTypeName, strict, text, type FilterFn,
} from './support.js';

function first(value: unknown): unknown {
  const items = asList(value);
  return items.length > 0 ? items[0] : new Undefined('first', 'No first item, sequence was empty.');
}

function last(value: unknown): unknown {
  const items = asList(value);
  return items.length > 0 ? items[items.length - 1] : new Undefined('last', 'No last item, sequence was empty.');
}

function join(value: unknown, ...args: unknown[]): string {
  const [separator = '', attribute = null] = bindArgs('join', args, ['d', 'attribute']);
  let items = asList(value);
  if (attribute !== null) items = items.map((x) => getAttribute(x, attribute));
  return items.map(text).join(text(separator));
}

function extreme(filter: 'min' | 'max', value: unknown, args: unknown[]): unknown {
  const [caseSensitive = false, attribute = null] = bindArgs(filter, args, ['case_sensitive', 'attribute']);
  const items = asList(value);
  if (items.length === 0) return new Undefined(filter, 'No aggregated item, sequence was empty.');
  const compare = pyComparator(keyGetter(attribute, truthy(caseSensitive)));
  return items.reduce((best, x) => ((filter === 'min' ? compare(x, best) < 0 : compare(x, best) > 0) ? x : best));
}

/** Python's sum(): numbers add up, lists concatenate; strings are refused. */
function sum(value: unknown, ...args: unknown[]): unknown {
  const [attribute = null, start = 0] = bindArgs('sum', args, ['attribute', 'start']);
  if (isString(start)) throw new TypeError("sum() can't sum strings [use ''.join(seq) instead]");
  let items = asList(value);
  if (attribute !== null) items = items.map((x) => getAttribute(x, attribute));
  return items.reduce((acc, x) => {
    if (Array.isArray(acc) && !Array.isArray(x)) throw new TypeError(`can only concatenate list (not "${pyTypeName(x)}") to list`);
    return add(acc, strict(x));
  }, start);
}

/** Jinja2's sort: by the item, or by one or more comma-separated attribute paths. */
function sort(value: unknown, ...args: unknown[]): unknown[] {
  const [reverse = false, caseSensitive = false, attribute = null] = bindArgs('sort', args, ['reverse', 'case_sensitive', 'attribute']);
  const paths = isString(attribute) ? String(attribute).split(',') : [attribute];
  const key = (item: unknown) => paths.map((path) => {
    const v = getAttribute(item, path);
    return truthy(caseSensitive) ? v : ignoreCase(v);
  });
  return [...asList(value)].sort(pyComparator(key, truthy(reverse)));
}

function reverse(value: unknown): unknown {
  strict(value);
  if (isString(value)) return [...String(value)].reverse().join('');
  if (Array.isArray(value) || isDict(value)) return [...asList(value)].reverse();
  throw new FilterError('argument must be iterable');
}

function batch(value: unknown, ...args: unknown[]): unknown[][] {
  const [linecount, fillWith = null] = bindArgs('batch', args, ['linecount', 'fill_with']);
  const size = Number(linecount);
  const out: unknown[][] = [];
  let row: unknown[] = [];
  for (const item of asList(value)) {
    if (row.length === size) {
      out.push(row);
      row = [];
    }
    row.push(item);
  }
  if (row.length > 0) {
    if (fillWith !== null && row.length < size) row.push(...Array.from({ length: size - row.length }, () => fillWith));
    out.push(row);
  }
  return out;
}

function slice(value: unknown, ...args: unknown[]): unknown[][] {
  const [slices, fillWith = null] = bindArgs('slice', args, ['slices', 'fill_with']);
  const seq = asList(value);
  const count = Number(slices);
  const perSlice = Math.floor(seq.length / count);
  const withExtra = seq.length % count;
  const out: unknown[][] = [];
  let offset = 0;
  for (let n = 0; n < count; n++) {
    const start = offset + n * perSlice;
    if (n < withExtra) offset += 1;
    const end = offset + (n + 1) * perSlice;
    const part = seq.slice(start, end);
    if (fillWith !== null && n >= withExtra) part.push(fillWith);
    out.push(part);
  }
  return out;
}

/** Ansible's flatten: nested lists to `levels` depth; None, 'None' and 'null' dropped unless skip_nulls=false. */
function flattenItems(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const element of items) {
    if (skipNulls && (element === null || element === undefined || element === 'None' || element === 'null' ||
      (element instanceof String && ['None', 'null'].includes(String(element))))) continue;
    if (Array.isArray(element)) {
      if (levels === null) out.push(...flattenItems(element, null, skipNulls));
      else if (levels >= 1) out.push(...flattenItems(element, Math.trunc(levels) - 1, skipNulls));
      else out.push(element);
    } else out.push(element);
  }
  return out;
}

function flatten(value: unknown, ...args: unknown[]): unknown[] {
  const [levels = null, skipNulls = true] = bindArgs('flatten', args, ['levels', 'skip_nulls']);
  return flattenItems(asList(value), levels === null ? null : Number(levels), truthy(skipNulls));
}

function randomSource(seed: unknown): RandomSource {
  return seed === null || seed === undefined ? systemRandom : new PyRandom(strict(seed));
}

/** Ansible's random: a number below an integer end (with start and step), or an item of a sequence. */
function random(value: unknown, ...args: unknown[]): unknown {
  const [start = null, step = null, seed = null] = bindArgs('random', args, ['start', 'step', 'seed']);
  strict(value);
  const rng = randomSource(seed);
  if ((typeof value === 'number' && Number.isInteger(value)) || typeof value === 'boolean') {
    return randrange(rng, truthy(start) ? Number(start) : 0, Number(value), truthy(step) ? Number(step) : 1);
  }
  if (Array.isArray(value) || isString(value) || isDict(value)) {
    if (truthy(start) || truthy(step)) throw new FilterError('start and step can only be used with integer values');
    const items = asList(value);
    if (items.length === 0) throw new RangeError('Cannot choose from an empty sequence');
    return items[rng.below(items.length)];
  }
  throw new FilterError('random can only be used on sequences and integers');
}

/** Ansible's shuffle: a shuffled copy; a value that is not a sequence comes back as it was. */
function shuffle(value: unknown, ...args: unknown[]): unknown {
  const [seed = null] = bindArgs('shuffle', args, ['seed']);
  if (value === null || value === undefined || !(Array.isArray(value) || isString(value) || isDict(value))) return value;
  const items = [...asList(value)];
  return shuffleInPlace(truthy(seed) ? new PyRandom(seed) : systemRandom, items);
}

export const listFilters: Record<string, FilterFn> = {
  first,
  last,
  join,
  min(v, ...args) { return extreme('min', v, args); },
  max(v, ...args) { return extreme('max', v, args); },
  sum,
  sort,
  reverse,
  batch,
  slice,
  flatten,
  random,
  shuffle,
};
