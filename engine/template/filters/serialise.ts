/**
 * Serialisation: to_json / to_nice_json (Python's json.dumps with Ansible's
 * encoder), Jinja2's tojson (HTML-safe), from_json, to_yaml / to_nice_yaml
 * (PyYAML's output), from_yaml and from_yaml_all (YAML 1.1 as PyYAML's safe
 * loader reads it).
 */
import YAML from 'yaml';
import { splitKwargs } from '../members.js';
import { isString, pyStr, truthy, type Dict } from '../python.js';
import { PyDateTime } from './dates.js';
import { markup } from './html.js';
import { jsonDumps, jsonLoads, type DumpsOptions } from './pyjson.js';
import { pyYamlDump, type DumpOptions } from './pyyaml.js';
import { FilterError, pyTypeName, strict, type FilterFn } from './support.js';

/** Ansible's JSON encoder: dates as ISO text. */
function ansibleFallback(value: unknown): unknown {
  return value instanceof PyDateTime ? value.isoformat() : undefined;
}

function jsonOptions(filter: string, kwargs: Dict, defaults: DumpsOptions): DumpsOptions {
  const options: DumpsOptions = { ...defaults, fallback: ansibleFallback };
  for (const [key, value] of Object.entries(kwargs)) {
    switch (key) {
      case 'indent': options.indent = value === null ? null : typeof value === 'number' ? value : pyStr(value); break;
      case 'sort_keys': options.sortKeys = truthy(value); break;
      case 'ensure_ascii': options.ensureAscii = truthy(value); break;
      case 'separators': options.separators = value === null ? null : (value as unknown[]).map(pyStr) as [string, string]; break;
      case 'skipkeys': case 'check_circular': case 'allow_nan': case 'vault_to_text': case 'preprocess_unsafe': break;
      default: throw new TypeError(`${filter}: unexpected keyword argument '${key}'`);
    }
  }
  return options;
}

function toJson(value: unknown, ...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  if (positional.length > 0) throw new TypeError(`dumps() takes 1 positional argument but ${positional.length + 1} were given`);
  return jsonDumps(value, jsonOptions('to_json', kwargs, {}));
}

function toNiceJson(value: unknown, ...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  const [indent = 4, sortKeys = true] = positional;
  const named = { indent, sort_keys: sortKeys, ...kwargs };
  return jsonDumps(value, jsonOptions('to_nice_json', named, { separators: [',', ': '] }));
}

/** Jinja2's tojson: sorted keys, and <, >, & and ' escaped so the text is safe inside HTML. */
function tojson(value: unknown, ...args: unknown[]): unknown {
  const { positional, kwargs } = splitKwargs(args);
  const indent = kwargs.indent ?? positional[0] ?? null;
  const json = jsonDumps(value, { sortKeys: true, indent: indent as number | null, fallback: ansibleFallback });
  return markup(json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027'));
}

function fromJson(value: unknown): unknown {
  strict(value);
  if (!isString(value)) throw new TypeError(`the JSON object must be str, bytes or bytearray, not ${pyTypeName(value)}`);
  return jsonLoads(String(value));
}

function yamlOptions(filter: string, kwargs: Dict, defaults: DumpOptions): DumpOptions {
  const options: DumpOptions = { ...defaults, allowUnicode: true };
  for (const [key, value] of Object.entries(kwargs)) {
    switch (key) {
      case 'indent': options.indent = Number(value); break;
      case 'width': options.width = value === null ? undefined : Number(value); break;
      case 'default_flow_style': options.defaultFlowStyle = value === null ? null : truthy(value); break;
      case 'sort_keys': options.sortKeys = truthy(value); break;
      case 'explicit_start': options.explicitStart = truthy(value); break;
      case 'explicit_end': options.explicitEnd = truthy(value); break;
      case 'line_break': options.lineBreak = value === null ? undefined : pyStr(value); break;
      case 'allow_unicode': throw new FilterError(`${filter} - dump() got multiple values for keyword argument 'allow_unicode'`);
      case 'encoding': case 'canonical': case 'version': case 'tags': break;
      default: throw new FilterError(`${filter} - __init__() got an unexpected keyword argument '${key}'`);
    }
  }
  return options;
}

function wrapYamlError<T>(filter: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FilterError) throw err;
    throw new FilterError(`${filter} - ${(err as Error).message}`);
  }
}

function toYaml(value: unknown, ...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  if (positional.length > 0) throw new TypeError(`dump() takes from 1 to 2 positional arguments but ${positional.length + 2} were given`);
  const options = yamlOptions('to_yaml', kwargs, { defaultFlowStyle: null });
  return wrapYamlError('to_yaml', () => pyYamlDump(value, options));
}

function toNiceYaml(value: unknown, ...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  const named = positional.length > 0 ? { indent: positional[0], ...kwargs } : { indent: 4, ...kwargs };
  const options = yamlOptions('to_nice_yaml', named, { defaultFlowStyle: false });
  options.defaultFlowStyle = false;
  return wrapYamlError('to_nice_yaml', () => pyYamlDump(value, options));
}

type Tags = Parameters<Extract<NonNullable<YAML.SchemaOptions['customTags']>, (tags: never) => unknown>>[0];

/**
 * The yaml package's 1.1 schema, brought to what PyYAML's safe loader reads:
 * `y`/`n` stay strings, a float needs its dot (`1e3` is a string), dates stay
 * text (PyYAML's date objects have no equivalent here).
 */
function safeLoaderTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const tag of tags) {
    if (typeof tag !== 'object' || !('tag' in tag)) {
      out.push(tag);
      continue;
    }
    if (tag.tag === 'tag:yaml.org,2002:timestamp') continue;
    if (tag.tag === 'tag:yaml.org,2002:bool' && tag.test) {
      out.push({ ...tag, test: new RegExp(tag.test.source.replace('Y|y|', '').replace('N|n|', '')) } as typeof tag);
    } else if (tag.tag === 'tag:yaml.org,2002:float' && tag.format === 'EXP') {
      out.push({ ...tag, test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|[-+]?\.[0-9_]+[eE][-+][0-9]+)$/ } as typeof tag);
    } else out.push(tag);
  }
  return out;
}

const YAML_PARSE_OPTIONS = { version: '1.1', merge: true, uniqueKeys: false, customTags: safeLoaderTags, prettyErrors: false } as const;

function documentValue(doc: YAML.Document.Parsed): unknown {
  const error = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (error) throw new SyntaxError(error.message.split('\n')[0]);
  return doc.toJS({ maxAliasCount: 1000 });
}

function fromYaml(value: unknown): unknown {
  strict(value);
  if (!isString(value)) return value;
  const docs = YAML.parseAllDocuments(String(value), YAML_PARSE_OPTIONS);
  if (!Array.isArray(docs)) return null;
  if (docs.length > 1) throw new SyntaxError('expected a single document in the stream, but found another document');
  return docs.length === 0 ? null : documentValue(docs[0]!);
}

function fromYamlAll(value: unknown): unknown {
  strict(value);
  if (!isString(value)) return value;
  const docs = YAML.parseAllDocuments(String(value), YAML_PARSE_OPTIONS);
  if (!Array.isArray(docs)) return [];
  return docs.map(documentValue);
}

export const serialiseFilters: Record<string, FilterFn> = {
  to_json: toJson,
  to_nice_json: toNiceJson,
  tojson,
  from_json: fromJson,
  to_yaml: toYaml,
  to_nice_yaml: toNiceYaml,
  from_yaml: fromYaml,
  from_yaml_all: fromYamlAll,
};
