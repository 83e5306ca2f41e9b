/**
 * Python's printf-style `%` formatting, as the `format` filter applies it
 * (`"%s:%d" | format(host, port)`, `"%(name)s" | format(name=x)`), with
 * Python's flags, widths, conversions and errors.
 */
import { isDict, isString, pyStr, repr, type Dict } from '../python.js';
import { formatExponent, formatFixed, formatGeneral, numberStr } from './pynumber.js';
import { pyTypeName } from './support.js';

interface Spec {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  conversion: string;
}

function realNumber(conversion: string, value: unknown): number {
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  throw new TypeError(`%${conversion} format: a real number is required, not ${pyTypeName(value)}`);
}

function integer(conversion: string, value: unknown): number {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))) return Number(value);
  throw new TypeError(`%${conversion} format: an integer is required, not ${pyTypeName(value)}`);
}

function floatArg(value: unknown): number {
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  throw new TypeError(`must be real number, not ${pyTypeName(value)}`);
}

/** Sign handling shared by the numeric conversions: '+' and ' ' flags, zero padding after the sign. */
function numeric(spec: Spec, negative: boolean, body: string, prefix = ''): string {
  const sign = negative ? '-' : spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
  const width = spec.width ?? 0;
  const bare = sign + prefix + body;
  if (spec.flags.includes('-') || !spec.flags.includes('0') || bare.length >= width) return pad(spec, bare);
  return sign + prefix + body.padStart(width - sign.length - prefix.length, '0');
}

function pad(spec: Spec, text: string): string {
  const width = spec.width ?? 0;
  return spec.flags.includes('-') ? text.padEnd(width) : text.padStart(width);
}

function convert(spec: Spec, value: unknown): string {
  const { conversion, precision, flags } = spec;
  const alternate = flags.includes('#');
  switch (conversion) {
    case 's': {
      const s = typeof value === 'number' ? numberStr(value) : pyStr(value);
      return pad(spec, precision === undefined ? s : s.slice(0, precision));
    }
    case 'r':
    case 'a': {
      const s = repr(value);
      return pad(spec, precision === undefined ? s : s.slice(0, precision));
    }
    case 'd':
    case 'i':
    case 'u': {
      const n = Math.trunc(realNumber(conversion, value));
      const digits = String(Math.abs(n)).padStart(precision ?? 0, '0');
      return numeric(spec, n < 0, digits);
    }
    case 'o':
    case 'x':
    case 'X': {
      const n = integer(conversion, value);
      const base = conversion === 'o' ? 8 : 16;
      let digits = Math.abs(n).toString(base).padStart(precision ?? 0, '0');
      if (conversion === 'X') digits = digits.toUpperCase();
      const prefix = alternate ? (conversion === 'o' ? '0o' : conversion === 'x' ? '0x' : '0X') : '';
      return numeric(spec, n < 0, digits, prefix);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      const x = floatArg(value);
      const p = precision ?? 6;
      const lower = conversion.toLowerCase();
      let body = lower === 'e' ? formatExponent(Math.abs(x), p, alternate)
        : lower === 'f' ? formatFixed(Math.abs(x), p) + (alternate && p === 0 ? '.' : '')
          : formatGeneral(Math.abs(x), p, alternate);
      if (conversion === conversion.toUpperCase()) body = body.toUpperCase();
      const negative = x < 0 || Object.is(x, -0);
      if (!Number.isFinite(x)) return pad(spec, (negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + body);
      return numeric(spec, negative, body);
    }
    case 'c': {
      if (isString(value) && [...String(value)].length === 1) return pad(spec, String(value));
      if (typeof value === 'number' && Number.isInteger(value)) return pad(spec, String.fromCodePoint(value));
      throw new TypeError('%c requires int or char');
    }
    default:
      throw new Error(`unreachable conversion ${conversion}`);
  }
}

const CONVERSIONS = 'sradiuoxXeEfFgGc';

/** `template % args`: args is a tuple (list), a single value, or a mapping for `%(name)s`. */
export function printf(template: string, args: unknown): string {
  const positional = Array.isArray(args) ? args : [args];
  const mapping = isDict(args) ? (args as Dict) : undefined;
  let next = 0;
  let out = '';
  let i = 0;
  const take = (): unknown => {
    if (next >= positional.length) throw new TypeError('not enough arguments for format string');
    return positional[next++];
  };
  while (i < template.length) {
    const percent = template.indexOf('%', i);
    if (percent < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, percent);
    let j = percent + 1;
    let key: string | undefined;
    if (template[j] === '(') {
      let depth = 1;
      let k = j + 1;
      for (; k < template.length && depth > 0; k++) {
        if (template[k] === '(') depth++;
        else if (template[k] === ')') depth--;
      }
      if (depth > 0) throw new RangeError('incomplete format key');
      key = template.slice(j + 1, k - 1);
      j = k;
    }
    const flags = /^[-+ #0]*/.exec(template.slice(j))![0];
    j += flags.length;
    let width: number | undefined;
    if (template[j] === '*') {
      width = Number(take());
      j++;
    } else {
      const w = /^\d*/.exec(template.slice(j))![0];
      if (w) width = Number(w);
      j += w.length;
    }
    let precision: number | undefined;
    if (template[j] === '.') {
      j++;
      if (template[j] === '*') {
        precision = Number(take());
        j++;
      } else {
        const p = /^\d*/.exec(template.slice(j))![0];
        precision = Number(p || 0);
        j += p.length;
      }
    }
    while ('hlL'.includes(template[j] ?? '!')) j++;
    const conversion = template[j];
    if (conversion === undefined) throw new RangeError('incomplete format');
    j++;
    let spec: Spec = { flags, width, precision, conversion };
    if (width !== undefined && width < 0) spec = { ...spec, flags: `${flags}-`, width: -width };
    if (conversion === '%') {
      out += '%';
    } else if (!CONVERSIONS.includes(conversion)) {
      const code = conversion.codePointAt(0)!;
      throw new RangeError(`unsupported format character '${conversion}' (0x${code.toString(16)}) at index ${j - 1}`);
    } else if (key !== undefined) {
      if (!mapping) throw new TypeError('format requires a mapping');
      if (!Object.hasOwn(mapping, key)) throw new RangeError(`'${key}'`);
      out += convert(spec, mapping[key]);
    } else {
      out += convert(spec, mapping ? args : take());
    }
    i = j;
  }
  if (!mapping && next < positional.length) {
    throw new TypeError('not all arguments converted during string formatting');
  }
  return out;
}
