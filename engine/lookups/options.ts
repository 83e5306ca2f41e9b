/**
 * Lookup options as Ansible reads them: keyword arguments checked against
 * each plugin's option definitions (type conversion, defaults, choices,
 * aliases; unknown keywords are ignored, as Ansible's set_options does), and
 * the older `key=value` words inside a term (`'Li file=elements.csv
 * delimiter=,'`), parsed like Ansible's parse_kv.
 */
import { decodeEscapes, splitArgs } from '../loader/kv.js';
import { isDict, isString, pyStr, repr, type Dict } from '../template/python.js';
import { toBool } from '../values.js';
import { LookupError, LookupOptionsError } from './errors.js';

export type OptionType = 'bool' | 'int' | 'float' | 'list' | 'dict' | 'str' | 'raw';

export interface OptionSpec {
  type?: OptionType;
  default?: unknown;
  choices?: readonly string[];
  aliases?: readonly string[];
}

export type OptionSpecs = Record<string, OptionSpec>;

/** Ansible's unquote: one pair of matching surrounding quotes removed (not when the closing one is escaped). */
export function unquote(text: string): string {
  if (text.length > 1 && (text[0] === '"' || text[0] === "'") && text[text.length - 1] === text[0] && text[text.length - 2] !== '\\') {
    return text.slice(1, -1);
  }
  return text;
}

const INT_LITERAL: Record<number, RegExp> = {
  10: /^[+-]?\d+(?:_\d+)*$/,
  0: /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0+(?:_?0)*|[1-9](?:_?\d)*)$/,
};

/** Python's int(value) (base 10) or int(value, 0) (prefixes 0x, 0o, 0b), with Python's error messages. */
export function pyInt(value: unknown, base: 0 | 10 = 10): number {
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new LookupError(`cannot convert float ${pyStr(value)} to integer`, 'OverflowError');
    return Math.trunc(value);
  }
  if (isString(value)) {
    const text = String(value).trim();
    if (INT_LITERAL[base]!.test(text)) {
      const clean = text.replace(/_/g, '');
      const negative = clean.startsWith('-');
      const digits = clean.replace(/^[+-]/, '');
      const prefix = digits.slice(0, 2).toLowerCase();
      const radix = prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : 10;
      const n = Number.parseInt(radix === 10 ? digits : digits.slice(2), radix);
      return negative ? -n : n;
    }
    throw new LookupError(`invalid literal for int() with base ${base}: ${repr(String(value))}`, 'ValueError');
  }
  const type = value === null || value === undefined ? 'NoneType' : Array.isArray(value) ? 'list' : isDict(value) ? 'dict' : typeof value;
  throw new LookupError(`int() argument must be a string, a bytes-like object or a real number, not '${type}'`, 'TypeError');
}

function invalidType(kind: string, value: unknown): Error {
  return new Error(`Invalid type provided for "${kind}": ${pyStr(value)}`);
}

/** Ansible's ensure_type for the option types lookups use. */
function ensureType(value: unknown, type: OptionType | undefined): unknown {
  if (value === null || value === undefined) return value;
  switch (type) {
    case 'bool':
      return toBool(value, false);
    case 'int':
      return pyInt(value);
    case 'float': {
      const n = Number(isString(value) ? String(value).trim() : value);
      if (Number.isNaN(n)) throw new Error(`could not convert string to float: ${repr(String(value))}`);
      return n;
    }
    case 'list':
      if (isString(value)) return String(value).split(',').map((x) => unquote(x.trim()));
      if (!Array.isArray(value)) throw invalidType('list', value);
      return value;
    case 'dict':
      if (!isDict(value)) throw invalidType('dictionary', value);
      return value;
    case 'str':
      if (isString(value) || typeof value === 'boolean' || typeof value === 'number') return unquote(pyStr(value));
      throw invalidType('string', value);
    default:
      return isString(value) ? unquote(String(value)) : value;
  }
}

/** How Ansible names a lookup option in its messages (with its trailing space). */
function entryName(plugin: string, option: string): string {
  return `plugin_type: lookup plugin: ${plugin} setting: ${option} `;
}

/**
 * The plugin's options from the keyword arguments: each defined option
 * from its keyword (or an alias), else its default, converted to its type.
 */
export function resolveOptions(plugin: string, specs: OptionSpecs, direct: Dict): Dict {
  const out: Dict = {};
  for (const [name, spec] of Object.entries(specs)) {
    let value: unknown;
    let origin = 'Direct';
    if (Object.hasOwn(direct, name)) value = direct[name];
    else {
      const alias = spec.aliases?.find((a) => Object.hasOwn(direct, a));
      if (alias) value = direct[alias];
    }
    if (value === null || value === undefined) {
      value = spec.default;
      origin = 'default';
    }
    try {
      value = ensureType(value, spec.type);
    } catch (err) {
      throw new LookupOptionsError(`Invalid type for configuration option ${entryName(plugin, name).trim()} (from ${origin}): ${(err as Error).message}`);
    }
    if (value !== null && value !== undefined && spec.choices) {
      const values = spec.type === 'list' ? (value as unknown[]) : [value];
      if (!values.every((v) => spec.choices!.includes(pyStr(v)))) {
        throw new LookupOptionsError(`Invalid value "${pyStr(value)}" for configuration option "${entryName(plugin, name)}", valid values are: ${spec.choices.join(', ')}`);
      }
    }
    out[name] = value;
  }
  return out;
}

/**
 * Ansible's parse_kv: `k=v` words become options (value unquoted), the
 * other words, joined by spaces, become `_raw_params`. Escapes in k=v words
 * are decoded; `\=` is a literal equals sign.
 */
export function parseKv(text: string): Dict {
  let words: string[];
  try {
    words = splitArgs(text);
  } catch {
    throw new LookupError('error parsing argument string, try quoting the entire line.', 'ansible.errors.AnsibleParserError');
  }
  const options: Dict = {};
  const raw: string[] = [];
  for (const word of words) {
    const decoded = decodeEscapes(word);
    if (!decoded.includes('=')) {
      raw.push(word);
      continue;
    }
    let pos = -1;
    for (let i = 1; i < decoded.length; i++) {
      if (decoded[i] === '=' && decoded[i - 1] !== '\\') {
        pos = i;
        break;
      }
    }
    if (pos < 0) {
      raw.push(decoded.replace(/\\=/g, '='));
      continue;
    }
    options[decoded.slice(0, pos).trim()] = unquote(decoded.slice(pos + 1).trim());
  }
  if (raw.length) options._raw_params = raw.reduce((joined, w) => (joined === '' ? w : joined.endsWith('\n') ? joined + w : `${joined} ${w}`), '');
  return options;
}
