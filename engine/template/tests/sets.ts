/**
 * Set and number tests (Ansible's mathstuff): subset, superset, contains,
 * and nan.
 */
import { contains, eq, isDict } from '../python.js';
import { asList, bindArgs, pyTypeName, strict, type TestFn } from '../filters/support.js';

/** The items of a Python set made from the value; an unhashable item is Python's TypeError. */
function setOf(value: unknown): unknown[] {
  const items = asList(value);
  for (const item of items) {
    if (Array.isArray(item) || isDict(item)) throw new TypeError(`unhashable type: '${pyTypeName(item)}'`);
  }
  return items;
}

const subset: TestFn = (a, ...args) => {
  const [b] = bindArgs('subset', args, ['b']);
  const big = setOf(b);
  return setOf(a).every((x) => big.some((y) => eq(x, y)));
};

const superset: TestFn = (a, ...args) => {
  const [b] = bindArgs('superset', args, ['b']);
  const big = setOf(a);
  return setOf(b).every((x) => big.some((y) => eq(x, y)));
};

const nan: TestFn = (v) => typeof strict(v) === 'number' && Number.isNaN(v);

export const setTests: Record<string, TestFn> = {
  subset,
  issubset: subset,
  superset,
  issuperset: superset,
  contains: (seq, ...args) => contains(seq, bindArgs('contains', args, ['value'])[0]),
  nan,
  isnan: nan,
};
