/**
 * The inventory: hosts, groups and their variables, loaded from Ansible YAML
 * (or INI) inventories given with -i, plus group_vars/ and host_vars/ next to
 * them and next to the playbook, merged in Ansible's precedence order.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { parseYaml, readTextFile } from '../loader/yaml.js';
import { ALL, InventoryGraph } from './graph.js';
import { addIniInventory, looksLikeIni } from './ini-source.js';
import { applySubscript, isLocalhostName, isWildcardTerm, orderTerms, splitPattern, splitSubscript, termMatcher } from './patterns.js';
import { VarsFileCache, type Vars } from './vars-files.js';
import { addYamlInventory } from './yaml-source.js';

export { isPattern, isLocalhostName, LOCALHOST_NAMES, splitPattern } from './patterns.js';
export { expandHostRange } from './host-range.js';
export { inventorySchema } from './yaml-source.js';

export interface VarLayer {
  name: string;
  vars: Vars;
}

/** Files in an inventory folder that are inventories (Ansible also skips hidden files and these two folders). */
const INVENTORY_EXTENSIONS = ['', '.yml', '.yaml', '.json'];
const VARS_FOLDERS = ['group_vars', 'host_vars'];

export class Inventory {
  private readonly varsFiles = new VarsFileCache();
  private groupsCache?: Record<string, string[]>;

  private constructor(
    private graph: InventoryGraph,
    /** Folders whose group_vars/ and host_vars/ belong to the inventory, in source order. */
    private baseDirs: string[],
    private readonly sources: string[] = [],
  ) {}

  static load(sources: string[]): Inventory {
    const { graph, baseDirs } = Inventory.read(sources);
    return new Inventory(graph, baseDirs, sources);
  }

  private static read(sources: string[]): { graph: InventoryGraph; baseDirs: string[] } {
    const graph = new InventoryGraph();
    const baseDirs: string[] = [];
    for (const source of sources) addSource(graph, source, baseDirs);
    graph.currentSource = undefined;
    graph.finish();
    return { graph, baseDirs };
  }

  /** add_host: a host (new or known) joins groups and gets variables, for the rest of the run. */
  addHost(name: string, groups: string[], vars: Vars): void {
    this.graph.addHost(name, groups.length ? groups[0] : 'ungrouped');
    for (const g of groups.slice(1)) this.graph.addHost(name, g);
    Object.assign(this.graph.hosts.get(name)!.vars, vars);
    this.changed();
  }

  /** group_by: a group (made if new) under the given parents. */
  addGroup(name: string, parents: string[] = []): void {
    this.graph.addGroup(name);
    for (const p of parents) if (p !== ALL) this.graph.addChild(p, name);
    this.changed();
  }

  addHostToGroup(host: string, group: string): void {
    this.graph.addHost(host, group);
    this.changed();
  }

  /** meta: refresh_inventory: the sources read again; what add_host and group_by added is gone. */
  refresh(): void {
    const { graph, baseDirs } = Inventory.read(this.sources);
    this.graph = graph;
    this.baseDirs = baseDirs;
    this.changed();
  }

  private changed(): void {
    this.graph.finish();
    this.groupsCache = undefined;
  }

  static empty(): Inventory {
    const graph = new InventoryGraph();
    graph.finish();
    return new Inventory(graph, []);
  }

  hostNames(): string[] {
    return [...this.graph.hosts.keys()];
  }

  hasHost(name: string): boolean {
    return this.graph.hosts.has(name);
  }

  groupNames(): string[] {
    return [...this.graph.groups.keys()];
  }

  groupsVar(): Record<string, string[]> {
    // Asked for on every task of every host; the inventory does not change after load, so compute once.
    this.groupsCache ??= Object.fromEntries([...this.graph.groups.keys()].map((name) => [name, this.graph.hostsOfGroup(name)]));
    return Object.fromEntries(Object.entries(this.groupsCache).map(([name, hosts]) => [name, [...hosts]]));
  }

  /** Like Ansible's group_names: sorted, without 'all' (an ungrouped host gets ['ungrouped'], as in Ansible). */
  groupNamesOf(host: string): string[] {
    if (!this.graph.hosts.has(host)) return [];
    return [...this.graph.groupsOfHost(host)].filter((g) => g !== ALL).sort();
  }

  /** The inventory file where a host first appeared (Ansible's inventory_file); undefined for implicit localhost. */
  sourceOf(host: string): string | undefined {
    return this.graph.hosts.get(host)?.source;
  }

  /**
   * Hosts matching an Ansible host pattern, then restricted by `limit`
   * (also a pattern; `@file` reads one pattern per line). Terms are taken in
   * pattern order as in Ansible; hosts within a term in inventory order.
   */
  select(pattern: string, limit?: string): string[] {
    let hosts = this.evaluate(splitPattern(pattern));
    if (limit !== undefined && limit.trim() !== '') {
      const allowed = new Set(this.evaluate(limitTerms(limit)));
      hosts = hosts.filter((h) => allowed.has(h));
    }
    return hosts;
  }

  /** Terms of a pattern that match no group and no host (Ansible warns "Could not match supplied host pattern"). */
  unmatchedPatterns(pattern: string): string[] {
    return splitPattern(pattern)
      .map((t) => (t[0] === '!' || t[0] === '&' ? t.slice(1) : t))
      .filter((t) => t !== ALL && !this.graph.hosts.has(t))
      .filter((t) => {
        const { hosts, groups } = this.matchTerm(t);
        return hosts.length === 0 && groups.length === 0;
      });
  }

  hostVars(host: string, playbookDir?: string): Vars {
    return Object.assign({}, ...this.hostVarLayers(host, playbookDir).map((l) => l.vars)) as Vars;
  }

  hostVarLayers(host: string, playbookDir?: string): VarLayer[] {
    const node = this.graph.hosts.get(host);
    if (!node && !isLocalhostName(host)) throw new Error(`unknown host '${host}'`);
    // The implicit localhost is in no group but still gets the 'all' group's variables.
    const groups = node ? this.graph.sortGroups([...this.graph.groupsOfHost(host)].filter((g) => g !== ALL)) : [];
    const layers: VarLayer[] = [];
    const fileLayers = (where: string, folder: string, kind: string, name: string) => {
      for (const { file, vars } of this.varsFiles.varsFilesFor(join(folder, kind), name, `${kind} file`)) layers.push({ name: `${where} ${kind}/${name}: ${file}`, vars });
    };

    layers.push({ name: `inventory group 'all'`, vars: this.graph.groups.get(ALL)!.vars });
    for (const g of groups) layers.push({ name: `inventory group '${g}'`, vars: this.graph.groups.get(g)!.vars });
    for (const dir of this.baseDirs) fileLayers('inventory', dir, 'group_vars', ALL);
    if (playbookDir) fileLayers('playbook', playbookDir, 'group_vars', ALL);
    // Ansible loops over inventory sources, then over the host's groups within each.
    for (const dir of this.baseDirs) for (const g of groups) fileLayers('inventory', dir, 'group_vars', g);
    if (playbookDir) for (const g of groups) fileLayers('playbook', playbookDir, 'group_vars', g);
    layers.push({ name: `inventory host '${host}'`, vars: node ? node.vars : { ansible_connection: 'local' } });
    for (const dir of this.baseDirs) fileLayers('inventory', dir, 'host_vars', host);
    if (playbookDir) fileLayers('playbook', playbookDir, 'host_vars', host);
    return layers;
  }

  private evaluate(terms: string[]): string[] {
    let result: string[] = [];
    for (const term of orderTerms(terms)) {
      if (this.graph.hosts.has(term)) {
        if (!result.includes(term)) result.push(term);
        continue;
      }
      const operator = term[0] === '!' || term[0] === '&' ? term[0] : '';
      const matched = this.matchTerm(operator ? term.slice(1) : term).hosts;
      if (operator === '!') {
        const drop = new Set(matched);
        result = result.filter((h) => !drop.has(h));
      } else if (operator === '&') {
        const keep = new Set(matched);
        result = result.filter((h) => keep.has(h));
      } else {
        for (const h of matched) if (!result.includes(h)) result.push(h);
      }
    }
    return result;
  }

  /** Ansible's _enumerate_matches: groups by name, hosts when no group matched or the term is a wildcard. */
  private matchTerm(term: string): { hosts: string[]; groups: string[] } {
    if (this.graph.hosts.has(term)) return { hosts: [term], groups: [] };
    const parsed = splitSubscript(term);
    const matcher = termMatcher(parsed.expr);
    const groups = [...this.graph.groups.keys()].filter((g) => matcher.test(g));
    const found = new Set<string>();
    for (const g of groups) for (const h of this.graph.hostsOfGroup(g)) found.add(h);
    if (groups.length === 0 || isWildcardTerm(parsed.expr)) {
      for (const h of this.graph.hosts.keys()) if (matcher.test(h)) found.add(h);
    }
    let hosts = this.hostNames().filter((h) => found.has(h));
    if (hosts.length === 0 && isLocalhostName(parsed.expr)) hosts = [this.localhostFor(parsed.expr)];
    return { hosts: applySubscript(hosts, parsed), groups };
  }

  /** An inventory's own localhost entry stands in for the others (Ansible); else the implicit one. */
  private localhostFor(name: string): string {
    return this.hostNames().find(isLocalhostName) ?? name;
  }
}

function pathKind(path: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function addSource(graph: InventoryGraph, source: string, baseDirs: string[]): void {
  const kind = pathKind(source);
  if (kind === 'dir') {
    baseDirs.push(source);
    addFolder(graph, source);
  } else if (kind === 'file') {
    baseDirs.push(dirname(source));
    addFile(graph, source);
  } else if (source.includes(',')) {
    addHostList(graph, source);
  } else {
    throw new UserError(`inventory source not found: ${source} (expected an inventory file or folder)`, { file: source });
  }
}

/** `-i 'uxsv01,uxsv02'`: Ansible's host_list, ungrouped hosts and no group_vars. */
function addHostList(graph: InventoryGraph, list: string): void {
  graph.currentSource = undefined;
  for (const name of list.split(',').map((s) => s.trim())) if (name) graph.addHost(name, ALL);
}

/** Every inventory file in a folder, sorted; subfolders are inventories too, except group_vars/host_vars. */
function addFolder(graph: InventoryGraph, folder: string): void {
  for (const entry of readdirSync(folder).sort()) {
    if (entry.startsWith('.') || VARS_FOLDERS.includes(entry)) continue;
    const path = join(folder, entry);
    const kind = pathKind(path);
    if (kind === 'dir') addFolder(graph, path);
    else if (kind === 'file' && INVENTORY_EXTENSIONS.includes(extname(entry)) && !entry.endsWith('~')) addFile(graph, path);
  }
}

function addFile(graph: InventoryGraph, file: string): void {
  // Bounded and strict UTF-8, like every YAML file: a binary or Latin-1 INI file is refused, not read as host names.
  const text = readTextFile(file);
  graph.currentSource = file;
  const ext = extname(basename(file));
  const isIni = ext === '.ini' || ext === '.cfg' || (!['.yml', '.yaml', '.json'].includes(ext) && looksLikeIni(text));
  if (isIni) addIniInventory(graph, file, text);
  else addYamlInventory(graph, parseYaml(text, file));
}

/** Ansible's --limit: a pattern whose `@file` terms are replaced by the file's lines (one pattern each). */
function limitTerms(limit: string): string[] {
  const terms: string[] = [];
  for (const term of splitPattern(limit)) {
    if (!term.startsWith('@')) {
      terms.push(term);
      continue;
    }
    const file = term.slice(1);
    if (pathKind(file) !== 'file') throw new UserError(`limit file not found: ${file} (--limit @FILE needs a file of host names, one per line)`, { file });
    terms.push(...readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  return terms;
}
