/**
 * The sequence lookup (`with_sequence`): numbers from start to end by a
 * stride, formatted printf-style; `start=1 end=10 stride=2 format=%02d` or
 * the short form `[start-]end[/stride][:format]`; `count=` instead of `end=`.
 */
import { isString, repr, typeName } from '../template/python.js';
import { LookupError } from './errors.js';
import { parseKv, pyInt } from './options.js';
import type { LookupPlugin } from './types.js';
import { termList } from './terms.js';

const NUM = '(0?x?[0-9a-f]+)';
const SHORTCUT = new RegExp(`^(${NUM}-)?${NUM}(/${NUM})?(:(.+))?$`, 'i');

interface Spec {
  start: number;
  end?: number;
  count?: number;
  stride: number;
  format: string;
}

function parseInteger(name: string, raw: string): number {
  try {
    return pyInt(raw, 0);
  } catch {
    throw new LookupError(`can't parse ${name}=${raw} as integer`);
  }
}

/** The short form; undefined when the term is not in it. */
function parseShortcut(term: string, spec: Spec): boolean {
  const m = SHORTCUT.exec(term);
  if (!m) return false;
  const [, , start, end, , stride, , format] = m;
  if (start !== undefined) spec.start = parseInteger('start', start);
  spec.end = parseInteger('end', end!);
  if (stride !== undefined) spec.stride = parseInteger('stride', stride);
  if (format !== undefined) spec.format = format;
  return true;
}

function parseKeyValues(term: string, spec: Spec): void {
  const args = parseKv(term);
  for (const name of ['start', 'end', 'count', 'stride'] as const) {
    const raw = args[name];
    delete args[name];
    if (raw === undefined) continue;
    spec[name] = parseInteger(name, String(raw));
  }
  if (args.format !== undefined) {
    spec.format = String(args.format);
    delete args.format;
  }
  const unknown = Object.keys(args);
  if (unknown.length) throw new LookupError(`unrecognized arguments to with_sequence: ${repr(unknown)}`);
}

/** Ansible's sanity_check: count becomes end; direction and format are checked. */
function settle(spec: Spec): Required<Omit<Spec, 'count'>> {
  if (spec.count === undefined && spec.end === undefined) throw new LookupError('must specify count or end in with_sequence');
  if (spec.count !== undefined && spec.end !== undefined) throw new LookupError("can't specify both count and end in with_sequence");
  let { start, stride } = spec;
  let end = spec.end!;
  if (spec.count !== undefined) {
    if (spec.count !== 0) end = start + spec.count * stride - 1;
    else [start, end, stride] = [0, 0, 0];
  }
  if (stride > 0 && end < start) throw new LookupError('to count backwards make stride negative');
  if (stride < 0 && end > start) throw new LookupError("to count forward don't make stride negative");
  if ((spec.format.match(/%/g) ?? []).length !== 1) throw new LookupError(`bad formatting string: ${spec.format}`);
  return { start, end, stride, format: spec.format };
}

export const sequence: LookupPlugin = {
  name: 'sequence',
  run(terms) {
    const out: string[] = [];
    for (const term of termList(terms)) {
      if (!isString(term)) {
        throw new LookupError(`unknown error parsing with_sequence arguments: ${repr(term)}. Error was: expected string or bytes-like object, got '${typeName(term)}'`);
      }
      const spec: Spec = { start: 1, stride: 1, format: '%d' };
      if (!parseShortcut(String(term), spec)) parseKeyValues(String(term), spec);
      const { start, end, stride, format } = settle(spec);
      if (stride === 0) continue;
      // Python's range(start, end + 1, stride) (end - 1 when counting down).
      const stop = end + (stride > 0 ? 1 : -1);
      for (let i = start; stride > 0 ? i < stop : i > stop; i += stride) {
        try {
          out.push(formatInteger(format, i));
        } catch {
          throw new LookupError(`problem formatting ${i} with ${repr(format)}`);
        }
      }
    }
    return out;
  },
};

const CONVERSION = /%([#0\- +]*)(\d*)(?:\.(\d*))?[hlL]?(.?)/;

/** Python's `format % n` for a format with one conversion and an integer. */
export function formatInteger(format: string, n: number): string {
  const m = CONVERSION.exec(format);
  if (!m) return format;
  const [whole, flags = '', widthText = '', precisionText, type = ''] = m;
  const width = Number(widthText || 0);
  const precision = precisionText === undefined ? undefined : Number(precisionText || 0);
  const alt = flags.includes('#');
  const sign = n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const abs = Math.abs(n);
  let prefix = '';
  let body: string;
  let numeric = true;
  switch (type) {
    case 'd': case 'i': case 'u':
      body = String(abs);
      break;
    case 'o':
      body = abs.toString(8);
      if (alt) prefix = '0o';
      break;
    case 'x': case 'X':
      body = abs.toString(16);
      if (alt) prefix = '0x';
      if (type === 'X') [body, prefix] = [body.toUpperCase(), prefix.toUpperCase()];
      break;
    case 'f': case 'F':
      body = abs.toFixed(precision ?? 6);
      break;
    case 'e': case 'E':
      body = exponential(abs, precision ?? 6);
      if (type === 'E') body = body.toUpperCase();
      break;
    case 'g': case 'G':
      body = general(abs, precision ?? 6, alt);
      if (type === 'G') body = body.toUpperCase();
      break;
    case 'c':
      numeric = false;
      body = String.fromCodePoint(n);
      break;
    case 's': case 'r': case 'a':
      numeric = false;
      body = String(n);
      if (precision !== undefined) body = body.slice(0, precision);
      break;
    default:
      throw new Error(type ? `unsupported format character '${type}'` : 'incomplete format');
  }
  if (numeric && precision !== undefined && 'diuoxX'.includes(type)) body = body.padStart(precision, '0');
  let text: string;
  if (!numeric) text = body;
  else if (flags.includes('0') && !flags.includes('-')) text = sign + prefix + body.padStart(width - sign.length - prefix.length, '0');
  else text = sign + prefix + body;
  text = flags.includes('-') ? text.padEnd(width) : text.padStart(width);
  return format.replace(whole, () => text);
}

/** Python's %e: at least two exponent digits. */
function exponential(x: number, precision: number): string {
  return x.toExponential(precision).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Python's %g. */
function general(x: number, precision: number, alt: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (x === 0) return alt ? (0).toFixed(p - 1) : '0';
  const exp = Math.floor(Math.log10(x));
  const text = exp >= -4 && exp < p ? x.toFixed(Math.max(0, p - 1 - exp)) : exponential(x, p - 1);
  if (alt) return text;
  const [mantissa = '', exponent] = text.split('e');
  const trimmed = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}
