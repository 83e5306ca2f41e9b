/**
 * Jinja2 and Ansible tests (`x is defined`, `select('match', ...)`,
 * `result is failed`). Each returns a boolean.
 */
import { toBool, type FilterContext } from './filters.js';
import { compare, contains, eq, isDict, isString, isUndefinedValue, pyStr, truthy, typeName } from './python.js';
import { pyRegex } from './regex.js';

type TestFn = (this: FilterContext, value: unknown, ...args: unknown[]) => boolean;

function regexTest(value: unknown, pattern: unknown, mode: 'match' | 'search' | 'fullmatch', ignorecase?: unknown): boolean {
  const flags = truthy(ignorecase ?? false) ? 'i' : '';
  const re = pyRegex(pyStr(pattern), mode === 'search' ? flags : `${flags}y`);
  const text = pyStr(value);
  const m = re.exec(text);
  return m !== null && (mode !== 'fullmatch' || m[0].length === text.length);
}

/** Split a version into numeric and alphabetic runs, compared piecewise (LooseVersion). */
function versionParts(v: unknown): Array<number | string> {
  return (pyStr(v).match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function compareVersions(a: unknown, b: unknown): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    // As LooseVersion on Python 3 would fail, order numbers before letters rather than throwing.
    if (typeof p !== typeof q) return typeof p === 'number' ? 1 : -1;
    return p < q ? -1 : 1;
  }
  return 0;
}

const VERSION_OPERATORS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

function version(value: unknown, other: unknown, operator: unknown = 'eq'): boolean {
  const check = VERSION_OPERATORS[pyStr(operator)];
  if (!check) throw new RangeError(`version: unknown operator '${pyStr(operator)}'`);
  return check(compareVersions(value, other));
}

/** A registered task result, for the succeeded/failed/changed/skipped tests. */
function taskResult(test: string, value: unknown): Record<string, unknown> {
  if (!isDict(value)) throw new TypeError(`the '${test}' test expects a registered task result (a dict), got ${typeName(value)}`);
  return value;
}

const failed = (v: unknown) => toBool(taskResult('failed', v).failed ?? false);
const changed = (v: unknown) => toBool(taskResult('changed', v).changed ?? false);
const skipped = (v: unknown) => toBool(taskResult('skipped', v).skipped ?? false);

export const tests: Record<string, TestFn> = {
  defined: (v) => !isUndefinedValue(v),
  undefined: (v) => isUndefinedValue(v),
  none: (v) => v === null,
  string: (v) => isString(v),
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  true: (v) => v === true,
  false: (v) => v === false,
  mapping: (v) => isDict(v),
  sequence: (v) => Array.isArray(v) || isString(v) || isDict(v),
  iterable: (v) => Array.isArray(v) || isString(v) || isDict(v),
  callable: (v) => typeof v === 'function',
  match: (v, pattern, ignorecase) => regexTest(v, pattern, 'match', ignorecase),
  search: (v, pattern, ignorecase) => regexTest(v, pattern, 'search', ignorecase),
  regex: (v, pattern, ignorecase, _multiline, matchType = 'search') =>
    regexTest(v, pattern, pyStr(matchType) as 'match' | 'search' | 'fullmatch', ignorecase),
  equalto: (v, other) => eq(v, other),
  '==': (v, other) => eq(v, other),
  eq: (v, other) => eq(v, other),
  sameas: (v, other) => v === other,
  '!=': (v, other) => !eq(v, other),
  ne: (v, other) => !eq(v, other),
  '<': (v, other) => compare(v, '<', other),
  lt: (v, other) => compare(v, '<', other),
  '<=': (v, other) => compare(v, '<=', other),
  le: (v, other) => compare(v, '<=', other),
  '>': (v, other) => compare(v, '>', other),
  gt: (v, other) => compare(v, '>', other),
  '>=': (v, other) => compare(v, '>=', other),
  ge: (v, other) => compare(v, '>=', other),
  in: (v, container) => contains(container, v),
  contains: (container, v) => contains(container, v),
  subset: (a, b) => Array.isArray(a) && Array.isArray(b) && a.every((x) => b.some((y) => eq(x, y))),
  superset: (a, b) => Array.isArray(a) && Array.isArray(b) && b.every((x) => a.some((y) => eq(x, y))),
  truthy: (v) => truthy(v),
  falsy: (v) => !truthy(v),
  divisibleby: (v, n) => Number(v) % Number(n) === 0,
  even: (v) => Number(v) % 2 === 0,
  odd: (v) => Math.abs(Number(v) % 2) === 1,
  lower: (v) => isString(v) && String(v) === String(v).toLowerCase(),
  upper: (v) => isString(v) && String(v) === String(v).toUpperCase(),
  version,
  version_compare: version,
  succeeded: (v) => !failed(v),
  success: (v) => !failed(v),
  successful: (v) => !failed(v),
  failed,
  failure: failed,
  changed,
  change: changed,
  skipped,
  skip: skipped,
  unreachable: (v) => toBool(taskResult('unreachable', v).unreachable ?? false),
  reachable: (v) => !toBool(taskResult('reachable', v).unreachable ?? false),
  finished: (v) => toBool(taskResult('finished', v).finished ?? true),
};

