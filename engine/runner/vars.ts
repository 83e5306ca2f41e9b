/**
 * Ansible's variable precedence, lowest first (Ansible's documented numbers):
 *   2  role defaults (every role of the play, then the task's own role chain)
 *   3-10 inventory: group vars (file, group_vars/all, group_vars/*), host vars (file, host_vars/*),
 *        the playbook folder's group_vars/host_vars in between (engine/inventory)
 *   11 host facts (gather_facts, setup, set_fact with cacheable)
 *   12 play vars
 *   14 play vars_files
 *   15 role vars (every role of the play, then the task's own role chain)
 *   16 block vars (outer to inner; static imports count as blocks)
 *   17 task vars
 *   18 include_vars
 *   19 set_fact and registered results
 *   20 role params (`- role: x` + keys, include_role's vars)
 *   21 include params (include_tasks' vars)
 *   22 extra vars (-e), always win
 * Magic variables (inventory_hostname, groups, hostvars, ...) are set last and
 * cannot be overridden.
 */
import path from 'node:path';
import type { Inventory } from '../inventory/index.js';
import type { Play, RoleScope, Scope, Vars } from '../loader/model.js';
import { OPAQUE, markUnsafe, untag } from '../template/trust.js';
import type { FactCache } from './fact-cache.js';
import { isLocalhostName } from '../inventory/index.js';
import { factsAsVars } from '../facts/setup.js';
import { lazyVars, type Templar } from '../template/index.js';

export const OMIT_TOKEN = '__omit_place_holder__uxsv';
export const ANSIBLE_VERSION = { full: '2.14.18', string: '2.14.18', major: 2, minor: 14, revision: 18 };

/** What the run tells the magic variables (Ansible's "options vars"). */
export interface RunFacts {
  /** Facts are variables of their own too (Ansible's inject_facts_as_vars); default true. */
  injectFacts?: boolean;
  check: boolean;
  diff: boolean;
  verbosity: number;
  forks?: number;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  inventorySources?: string[];
  configFile?: string;
}

export interface PlayVarsContext {
  play: Play;
  /** vars_files already loaded for the play, per host (paths may be templated per host). */
  varsFiles: Map<string, Vars>;
  /** Every host the play's pattern matches (ansible_play_hosts_all). */
  playHosts: string[];
  /** The hosts of the current batch (serial). */
  batchHosts: string[];
  /** Failed, unreachable or ended hosts leave ansible_play_hosts and ansible_play_batch. */
  isDown?: (host: string) => boolean;
}

export class VariableStore {
  /** Facts per host (level 11), read from the fact cache the first time a host's are asked for. */
  private readonly factsByHost = new Map<string, Vars | undefined>();
  private readonly factVarsCache = new WeakMap<Vars, Vars>();
  /** Where facts outlive the run (the jsonfile cache), if configured. */
  factCache?: FactCache;
  /** Renders each host's variables in hostvars, in that host's context (set by the run). */
  templar?: Templar;
  /** include_vars per host (level 18). */
  readonly includedVars = new Map<string, Vars>();
  /** set_fact and register results per host (level 19); they outlive the play, like Ansible's. */
  readonly hostVarsRuntime = new Map<string, Vars>();
  private inventoryCache = new Map<string, Vars>();
  /** scopeLayers' merges, per host and scope (the latest few), with what each was made of. */
  private readonly layersByHost = new Map<string, Map<Scope, { sources: unknown[]; merged: Vars }>>();

  constructor(
    readonly inventory: Inventory,
    readonly extraVars: Vars,
    readonly run: RunFacts,
  ) {}

  inventoryVars(host: string, playbookDir?: string): Vars {
    const key = `${host}\0${playbookDir ?? ''}`;
    let v = this.inventoryCache.get(key);
    if (!v) {
      // The implicit localhost still gets group_vars/all and the playbook's host_vars/localhost, as in Ansible.
      v = this.inventory.hasHost(host) || isLocalhostName(host) ? this.inventory.hostVars(host, playbookDir) : {};
      // ansible_host defaults to the inventory name, as Ansible's connection does.
      if (v.ansible_host === undefined) v = { ansible_host: host, ...v };
      // Ansible's implicit localhost runs modules with the controller's own Python.
      if (!this.inventory.hasHost(host) && v.ansible_python_interpreter === undefined) v = { ansible_python_interpreter: PLAYBOOK_PYTHON, ansible_connection: 'local', ...v };
      this.inventoryCache.set(key, v);
    }
    return v;
  }

  /** The inventory changed (add_host, group_by, refresh_inventory): forget what was read from it. */
  inventoryChanged(): void {
    this.inventoryCache.clear();
  }

  /** A host's facts: gathered or set this run, else from the fact cache. */
  factsOf(host: string): Vars | undefined {
    if (!this.factsByHost.has(host)) {
      const cached = this.factCache?.load(host);
      this.factsByHost.set(host, cached ? markUnsafe(cached) : undefined);
    }
    return this.factsByHost.get(host);
  }

  /**
   * The variables a host's facts give (ansible_facts, and the ansible_* names
   * when injected), made once per facts object: setFacts replaces the object,
   * and every task of a run reads them.
   */
  private factVars(facts: Vars): Vars {
    let vars = this.factVarsCache.get(facts);
    if (!vars) this.factVarsCache.set(facts, (vars = factsAsVars(facts, this.run.injectFacts !== false)));
    return vars;
  }

  setFacts(host: string, facts: Vars): void {
    const merged = { ...(this.factsOf(host) ?? {}), ...facts };
    this.factsByHost.set(host, merged);
    this.factCache?.save(host, untag(merged));
  }

  clearFacts(host: string): void {
    this.factsByHost.set(host, undefined);
    this.factCache?.remove(host);
  }

  setRuntime(host: string, values: Vars): void {
    this.hostVarsRuntime.set(host, { ...(this.hostVarsRuntime.get(host) ?? {}), ...values });
  }

  setIncluded(host: string, values: Vars): void {
    this.includedVars.set(host, { ...(this.includedVars.get(host) ?? {}), ...values });
  }

  /** What hostvars[host] shows: the host's own variables, not those of a play or task. */
  hostLevelVars(host: string, ctx?: PlayVarsContext): Vars {
    const facts = this.factsOf(host);
    return {
      ...this.inventoryVars(host, ctx?.play.baseDir),
      ...(facts ? factsAsVars(facts, this.run.injectFacts !== false) : {}),
      ...(this.includedVars.get(host) ?? {}),
      ...(this.hostVarsRuntime.get(host) ?? {}),
      ...this.extraVars,
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.inventory.groupNamesOf(host),
      groups: this.inventory.groupsVar(),
      omit: OMIT_TOKEN,
      ...this.optionVars(),
    };
  }

  /**
   * The variables of one task on one host (before lazy templating), read
   * through their layers instead of merged: a task reads a few of them, and a
   * copy would take all of a host's hundreds for each task and host. Read only.
   */
  taskVars(host: string, ctx: PlayVarsContext, scope: Scope, taskVars: Vars | undefined, extra: Vars = {}): Vars {
    return layeredView(this.taskLayers(host, ctx, scope, taskVars, extra));
  }

  /** A task's variables as layers, lowest first. */
  private taskLayers(host: string, ctx: PlayVarsContext, scope: Scope, taskVars: Vars | undefined, extra: Vars): Vars[] {
    const chain: Scope[] = [];
    for (let s: Scope | undefined = scope; s; s = s.parent) chain.unshift(s);
    const role = taskRoleLayers(scope);
    const layers: Vars[] = [this.scopeLayers(host, ctx, scope, chain, role)];
    if (taskVars) layers.push(taskVars);
    const included = this.includedVars.get(host);
    if (included) layers.push(included);
    const runtime = this.hostVarsRuntime.get(host);
    if (runtime) layers.push(runtime);
    layers.push(...role.params);
    // The vars of every include and import (static ones too) are include params, above set_fact, as in Ansible.
    for (const s of chain) if (s.kind === 'include' && s.keywords.vars) layers.push(s.keywords.vars as Vars);
    layers.push(this.extraVars, extra, this.magicVars(host, ctx, scope));
    return layers;
  }

  /**
   * The layers of a task's variables below its own `vars:` (levels 2 to 16),
   * merged once per host and scope (the latest few scopes of each host) and
   * kept while what they are made of is the same object: the host's
   * inventory variables and facts, the play's vars, vars_files and roles.
   * The tasks of a scope then share one layer instead of merging a dozen (a
   * host's hundreds of variables each time).
   */
  private scopeLayers(host: string, ctx: PlayVarsContext, scope: Scope, chain: Scope[], role: RoleLayers): Vars {
    const inventory = this.inventoryVars(host, ctx.play.baseDir);
    const facts = this.factsOf(host);
    const factVars = facts ? this.factVars(facts) : undefined;
    const varsFile = ctx.varsFiles.get(host);
    const sources = [inventory, factVars, ctx.play.vars, varsFile, ctx.play.roles, ctx.play.roles.length];
    let byScope = this.layersByHost.get(host);
    if (!byScope) this.layersByHost.set(host, (byScope = new Map()));
    const kept = byScope.get(scope);
    if (kept && kept.sources.every((source, i) => source === sources[i])) return kept.merged;
    const merged: Vars = {};
    for (const r of ctx.play.roles) Object.assign(merged, r.defaults);
    for (const d of role.defaults) Object.assign(merged, d);
    Object.assign(merged, inventory);
    if (factVars) Object.assign(merged, factVars);
    Object.assign(merged, ctx.play.vars);
    Object.assign(merged, varsFile ?? {});
    for (const r of ctx.play.roles) Object.assign(merged, r.vars);
    for (const v of role.vars) Object.assign(merged, v);
    for (const s of chain) if (s.kind !== 'play' && !s.dynamic && s.keywords.vars) Object.assign(merged, s.keywords.vars as Vars);
    byScope.delete(scope);
    if (byScope.size >= LAYERS_KEPT_PER_HOST) byScope.delete(byScope.keys().next().value!);
    byScope.set(scope, { sources, merged });
    return merged;
  }

  private optionVars(): Vars {
    return {
      ansible_check_mode: this.run.check,
      ansible_diff_mode: this.run.diff,
      ansible_verbosity: this.run.verbosity,
      ansible_forks: this.run.forks ?? 5,
      ansible_limit: this.run.limit,
      ansible_run_tags: this.run.tags?.length ? this.run.tags : ['all'],
      ansible_skip_tags: this.run.skipTags ?? [],
      ansible_inventory_sources: this.run.inventorySources ?? [],
      ansible_config_file: this.run.configFile,
      ansible_version: ANSIBLE_VERSION,
      ansible_playbook_python: PLAYBOOK_PYTHON,
    };
  }

  private magicVars(host: string, ctx: PlayVarsContext, scope: Scope): Vars {
    const role = scope.role;
    const down = ctx.isDown ?? (() => false);
    const playRoles = ctx.play.roles.filter((r) => !r.dependency).map((r) => r.name);
    const dependencies = [...new Set(ctx.play.roles.filter((r) => r.dependency).map((r) => r.name))];
    const roles = roleChain(scope);
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.inventory.groupNamesOf(host),
      groups: this.inventory.groupsVar(),
      hostvars: this.hostvarsProxy(ctx),
      ansible_play_hosts_all: ctx.playHosts,
      ansible_play_hosts: ctx.playHosts.filter((h) => !down(h)),
      ansible_play_batch: ctx.batchHosts.filter((h) => !down(h)),
      play_hosts: ctx.batchHosts.filter((h) => !down(h)),
      ansible_play_name: ctx.play.name,
      playbook_dir: ctx.play.baseDir,
      ansible_play_role_names: playRoles,
      role_names: playRoles,
      ansible_dependent_role_names: dependencies,
      ansible_role_names: [...new Set([...dependencies, ...playRoles])],
      ...(role
        ? {
            role_name: role.name,
            role_path: role.path,
            ansible_role_name: role.name,
            ansible_collection_name: null,
          }
        : {}),
      // As in Ansible, only a role run by include_role/import_role from another role has parents (innermost first).
      ...(roles.length > 1
        ? {
            ansible_parent_role_names: roles.slice(0, -1).reverse().map((r) => r.name),
            ansible_parent_role_paths: roles.slice(0, -1).reverse().map((r) => r.path),
          }
        : {}),
      omit: OMIT_TOKEN,
      ...this.optionVars(),
    };
  }

  /** hostvars: a read-only view that builds another host's variables when asked. */
  hostvarsProxy(ctx?: PlayVarsContext): Record<string, Vars> {
    const store = this;
    const names = () => this.inventory.hostNames();
    const cache = new Map<string, Vars>();
    // The implicit localhost of a play that runs on it is a host of hostvars too, as in Ansible.
    const implicitHere = (name: string) => isLocalhostName(name) && (ctx?.playHosts.includes(name) ?? false);
    // Each host's variables are rendered in that host's own context (hostvars['h2'].x of `x: "{{ inventory_hostname }}"` is h2), when read.
    const varsOf = (host: string) => {
      let v = cache.get(host);
      if (!v) {
        const own = store.hostLevelVars(host, ctx);
        cache.set(host, (v = store.templar ? lazyVars(own, store.templar, `hostvars['${host}']`) : own));
      }
      return v;
    };
    return new Proxy({} as Record<string, Vars>, {
      get(_t, prop) {
        if (prop === OPAQUE) return true;
        if (typeof prop !== 'string') return undefined;
        if (!store.inventory.hasHost(prop) && !implicitHere(prop)) return undefined;
        return varsOf(prop);
      },
      has(_t, prop) {
        return typeof prop === 'string' && (store.inventory.hasHost(prop) || implicitHere(prop));
      },
      ownKeys() {
        return names();
      },
      getOwnPropertyDescriptor(_t, prop) {
        if (typeof prop === 'string' && store.inventory.hasHost(prop)) return { enumerable: true, configurable: true, value: varsOf(prop) };
        return undefined;
      },
    });
  }
}

/** What Ansible reports as the interpreter running the playbook; uxsv has none, Debian's python3 is where Ansible's would be. */
const PLAYBOOK_PYTHON = '/usr/bin/python3';

/**
 * Variables in layers (lowest first), looked up from the top: what merging
 * them would give, without copying them. Read only.
 */
export function layeredView(layers: Vars[]): Vars {
  const find = (key: string | symbol): Vars | undefined => {
    for (let i = layers.length - 1; i >= 0; i--) if (Object.hasOwn(layers[i]!, key)) return layers[i];
    return undefined;
  };
  return new Proxy({} as Vars, {
    get: (_target, key) => find(key)?.[key as string],
    has: (_target, key) => find(key) !== undefined,
    ownKeys: () => [...new Set(layers.flatMap((layer) => Reflect.ownKeys(layer)))],
    getOwnPropertyDescriptor: (_target, key) => {
      const layer = find(key);
      return layer ? { value: layer[key as string], writable: false, enumerable: true, configurable: true } : undefined;
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/**
 * Scopes whose merged layers are kept per host: a host's tasks follow each
 * other through a few scopes at a time (a task's and the next tasks' planned
 * ahead), and a merge is a few kilobytes per host.
 */
const LAYERS_KEPT_PER_HOST = 8;

/**
 * The role layers of a task, as Ansible's Role.get_default_vars/get_vars/
 * get_role_params compute them for the task's role and its dependency chain
 * (the roles that pulled it in, outermost first): defaults of its
 * dependencies, of the chain, its own; vars of the chain, of its
 * dependencies, its own; params of the chain, its own.
 */
interface RoleLayers {
  defaults: Vars[];
  vars: Vars[];
  params: Vars[];
}

function taskRoleLayers(scope: Scope): RoleLayers {
  const scoped = roleChain(scope);
  const own = scoped[scoped.length - 1];
  if (!own) return { defaults: [], vars: [], params: [] };
  const chain = [...new Set([...own.dependents, ...scoped.slice(0, -1)])];
  const deps = allDependencies(own);
  return {
    defaults: [...deps.map((d) => d.defaults), ...chain.map((c) => c.defaults), own.defaults],
    vars: [...chain.map((c) => c.vars), ...deps.map((d) => d.vars), own.vars],
    params: [...chain.map((c) => c.params), own.params],
  };
}

/** A role's dependencies, theirs first (depth first), each once. */
function allDependencies(role: RoleScope, seen = new Set<RoleScope>()): RoleScope[] {
  const out: RoleScope[] = [];
  for (const d of role.dependencies ?? []) {
    if (seen.has(d)) continue;
    seen.add(d);
    out.push(...allDependencies(d, seen), d);
  }
  return out;
}

/** The roles a scope is in, outermost first. */
export function roleChain(scope: Scope): RoleScope[] {
  const roles: RoleScope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.kind === 'role' && s.role && !roles.includes(s.role)) roles.unshift(s.role);
  return roles;
}

/**
 * Ansible's `ansible_search_path`: the task's roles (innermost first), the
 * folder of the task's file, then the playbook's folder. Lookups and
 * include_vars search `<dir>/<files|templates|vars>/<name>` then
 * `<dir>/<name>` in it.
 */
export function searchPath(scope: Scope, taskFile: string, playbookDir: string): string[] {
  const out: string[] = [];
  for (const role of roleChain(scope).reverse()) out.push(role.path);
  const dir = path.dirname(path.resolve(taskFile));
  if (!out.includes(dir)) out.push(dir);
  if (!out.includes(playbookDir)) out.push(playbookDir);
  return out;
}
