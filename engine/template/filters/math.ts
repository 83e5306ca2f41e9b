/**
 * Numbers: abs, round (Python's ties-to-even), log, pow, root, and the size
 * formatters human_readable, human_to_bytes and filesizeformat, with the
 * messages Ansible gives for bad input.
 */
import { isString, pyStr, truthy } from '../python.js';
import { parsePyFloat } from './core.js';
import { formatFixed, pyRound } from './pynumber.js';
import { FilterError, FilterTypeError, bindArgs, pyTypeName, strict, type FilterFn } from './support.js';

function realNumber(value: unknown): number {
  strict(value);
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  throw new TypeError(`must be real number, not ${pyTypeName(value)}`);
}

/** math.* results: a domain error where C's libm would set EDOM, a range error on overflow. */
function checked(result: number, inputs: number[]): number {
  if (Number.isNaN(result) && !inputs.some(Number.isNaN)) throw new RangeError('math domain error');
  if (!Number.isFinite(result) && inputs.every(Number.isFinite)) throw new RangeError('math range error');
  return result;
}

function wrapTypeError<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TypeError) throw new FilterTypeError(`${prefix}: ${err.message}`);
    throw err;
  }
}

function log(value: unknown, ...args: unknown[]): number {
  const [base = Math.E] = bindArgs('log', args, ['base']);
  return wrapTypeError('log() can only be used on numbers', () => {
    const x = realNumber(value);
    const b = realNumber(base);
    if (x <= 0 || b <= 0) throw new RangeError('math domain error');
    if (b === 10) return Math.log10(x);
    if (b === 1) throw new RangeError('float division by zero');
    return Math.log(x) / Math.log(b);
  });
}

function pow(value: unknown, ...args: unknown[]): number {
  const [exponent] = bindArgs('pow', args, ['y']);
  return wrapTypeError('pow() can only be used on numbers', () => {
    const x = realNumber(value);
    const y = realNumber(exponent);
    if (x === 0 && y < 0) throw new RangeError('math domain error');
    return checked(x ** y, [x, y]);
  });
}

function root(value: unknown, ...args: unknown[]): number {
  const [base = 2] = bindArgs('root', args, ['base']);
  try {
    const x = realNumber(value);
    if (base === 2) {
      if (x < 0) throw new RangeError('math domain error');
      return Math.sqrt(x);
    }
    const b = isString(base) ? parsePyFloat(String(base)) : realNumber(base);
    if (b === undefined) throw new RangeError(`could not convert string to float: '${pyStr(base)}'`);
    if (b === 0) throw new RangeError('float division by zero');
    return checked(x ** (1 / b), [x, b]);
  } catch (err) {
    if ((err instanceof TypeError || err instanceof RangeError) && err.message !== 'float division by zero') {
      throw new FilterTypeError(`root() can only be used on numbers: ${err.message}`);
    }
    throw err;
  }
}

function abs(value: unknown): number {
  strict(value);
  if (typeof value === 'number' || typeof value === 'boolean') return Math.abs(Number(value));
  throw new TypeError(`bad operand type for abs(): '${pyTypeName(value)}'`);
}

function round(value: unknown, ...args: unknown[]): number {
  const [precision = 0, method = 'common'] = bindArgs('round', args, ['precision', 'method']);
  const how = pyStr(method);
  if (!['common', 'ceil', 'floor'].includes(how)) throw new FilterError('method must be common, ceil or floor');
  strict(value);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw new TypeError(`type ${pyTypeName(value)} doesn't define __round__ method`);
  }
  const x = Number(value);
  const places = Number(precision);
  if (how === 'common') return Number.isInteger(x) && places >= 0 ? x : pyRound(x, places);
  const scale = 10 ** places;
  return (how === 'ceil' ? Math.ceil(x * scale) : Math.floor(x * scale)) / scale;
}

const SIZE_UNITS: Array<[string, number]> = [
  ['Y', 2 ** 80], ['Z', 2 ** 70], ['E', 2 ** 60], ['P', 2 ** 50], ['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10], ['B', 1],
];

/** Ansible's bytes_to_human. */
function bytesToHuman(size: unknown, isbits: boolean, unit: unknown): string {
  const base = isbits ? 'bits' : 'Bytes';
  let suffix = 'B';
  let limit = 1;
  for ([suffix, limit] of SIZE_UNITS) {
    if (unit === null || unit === undefined) {
      if (typeof size !== 'number' && typeof size !== 'boolean') {
        throw new TypeError(`'>=' not supported between instances of '${pyTypeName(size)}' and 'int'`);
      }
      if (Number(size) >= limit) break;
    } else if (pyStr(unit).toUpperCase() === suffix) break;
  }
  if (typeof size !== 'number' && typeof size !== 'boolean') {
    throw new TypeError(`unsupported operand type(s) for /: '${pyTypeName(size)}' and 'int'`);
  }
  const label = limit !== 1 ? suffix + base[0] : base;
  return `${formatFixed(Number(size) / limit, 2)} ${label}`;
}

function humanReadable(value: unknown, ...args: unknown[]): string {
  const [isbits = false, unit = null] = bindArgs('human_readable', args, ['isbits', 'unit']);
  try {
    return bytesToHuman(strict(value), truthy(isbits), unit);
  } catch (err) {
    if (err instanceof TypeError) throw new FilterTypeError(`human_readable() failed on bad input: ${err.message}`);
    throw new FilterError(`human_readable() can't interpret following string: ${pyStr(value)}`);
  }
}

/** Ansible's human_to_bytes: '10 KB' → 10240, with its checks of the unit's letter case. */
function parseHumanSize(number: unknown, defaultUnit: unknown, isbits: boolean): number {
  const source = pyStr(number);
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/.exec(source)!;
  const num = parsePyFloat(m[1]!);
  if (num === undefined) throw new RangeError(`can't interpret following number: ${m[1]}`);
  const unit = m[2] ?? (defaultUnit === null || defaultUnit === undefined ? undefined : pyStr(defaultUnit));
  if (unit === undefined) return pyRound(num);
  const key = unit[0]!.toUpperCase();
  const limit = SIZE_UNITS.find(([s]) => s === key)?.[1];
  if (limit === undefined) throw new RangeError(`failed to convert ${source} (unit = ${unit})`);
  const unitClass = isbits ? 'b' : 'B';
  const unitName = isbits ? 'bit' : 'byte';
  if (unit.length > 1 && !unit.toLowerCase().includes(unitName) && unit[1] !== unitClass) {
    throw new RangeError(`failed to convert ${source}: not a valid string`);
  }
  return pyRound(num * limit);
}

function humanToBytes(value: unknown, ...args: unknown[]): number {
  const [defaultUnit = null, isbits = false] = bindArgs('human_to_bytes', args, ['default_unit', 'isbits']);
  try {
    return parseHumanSize(strict(value), defaultUnit, truthy(isbits));
  } catch (err) {
    if (err instanceof TypeError) throw new FilterTypeError(`human_to_bytes() failed on bad input: ${err.message}`);
    throw new FilterError(`human_to_bytes() can't interpret following string: ${pyStr(value)}`);
  }
}

/** Jinja2's filesizeformat: decimal (kB, MB) or binary (KiB, MiB) prefixes. */
function filesizeformat(value: unknown, ...args: unknown[]): string {
  const [binary = false] = bindArgs('filesizeformat', args, ['binary']);
  strict(value);
  const bytes = isString(value) ? parsePyFloat(String(value)) : typeof value === 'number' || typeof value === 'boolean' ? Number(value) : undefined;
  if (bytes === undefined) {
    if (isString(value)) throw new RangeError(`could not convert string to float: '${String(value)}'`);
    throw new TypeError(`float() argument must be a string or a real number, not '${pyTypeName(value)}'`);
  }
  const base = truthy(binary) ? 1024 : 1000;
  const prefixes = truthy(binary) ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
  let unit = base;
  for (let i = 0; i < prefixes.length; i++) {
    unit = base ** (i + 2);
    if (bytes < unit) return `${formatFixed((base * bytes) / unit, 1)} ${prefixes[i]}`;
  }
  return `${formatFixed((base * bytes) / unit, 1)} ${prefixes[prefixes.length - 1]}`;
}

export const mathFilters: Record<string, FilterFn> = {
  abs,
  round,
  log,
  pow,
  root,
  human_readable: humanReadable,
  human_to_bytes: humanToBytes,
  filesizeformat,
};
