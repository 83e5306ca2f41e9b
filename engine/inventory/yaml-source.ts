/**
 * Ansible's YAML inventory format: top-level groups, each with `hosts` (host
 * name → vars), `children` (group name → group, recursively) and `vars`.
 * The file is checked against schemas/inventory.schema.json first, so the
 * walk below can trust the shapes.
 */
import type { ErrorObject } from 'ajv';
import inventorySchema from '../../schemas/inventory.schema.json' with { type: 'json' };
import { compile, describeError, errorAt } from '../loader/validate.js';
import type { DataPath, LoadedYaml } from '../loader/yaml.js';
import { ALL, type InventoryGraph } from './graph.js';
import { expandHostRange, HostRangeError, splitHostPort } from './host-range.js';

export { inventorySchema };

type Mapping = Record<string, unknown>;

const GROUP_KEYS = 'hosts, children, vars';

/** Throws a positioned UserError if the document is not a valid YAML inventory. */
export function validateYamlInventory(loaded: LoadedYaml): void {
  const validate = compile(inventorySchema);
  if (validate(loaded.data)) return;
  const error = mostUsefulError(validate.errors ?? []);
  const { message, path, atKey } = explain(error, loaded.data);
  throw errorAt(loaded, path, message, atKey);
}

/** Unknown keys first, then bad names, then wrong types; deeper errors before shallower ones. */
function mostUsefulError(errors: ErrorObject[]): ErrorObject {
  const weight: Record<string, number> = { additionalProperties: 4000, pattern: 3000, type: 2000 };
  const rank = (e: ErrorObject) => (weight[e.keyword] ?? 0) + e.instancePath.split('/').length;
  return [...errors].sort((a, b) => rank(b) - rank(a))[0];
}

function pathOf(instancePath: string): DataPath {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The name of the group whose definition sits at `path` (the last group name on it). */
function groupAt(path: DataPath): string {
  return String(path[path.length - 1] ?? ALL);
}

/** Messages in the inventory's own words: which group, which section, what was expected. */
function explain(error: ErrorObject, data: unknown): { message: string; path: DataPath; atKey: boolean } {
  const path = pathOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    const extra = String(params.additionalProperty);
    return { message: `unknown key '${extra}' in group '${groupAt(path)}' (expected ${GROUP_KEYS})`, path: [...path, extra], atKey: true };
  }
  if (error.keyword === 'pattern' && error.propertyName !== undefined) {
    const name = error.propertyName;
    return {
      message: `invalid group name '${name}': spaces and the characters : , ! & ~ * ? [ ] are not allowed (they have a meaning in host patterns)`,
      path: [...path, name],
      atKey: true,
    };
  }
  if (error.keyword === 'type') {
    const last = path[path.length - 1];
    const parentSection = path[path.length - 2];
    if (path.length === 0) return { message: 'an inventory must be a mapping of group names to groups (usually starting with all:)', path, atKey: false };
    if (last === 'hosts') return { message: `'hosts' of group '${groupAt(path.slice(0, -1))}' must be a mapping of host names to their variables (or empty)`, path, atKey: false };
    if (last === 'children') return { message: `'children' of group '${groupAt(path.slice(0, -1))}' must be a mapping of group names to groups (or empty)`, path, atKey: false };
    if (last === 'vars') return { message: `'vars' of group '${groupAt(path.slice(0, -1))}' must be a mapping of variable names to values (or empty)`, path, atKey: false };
    if (parentSection === 'hosts') return { message: `variables of host '${String(last)}' must be a mapping (or empty), got ${kindOf(valueAt(data, path))}`, path, atKey: false };
    if (last === 'ansible_group_priority') return { message: `ansible_group_priority of group '${groupAt(path.slice(0, -2))}' must be an integer`, path, atKey: false };
    return { message: `group '${String(last)}' must be a mapping with ${GROUP_KEYS} (or empty), got ${kindOf(valueAt(data, path))}`, path, atKey: false };
  }
  if (error.keyword === 'pattern' && path[path.length - 1] === 'ansible_group_priority') {
    return { message: `ansible_group_priority of group '${groupAt(path.slice(0, -2))}' must be an integer`, path, atKey: false };
  }
  return describeError(error, 'the inventory');
}

function valueAt(data: unknown, path: DataPath): unknown {
  let node = data;
  for (const step of path) node = (node as Mapping | undefined)?.[step as string];
  return node;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'nothing';
  return typeof value === 'object' ? 'a mapping' : `the ${typeof value} ${JSON.stringify(value)}`;
}

/** Add a validated YAML inventory document to the graph. */
export function addYamlInventory(graph: InventoryGraph, loaded: LoadedYaml): void {
  validateYamlInventory(loaded);
  const data = (loaded.data ?? {}) as Mapping;
  for (const [name, definition] of Object.entries(data)) {
    graph.addGroup(name, { kind: 'yaml', loaded, path: [name], atKey: true });
    addGroupDefinition(graph, loaded, name, definition as Mapping | null, [name]);
  }
}

/** Ansible accepts a single name as a string where a mapping is expected (`hosts: web01`). */
function asMapping(value: unknown): Mapping {
  if (typeof value === 'string') return { [value]: null };
  return (value ?? {}) as Mapping;
}

function addGroupDefinition(graph: InventoryGraph, loaded: LoadedYaml, name: string, definition: Mapping | null, path: DataPath): void {
  if (!definition) return;
  // Sections in document order, as Ansible walks them.
  for (const [section, value] of Object.entries(definition)) {
    if (section === 'vars') {
      for (const [key, v] of Object.entries(asMapping(value))) {
        graph.setGroupVar(name, key, v, { kind: 'yaml', loaded, path: [...path, 'vars', key] });
      }
    } else if (section === 'children') {
      for (const [child, childDefinition] of Object.entries(asMapping(value))) {
        const childPath = [...path, 'children', child];
        graph.addGroup(child, { kind: 'yaml', loaded, path: childPath, atKey: true });
        addGroupDefinition(graph, loaded, child, childDefinition as Mapping | null, childPath);
        graph.addChild(name, child, { kind: 'yaml', loaded, path: childPath, atKey: true });
      }
    } else if (section === 'hosts') {
      for (const [key, hostVars] of Object.entries(asMapping(value))) {
        addHostEntry(graph, loaded, name, key, (hostVars ?? {}) as Mapping, [...path, 'hosts', key]);
      }
    }
  }
}

function addHostEntry(graph: InventoryGraph, loaded: LoadedYaml, group: string, key: string, vars: Mapping, path: DataPath): void {
  const { name, port } = splitHostPort(key);
  let names: string[];
  try {
    names = expandHostRange(name);
  } catch (err) {
    if (err instanceof HostRangeError) throw errorAt(loaded, path, err.message, true);
    throw err;
  }
  for (const host of names) {
    graph.addHost(host, group);
    if (port !== undefined) graph.setHostVar(host, 'ansible_port', port);
    for (const [k, v] of Object.entries(vars)) graph.setHostVar(host, k, v);
  }
}
