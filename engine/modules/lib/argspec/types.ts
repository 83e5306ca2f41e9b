/**
 * The option types of an Ansible argument spec (`type: int`, `elements:
 * str`, ...) and their coercions, with the words Ansible's failures use: a
 * coercion that fails throws a TypeError whose message is what Ansible says
 * after "and we were unable to convert to <type>: ".
 */
import { isDict, isFloat, isInt, pyStr } from '../../../template/python.js';
import { MADE_TEXT, UNSAFE, ownTags } from '../../../template/trust.js';

/** A mapping (a dict to Python): not text, not YAML's !!binary bytes. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return isDict(value) && !(value instanceof Uint8Array);
}

/** A value and the coerced form a type gave it. */
export type Coerce = (value: unknown) => unknown;

const isText = (v: unknown): v is string | String => typeof v === 'string' || v instanceof String;

/**
 * What Python's `type(value)` prints for a value that reached a task's
 * arguments: text read from YAML is AnsibleUnicode, text a template made is
 * str, text from outside the playbook is AnsibleUnsafeText; lists and dicts
 * are rebuilt by templating, so they are plain.
 */
export function pythonClass(value: unknown): string {
  return `<class '${pythonClassName(value)}'>`;
}

function pythonClassName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (isText(value)) {
    const tags = ownTags(value);
    if (tags & UNSAFE) return 'ansible.utils.unsafe_proxy.AnsibleUnsafeText';
    return tags & MADE_TEXT ? 'str' : 'ansible.parsing.yaml.objects.AnsibleUnicode';
  }
  if (isFloat(value)) return 'float';
  if (typeof value === 'number' || value instanceof Number) return 'int';
  if (Array.isArray(value)) return 'list';
  // YAML's !!binary.
  if (value instanceof Uint8Array) return 'bytes';
  return 'dict';
}

/** The bare class name (`{1.__class__.__name__}`): int, str, list... */
export function shortClassName(value: unknown): string {
  const name = pythonClassName(value);
  return name.slice(name.lastIndexOf('.') + 1);
}

// Python's int() and float() of text.
const INT_TEXT = /^\s*[+-]?\d(?:_?\d)*\s*$/;
const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT_TEXT = new RegExp(String.raw`^\s*[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)\s*$`, 'i');

function toStr(value: unknown): unknown {
  return isText(value) ? value : pyStr(value);
}

function toList(value: unknown): unknown {
  if (Array.isArray(value)) return value;
  if (isText(value)) return String(value).split(',');
  // A boolean is an int to Python.
  if (typeof value === 'number' || typeof value === 'boolean' || value instanceof Number) return [pyStr(value)];
  throw new TypeError(`${pythonClass(value)} cannot be converted to a list`);
}

function toInt(value: unknown): unknown {
  if (typeof value === 'boolean' || (isInt(value) && !isFloat(value))) return value;
  if (isText(value) && INT_TEXT.test(String(value))) return Number(String(value).replace(/_/g, ''));
  throw new TypeError(`${pythonClass(value)} cannot be converted to an int`);
}

function toFloat(value: unknown): unknown {
  if (isFloat(value)) return Number(value);
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  if (isText(value) && FLOAT_TEXT.test(String(value))) {
    const text = String(value).trim().replace(/_/g, '').toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
    return text.endsWith('nan') ? NaN : Number(text);
  }
  throw new TypeError(`${pythonClass(value)} cannot be converted to a float`);
}

const TRUE_WORDS = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE_WORDS = new Set(['n', 'no', 'off', '0', 'false', 'f']);
/** Ansible prints its set of booleans in an order that varies from run to run; this is one of them. */
const VALID_BOOLEANS = "0, 1, 'true', 'yes', 'n', 'y', 'false', 'no', 'f', 't', '0', '1', 'on', 'off'";

function toBool(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (isText(value) || typeof value === 'number' || value instanceof Number) {
    const word = isText(value) ? String(value).toLowerCase().trim() : undefined;
    if (word !== undefined ? TRUE_WORDS.has(word) : Number(value) === 1) return true;
    if (word !== undefined ? FALSE_WORDS.has(word) : Number(value) === 0) return false;
    throw new TypeError(`The value '${pyStr(value)}' is not a valid boolean.  Valid booleans include: ${VALID_BOOLEANS}`);
  }
  throw new TypeError(`${pythonClass(value)} cannot be converted to a bool`);
}

/** `k1=v1, k2=v2` (quotes and backslashes as Ansible reads them) into a mapping. */
function keyValueDict(text: string): Record<string, string> {
  const fields: string[] = [];
  let field = '';
  let quote = '';
  let escaped = false;
  for (const c of text.trim()) {
    if (escaped) {
      field += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (!quote && (c === "'" || c === '"')) quote = c;
    else if (quote && c === quote) quote = '';
    else if (!quote && (c === ',' || c === ' ')) {
      if (field) fields.push(field);
      field = '';
    } else field += c;
  }
  if (field) fields.push(field);
  const out: Record<string, string> = {};
  fields.forEach((f, i) => {
    const at = f.indexOf('=');
    if (at < 0) throw new TypeError(`dictionary update sequence element #${i} has length 1; 2 is required`);
    out[f.slice(0, at)] = f.slice(at + 1);
  });
  return out;
}

function toDict(value: unknown): unknown {
  if (isMapping(value)) return value;
  if (isText(value)) {
    const text = String(value);
    if (text.startsWith('{')) {
      try {
        return JSON.parse(text);
      } catch {
        throw new TypeError('unable to evaluate string as dictionary');
      }
    }
    if (text.includes('=')) return keyValueDict(text);
    throw new TypeError('dictionary requested, could not parse JSON or key=value');
  }
  throw new TypeError(`${pythonClass(value)} cannot be converted to a dict`);
}

function toJsonText(value: unknown): unknown {
  if (isText(value)) return String(value).trim();
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value) || isMapping(value)) return JSON.stringify(value);
  throw new TypeError(`${pythonClass(value)} cannot be converted to a json string`);
}

const SIZE_UNITS = 'YZEPTGMKB';

/** Ansible's human_to_bytes: `10M`, `1.5 KB`, `1Mb` (bits); undefined when it cannot read the value. */
export function humanToBytes(value: unknown, bits: boolean): number | undefined {
  const text = pyStr(value);
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/.exec(text)!;
  if (!/\d/.test(m[1]!)) return undefined;
  const num = Number(m[1]);
  const unit = m[2];
  if (unit === undefined) return Math.round(num);
  const key = unit[0]!.toUpperCase();
  const power = SIZE_UNITS.length - 1 - SIZE_UNITS.indexOf(key);
  if (!SIZE_UNITS.includes(key)) return undefined;
  const [unitClass, unitName] = bits ? ['b', 'bit'] : ['B', 'byte'];
  if (unit.length > 1 && !unit.toLowerCase().includes(unitName) && unit[1] !== unitClass) return undefined;
  return Math.round(num * 2 ** (10 * power));
}

function sizeOf(bits: boolean): Coerce {
  return (value) => {
    const n = humanToBytes(value, bits);
    if (n === undefined) throw new TypeError(`${pythonClass(value)} cannot be converted to a ${bits ? 'Bit' : 'Byte'} value`);
    return n;
  };
}

const COERCIONS: Record<string, Coerce> = {
  str: toStr,
  list: toList,
  dict: toDict,
  bool: toBool,
  int: toInt,
  float: toFloat,
  // The controller's home and environment are not the host's: a path is checked as text.
  path: toStr,
  raw: (v) => v,
  jsonarg: toJsonText,
  json: toJsonText,
  bytes: sizeOf(false),
  bits: sizeOf(true),
};

/** The coercion of a type name (no type is str); an unknown name fails as it does in Ansible. */
export function coercion(wanted: unknown): { name: string; coerce: Coerce } {
  const name = wanted === undefined || wanted === null ? 'str' : pyStr(wanted);
  if (Object.hasOwn(COERCIONS, name)) return { name, coerce: COERCIONS[name]! };
  return { name, coerce: () => { throw new TypeError("'NoneType' object is not callable"); } };
}
