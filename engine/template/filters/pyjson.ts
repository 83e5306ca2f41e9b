/**
 * Python's json module as Ansible's filters use it: dumps with indent (a
 * number or a string), separators, sort_keys and ensure_ascii, floats as
 * Python writes them, and loads with Python's NaN/Infinity and its error
 * messages ("Expecting value: line 1 column 1 (char 0)").
 */
import { Undefined, UndefinedVariableError, isDict, isString } from '../python.js';
import { floatRepr } from './pynumber.js';
import { isPyObject } from './support.js';

export interface DumpsOptions {
  indent?: number | string | null;
  sortKeys?: boolean;
  ensureAscii?: boolean;
  separators?: [string, string] | null;
  /** Converts what JSON cannot represent (Ansible's encoder: dates to ISO text); undefined means refuse. */
  fallback?: (value: unknown) => unknown;
}

function quote(s: string, ensureAscii: boolean): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || (ensureAscii && code > 0x7e)) {
      if (code > 0xffff) {
        const v = code - 0x10000;
        out += `\\u${(0xd800 + (v >> 10)).toString(16)}\\u${(0xdc00 + (v & 0x3ff)).toString(16)}`;
      } else out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function codePointCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

export function typeNameForJson(value: unknown): string {
  if (typeof value === 'function') return 'builtin_function_or_method';
  if (value instanceof Undefined) return 'AnsibleUndefined';
  return (value as object)?.constructor?.name ?? typeof value;
}

/** json.dumps. */
export function jsonDumps(value: unknown, options: DumpsOptions = {}): string {
  const { sortKeys = false, ensureAscii = true } = options;
  const indent = options.indent === undefined || options.indent === null ? null
    : typeof options.indent === 'number' ? ' '.repeat(Math.max(0, options.indent)) : options.indent;
  const [itemSeparator, keySeparator] = options.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const seen = new Set<object>();
  const encode = (v: unknown, level: number): string => {
    if (v instanceof Undefined) throw new UndefinedVariableError(v.name, v.reason);
    if (v === null || v === undefined) return 'null';
    if (v === true) return 'true';
    if (v === false) return 'false';
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
      return Number.isInteger(v) ? (Math.abs(v) < 1e16 ? String(v) : BigInt(v).toString()) : floatRepr(v);
    }
    if (isString(v)) return quote(String(v), ensureAscii);
    if (options.fallback && isPyObject(v)) {
      const converted = options.fallback(v);
      if (converted !== undefined) return encode(converted, level);
      throw new TypeError(`Object of type ${typeNameForJson(v)} is not JSON serializable`);
    }
    if (Array.isArray(v) || isDict(v)) {
      if (seen.has(v)) throw new RangeError('Circular reference detected');
      seen.add(v);
      const entries: Array<[string | null, unknown]> = Array.isArray(v) ? v.map((x) => [null, x]) : Object.entries(v);
      if (sortKeys && !Array.isArray(v)) entries.sort(([a], [b]) => codePointCompare(a!, b!));
      const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
      let result: string;
      if (entries.length === 0) result = open + close;
      else {
        const items = entries.map(([k, x]) => (k === null ? '' : quote(k, ensureAscii) + keySeparator) + encode(x, level + 1));
        if (indent === null) result = open + items.join(itemSeparator) + close;
        else {
          const inner = `\n${indent.repeat(level + 1)}`;
          result = open + inner + items.join(itemSeparator + inner) + `\n${indent.repeat(level)}` + close;
        }
      }
      seen.delete(v);
      return result;
    }
    if (options.fallback) {
      const converted = options.fallback(v);
      if (converted !== undefined) return encode(converted, level);
    }
    throw new TypeError(`Object of type ${typeNameForJson(v)} is not JSON serializable`);
  };
  return encode(value, 0);
}

/** json.loads, with Python's accepted constants and error messages. */
export function jsonLoads(text: string): unknown {
  let i = 0;
  const fail = (message: string, at = i): never => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    throw new SyntaxError(`${message}: line ${line} column ${column} (char ${at})`);
  };
  const skipWhitespace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const parseString = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('Unterminated string starting at', start);
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch === '\\') {
        const next = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (next !== undefined && Object.hasOwn(simple, next)) {
          out += simple[next];
          i += 2;
        } else if (next === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('Invalid \\uXXXX escape', i + 1);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          if (next === undefined) fail('Unterminated string starting at', start);
          fail('Invalid \\escape', i);
        }
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) fail('Invalid control character at', i);
      out += ch;
      i++;
    }
  };
  const parseValue = (): unknown => {
    const ch = text[i];
    if (ch === '"') return parseString();
    if (ch === '{') {
      i++;
      const out: Record<string, unknown> = {};
      skipWhitespace();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        if (text[i] !== '"') fail('Expecting property name enclosed in double quotes');
        const key = parseString();
        skipWhitespace();
        if (text[i] !== ':') fail("Expecting ':' delimiter");
        i++;
        skipWhitespace();
        out[key] = parseValue();
        skipWhitespace();
        if (text[i] === '}') {
          i++;
          return out;
        }
        if (text[i] !== ',') fail("Expecting ',' delimiter");
        i++;
        skipWhitespace();
      }
    }
    if (ch === '[') {
      i++;
      const out: unknown[] = [];
      skipWhitespace();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(parseValue());
        skipWhitespace();
        if (text[i] === ']') {
          i++;
          return out;
        }
        if (text[i] !== ',') fail("Expecting ',' delimiter");
        i++;
        skipWhitespace();
      }
    }
    for (const [word, value] of [['null', null], ['true', true], ['false', false], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    const number = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    return fail('Expecting value');
  };
  const skipLeading = () => skipWhitespace();
  skipLeading();
  const value = parseValue();
  skipWhitespace();
  if (i < text.length) fail('Extra data');
  return value;
}
