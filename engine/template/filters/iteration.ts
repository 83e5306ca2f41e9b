/**
 * Filters that apply a filter or test to each item: map, select, reject,
 * selectattr, rejectattr, and groupby. As in Jinja2, a false-y input
 * (None, an empty list) gives an empty list, and an attribute an item lacks
 * is undefined: an error only where it is used.
 */
import { splitKwargs } from '../members.js';
import { pyStr, truthy, type Dict } from '../python.js';
import { asList, getAttribute, ignoreCase, pyComparator, type FilterContext, type FilterFn } from './support.js';
import { eq } from '../python.js';

/** The error Ansible gives for a filter or test name it cannot load. */
export function pluginNotFound(name: string): Error {
  const valid = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(name);
  const qualified = name.includes('.') ? name : `ansible.builtin.${name}`;
  const err = new Error(valid ? `Could not load "${name}": '${name}'` : `Could not load "${name}": 'invalid plugin name: ${qualified}'`);
  err.name = 'TemplateSyntaxError';
  return err;
}

export function findFilter(ctx: FilterContext, name: string): (this: FilterContext, ...args: unknown[]) => unknown {
  try {
    return ctx.env.getFilter(name);
  } catch {
    throw pluginNotFound(name);
  }
}

export function findTest(ctx: FilterContext, name: string): (this: FilterContext, ...args: unknown[]) => unknown {
  try {
    return ctx.env.getTest(name);
  } catch {
    throw pluginNotFound(name);
  }
}

/** Positional arguments plus keyword arguments, as nunjucks passes them to a filter or test. */
function withKeywords(positional: unknown[], kwargs: Dict): unknown[] {
  return Object.keys(kwargs).length > 0 ? [...positional, { ...kwargs, __keywords: true }] : positional;
}

function map(this: FilterContext, value: unknown, ...args: unknown[]): unknown[] {
  if (!truthy(value)) return [];
  const items = asList(value);
  const { positional, kwargs } = splitKwargs(args);
  if (positional.length === 0 && 'attribute' in kwargs) {
    const { attribute, default: fallback = null, ...rest } = kwargs;
    const unexpected = Object.keys(rest)[0];
    if (unexpected !== undefined) throw new TypeError(`Unexpected keyword argument '${unexpected}'`);
    return items.map((item) => getAttribute(item, attribute, fallback));
  }
  const [name, ...rest] = positional;
  if (name === undefined) throw new TypeError('map requires a filter argument');
  const filter = findFilter(this, pyStr(name));
  const filterArgs = withKeywords(rest, kwargs);
  return items.map((item) => filter.call(this, item, ...filterArgs));
}

function selectOrReject(ctx: FilterContext, value: unknown, args: unknown[], keep: boolean, byAttribute: boolean): unknown[] {
  if (!truthy(value)) return [];
  const items = asList(value);
  const { positional, kwargs } = splitKwargs(args);
  let offset = 0;
  let attribute: unknown;
  if (byAttribute) {
    if (positional.length === 0) throw new TypeError('Missing parameter for attribute name');
    attribute = positional[0];
    offset = 1;
  }
  const testName = positional[offset];
  const testArgs = withKeywords(positional.slice(offset + 1), kwargs);
  const test = testName === undefined ? undefined : findTest(ctx, pyStr(testName));
  return items.filter((item) => {
    const subject = byAttribute ? getAttribute(item, attribute) : item;
    const result = test ? test.call(ctx, subject, ...testArgs) : subject;
    return truthy(result) === keep;
  });
}

/** A group of `groupby`: a (grouper, list) pair that also answers to `.grouper` and `.list`. */
function groupTuple(grouper: unknown, list: unknown[]): unknown[] {
  const pair = [grouper, list];
  Object.defineProperty(pair, 'grouper', { value: grouper, enumerable: false });
  Object.defineProperty(pair, 'list', { value: list, enumerable: false });
  return pair;
}

/** Jinja2's groupby: sorted by the attribute, one group per value (case-insensitive unless asked). */
function groupby(value: unknown, ...args: unknown[]): unknown[][] {
  const { positional, kwargs } = splitKwargs(args);
  const [attribute, fallback = null, caseSensitive = false] = [
    kwargs.attribute ?? positional[0],
    kwargs.default ?? positional[1],
    kwargs.case_sensitive ?? positional[2],
  ];
  const raw = (item: unknown) => getAttribute(item, attribute, fallback ?? undefined);
  const key = (item: unknown) => (truthy(caseSensitive) ? raw(item) : ignoreCase(raw(item)));
  const sorted = [...asList(value)].sort(pyComparator(key));
  const groups: Array<{ key: unknown; items: unknown[] }> = [];
  for (const item of sorted) {
    const k = key(item);
    const current = groups[groups.length - 1];
    if (current && eq(current.key, k)) current.items.push(item);
    else groups.push({ key: k, items: [item] });
  }
  return groups.map(({ key: k, items }) => groupTuple(truthy(caseSensitive) ? k : raw(items[0]), items));
}

export const iterationFilters: Record<string, FilterFn> = {
  map,
  select(v, ...args) { return selectOrReject(this, v, args, true, false); },
  reject(v, ...args) { return selectOrReject(this, v, args, false, false); },
  selectattr(v, ...args) { return selectOrReject(this, v, args, true, true); },
  rejectattr(v, ...args) { return selectOrReject(this, v, args, false, true); },
  groupby,
};
