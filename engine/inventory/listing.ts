/**
 * The inventory as ansible-inventory prints it: `--list` (the inventory
 * script JSON: one entry per group with its hosts and children, variables
 * under `_meta.hostvars`), `--list --yaml` (the YAML inventory format, each
 * host's variables at its first appearance), `--graph` (a tree of groups and
 * hosts, optionally with their variables) and `--host`.
 *
 * Without `export`, a host's variables are everything the inventory gives it
 * (groups, group_vars/, host_vars/) plus extra vars; with `export`, only its
 * own, and each group carries its own `vars`.
 */
import { pyJsonDumps } from '../template/serialize.js';
import { dumpPyYaml } from './pyyaml.js';
import { pyStr } from '../template/python.js';
import { ALL } from './graph.js';
import type { Inventory } from './index.js';
import type { Vars } from './vars-files.js';

export interface ListingOptions {
  export?: boolean;
  /** -e: shown in every host's variables (not with export). */
  extraVars?: Vars;
  /** --playbook-dir: its group_vars/ and host_vars/ count too. */
  playbookDir?: string;
  /** --limit: only these hosts are listed. */
  onlyHosts?: Set<string>;
}

/** Names Ansible sets itself, left out of listings. */
const INTERNAL_VARS = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources', 'ansible_limit',
  'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity', 'ansible_version', 'inventory_dir',
  'inventory_file', 'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'omit', 'playbook_dir',
]);

function withoutInternal(vars: Vars): Vars {
  return Object.fromEntries(Object.entries(vars).filter(([k]) => !INTERNAL_VARS.has(k)));
}

export class InventoryListing {
  constructor(
    private readonly inventory: Inventory,
    private readonly options: ListingOptions = {},
  ) {}

  private get graph() {
    return this.inventory.structure;
  }

  private hostsOf(group: string): string[] {
    const hosts = this.graph.groups.get(group)!.hosts;
    const only = this.options.onlyHosts;
    return only ? hosts.filter((h) => only.has(h)) : [...hosts];
  }

  /** A host's variables as the listing shows them. */
  hostVars(host: string): Vars {
    if (this.options.export) {
      const layers = this.inventory.hostVarLayers(host, this.options.playbookDir).filter((l) => l.kind === 'host');
      return withoutInternal(Object.assign({}, ...layers.map((l) => l.vars)) as Vars);
    }
    return withoutInternal({ ...this.inventory.hostVars(host, this.options.playbookDir), ...(this.options.extraVars ?? {}) });
  }

  /** A group's own variables (the source's, then its group_vars/ files), and its priority when not the default. */
  groupVars(group: string): Vars {
    const vars = { ...this.inventory.groupVars(group, this.options.playbookDir) };
    const priority = this.graph.groups.get(group)!.priority;
    if (priority !== 1) vars.ansible_group_priority = priority;
    return withoutInternal(vars);
  }

  /** --list: the inventory script JSON, keys sorted, indented by 4. */
  json(): string {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    const visit = (name: string) => {
      const group = this.graph.groups.get(name)!;
      const entry: Record<string, unknown> = {};
      const hosts = this.hostsOf(name);
      if (name !== ALL && hosts.length) entry.hosts = hosts;
      if (group.children.length) entry.children = [...group.children];
      out[name] = entry;
      for (const child of group.children) {
        if (seen.has(child)) continue;
        seen.add(child);
        visit(child);
      }
      if (this.options.export) {
        const vars = this.groupVars(name);
        if (Object.keys(vars).length) entry.vars = vars;
      }
      if (Object.keys(entry).length === 0) delete out[name];
    };
    visit(ALL);
    const hostvars: Record<string, Vars> = {};
    for (const host of this.inventory.select('all').filter((h) => !this.options.onlyHosts || this.options.onlyHosts.has(h))) {
      const vars = this.hostVars(host);
      if (Object.keys(vars).length) hostvars[host] = vars;
    }
    out._meta = { hostvars };
    return dumpJson(out);
  }

  /** --list --yaml: the YAML inventory format; a host's variables where it first appears. */
  yaml(): string {
    const seen = new Set<string>();
    const visit = (name: string): Record<string, unknown> => {
      const group = this.graph.groups.get(name)!;
      const entry: Record<string, unknown> = {};
      const children: Record<string, unknown> = {};
      for (const child of group.children) if (child !== ALL) Object.assign(children, visit(child));
      if (Object.keys(children).length) entry.children = children;
      const groupHosts = this.hostsOf(name);
      if (name !== ALL && groupHosts.length) {
        const hosts: Record<string, unknown> = {};
        for (const host of groupHosts) {
          hosts[host] = seen.has(host) ? {} : this.hostVars(host);
          seen.add(host);
        }
        entry.hosts = hosts;
      }
      if (this.options.export) {
        const vars = this.groupVars(name);
        if (Object.keys(vars).length) entry.vars = vars;
      }
      return { [name]: entry };
    };
    return dumpYaml(visit(ALL));
  }

  /** --graph [GROUP] [--vars]: undefined when GROUP is not a group. */
  graphOf(groupName: string, showVars: boolean): string | undefined {
    if (!this.graph.groups.has(groupName)) return undefined;
    const lines: string[] = [];
    const line = (text: string, depth: number) => lines.push(depth ? `${'  |'.repeat(depth)}--${text}` : text);
    const varLines = (vars: Vars, depth: number) => {
      for (const key of Object.keys(vars).sort()) line(`{${key} = ${pyStr(vars[key])}}`, depth);
    };
    const visit = (name: string, depth: number) => {
      line(`@${name}:`, depth);
      const group = this.graph.groups.get(name)!;
      for (const child of group.children) visit(child, depth + 1);
      if (name !== ALL) {
        for (const host of this.hostsOf(name)) {
          line(host, depth + 1);
          if (showVars) varLines(this.hostVars(host), depth + 2);
        }
      }
      if (showVars) varLines(this.groupVars(name), depth + 1);
    };
    visit(groupName, 0);
    return lines.join('\n');
  }
}

export function dumpJson(value: unknown): string {
  return pyJsonDumps(value, { indent: 4, sortKeys: true, ensureAscii: false });
}

export function dumpYaml(value: unknown): string {
  return dumpPyYaml(value);
}
