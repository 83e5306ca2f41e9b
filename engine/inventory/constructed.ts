/**
 * Ansible's `constructed` inventory plugin: a YAML file (`plugin:
 * constructed`) that, for every host already in the inventory, sets
 * variables from Jinja2 expressions (`compose`), adds the host to groups
 * whose condition holds (`groups`) and to groups named after a value
 * (`keyed_groups`). Expressions see the host's inventory variables (its
 * groups' and its own), inventory_hostname and group_names; with
 * `use_vars_plugins` also group_vars/ and host_vars/, with `use_extra_vars`
 * the -e variables. Without `strict`, an expression that fails is skipped.
 */
import { UserError } from '../errors.js';
import type { LoadedYaml } from '../loader/yaml.js';
import { errorAt } from '../loader/validate.js';
import { truthy } from '../template/python.js';
import { Templar } from '../template/index.js';
import { ALL, type InventoryGraph } from './graph.js';
import type { Vars } from './vars-files.js';

export const CONSTRUCTED_NAMES = ['constructed', 'ansible.builtin.constructed', 'ansible.legacy.constructed'];

const OPTIONS = new Set(['plugin', 'strict', 'compose', 'groups', 'keyed_groups', 'leading_separator', 'use_vars_plugins', 'use_extra_vars', 'cache', 'cache_plugin', 'cache_timeout', 'cache_connection', 'cache_prefix']);

interface KeyedGroup {
  key?: string;
  prefix?: string;
  separator?: string;
  parent_group?: string;
  default_value?: string;
  trailing_separator?: boolean;
}

export interface ConstructedContext {
  /** A host's variables: with vars files when asked (use_vars_plugins). */
  hostVars(host: string, withFiles: boolean): Vars;
  extraVars: Vars;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyConstructed(graph: InventoryGraph, loaded: LoadedYaml, context: ConstructedContext): void {
  const config = loaded.data as Record<string, unknown>;
  for (const key of Object.keys(config)) if (!OPTIONS.has(key)) throw errorAt(loaded, [key], `unknown option '${key}' for the constructed inventory plugin`, true);
  for (const key of ['compose', 'groups']) if (config[key] !== undefined && config[key] !== null && !isMapping(config[key])) throw errorAt(loaded, [key], `'${key}' must be a mapping`);
  if (config.keyed_groups !== undefined && config.keyed_groups !== null && !Array.isArray(config.keyed_groups)) throw errorAt(loaded, ['keyed_groups'], "'keyed_groups' must be a list");
  const strict = truthy(config.strict ?? false);
  const useFiles = truthy(config.use_vars_plugins ?? false);
  const leadingSeparator = config.leading_separator === undefined ? true : truthy(config.leading_separator);
  const templar = new Templar();
  const file = loaded.file;
  const fail = (message: string) => new UserError(`failed to parse ${file}: ${message}`, { file });

  const varsOf = (host: string): Vars => {
    const names = [...graph.groupsOfHost(host)].filter((g) => g !== ALL).sort();
    const vars: Vars = {
      ...context.hostVars(host, useFiles),
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: names,
    };
    return truthy(config.use_extra_vars ?? false) ? { ...vars, ...context.extraVars } : vars;
  };
  const render = (expr: string, vars: Vars, where: string): unknown => asTemplated(expr, templar.renderValue(`{{ ${expr} }}`, vars, `${file} ${where}`));

  for (const host of [...graph.hosts.keys()].filter((h) => !graph.hosts.get(h)!.implicit)) {
    let vars = varsOf(host);
    for (const [name, expr] of Object.entries((config.compose as Record<string, unknown>) ?? {})) {
      try {
        graph.setHostVar(host, name, render(String(expr), vars, `compose.${name}`));
      } catch (err) {
        if (strict) throw fail(`Could not set ${name} for host ${host}: ${(err as Error).message}`);
      }
    }
    vars = varsOf(host);
    for (const [group, condition] of Object.entries((config.groups as Record<string, unknown>) ?? {})) {
      let holds: boolean;
      try {
        holds = templar.isTrue(String(condition), vars, `${file} groups.${group}`);
      } catch (err) {
        if (strict) throw fail(`Could not add host ${host} to group ${group}: ${(err as Error).message}`);
        continue;
      }
      if (holds) graph.addHost(host, safeGroupName(group));
    }
    for (const entry of (config.keyed_groups as unknown[]) ?? []) {
      if (!isMapping(entry)) throw fail(`Invalid keyed group entry, it must be a dictionary: ${JSON.stringify(entry)}`);
      addKeyedGroups(graph, host, entry as KeyedGroup, { vars, strict, leadingSeparator, render, fail, templar, file });
    }
  }
}

/**
 * What Ansible 2.14's (non-native) templating makes of `{{ expr }}`: a bare
 * variable keeps its value; otherwise the result is text, turned back into
 * a list, dict or bool when it reads as one, so numbers come out as strings
 * and None as ''.
 */
function asTemplated(expr: string, value: unknown): unknown {
  if (/^\s*\w*\s*$/.test(expr)) return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
  return value;
}

/** Ansible's to_safe_group_name as inventory plugins use it: every character that is not a word character (and a leading digit) becomes _. */
export function safeGroupName(name: string): string {
  return name.replace(/^(?:\p{Nd}|[^\p{L}\p{N}_])|[^\p{L}\p{N}_]/gu, '_');
}

function addKeyedGroups(
  graph: InventoryGraph,
  host: string,
  keyed: KeyedGroup,
  c: { vars: Vars; strict: boolean; leadingSeparator: boolean; render: (e: string, v: Vars, w: string) => unknown; fail: (m: string) => UserError; templar: Templar; file: string },
): void {
  let key: unknown;
  try {
    key = c.render(String(keyed.key), c.vars, 'keyed_groups key');
  } catch (err) {
    if (c.strict) throw c.fail(`Could not generate group for host ${host} from ${keyed.key} entry: ${(err as Error).message}`);
    return;
  }
  const defaultValue = keyed.default_value;
  if (keyed.trailing_separator !== undefined && defaultValue !== undefined) throw c.fail('parameters are mutually exclusive for keyed groups: default_value|trailing_separator');
  const empty = key === '' || key === null || key === undefined || (Array.isArray(key) && key.length === 0) || (isMapping(key) && Object.keys(key).length === 0) || key === false || key === 0;
  if (empty && !(key === '' && defaultValue !== undefined)) {
    if (c.strict && !Array.isArray(key) && !isMapping(key)) throw c.fail(`No key or key resulted empty for ${keyed.key} in host ${host}, invalid entry`);
    return;
  }
  const prefix = keyed.prefix ?? '';
  let sep = keyed.separator ?? '_';
  const names: string[] = [];
  const named = (value: unknown) => (value === '' && defaultValue !== undefined ? defaultValue : String(value));
  if (typeof key === 'string') names.push(named(key));
  else if (Array.isArray(key)) names.push(...key.map(named));
  else if (isMapping(key)) {
    for (const [name, value] of Object.entries(key)) {
      let bare = `${name}${sep}${String(value)}`;
      if (value === '') {
        if (defaultValue !== undefined) bare = `${name}${sep}${defaultValue}`;
        else if (keyed.trailing_separator === false) bare = name;
      }
      names.push(bare);
    }
  } else throw c.fail(`Invalid group name format, expected a string or a list of them or dictionary, got: ${typeof key}`);
  let parent: string | undefined;
  if (keyed.parent_group) parent = safeGroupName(String(c.templar.renderValue(keyed.parent_group, c.vars, `${c.file} keyed_groups parent_group`)));
  for (const bare of names) {
    if (prefix === '' && !c.leadingSeparator) sep = '';
    const group = safeGroupName(`${prefix}${sep}${bare}`);
    graph.addHost(host, group);
    if (parent) {
      graph.addGroup(parent);
      if (parent !== group) graph.addChild(parent, group);
    }
  }
}
