/**
 * The lookups that reshape lists: items, list, indexed_items, dict, nested,
 * together, subelements, random_choice.
 */
import { randomInt } from 'node:crypto';
import { isDict, isString, pyStr, typeName, type Dict } from '../template/python.js';
import { toBool } from '../values.js';
import { LookupError } from './errors.js';
import { listifyTerms, termList } from './terms.js';
import type { LookupPlugin } from './types.js';

/** What Python's `for x in value` sees. */
function pyIter(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isString(value)) return [...String(value)];
  if (isDict(value)) return Object.keys(value);
  throw new LookupError(`'${typeName(value)}' object is not iterable`, 'TypeError');
}

/** LookupBase._flatten: lists inside are spliced in, one level. */
function flattenOnce(terms: unknown): unknown[] {
  return pyIter(terms).flatMap((term) => (Array.isArray(term) ? term : [term]));
}

export const items: LookupPlugin = {
  name: 'items',
  run: (terms) => flattenOnce(terms),
};

export const list: LookupPlugin = {
  name: 'list',
  run(terms) {
    if (!Array.isArray(terms)) throw new LookupError('with_list expects a list');
    return terms;
  },
};

export const indexedItems: LookupPlugin = {
  name: 'indexed_items',
  run(terms) {
    if (!Array.isArray(terms)) throw new LookupError('with_indexed_items expects a list');
    return flattenOnce(terms).map((item, index) => [index, item]);
  },
};

export const dict: LookupPlugin = {
  name: 'dict',
  run(terms) {
    const dicts = Array.isArray(terms) ? terms : [terms];
    return dicts.flatMap((term) => {
      if (!isDict(term)) throw new LookupError('with_dict expects a dict');
      return Object.entries(term).map(([key, value]) => ({ key, value }));
    });
  },
};

export const nested: LookupPlugin = {
  name: 'nested',
  run(terms, _options, ctx) {
    const lists = termList(terms).map((term) => listifyTerms(term, ctx));
    if (lists.length === 0) throw new LookupError('with_nested requires at least one element in the nested list');
    let result: unknown[] = termList(lists[0]!);
    for (const next of lists.slice(1)) {
      const combined: unknown[] = [];
      for (const x of result) for (const y of termList(next)) combined.push(flattenOnce([x, y]));
      result = combined;
    }
    return result.map(flattenOnce);
  },
};

export const together: LookupPlugin = {
  name: 'together',
  run(terms, _options, ctx) {
    const lists = termList(terms).map((term) => pyIter(listifyTerms(term, ctx)));
    if (lists.length === 0) throw new LookupError('with_together requires at least one element in each list');
    const longest = Math.max(...lists.map((l) => l.length));
    return Array.from({ length: longest }, (_, i) => flattenOnce(lists.map((l) => (i < l.length ? l[i] : null))));
  },
};

export const randomChoice: LookupPlugin = {
  name: 'random_choice',
  run(terms) {
    const choices = termList(terms);
    return choices.length ? [choices[randomInt(choices.length)]] : choices;
  },
};

function subelementsTermsError(detail = ''): LookupError {
  return new LookupError(`subelements lookup expects a list of two or three items, ${detail}`);
}

/** A copy of `item` without `key` (Ansible pops the sub-list out of the item it yields). */
function without(item: Dict, key: string): Dict {
  const { [key]: _removed, ...rest } = item;
  return rest;
}

/**
 * The (item, subelement) pairs of one item, following the dotted key as
 * Ansible does (a key equal to the last one ends the descent, wherever it
 * appears; with skip_missing a missing or non-dict key is passed over).
 */
function subelementPairs(item0: Dict, keys: string[], skipMissing: boolean): [Dict, unknown][] {
  const lastKey = keys[keys.length - 1];
  const descended: string[] = [];
  let parent: Dict = item0;
  let yielded: Dict = item0;
  let atLast = false;
  let sublist: unknown[] = [];
  for (const key of keys) {
    if (key === lastKey) atLast = true;
    if (!Object.hasOwn(parent, key)) {
      if (skipMissing) continue;
      throw new LookupError(`could not find '${key}' key in iterated item '${pyStr(parent)}'`);
    }
    const value = parent[key];
    if (!atLast) {
      if (!isDict(value)) {
        if (skipMissing) continue;
        throw new LookupError(`the key ${key} should point to a dictionary, got '${pyStr(value)}'`);
      }
      descended.push(key);
      parent = value;
    } else {
      if (!Array.isArray(value)) throw new LookupError(`the key ${key} should point to a list, got '${pyStr(value)}'`);
      sublist = value;
      // The yielded item no longer holds the sub-list (Ansible pops it out).
      yielded = rebuild(yielded, descended, key);
      parent = without(parent, key);
    }
  }
  return sublist.map((sub) => [yielded, sub]);
}

/** item0 with the list at path/key removed, copying only the dicts on the way. */
function rebuild(item: Dict, path: string[], key: string): Dict {
  if (path.length === 0) return without(item, key);
  const [head, ...rest] = path;
  return { ...item, [head!]: rebuild(item[head!] as Dict, rest, key) };
}

export const subelements: LookupPlugin = {
  name: 'subelements',
  run(rawTerms, _options, ctx) {
    const terms: unknown[] = termList(rawTerms).slice();
    if (terms.length === 0) throw subelementsTermsError();
    terms[0] = listifyTerms(terms[0], ctx);
    if (terms.length < 2 || terms.length > 3) throw subelementsTermsError();
    const [source, subkey] = terms;
    if (!(Array.isArray(source) || isDict(source)) || !isString(subkey)) {
      throw subelementsTermsError('first a dict or a list, second a string pointing to the subkey');
    }
    const keys = String(subkey).split('.');
    let elements: unknown[];
    if (isDict(source)) {
      if (source.skipped !== undefined && source.skipped !== false) return [];
      elements = Object.values(source);
    } else elements = source;
    const flags = terms.length === 3 ? terms[2] : {};
    if (!isDict(flags) && !termsAreFlags(flags)) {
      throw subelementsTermsError("the optional third item must be a dict with flags ('skip_missing',)");
    }
    const skipMissing = isDict(flags) ? toBool(flags.skip_missing ?? false, false) : false;
    const out: unknown[] = [];
    for (const item0 of elements) {
      if (!isDict(item0)) throw new LookupError(`subelements lookup expects a dictionary, got '${pyStr(item0)}'`);
      if (item0.skipped !== undefined && item0.skipped !== false) continue;
      for (const pair of subelementPairs(item0, keys, skipMissing)) out.push(pair);
    }
    return out;
  },
};

/** A third term that is not a dict passes only when every one of its elements is a flag name. */
function termsAreFlags(flags: unknown): boolean {
  try {
    return pyIter(flags).every((key) => isString(key) && String(key) === 'skip_missing');
  } catch {
    return false;
  }
}

