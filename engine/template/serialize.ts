/**
 * to_json / to_yaml as Ansible produces them with Python's json and PyYAML:
 * json.dumps puts a space after ',' and ':' and escapes non-ASCII unless
 * ensure_ascii=false; PyYAML sorts keys and (for to_yaml) writes collections
 * of scalars in flow style.
 */
import YAML from 'yaml';
import { Undefined, UndefinedVariableError, isDict, isString } from './python.js';

export interface JsonOptions {
  indent?: number;
  sortKeys?: boolean;
  ensureAscii?: boolean;
}

function jsonString(s: string, ensureAscii: boolean): string {
  const json = JSON.stringify(s);
  if (!ensureAscii) return json;
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Python's json.dumps. */
export function pyJsonDumps(value: unknown, options: JsonOptions = {}, depth = 0): string {
  const { indent, sortKeys = false, ensureAscii = true } = options;
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (isString(value)) return jsonString(String(value), ensureAscii);
  const entries: Array<[string | null, unknown]> = Array.isArray(value)
    ? value.map((v) => [null, v])
    : isDict(value)
      ? Object.entries(value)
      : [];
  if (!Array.isArray(value) && !isDict(value)) return jsonString(String(value), ensureAscii);
  if (sortKeys && !Array.isArray(value)) entries.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const items = entries.map(([k, v]) => (k === null ? '' : `${jsonString(k, ensureAscii)}: `) + pyJsonDumps(v, options, depth + 1));
  if (indent === undefined) return `${open}${items.join(', ')}${close}`;
  const pad = ' '.repeat(indent * (depth + 1));
  const closePad = ' '.repeat(indent * depth);
  return `${open}\n${items.map((i) => pad + i).join(',\n')}\n${closePad}${close}`;
}

/** PyYAML's yaml.dump with Ansible's settings: sorted keys, unicode kept. */
export function pyYamlDump(value: unknown, options: { indent?: number; flowLeaves: boolean }): string {
  const doc = new YAML.Document(value, { sortMapEntries: true });
  if (options.flowLeaves) {
    // default_flow_style=None: a collection that holds only scalars is written inline.
    YAML.visit(doc, {
      Map(_key, node) {
        if (node.items.length > 0 && node.items.every((pair) => YAML.isScalar(pair.value))) node.flow = true;
      },
      Seq(_key, node) {
        if (node.items.length > 0 && node.items.every((item) => YAML.isScalar(item))) node.flow = true;
      },
    });
  }
  return doc.toString({ indent: options.indent ?? 2, indentSeq: false, lineWidth: 0, flowCollectionPadding: false });
}
