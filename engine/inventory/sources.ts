/**
 * Reading inventory sources as Ansible's inventory plugins do: a folder
 * (every file but ignored ones, subfolders too), a YAML or INI file (the
 * yaml plugin for .yml/.yaml/.json and names without extension that hold a
 * mapping, else ini), a vault-encrypted file, a comma-separated host list
 * (with ranges under advanced_host_list), and a `constructed` plugin
 * configuration; sources no enabled plugin reads are errors or, as Ansible
 * does by default, warnings.
 */
import { readdirSync, statSync } from 'node:fs';
import path, { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { parseYaml, parseYamlText, readTextFile, readYamlFile, readableByAll, type LoadedYaml } from '../loader/yaml.js';
import { decryptLoaded, isVaultText } from '../vault/index.js';
import { applyConstructed, CONSTRUCTED_NAMES, type ConstructedContext } from './constructed.js';
import { ALL, type InventoryGraph } from './graph.js';
import { expandHostRange, HostRangeError, splitHostPort } from './host-range.js';
import { addIniInventory, looksLikeIni } from './ini-source.js';
import type { Vars } from './vars-files.js';
import { addYamlInventory } from './yaml-source.js';

/** What Ansible skips in an inventory folder by default (INVENTORY_IGNORE_EXTS); group_vars/ and host_vars/ are never inventories. */
export const DEFAULT_IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const VARS_FOLDERS = ['group_vars', 'host_vars'];
export interface InventoryLoadOptions {
  /** File name endings skipped in a folder (ansible.cfg inventory_ignore_extensions). */
  ignoreExtensions?: string[];
  /** Regular expressions of file names skipped in a folder (inventory_ignore_patterns). */
  ignorePatterns?: string[];
  /** A source that does not exist: an error (the default), or only a warning (Ansible's default, unparsed_is_failed off). */
  missingSourceIsError?: boolean;
  /** Host lists may use ranges (`web[01:10],`: Ansible's advanced_host_list plugin). */
  hostListRanges?: boolean;
  /** Ansible's enabled inventory plugins (INVENTORY_ENABLED); default: host_list, auto, yaml, ini. */
  enabledPlugins?: string[];
  /** -e variables, for a constructed source with use_extra_vars. */
  extraVars?: Vars;
}

export function pathKind(path: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

/** Reads one source; false when it does not exist and that is only a warning. */
export function addSource(
  graph: InventoryGraph,
  source: string,
  baseDirs: string[],
  options: InventoryLoadOptions,
  notes: { warnings: string[]; verbose: string[] },
  constructed: ConstructedContext,
): boolean {
  const warnings = notes.warnings;
  const enabled = (name: string) => !options.enabledPlugins || options.enabledPlugins.some((p) => p.replace(/^ansible\.(builtin|legacy)\./, '') === name);
  const unparsed = (why: string) => {
    if (options.missingSourceIsError !== false) throw new UserError(why, { file: source });
    warnings.push(`Unable to parse ${path.resolve(source)} as an inventory source: ${why}`);
    return false;
  };
  const kind = pathKind(source);
  if (kind === 'dir') {
    baseDirs.push(source);
    addFolder(graph, source, options);
  } else if (kind === 'file') {
    const plugin = pluginConfig(source);
    if (plugin) {
      if (!CONSTRUCTED_NAMES.includes(plugin.name)) return unparsed(`${path.resolve(source)} configures the inventory plugin '${plugin.name}', which uxsv does not have (it has constructed, and reads YAML, INI and host-list inventories)`);
      if (!enabled('constructed') && !enabled('auto')) return unparsed(`the constructed inventory plugin is not enabled (inventory enable_plugins) for ${path.resolve(source)}`);
      graph.finish();
      applyConstructed(graph, plugin.loaded, constructed);
      return true;
    }
    const ext = extname(source);
    const formats = YAML_EXTENSIONS.includes(ext) ? ['yaml'] : ext === '' ? ['yaml', 'ini'] : ['ini'];
    if (!formats.some(enabled)) return unparsed(`no enabled inventory plugin (inventory enable_plugins) reads ${path.resolve(source)}: it needs ${formats.join(' or ')}`);
    baseDirs.push(dirname(source));
    addFile(graph, source);
  } else if (source.includes(',')) {
    if (!enabled('host_list') && !options.hostListRanges) return unparsed(`the host_list inventory plugin is not enabled (inventory enable_plugins) for '${source}'`);
    if (!options.hostListRanges) addHostList(graph, source);
    else if (!addRangedHostList(graph, source, notes)) return false;
  } else if (options.missingSourceIsError === false) {
    warnings.push(`Unable to parse ${path.resolve(source)} as an inventory source`);
    return false;
  } else {
    throw new UserError(`inventory source not found: ${source} (expected an inventory file or folder)`, { file: source });
  }
  return true;
}

/** `-i 'uxsv01,uxsv02:2222'`: Ansible's host_list, ungrouped hosts (with an optional port) and no group_vars. */
function addHostList(graph: InventoryGraph, list: string): void {
  graph.currentSource = undefined;
  for (const entry of list.split(',').map((s) => s.trim())) {
    if (!entry) continue;
    const { name, port } = splitHostPort(entry);
    graph.addHost(name, ALL);
    if (port !== undefined) graph.setHostVar(name, 'ansible_port', port);
  }
}

/**
 * Ansible's advanced_host_list: each entry may be a range; one without an end
 * (`web[3:]`) is kept as written, any other bad range makes the source unread.
 */
function addRangedHostList(graph: InventoryGraph, list: string, notes: { warnings: string[]; verbose: string[] }): boolean {
  const hosts: Array<{ names: string[]; port?: number }> = [];
  for (const entry of list.split(',').map((s) => s.trim())) {
    if (!entry) continue;
    const { name, port } = splitHostPort(entry);
    try {
      hosts.push({ names: expandHostRange(name), port });
    } catch (err) {
      if (!(err instanceof HostRangeError)) throw err;
      if (!err.missingEnd) {
        notes.warnings.push(`Failed to parse ${list} with advanced_host_list plugin: ${err.message}`, `Unable to parse ${list} as an inventory source`);
        return false;
      }
      notes.verbose.push('Unable to parse address from hostname, leaving unchanged: host range must specify end value');
      hosts.push({ names: [name], port });
    }
  }
  graph.currentSource = undefined;
  for (const { names, port } of hosts) {
    for (const name of names) {
      graph.addHost(name, ALL);
      if (port !== undefined) graph.setHostVar(name, 'ansible_port', port);
    }
  }
  return true;
}

function ignored(entry: string, options: InventoryLoadOptions): boolean {
  if (entry.startsWith('.') || VARS_FOLDERS.includes(entry)) return true;
  if ((options.ignoreExtensions ?? DEFAULT_IGNORED_EXTENSIONS).some((ext) => ext !== '' && entry.endsWith(ext))) return true;
  return (options.ignorePatterns ?? []).some((re) => re !== '' && new RegExp(re).test(entry));
}

/** Every inventory file in a folder, sorted; subfolders are inventories too, except group_vars/host_vars. */
function addFolder(graph: InventoryGraph, folder: string, options: InventoryLoadOptions): void {
  for (const entry of readdirSync(folder).sort()) {
    if (ignored(entry, options)) continue;
    const path = join(folder, entry);
    const kind = pathKind(path);
    if (kind === 'dir') addFolder(graph, path, options);
    else if (kind === 'file') addFile(graph, path);
  }
}

const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];

/** A YAML file of the form `plugin: NAME` is an inventory plugin's configuration, not an inventory. */
function pluginConfig(file: string): { name: string; loaded: LoadedYaml } | undefined {
  if (!YAML_EXTENSIONS.includes(extname(file))) return undefined;
  const text = readTextFile(file);
  if (isVaultText(text) || !/^plugin\s*:/m.test(text)) return undefined;
  const loaded = parseYaml(text, file);
  const data = loaded.data as Record<string, unknown> | null;
  return data && typeof data === 'object' && !Array.isArray(data) && typeof data.plugin === 'string' ? { name: data.plugin, loaded } : undefined;
}

/**
 * Ansible tries its yaml plugin (for .yml, .yaml, .json and names without an
 * extension), then its ini plugin: a file whose text is a YAML word
 * rather than a mapping is INI, and so is any other extension.
 */
function addFile(graph: InventoryGraph, file: string): void {
  // Bounded and strict UTF-8, like every YAML file: a binary or Latin-1 INI file is refused, not read as host names.
  const raw = readTextFile(file);
  // A vault-encrypted inventory is read decrypted (its text registered as a secret, so no output shows it).
  const vaulted = isVaultText(raw);
  const text = vaulted ? decryptLoaded(raw, file, 'file') : raw;
  const yaml = () => (vaulted ? readYamlFile(file) : parseYamlText(text, file, readableByAll(file)));
  graph.currentSource = file;
  const ext = extname(basename(file));
  if (ext !== '' && !YAML_EXTENSIONS.includes(ext)) return addIniInventory(graph, file, text);
  if (ext === '' && looksLikeIni(text)) return addIniInventory(graph, file, text);
  const loaded = yaml();
  // A .yml file holding a bare word (not a mapping of groups) is what Ansible's ini plugin then reads: a host name.
  if (YAML_EXTENSIONS.includes(ext) && typeof loaded.data !== 'string') return addYamlInventory(graph, loaded);
  const data = loaded.data;
  if (data === null || data === undefined || (typeof data === 'object' && !Array.isArray(data))) addYamlInventory(graph, loaded);
  else addIniInventory(graph, file, text);
}

