/**
 * The inventory: hosts, groups and their variables, read from its sources
 * (sources.ts: YAML, INI, host lists, constructed), plus group_vars/ and
 * host_vars/ next to them and next to the playbook, merged in Ansible's
 * precedence order; host patterns resolved as Ansible resolves them; and the
 * changes a run makes (add_host, group_by, refresh_inventory).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { ConstructedContext } from './constructed.js';
import { ALL, InventoryGraph } from './graph.js';
import { applySubscript, isLocalhostName, isWildcardTerm, orderTerms, splitPattern, splitSubscript, termMatcher } from './patterns.js';
import { addSource, pathKind, type InventoryLoadOptions } from './sources.js';
import { VarsFileCache, type Vars } from './vars-files.js';

export { isPattern, isLocalhostName, LOCALHOST_NAMES, splitPattern } from './patterns.js';
export { expandHostRange } from './host-range.js';
export { inventorySchema } from './yaml-source.js';
export { DEFAULT_IGNORED_EXTENSIONS, type InventoryLoadOptions } from './sources.js';

export interface VarLayer {
  name: string;
  /** Whether the layer is a group's (inventory or group_vars/) or the host's own (inventory or host_vars/). */
  kind: 'group' | 'host';
  /** From a group_vars/ or host_vars/ file (Ansible's vars plugin), not the inventory source. */
  fromFile?: boolean;
  vars: Vars;
}

/** A group name Ansible takes as a valid variable name: word characters (Unicode, as Python's \\w), not starting with a digit. */
const VALID_GROUP_NAME = /^(?!\p{Nd})[\p{L}\p{N}_]+$/u;

/** One change made during a run. */
type RuntimeChange =
  | { kind: 'host'; name: string; groups: string[]; vars: Vars }
  | { kind: 'group'; name: string; parents: string[] }
  | { kind: 'member'; host: string; group: string };

export class Inventory {
  private varsFiles = new VarsFileCache();
  private groupsCache?: Record<string, string[]>;
  private readonly patternCache = new Map<string, string[]>();
  /** What the run added (add_host, group_by), replayed after a refresh. */
  private readonly runtime: RuntimeChange[] = [];
  /** Warnings of the load (a source that could not be read, a name both host and group). */
  readonly warnings: string[] = [];
  /** How many sources were read (Ansible: "No inventory was parsed" when none). */
  parsedSources = 0;
  /** Notes worth showing at -vvv (a host list entry kept as written). */
  readonly verboseNotes: string[] = [];

  private constructor(
    private graph: InventoryGraph,
    /** Folders whose group_vars/ and host_vars/ belong to the inventory, in source order. */
    private baseDirs: string[],
    /** The sources as given (-i), for refresh(). */
    readonly sources: string[] = [],
    private readonly loadOptions: InventoryLoadOptions = {},
  ) {}

  static load(sources: string[], options: InventoryLoadOptions = {}): Inventory {
    const inventory = new Inventory(new InventoryGraph(), [], [...sources], options);
    inventory.read();
    return inventory;
  }

  static empty(): Inventory {
    const graph = new InventoryGraph();
    graph.finish();
    return new Inventory(graph, []);
  }

  private read(): void {
    const graph = new InventoryGraph();
    const baseDirs: string[] = [];
    const warnings: string[] = [];
    // Set first: a constructed source computes variables of the inventory read so far.
    this.graph = graph;
    this.baseDirs = baseDirs;
    this.varsFiles = new VarsFileCache();
    let parsed = 0;
    this.verboseNotes.length = 0;
    const notes = { warnings, verbose: this.verboseNotes };
    const constructed: ConstructedContext = {
      hostVars: (host, withFiles) => Object.assign({}, ...this.hostVarLayers(host).filter((l) => withFiles || !l.fromFile).map((l) => l.vars)) as Vars,
      extraVars: this.loadOptions.extraVars ?? {},
    };
    for (const source of this.sources) if (addSource(graph, source, baseDirs, this.loadOptions, notes, constructed)) parsed++;
    this.parsedSources = parsed;
    graph.currentSource = undefined;
    graph.finish();
    for (const name of graph.nameConflicts()) warnings.push(`Found both group and host with same name: ${name}`);
    // Ansible's default (force_valid_group_names = never): such names are kept, with one warning.
    if ([...graph.groups.keys()].some((g) => !VALID_GROUP_NAME.test(g))) {
      warnings.push('Invalid characters were found in group names but not replaced, use -vvvv to see details');
    }
    this.warnings.splice(0, this.warnings.length, ...warnings);
    this.invalidate();
  }

  /**
   * meta: refresh_inventory: read the sources (and their group_vars/ and
   * host_vars/) again, then replay what the run added (add_host first, then
   * group_by), as Ansible 2.14 does; an addition naming a host the sources
   * no longer have is dropped.
   */
  refresh(): void {
    this.read();
    for (const op of this.runtime.filter((o) => o.kind === 'host')) this.apply(op, true);
    for (const op of this.runtime.filter((o) => o.kind !== 'host')) this.apply(op, true);
  }

  /**
   * add_host: the host (created in 'all' if new) joins each group (created if
   * needed); `vars` are merged over its inventory variables. True when
   * anything changed (add_host's `changed`).
   */
  addHost(name: string, groups: string[] = [], vars: Vars = {}): boolean {
    const known = this.graph.hosts.get(name);
    const before = known && !known.implicit ? JSON.stringify([[...this.graph.groupsOfHost(name)], known.vars]) : undefined;
    this.apply({ kind: 'host', name, groups: [...groups], vars: { ...vars } }, false);
    const after = this.graph.hosts.get(name)!;
    return before !== JSON.stringify([[...this.graph.groupsOfHost(name)], after.vars]);
  }

  /** group_by (with `parents`): a group, made a child of each parent (created if needed, under 'all'). True when the group is new. */
  addGroup(name: string, parents: string[] = []): boolean {
    const isNew = !this.graph.groups.has(name);
    this.apply({ kind: 'group', name, parents: [...parents] }, false);
    return isNew;
  }

  /** group_by / add_host groups: the host joins the group (created if needed); the implicit localhost may join too. True when it was not in it. */
  addHostToGroup(host: string, group: string): boolean {
    const already = this.graph.groups.get(group)?.hosts.includes(host) === true;
    this.apply({ kind: 'member', host, group }, false);
    return !already;
  }

  private apply(op: RuntimeChange, replaying: boolean): void {
    if (!replaying) this.runtime.push(op);
    const graph = this.graph;
    if (op.kind === 'host') {
      if (!this.hasHost(op.name)) graph.addHost(op.name, ALL);
      for (const group of op.groups) graph.addHost(op.name, group);
      for (const [key, value] of Object.entries(op.vars)) graph.setHostVar(op.name, key, value);
    } else if (op.kind === 'group') {
      graph.addGroup(op.name);
      for (const parent of op.parents) {
        graph.addGroup(parent);
        if (parent !== op.name) graph.addChild(parent, op.name);
      }
    } else {
      if (graph.hosts.has(op.host)) graph.addHost(op.host, op.group);
      else if (isLocalhostName(op.host)) graph.addImplicitHost(op.host, op.group);
      else if (replaying) return;
      else throw new Error(`unknown host '${op.host}'`);
    }
    this.reconcile();
  }

  /** Ansible's reconcile_inventory after a runtime change: 'all' and 'ungrouped' rules, then fresh caches. */
  private reconcile(): void {
    this.graph.finish();
    this.invalidate();
  }

  private invalidate(): void {
    this.groupsCache = undefined;
    this.patternCache.clear();
  }

  hostNames(): string[] {
    return this.graph.realHosts();
  }

  hasHost(name: string): boolean {
    const node = this.graph.hosts.get(name);
    return node !== undefined && !node.implicit;
  }

  hasGroup(name: string): boolean {
    return this.graph.groups.has(name);
  }

  groupNames(): string[] {
    return [...this.graph.groups.keys()];
  }

  /** The inventory's structure, for listings (ansible-inventory): read only. */
  get structure(): Pick<InventoryGraph, 'groups' | 'hosts' | 'hostsOfGroup'> {
    return this.graph;
  }

  groupsVar(): Record<string, string[]> {
    // Asked for on every task of every host: computed once per change of the inventory.
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
   * pattern order as in Ansible; a group's hosts in Ansible's group order.
   */
  select(pattern: string, limit?: string): string[] {
    let hosts = this.evaluateCached(splitPattern(pattern));
    if (limit !== undefined && limit.trim() !== '') {
      const terms = limitTerms(limit);
      if (terms.length) {
        const allowed = new Set(this.evaluateCached(terms));
        hosts = hosts.filter((h) => allowed.has(h));
      }
    }
    return hosts;
  }

  private evaluateCached(terms: string[]): string[] {
    const key = JSON.stringify(terms);
    let hosts = this.patternCache.get(key);
    if (!hosts) {
      hosts = this.evaluate(terms);
      this.patternCache.set(key, hosts);
    }
    return [...hosts];
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
      for (const { file, vars } of this.varsFiles.varsFilesFor(join(folder, kind), name, `${kind} file`)) {
        layers.push({ name: `${where} ${kind}/${name}: ${file}`, kind: kind === 'host_vars' ? 'host' : 'group', fromFile: true, vars });
      }
    };

    layers.push({ name: `inventory group 'all'`, kind: 'group', vars: this.graph.groups.get(ALL)!.vars });
    for (const g of groups) layers.push({ name: `inventory group '${g}'`, kind: 'group', vars: this.graph.groups.get(g)!.vars });
    for (const dir of this.baseDirs) fileLayers('inventory', dir, 'group_vars', ALL);
    if (playbookDir) fileLayers('playbook', playbookDir, 'group_vars', ALL);
    // Ansible loops over inventory sources, then over the host's groups within each.
    for (const dir of this.baseDirs) for (const g of groups) fileLayers('inventory', dir, 'group_vars', g);
    if (playbookDir) for (const g of groups) fileLayers('playbook', playbookDir, 'group_vars', g);
    layers.push({ name: `inventory host '${host}'`, kind: 'host', vars: node ? node.vars : { ansible_connection: 'local' } });
    for (const dir of this.baseDirs) fileLayers('inventory', dir, 'host_vars', host);
    if (playbookDir) fileLayers('playbook', playbookDir, 'host_vars', host);
    return layers;
  }

  /** A group's own variables: the inventory source's, then its group_vars/ files (not its parents'). */
  groupVars(group: string, playbookDir?: string): Vars {
    const node = this.graph.groups.get(group);
    if (!node) throw new Error(`unknown group '${group}'`);
    const out: Vars = { ...node.vars };
    const dirs = playbookDir ? [...this.baseDirs, playbookDir] : this.baseDirs;
    for (const dir of dirs) for (const { vars } of this.varsFiles.varsFilesFor(join(dir, 'group_vars'), group, 'group_vars file')) Object.assign(out, vars);
    return out;
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

  /**
   * Ansible's _enumerate_matches: the hosts of every matching group (groups in
   * inventory order), then matching hosts when no group matched or the term
   * is a wildcard or regex; the subscript applies to that list.
   */
  private matchTerm(term: string): { hosts: string[]; groups: string[] } {
    if (this.graph.hosts.has(term)) return { hosts: [term], groups: [] };
    const parsed = splitSubscript(term);
    const matcher = termMatcher(parsed.expr);
    const groups = [...this.graph.groups.keys()].filter((g) => matcher.test(g));
    let hosts: string[] = groups.flatMap((g) => this.graph.hostsOfGroup(g));
    if (groups.length === 0 || isWildcardTerm(parsed.expr)) {
      for (const h of this.graph.realHosts()) if (matcher.test(h)) hosts.push(h);
    }
    if (hosts.length === 0 && isLocalhostName(parsed.expr)) hosts = [this.localhostFor(parsed.expr)];
    return { hosts: [...new Set(applySubscript(hosts, parsed))], groups };
  }

  /** An inventory's own localhost entry stands in for the others (Ansible); else the implicit one. */
  private localhostFor(name: string): string {
    return this.hostNames().find(isLocalhostName) ?? name;
  }
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
    const kind = pathKind(file);
    if (kind === undefined) throw new UserError(`Unable to find limit file ${file} (--limit @FILE needs a file of host names, one per line)`, { file });
    if (kind !== 'file') throw new UserError(`Limit starting with "@" must be a file, not a directory: ${file}`, { file });
    terms.push(...readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== ''));
  }
  return terms;
}
