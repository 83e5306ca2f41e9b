/**
 * PyYAML's yaml.dump as Ansible's to_yaml / to_nice_yaml call it (the
 * CSafeDumper: PyYAML's representer and resolver with libyaml's emitter),
 * reimplemented so the text is the same byte for byte: sorted keys,
 * collections of scalars in flow style unless default_flow_style says
 * otherwise, strings that would read back as another type quoted, the same
 * choice of scalar style and escapes, indentation, and the 80-column folding
 * of long scalars and flow collections.
 */
import { Undefined, UndefinedVariableError, isDict, isString } from '../python.js';
import { floatRepr } from './pynumber.js';
import { isPyObject } from './support.js';
import { Emitter, type YamlNode } from './yaml-emitter.js';

export interface DumpOptions {
  /** null: collections of scalars in flow style; true/false: all flow / all block. */
  defaultFlowStyle?: boolean | null;
  indent?: number;
  width?: number;
  allowUnicode?: boolean;
  sortKeys?: boolean;
  explicitStart?: boolean;
  explicitEnd?: boolean;
  lineBreak?: string;
}

// The implicit resolvers of PyYAML's (YAML 1.1) Resolver: a plain scalar matching one is not a string.
const RESOLVERS: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];
// Which resolvers PyYAML tries for a value, by its first character.
const RESOLVER_FIRST = ['yYnNtTfFoO', '-+0123456789.', '-+0123456789', '<', '~nN', '0123456789', '='];

/** Whether a string, written plain, would read back as a string. */
function resolvesToString(value: string): boolean {
  const first = value === '' ? '' : value[0]!;
  return RESOLVERS.every((re, i) => {
    const applies = first === '' ? i === 4 : RESOLVER_FIRST[i]!.includes(first);
    return !applies || !re.test(value);
  });
}

/** Python's code-point string order, for sorted keys. */
function codePointCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function represent(value: unknown, options: DumpOptions): YamlNode {
  if (value instanceof Undefined) throw new UndefinedVariableError(value.name, value.reason);
  if (value === null || value === undefined) return { kind: 'scalar', value: 'null', implicitPlain: true };
  if (typeof value === 'boolean') return { kind: 'scalar', value: value ? 'true' : 'false', implicitPlain: true };
  if (typeof value === 'number') return { kind: 'scalar', value: representNumber(value), implicitPlain: true };
  if (isString(value)) {
    const s = String(value);
    return { kind: 'scalar', value: s, implicitPlain: resolvesToString(s) };
  }
  if (isPyObject(value)) return { kind: 'scalar', value: String(value), implicitPlain: true };
  const flowFor = (children: YamlNode[]) => options.defaultFlowStyle ?? children.every((c) => c.kind === 'scalar');
  if (Array.isArray(value)) {
    const items = value.map((v) => represent(v, options));
    return { kind: 'seq', items, flow: flowFor(items) };
  }
  if (isDict(value)) {
    let entries = Object.entries(value);
    if (options.sortKeys !== false) entries = [...entries].sort(([a], [b]) => codePointCompare(a, b));
    const pairs = entries.map(([k, v]) => [represent(k, options), represent(v, options)] as [YamlNode, YamlNode]);
    return { kind: 'map', pairs, flow: flowFor(pairs.flat()) };
  }
  throw new TypeError(`cannot represent an object: ${String(value)}`);
}

/** PyYAML's represent_int / represent_float. */
function representNumber(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  if (Number.isInteger(n)) return Math.abs(n) < 1e16 ? String(n) : BigInt(n).toString();
  const text = floatRepr(n).toLowerCase();
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

/** yaml.dump(value, Dumper=SafeDumper-like, ...) as text. */
export function pyYamlDump(value: unknown, options: DumpOptions = {}): string {
  const root = represent(value, options);
  return new Emitter(options).dump(root, options.explicitStart ?? false, options.explicitEnd ?? false);
}
