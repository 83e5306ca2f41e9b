/**
 * The inventory's groups and hosts as Ansible builds them: every group sits
 * under 'all', hosts with no other group are in 'ungrouped', a group's depth
 * is its longest distance from 'all' (used to order group variables), and a
 * group can never be its own ancestor.
 */
import { UserError } from '../errors.js';
import { errorAt } from '../loader/validate.js';
import { codeFrame, type DataPath, type LoadedYaml } from '../loader/yaml.js';

/** Where something was declared, to point errors at it. */
export type Origin =
  | { kind: 'yaml'; loaded: LoadedYaml; path: DataPath; atKey?: boolean }
  | { kind: 'text'; file: string; text: string; line: number; col?: number };

export function errorAtOrigin(origin: Origin | undefined, message: string): UserError {
  if (!origin) return new UserError(message);
  if (origin.kind === 'yaml') return errorAt(origin.loaded, origin.path, message, origin.atKey ?? false);
  const col = origin.col ?? 1;
  return new UserError(message, { file: origin.file, line: origin.line, col }, codeFrame(origin.text, origin.line, col));
}

export interface GroupNode {
  name: string;
  /** Variables from the inventory source itself (not group_vars/). */
  vars: Record<string, unknown>;
  /** Ansible's ansible_group_priority: orders groups of the same depth. */
  priority: number;
  depth: number;
  children: string[];
  parents: string[];
  /** Hosts listed directly in this group. */
  hosts: string[];
  origin?: Origin;
}

export interface HostNode {
  name: string;
  /** Variables from the inventory source itself (not host_vars/). */
  vars: Record<string, unknown>;
  /** Groups that list the host directly. */
  groups: string[];
  /** The inventory file where the host first appeared (Ansible's inventory_file). */
  source?: string;
  /** The implicit localhost, present only because a group took it in (group_by): never in 'all' or 'ungrouped'. */
  implicit?: boolean;
}

export const ALL = 'all';
export const UNGROUPED = 'ungrouped';

export class InventoryGraph {
  readonly groups = new Map<string, GroupNode>();
  /** Insertion order is inventory order. */
  readonly hosts = new Map<string, HostNode>();
  private ancestorCache = new Map<string, Set<string>>();
  private hostsCache = new Map<string, string[]>();
  /** The file being read, recorded on hosts as they first appear. */
  currentSource?: string;

  constructor() {
    this.addGroup(ALL);
    this.addGroup(UNGROUPED);
    // As in Ansible, 'ungrouped' is the first child of 'all' (it comes first in listings and in groups['all']).
    this.addChild(ALL, UNGROUPED);
  }

  addGroup(name: string, origin?: Origin): GroupNode {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, vars: {}, priority: 1, depth: 0, children: [], parents: [], hosts: [], origin };
      this.groups.set(name, group);
    }
    return group;
  }

  addHost(name: string, groupName: string): HostNode {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, groups: [], source: this.currentSource };
      this.hosts.set(name, host);
    }
    const group = this.addGroup(groupName);
    if (!group.hosts.includes(name)) group.hosts.push(name);
    if (!host.groups.includes(groupName)) host.groups.push(groupName);
    this.hostsCache.clear();
    return host;
  }

  /** Make `child` a child group of `parent`, refusing loops (Ansible: "recursive dependency loop"). */
  addChild(parentName: string, childName: string, origin?: Origin): void {
    if (childName === ALL) {
      throw errorAtOrigin(origin, `group 'all' cannot be a child of '${parentName}': every group is already inside 'all'`);
    }
    const parent = this.addGroup(parentName);
    const child = this.addGroup(childName);
    if (parent.children.includes(childName)) return;
    const loop = this.pathDown(childName, parentName);
    if (loop) {
      const cycle = [parentName, ...loop].join(' -> ');
      throw errorAtOrigin(origin, `group '${parentName}' would be its own ancestor: ${cycle} (children must not loop)`);
    }
    parent.children.push(childName);
    child.parents.push(parentName);
    this.changed();
  }

  /** A path of child links from `from` down to `to` (both included), if there is one. */
  private pathDown(from: string, to: string, seen = new Set<string>()): string[] | undefined {
    if (from === to) return [from];
    if (seen.has(from)) return undefined;
    seen.add(from);
    for (const child of this.groups.get(from)?.children ?? []) {
      const rest = this.pathDown(child, to, seen);
      if (rest) return [from, ...rest];
    }
    return undefined;
  }

  setGroupVar(groupName: string, key: string, value: unknown, origin?: Origin): void {
    const group = this.addGroup(groupName);
    if (key === 'ansible_group_priority') {
      const priority = Number(value);
      if (!Number.isInteger(priority)) throw errorAtOrigin(origin, `ansible_group_priority of group '${groupName}' must be an integer, got ${JSON.stringify(value)}`);
      group.priority = priority;
      return;
    }
    group.vars[key] = value;
  }

  setHostVar(hostName: string, key: string, value: unknown): void {
    const host = this.hosts.get(hostName);
    if (!host) throw new Error(`internal: host '${hostName}' set before it was added`);
    host.vars[key] = value;
  }

  /**
   * Ansible's reconcile_inventory: groups without a parent go under 'all',
   * hosts in no group but 'all' go to 'ungrouped' (and leave it once in
   * another group), then depths are computed.
   */
  finish(): void {
    for (const group of this.groups.values()) {
      if (group.name !== ALL && group.parents.length === 0) this.addChild(ALL, group.name, group.origin);
    }
    const ungrouped = this.groups.get(UNGROUPED)!;
    for (const host of this.hosts.values()) {
      if (host.implicit) continue;
      const real = [...this.groupsOfHost(host.name)].filter((g) => g !== ALL && g !== UNGROUPED);
      if (real.length === 0) {
        if (!ungrouped.hosts.includes(host.name)) ungrouped.hosts.push(host.name);
        if (!host.groups.includes(UNGROUPED)) host.groups.push(UNGROUPED);
      } else {
        ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
        host.groups = host.groups.filter((g) => g !== UNGROUPED);
      }
    }
    this.changed();
    this.computeDepths();
  }

  /** Names that are both a group and a host (Ansible warns about each). */
  nameConflicts(): string[] {
    return [...this.hosts.keys()].filter((h) => this.groups.has(h));
  }

  /** Inventory hosts, in order, without the implicit localhost. */
  realHosts(): string[] {
    return [...this.hosts.values()].filter((h) => !h.implicit).map((h) => h.name);
  }

  /** The implicit localhost as a member of groups (its variables: a local connection). */
  addImplicitHost(name: string, groupName: string): void {
    if (!this.hosts.has(name)) {
      this.hosts.set(name, { name, vars: { ansible_connection: 'local' }, groups: [], implicit: true });
    }
    this.addHost(name, groupName);
  }

  private computeDepths(): void {
    const memo = new Map<string, number>();
    const depthOf = (name: string): number => {
      const known = memo.get(name);
      if (known !== undefined) return known;
      const parents = this.groups.get(name)!.parents;
      const depth = parents.length === 0 ? 0 : Math.max(...parents.map(depthOf)) + 1;
      memo.set(name, depth);
      return depth;
    };
    for (const group of this.groups.values()) group.depth = depthOf(group.name);
  }

  /** The group and all groups above it. */
  ancestorsOf(groupName: string): Set<string> {
    let result = this.ancestorCache.get(groupName);
    if (!result) {
      result = new Set([groupName]);
      for (const parent of this.groups.get(groupName)?.parents ?? []) for (const a of this.ancestorsOf(parent)) result.add(a);
      this.ancestorCache.set(groupName, result);
    }
    return result;
  }

  /** Every group a host belongs to, directly or through children; always includes 'all'. */
  groupsOfHost(hostName: string): Set<string> {
    const result = new Set<string>([ALL]);
    for (const g of this.hosts.get(hostName)?.groups ?? []) for (const a of this.ancestorsOf(g)) result.add(a);
    return result;
  }

  /**
   * Hosts of a group and of its descendants in Ansible's order: the group's
   * own hosts, then those of its children, then of their children, level by
   * level, each host once.
   */
  hostsOfGroup(groupName: string): string[] {
    const cached = this.hostsCache.get(groupName);
    if (cached) return cached;
    const out: string[] = [];
    const seen = new Set<string>();
    for (const group of this.descendantsOf(groupName)) {
      for (const h of this.groups.get(group)?.hosts ?? []) {
        if (groupName === ALL && this.hosts.get(h)?.implicit) continue;
        if (!seen.has(h)) {
          seen.add(h);
          out.push(h);
        }
      }
    }
    this.hostsCache.set(groupName, out);
    return out;
  }

  /** The group, its children, then their children (breadth first, each group once). */
  descendantsOf(groupName: string): string[] {
    if (!this.groups.has(groupName)) return [];
    const ordered = [groupName];
    const seen = new Set(ordered);
    let level = [groupName];
    while (level.length) {
      const next: string[] = [];
      for (const g of level) {
        for (const child of this.groups.get(g)!.children) {
          if (seen.has(child)) continue;
          seen.add(child);
          ordered.push(child);
          next.push(child);
        }
      }
      level = next;
    }
    return ordered;
  }

  /** Forget derived answers after a change (new host, group or membership). */
  changed(): void {
    this.ancestorCache.clear();
    this.hostsCache.clear();
  }

  /** Ansible's sort_groups: by depth, then priority, then name. */
  sortGroups(names: Iterable<string>): string[] {
    const key = (n: string) => this.groups.get(n)!;
    return [...names].sort((a, b) => {
      const ga = key(a);
      const gb = key(b);
      return ga.depth - gb.depth || ga.priority - gb.priority || (a < b ? -1 : a > b ? 1 : 0);
    });
  }
}
