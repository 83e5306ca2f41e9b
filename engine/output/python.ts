/**
 * Python's text forms of data, as ansible-playbook prints them: `json.dumps`
 * (sorted keys, ensure_ascii off, with or without indentation) for result
 * dumps, and `str()`/`repr()` for loop item labels (`(item={'a': 1})`).
 *
 * Values are JSON-like data from the runner. Integral numbers print as
 * Python ints, the others as Python floats (the runner's data does not say
 * which a YAML `1.0` was). Every function here is linear in the size of its
 * output and never throws: cycles and exotic objects print as something.
 */

export interface JsonOptions {
  /** Spaces per level; undefined for one line (`, ` and `: ` separators, as json.dumps). */
  indent?: number;
  /** Keys sorted by code point (sort_keys=True); default true. */
  sortKeys?: boolean;
  /** Keys left out at every depth (Ansible's internal `_ansible_*` keys). */
  omitKey?: (key: string) => boolean;
  /** Escape every non-ASCII character as \\uXXXX (json.dumps' default; Ansible turns it off for results). */
  ensureAscii?: boolean;
}

/** `json.dumps(value, ensure_ascii=False, sort_keys=True, indent=...)`. */
export function pythonJson(value: unknown, options: JsonOptions = {}): string {
  const parts: string[] = [];
  const indent = options.indent;
  const sortKeys = options.sortKeys ?? true;
  const omitKey = options.omitKey;
  const quote = options.ensureAscii ? asciiJsonString : (text: string) => JSON.stringify(text);
  const padCache: string[] = [];
  const pad = (depth: number): string => (padCache[depth] ??= `\n${' '.repeat((indent ?? 0) * depth)}`);
  const ancestors = new Set<object>();

  const emit = (v: unknown, depth: number): void => {
    const scalar = typeof v === 'string' ? quote(v) : v instanceof String ? quote(v.valueOf()) : jsonScalar(v);
    if (scalar !== undefined) {
      parts.push(scalar);
      return;
    }
    const container = v as object;
    if (ancestors.has(container)) {
      parts.push('null');
      return;
    }
    ancestors.add(container);
    if (Array.isArray(container)) emitList(container, depth);
    else emitDict(container as Record<string, unknown>, depth);
    ancestors.delete(container);
  };

  const emitList = (list: unknown[], depth: number): void => {
    if (list.length === 0) {
      parts.push('[]');
      return;
    }
    parts.push('[');
    list.forEach((item, index) => {
      if (index > 0) parts.push(indent === undefined ? ', ' : ',');
      if (indent !== undefined) parts.push(pad(depth + 1));
      emit(item === undefined ? null : item, depth + 1);
    });
    if (indent !== undefined) parts.push(pad(depth));
    parts.push(']');
  };

  const emitDict = (dict: Record<string, unknown>, depth: number): void => {
    const keys = Object.keys(dict).filter((key) => dict[key] !== undefined && typeof dict[key] !== 'function' && !omitKey?.(key));
    if (keys.length === 0) {
      parts.push('{}');
      return;
    }
    if (sortKeys) keys.sort(compareCodePoints);
    parts.push('{');
    keys.forEach((key, index) => {
      if (index > 0) parts.push(indent === undefined ? ', ' : ',');
      if (indent !== undefined) parts.push(pad(depth + 1));
      parts.push(quote(key), ': ');
      emit(dict[key], depth + 1);
    });
    if (indent !== undefined) parts.push(pad(depth));
    parts.push('}');
  };

  emit(value, 0);
  return parts.join('');
}

function asciiJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The JSON text of a non-container value, or undefined for lists and dicts. */
function jsonScalar(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof String) return JSON.stringify(value.valueOf());
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return JSON.stringify(Number.isNaN(value.getTime()) ? String(value) : value.toISOString());
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('utf8'));
  if (typeof value === 'object') return undefined;
  return JSON.stringify(String(value));
}

/** Python's text for a number: ints in full, floats as repr() (shortest round trip, exponent from 1e16). */
export function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n)) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  return pythonFloat(n);
}

/** repr() of a non-integral float. */
function pythonFloat(n: number): string {
  // toExponential() without digits gives the shortest round-trip digits, as Python's repr.
  const [mantissa, exponentText] = Math.abs(n).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = n < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${fraction}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** Python's ordering of str keys: by code point (JS compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** `str(value)`: strings as they are, everything else as repr(). */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof String) return value.valueOf();
  return pythonRepr(value);
}

/** `repr(value)` for JSON-like data: `{'a': [1, 'x', None, True]}`. */
export function pythonRepr(value: unknown): string {
  const parts: string[] = [];
  const ancestors = new Set<object>();
  const emit = (v: unknown): void => {
    if (v === null || v === undefined) parts.push('None');
    else if (typeof v === 'string') parts.push(reprString(v));
    else if (v instanceof String) parts.push(reprString(v.valueOf()));
    else if (typeof v === 'boolean') parts.push(v ? 'True' : 'False');
    else if (typeof v === 'number') parts.push(reprNumber(v));
    else if (typeof v === 'bigint') parts.push(v.toString());
    else if (typeof v !== 'object') parts.push(reprString(String(v)));
    else if (v instanceof Date || Buffer.isBuffer(v)) parts.push(reprString(Buffer.isBuffer(v) ? v.toString('utf8') : v.toISOString()));
    else if (ancestors.has(v)) parts.push(Array.isArray(v) ? '[...]' : '{...}');
    else {
      ancestors.add(v);
      if (Array.isArray(v)) {
        parts.push('[');
        v.forEach((item, index) => {
          if (index > 0) parts.push(', ');
          emit(item);
        });
        parts.push(']');
      } else {
        parts.push('{');
        Object.entries(v as Record<string, unknown>)
          .filter(([, item]) => item !== undefined)
          .forEach(([key, item], index) => {
            if (index > 0) parts.push(', ');
            parts.push(reprString(key), ': ');
            emit(item);
          });
        parts.push('}');
      }
      ancestors.delete(v);
    }
  };
  emit(value);
  return parts.join('');
}

function reprNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return pythonNumber(n);
}

/** Characters str.isprintable() rejects (other than space), which repr() escapes. */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** repr() of a str: single quotes unless it holds ' and no ", escapes for the unprintable. */
export function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && NOT_PRINTABLE.test(char)) out += escapeCodePoint(char.codePointAt(0)!);
    else out += char;
  }
  return out + quote;
}

function escapeCodePoint(code: number): string {
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** Python's str.splitlines(keepends=True): every line break Python knows, ends kept. */
export function splitLinesKeepEnds(text: string): string[] {
  const lines: string[] = [];
  const breaks = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let start = 0;
  for (let match = breaks.exec(text); match; match = breaks.exec(text)) {
    const end = match.index + match[0].length;
    lines.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}
