/**
 * Ansible's variable precedence, lowest first (the levels we implement; the
 * numbers are Ansible's documented ones):
 *   2  role defaults (every role of the play, then the task's own role chain)
 *   3-10 inventory: group vars (file, group_vars/all, group_vars/*), host vars (file, host_vars/*),
 *        the playbook folder's group_vars/host_vars in between (engine/inventory)
 *   11 host facts (gather_facts, setup)
 *   12 play vars
 *   14 play vars_files
 *   15 role vars (every role of the play, then the task's own role chain)
 *   16 block vars (outer to inner; static imports count as blocks)
 *   17 task vars (and include_tasks/include_role vars)
 *   19 set_fact and registered results
 *   20 role params (`- role: x` + keys)
 *   22 extra vars (-e), always win
 * Magic variables (inventory_hostname, groups, hostvars, ...) are set last and
 * cannot be overridden.
 */
import type { Inventory } from '../inventory/index.js';
import type { Play, RoleScope, Scope, Vars } from '../loader/model.js';
import { factsAsVars } from './facts.js';

export const OMIT_TOKEN = '__omit_place_holder__uxsv';

export interface PlayVarsContext {
  play: Play;
  /** vars_files already loaded for the play, per host (paths may be templated per host). */
  varsFiles: Map<string, Vars>;
  playHosts: string[];
  batchHosts: string[];
  /** Failed or unreachable hosts leave ansible_play_hosts (not ansible_play_hosts_all). */
  isDown?: (host: string) => boolean;
}

export class VariableStore {
  /** Gathered facts per host (level 11). */
  readonly facts = new Map<string, Vars>();
  /** set_fact and register results per host (level 19); they outlive the play, like Ansible's. */
  readonly hostVarsRuntime = new Map<string, Vars>();
  private inventoryCache = new Map<string, Vars>();

  constructor(
    readonly inventory: Inventory,
    readonly extraVars: Vars,
    readonly magic: { check: boolean; diff: boolean; verbosity: number; version: string },
  ) {}

  inventoryVars(host: string, playbookDir?: string): Vars {
    const key = `${host}\0${playbookDir ?? ''}`;
    let v = this.inventoryCache.get(key);
    if (!v) {
      v = this.inventory.hostVars(host, playbookDir);
      this.inventoryCache.set(key, v);
    }
    return v;
  }

  setFacts(host: string, facts: Vars): void {
    this.facts.set(host, { ...(this.facts.get(host) ?? {}), ...facts });
  }

  setRuntime(host: string, values: Vars): void {
    this.hostVarsRuntime.set(host, { ...(this.hostVarsRuntime.get(host) ?? {}), ...values });
  }

  /** What hostvars[host] shows: everything that is not tied to a task. */
  hostLevelVars(host: string, ctx?: PlayVarsContext): Vars {
    const facts = this.facts.get(host);
    return {
      ...this.inventoryVars(host, ctx?.play.baseDir),
      ...(facts ? factsAsVars(facts) : {}),
      ...(ctx ? ctx.play.vars : {}),
      ...(ctx?.varsFiles.get(host) ?? {}),
      ...(this.hostVarsRuntime.get(host) ?? {}),
      ...this.extraVars,
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.inventory.groupNamesOf(host),
    };
  }

  /** The full, merged variables of one task on one host (before lazy templating). */
  taskVars(host: string, ctx: PlayVarsContext, scope: Scope, taskVars: Vars | undefined, extra: Vars = {}): Vars {
    const chain: Scope[] = [];
    for (let s: Scope | undefined = scope; s; s = s.parent) chain.unshift(s);
    const ownRoles = roleChain(scope);
    const facts = this.facts.get(host);
    const merged: Vars = {};
    for (const role of ctx.play.roles) Object.assign(merged, role.defaults);
    for (const role of ownRoles) Object.assign(merged, role.defaults);
    Object.assign(merged, this.inventoryVars(host, ctx.play.baseDir));
    if (facts) Object.assign(merged, factsAsVars(facts));
    Object.assign(merged, ctx.play.vars);
    Object.assign(merged, ctx.varsFiles.get(host) ?? {});
    for (const role of ctx.play.roles) Object.assign(merged, role.vars);
    for (const role of ownRoles) Object.assign(merged, role.vars);
    for (const s of chain) if (s.kind !== 'play' && s.keywords.vars) Object.assign(merged, s.keywords.vars as Vars);
    if (taskVars) Object.assign(merged, taskVars);
    Object.assign(merged, this.hostVarsRuntime.get(host) ?? {});
    for (const role of ownRoles) Object.assign(merged, role.params);
    Object.assign(merged, this.extraVars);
    Object.assign(merged, extra);
    Object.assign(merged, this.magicVars(host, ctx, scope));
    return merged;
  }

  private magicVars(host: string, ctx: PlayVarsContext, scope: Scope): Vars {
    const role = scope.role;
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      group_names: this.inventory.groupNamesOf(host),
      groups: this.inventory.groupsVar(),
      hostvars: this.hostvarsProxy(ctx),
      ansible_play_hosts: ctx.isDown ? ctx.playHosts.filter((h) => !ctx.isDown!(h)) : ctx.playHosts,
      ansible_play_hosts_all: ctx.playHosts,
      ansible_play_batch: ctx.isDown ? ctx.batchHosts.filter((h) => !ctx.isDown!(h)) : ctx.batchHosts,
      play_hosts: ctx.isDown ? ctx.batchHosts.filter((h) => !ctx.isDown!(h)) : ctx.batchHosts,
      ansible_play_name: ctx.play.name,
      playbook_dir: ctx.play.baseDir,
      inventory_dir: undefined,
      role_name: role?.name,
      role_path: role?.path,
      ansible_role_names: ctx.play.roles.map((r) => r.name),
      ansible_parent_role_names: role?.parents ?? [],
      ansible_check_mode: this.magic.check,
      ansible_diff_mode: this.magic.diff,
      ansible_verbosity: this.magic.verbosity,
      ansible_version: { full: this.magic.version, string: this.magic.version, major: 2, minor: 14, revision: 0 },
      omit: OMIT_TOKEN,
    };
  }

  /** hostvars: a read-only view that builds another host's variables when asked. */
  hostvarsProxy(ctx?: PlayVarsContext): Record<string, Vars> {
    const store = this;
    const names = () => this.inventory.hostNames();
    return new Proxy({} as Record<string, Vars>, {
      get(_t, prop) {
        if (typeof prop !== 'string') return undefined;
        if (!store.inventory.hasHost(prop)) return undefined;
        return store.hostLevelVars(prop, ctx);
      },
      has(_t, prop) {
        return typeof prop === 'string' && store.inventory.hasHost(prop);
      },
      ownKeys() {
        return names();
      },
      getOwnPropertyDescriptor(_t, prop) {
        if (typeof prop === 'string' && store.inventory.hasHost(prop)) return { enumerable: true, configurable: true, value: store.hostLevelVars(prop, ctx) };
        return undefined;
      },
    });
  }
}

function roleChain(scope: Scope): RoleScope[] {
  const roles: RoleScope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.kind === 'role' && s.role && !roles.includes(s.role)) roles.unshift(s.role);
  return roles;
}
