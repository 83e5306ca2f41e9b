/**
 * Jinja2's builtin tests: types (string, number, integer, float, boolean,
 * mapping, sequence, iterable, callable, none, true, false), definedness,
 * numbers (odd, even, divisibleby), case (lower, upper), comparisons (eq,
 * ne, lt, le, gt, ge and their aliases), in, sameas, escaped, and whether a
 * filter or test of that name exists.
 */
import { compare, contains, eq, isDict, isString, isUndefinedValue, pyStr } from '../python.js';
import { isMarkup } from '../filters/html.js';
import { findFilter, findTest } from '../filters/iteration.js';
import { bindArgs, pyTypeName, strict, type FilterContext, type TestFn } from '../filters/support.js';

/** Python's `a % b` for the number tests; strings are %-format templates there, so they fail. */
function modulo(value: unknown, divisor: number): number {
  strict(value);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    if (isString(value)) throw new TypeError('not all arguments converted during string formatting');
    throw new TypeError(`unsupported operand type(s) for %: '${pyTypeName(value)}' and 'int'`);
  }
  if (divisor === 0) throw new RangeError('integer modulo by zero');
  const x = Number(value);
  return ((x % divisor) + divisor) % divisor;
}

/** str.islower / str.isupper: at least one cased character, and all of them in that case. */
function caseTest(value: unknown, lower: boolean): boolean {
  const s = pyStr(strict(value));
  const cased = [...s].filter((c) => c.toLowerCase() !== c.toUpperCase());
  if (cased.length === 0) return false;
  return cased.every((c) => (lower ? c === c.toLowerCase() && c !== c.toUpperCase() : c === c.toUpperCase() && c !== c.toLowerCase()));
}

/** `'x' is filter` / `is test`: as in Ansible, a name that is no plugin is an error, not false. */
function exists(ctx: FilterContext, kind: 'filter' | 'test', name: unknown): boolean {
  if (!isString(name)) return false;
  if (kind === 'filter') findFilter(ctx, String(name));
  else findTest(ctx, String(name));
  return true;
}

const comparison = (op: string): TestFn => (v, ...args) => compare(v, op, bindArgs(op, args, ['other'])[0]);
const equal: TestFn = (v, ...args) => eq(v, bindArgs('eq', args, ['other'])[0]);
const notEqual: TestFn = (v, ...args) => !eq(v, bindArgs('ne', args, ['other'])[0]);

export const coreTests: Record<string, TestFn> = {
  defined: (v) => !isUndefinedValue(v),
  undefined: (v) => isUndefinedValue(v),
  none: (v) => v === null,
  boolean: (v) => typeof v === 'boolean',
  true: (v) => v === true,
  false: (v) => v === false,
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  number: (v) => typeof v === 'number' || typeof v === 'boolean',
  string: (v) => isString(v),
  mapping: (v) => isDict(v),
  sequence: (v) => Array.isArray(v) || isString(v) || isDict(v),
  iterable: (v) => Array.isArray(v) || isString(v) || isDict(v),
  callable: (v) => typeof v === 'function',
  escaped: (v) => isMarkup(v),
  lower: (v) => caseTest(v, true),
  upper: (v) => caseTest(v, false),
  odd: (v) => modulo(v, 2) === 1,
  even: (v) => modulo(v, 2) === 0,
  divisibleby: (v, ...args) => {
    const [n] = bindArgs('divisibleby', args, ['num']);
    strict(n);
    if (typeof n !== 'number' && typeof n !== 'boolean') throw new TypeError(`unsupported operand type(s) for %: '${pyTypeName(v)}' and '${pyTypeName(n)}'`);
    return modulo(v, Number(n)) === 0;
  },
  sameas: (v, ...args) => {
    const [other] = bindArgs('sameas', args, ['other']);
    return Object.is(v, other) || (v === null && other === undefined);
  },
  in: (v, ...args) => contains(bindArgs('in', args, ['seq'])[0], v),
  filter(v) { return exists(this, 'filter', v); },
  test(v) { return exists(this, 'test', v); },
  '==': equal,
  eq: equal,
  equalto: equal,
  '!=': notEqual,
  ne: notEqual,
  '>': comparison('>'),
  gt: comparison('>'),
  greaterthan: comparison('>'),
  '>=': comparison('>='),
  ge: comparison('>='),
  '<': comparison('<'),
  lt: comparison('<'),
  lessthan: comparison('<'),
  '<=': comparison('<='),
  le: comparison('<='),
};
