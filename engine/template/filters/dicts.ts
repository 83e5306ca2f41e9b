/**
 * Mappings: combine (Ansible's merge_hash with recursive and list_merge),
 * dict2items / items2dict, items, dictsort, extract, subelements and
 * rekey_on_member.
 */
import { member, splitKwargs } from '../members.js';
import { Undefined, contains, isDict, isString, pyStr, repr, truthy, type Dict } from '../python.js';
import { pyJsonDumps } from '../serialize.js';
import { FilterError, FilterTypeError, bindArgs, ignoreCase, pySorted, strict, type FilterFn } from './support.js';

const LIST_MERGES = ['replace', 'keep', 'append', 'prepend', 'append_rp', 'prepend_rp'] as const;
type ListMerge = (typeof LIST_MERGES)[number];

/** Python's class name of a value, as Ansible's messages print it. */
function className(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (isString(value)) return 'str';
  return Array.isArray(value) ? 'list' : 'dict';
}

function dumpForMessage(value: unknown): string {
  try {
    return pyJsonDumps(value);
  } catch {
    return pyStr(value);
  }
}

function mergeLists(x: unknown[], y: unknown[], mode: ListMerge): unknown[] {
  switch (mode) {
    case 'replace': return y;
    case 'keep': return x;
    case 'append': return [...x, ...y];
    case 'prepend': return [...y, ...x];
    case 'append_rp': return [...x.filter((v) => !contains(y, v)), ...y];
    case 'prepend_rp': return [...y, ...x.filter((v) => !contains(y, v))];
  }
}

/** Ansible's merge_hash: y's keys win; dicts merge when recursive, lists by list_merge. */
export function mergeHash(x: unknown, y: unknown, recursive: boolean, listMerge: ListMerge): Dict {
  if (!isDict(x) || !isDict(y)) {
    throw new FilterError(`failed to combine variables, expected dicts but got a '${className(x)}' and a '${className(y)}': \n${dumpForMessage(x)}\n${dumpForMessage(y)}`);
  }
  const out: Dict = { ...x };
  for (const [key, yValue] of Object.entries(y)) {
    if (!Object.hasOwn(out, key)) {
      out[key] = yValue;
      continue;
    }
    const xValue = out[key];
    if (isDict(xValue) && isDict(yValue)) out[key] = recursive ? mergeHash(xValue, yValue, recursive, listMerge) : yValue;
    else if (Array.isArray(xValue) && Array.isArray(yValue)) out[key] = mergeLists(xValue, yValue, listMerge);
    else out[key] = yValue;
  }
  return out;
}

/** Undefined anywhere inside the terms is an error naming it, as Ansible checks before merging. */
function checkDefined(value: unknown): void {
  if (value instanceof Undefined) throw new FilterError(`${value.reason} is undefined`);
  if (Array.isArray(value)) value.forEach(checkDefined);
  else if (isDict(value)) Object.values(value).forEach(checkDefined);
}

function combine(value: unknown, ...args: unknown[]): unknown {
  const { positional, kwargs } = splitKwargs(args);
  const { recursive = false, list_merge: listMerge = 'replace', ...unknown } = kwargs;
  if (Object.keys(unknown).length > 0) throw new FilterError("'recursive' and 'list_merge' are the only valid keyword arguments");
  // Ansible flattens the terms one level with its flatten filter, which also drops None.
  const dicts = [value, ...positional]
    .flatMap((d) => (Array.isArray(d) ? d : [d]))
    .filter((d) => d !== null && d !== undefined && !(isString(d) && ['None', 'null'].includes(String(d))));
  checkDefined(dicts);
  if (dicts.length === 0) return {};
  if (dicts.length === 1) return dicts[0];
  const mode = pyStr(listMerge);
  if (!(LIST_MERGES as readonly string[]).includes(mode)) {
    throw new FilterError("merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp'");
  }
  // Merged from the highest priority (last) down, as Ansible does.
  return dicts.slice(0, -1).reduceRight<unknown>((acc, d) => mergeHash(d, acc, truthy(recursive), mode as ListMerge), dicts[dicts.length - 1]);
}

function dict2items(value: unknown, ...args: unknown[]): Dict[] {
  const [keyName = 'key', valueName = 'value'] = bindArgs('dict2items', args, ['key_name', 'value_name']);
  strict(value);
  if (!isDict(value)) throw new FilterTypeError(`dict2items requires a dictionary, got <class '${className(value)}'> instead.`);
  return Object.entries(value).map(([k, v]) => ({ [pyStr(keyName)]: k, [pyStr(valueName)]: v }));
}

function items2dict(value: unknown, ...args: unknown[]): Dict {
  const [keyName = 'key', valueName = 'value'] = bindArgs('items2dict', args, ['key_name', 'value_name']);
  strict(value);
  if (!Array.isArray(value)) throw new FilterTypeError(`items2dict requires a list, got <class '${className(value)}'> instead.`);
  const k = pyStr(keyName);
  const v = pyStr(valueName);
  const out: Dict = {};
  for (const item of value) {
    if (!isDict(item)) throw new FilterTypeError(`items2dict requires a list of dictionaries, got ${repr(value)} instead.`);
    if (!Object.hasOwn(item, k) || !Object.hasOwn(item, v)) {
      throw new FilterTypeError(`items2dict requires each dictionary in the list to contain the keys '${k}' and '${v}', got ${repr(value)} instead.`);
    }
    out[pyStr(item[k])] = item[v];
  }
  return out;
}

function items(value: unknown): unknown[][] {
  if (value instanceof Undefined) return [];
  if (!isDict(value)) throw new TypeError('Can only get item pairs from a mapping.');
  return Object.entries(value);
}

function dictsort(value: unknown, ...args: unknown[]): unknown[][] {
  const [caseSensitive = false, by = 'key', reverse = false] = bindArgs('dictsort', args, ['case_sensitive', 'by', 'reverse']);
  const position = pyStr(by) === 'key' ? 0 : pyStr(by) === 'value' ? 1 : undefined;
  if (position === undefined) throw new FilterError('You can only sort by either "key" or "value"');
  strict(value);
  if (!isDict(value)) throw new TypeError(`'${className(value)}' object has no attribute 'items'`);
  return pySorted(Object.entries(value), (pair) => (truthy(caseSensitive) ? pair[position] : ignoreCase(pair[position])), truthy(reverse));
}

/** extract: `groups.web | map('extract', hostvars, 'ansible_host')`. */
function extract(item: unknown, ...args: unknown[]): unknown {
  const [container, morekeys = null] = bindArgs('extract', args, ['container', 'morekeys']);
  const keys = [item, ...(morekeys === null ? [] : Array.isArray(morekeys) ? morekeys : [morekeys])];
  return keys.reduce((current, key) => member(current, strict(key), true, pyStr(key)), container);
}

/** subelements: (item, sub-item) pairs for each item's list under a dotted key. */
function subelements(value: unknown, ...args: unknown[]): unknown[][] {
  const [path, skipMissing = false] = bindArgs('subelements', args, ['subelements', 'skip_missing']);
  strict(value);
  let elements: unknown[];
  if (isDict(value)) elements = Object.values(value);
  else if (Array.isArray(value)) elements = value;
  else throw new FilterError('obj must be a list of dicts or a nested dict');
  let keys: unknown[];
  if (Array.isArray(path)) keys = path;
  else if (isString(path)) keys = String(path).split('.');
  else throw new FilterTypeError('subelements must be a list or a string');
  const results: unknown[][] = [];
  for (const element of elements) {
    let values: unknown = element;
    for (const key of keys) {
      if (isDict(values) && Object.hasOwn(values, pyStr(key))) {
        values = values[pyStr(key)];
      } else if (isDict(values)) {
        if (truthy(skipMissing)) {
          values = [];
          break;
        }
        throw new FilterError(`could not find ${repr(key)} key in iterated item ${repr(values)}`);
      } else {
        throw new FilterTypeError(`the key ${pyStr(key)} should point to a dictionary, got ${repr(values)}`);
      }
    }
    if (!Array.isArray(values)) throw new FilterTypeError(`the key ${repr(keys[keys.length - 1])} should point to a list, got ${repr(values)}`);
    for (const v of values) results.push([element, v]);
  }
  return results;
}

/** rekey_on_member: a dict of the items keyed by one of their members. */
function rekeyOnMember(value: unknown, ...args: unknown[]): Dict {
  const [key, duplicatesArg = 'error'] = bindArgs('rekey_on_member', args, ['key', 'duplicates']);
  const duplicates = pyStr(duplicatesArg);
  if (duplicates !== 'error' && duplicates !== 'overwrite') {
    throw new FilterError(`duplicates parameter to rekey_on_member has unknown value: ${pyStr(duplicates)}`);
  }
  strict(value);
  strict(key);
  let entries: unknown[];
  if (isDict(value)) entries = Object.values(value);
  else if (Array.isArray(value)) entries = value;
  else throw new FilterTypeError('Type is not a valid list, set, or dict');
  const out: Dict = {};
  for (const item of entries) {
    if (!isDict(item)) throw new FilterTypeError('List item is not a valid dict');
    const k = pyStr(key);
    if (!Object.hasOwn(item, k)) throw new FilterError(`Key ${k} was not found`);
    const newKey = pyStr(item[k]);
    if (Object.hasOwn(out, newKey) && truthy(out[newKey])) {
      if (duplicates === 'error') throw new FilterError(`Key ${newKey} is not unique, cannot correctly turn into dict`);
    }
    out[newKey] = item;
  }
  return out;
}

export const dictFilters: Record<string, FilterFn> = {
  combine,
  dict2items,
  items2dict,
  items,
  dictsort,
  extract,
  subelements,
  rekey_on_member: rekeyOnMember,
};
