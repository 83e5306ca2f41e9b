/**
 * Ansible's linear strategy: each task runs on every active host in parallel
 * (at most `forks` at once), then the next task starts. A failed host leaves
 * the play; the others go on. Blocks give failed hosts a rescue, and always
 * run their `always` part. Handlers run at flush points.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Connection, ConnectionSettings, ConnectionStats } from '../connection/types.js';
import { ConnectionLostError, UnreachableError } from '../connection/types.js';
import { createConnection, settingsFromVars } from '../connection/index.js';
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Loader } from '../loader/playbook.js';
import type { BlockNode, IncludeNode, MetaNode, Node, Play, Playbook, Scope, TaskNode, Vars } from '../loader/model.js';
import { checkArgsRuntime, dropOmitted } from '../loader/args.js';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import { runModule } from '../modules/driver.js';
import { emptyStats, type HostStats, type HostStatus, type Reporter } from '../output/events.js';
import { Templar, lazyVars } from '../template/index.js';
import { gatherFacts } from './facts.js';
import { limiter } from './limit.js';
import { tagsSelected } from './tags.js';
import { OMIT_TOKEN, VariableStore, type PlayVarsContext } from './vars.js';
import { acquireLock, releaseLock, DEFAULT_LOCK_DIR, DEFAULT_LOCK_TTL_SEC, type LockHolder, type LockOptions } from './lock.js';

/**
 * Connection and privilege defaults from the command line (`-c`, `-u`, `-b`,
 * `--become-user`, `-K`, `--private-key`, `-T`) and ansible.cfg. Inventory
 * variables and play/task keywords override them, as in Ansible.
 */
export interface PlayDefaults {
  connection?: string;
  remoteUser?: string;
  port?: number;
  privateKeyFile?: string;
  /** Connection timeout, seconds. */
  timeoutSec?: number;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  becomePassword?: string;
  /** Gather facts when a play does not say (ansible.cfg `gathering`: implicit = true, explicit = false). */
  gatherFacts?: boolean;
  hostKeyChecking?: boolean;
}

export interface RunOptions {
  /** See PlayDefaults. */
  defaults?: PlayDefaults;
  check: boolean;
  diff: boolean;
  forks: number;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  startAtTask?: string;
  limit?: string;
  extraVars: Vars;
  acceptNewHostKeys: boolean;
  knownHostsFile?: string;
  /** Default time limit of one task on one host, in seconds (a task's `timeout` overrides it). */
  taskTimeoutSec: number;
  reporter: Reporter;
  /** Tests replace how connections are made. */
  connect?: (settings: ConnectionSettings) => Connection;
  /** Age after which another run's lock on a host counts as left by a dead run (default 4 h). */
  lockTtlSec?: number;
  /** Called when SIGINT asked the run to stop: the runner finishes the step in flight. */
  stopRequested?: () => boolean;
}

export interface RunResult {
  stats: Record<string, HostStats>;
  anyFailed: boolean;
  anyUnreachable: boolean;
  anyChanged: boolean;
  interrupted: boolean;
  connections: Array<{ host: string } & ConnectionStats>;
}

interface HostState {
  failed: boolean;
  unreachable: boolean;
  stats: HostStats;
}

interface PlayContext extends PlayVarsContext {
  notified: Map<number, Set<string>>;
  handlers: TaskNode[];
  /** Hosts still in the play (not failed, unreachable or ended). */
  active: Set<string>;
}

interface Outcome {
  host: string;
  status: HostStatus;
  result: ModuleResult;
  noLog: boolean;
  register?: string;
  notify: string[];
  delegatedTo?: string;
  durationMs: number;
  /** Set when the failure should stop the whole play (any_errors_fatal). */
  fatal?: boolean;
  /** Unreachable because an established connection dropped: worth another try. */
  connectionLost?: boolean;
}

/** A dropped connection (not a host that cannot be reached) gets the step this many more times. */
export const RETRIES_AFTER_DROP = 2;

class EndPlay extends Error {}

/** Dynamic includes nested deeper than this fail (a file that includes itself with no condition to end it). */
const MAX_INCLUDE_DEPTH = 100;

const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
const CONDITION_KEYWORDS = ['when'];

function bool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['yes', 'true', 'on', '1', 'y'].includes(value.trim().toLowerCase());
  return Boolean(value);
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function location(node: { origin: { file: string; line?: number } }): string {
  return `${node.origin.file}${node.origin.line ? `:${node.origin.line}` : ''}`;
}

export function taskTitle(node: TaskNode | IncludeNode | MetaNode | BlockNode): string {
  const name = 'name' in node && node.name ? node.name : node.kind === 'task' ? node.moduleName : node.kind === 'meta' ? `meta: ${node.action}` : node.kind;
  return node.scope.role ? `${node.scope.role.name} : ${name}` : name;
}

/** A notify that names no handler is a mistake in the playbook; Ansible refuses it too. */
export function checkNotifyTargets(play: Play): void {
  const names = new Set<string>();
  for (const h of play.handlers) {
    if (h.name) names.add(h.name);
    if (h.name && h.scope.role) names.add(`${h.scope.role.name} : ${h.name}`);
    for (const l of h.handler?.listen ?? []) names.add(l);
  }
  const visit = (nodes: Node[]) => {
    for (const n of nodes) {
      if (n.kind === 'block') visit([...n.block, ...n.rescue, ...n.always]);
      if (n.kind !== 'task') continue;
      for (const target of asList(n.keywords.notify)) {
        if (Templar.isTemplate(target) || names.has(target)) continue;
        throw new UserError(`notify: no handler named or listening to '${target}'`, { file: n.origin.file, line: n.origin.line, col: n.origin.col });
      }
    }
  };
  visit([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks, ...play.handlers]);
}

/** `hosts:` may be a template of play vars and extra vars (Ansible renders it before any host is known). */
export function playPattern(play: Play, extraVars: Vars, inventory: Inventory, templar = new Templar()): string {
  if (!Templar.isTemplate(play.hosts)) return play.hosts;
  const vars = lazyVars({ ...play.vars, ...extraVars, groups: inventory.groupsVar() }, templar, location(play));
  const rendered = templar.renderValue(play.hosts, vars, `${location(play)} hosts`);
  return Array.isArray(rendered) ? rendered.join(',') : String(rendered);
}

export class Runner {
  private readonly store: VariableStore;
  private readonly templar = new Templar();
  private readonly hosts = new Map<string, HostState>();
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly fork: <T>(fn: () => Promise<T>) => Promise<T>;
  private startAtPending: string | undefined;
  private interrupted = false;

  constructor(
    private readonly inventory: Inventory,
    private readonly loader: Loader,
    private readonly options: RunOptions,
  ) {
    this.store = new VariableStore(inventory, options.extraVars, { check: options.check, diff: options.diff, verbosity: options.verbosity, version: '2.14.0' });
    this.fork = limiter(Math.max(1, options.forks));
    this.startAtPending = options.startAtTask;
  }

  private emit = (e: Parameters<Reporter['handle']>[0]) => this.options.reporter.handle(e);

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = { failed: false, unreachable: false, stats: emptyStats() };
      this.hosts.set(host, s);
    }
    return s;
  }

  async run(playbooks: Playbook[]): Promise<RunResult> {
    const started = Date.now();
    try {
      for (const pb of playbooks) {
        this.emit({ type: 'playbook_start', file: pb.file, check: this.options.check });
        for (const play of pb.plays) {
          if (this.stopping()) break;
          await this.runPlay(play);
        }
      }
    } finally {
      await this.closeConnections();
    }
    const stats: Record<string, HostStats> = {};
    for (const [host, s] of this.hosts) stats[host] = s.stats;
    const connections = Object.fromEntries(this.connectionStats.map(({ host, ...counts }) => [host, counts]));
    this.emit({ type: 'recap', stats, durationMs: Date.now() - started, connections });
    return {
      stats,
      anyFailed: [...this.hosts.values()].some((s) => s.failed),
      anyUnreachable: [...this.hosts.values()].some((s) => s.unreachable),
      anyChanged: [...this.hosts.values()].some((s) => s.stats.changed > 0),
      interrupted: this.interrupted,
      connections: this.connectionStats,
    };
  }

  private connectionStats: RunResult['connections'] = [];

  private stopping(): boolean {
    if (!this.interrupted && this.options.stopRequested?.()) this.interrupted = true;
    return this.interrupted;
  }

  // ---------- plays ----------

  private async runPlay(play: Play): Promise<void> {
    const pattern = playPattern(play, this.options.extraVars, this.inventory, this.templar);
    play = { ...play, name: this.playName(play) };
    const selected = this.inventory.select(pattern, this.options.limit);
    const hosts = selected.filter((h) => !this.state(h).failed && !this.state(h).unreachable);
    for (const h of selected) this.state(h);
    this.emit({ type: 'play_start', name: play.name, hosts });
    if (!hosts.length) {
      this.emit({ type: 'warning', message: `no hosts matched '${pattern}'${this.options.limit ? ` with --limit ${this.options.limit}` : ''}` });
      this.emit({ type: 'play_end', name: play.name });
      return;
    }
    for (const batch of this.batches(play, hosts)) {
      const ctx: PlayContext = {
        play,
        varsFiles: new Map(),
        playHosts: hosts,
        batchHosts: batch,
        notified: new Map(),
        handlers: [...play.handlers],
        active: new Set(batch),
        isDown: (h) => this.state(h).failed || this.state(h).unreachable,
      };
      try {
        this.loadVarsFiles(ctx);
        if (bool(this.renderPlayKeyword(play, play.gatherFacts, batch[0]))) await this.gather(ctx);
        await this.section(play.preTasks, ctx);
        await this.flushHandlers(ctx);
        await this.section(play.roleTasks, ctx);
        await this.section(play.tasks, ctx);
        await this.flushHandlers(ctx);
        await this.section(play.postTasks, ctx);
        await this.flushHandlers(ctx);
      } catch (err) {
        if (!(err instanceof EndPlay)) throw err;
      }
      if (this.stopping()) break;
    }
    this.emit({ type: 'play_end', name: play.name });
  }

  /** Play names may use play vars and extra vars, as in Ansible; a name that cannot be rendered stays as written. */
  private playName(play: Play): string {
    if (!Templar.isTemplate(play.name)) return play.name;
    try {
      return this.templar.render(play.name, lazyVars({ ...play.vars, ...this.options.extraVars }, this.templar, location(play)), `${location(play)} name`);
    } catch {
      return play.name;
    }
  }

  private renderPlayKeyword(play: Play, value: unknown, host: string): unknown {
    if (typeof value !== 'string' || !Templar.isTemplate(value)) return value;
    const vars = { ...this.store.hostLevelVars(host), ...play.vars };
    return this.templar.renderValue(value, lazyVars(vars, this.templar, play.origin.file), `${location(play)} gather_facts`);
  }

  private batches(play: Play, hosts: string[]): string[][] {
    if (play.serial === undefined || play.serial === null) return [hosts];
    const sizes = (Array.isArray(play.serial) ? play.serial : [play.serial]).map((s) => {
      const str = String(s).trim();
      const n = str.endsWith('%') ? Math.ceil((hosts.length * Number(str.slice(0, -1))) / 100) : Number(str);
      if (!Number.isFinite(n) || n < 0) throw new UserError(`serial must be a number or a percentage, got '${str}'`, { file: play.origin.file, line: play.origin.line });
      return n === 0 ? hosts.length : Math.max(1, n);
    });
    const out: string[][] = [];
    let i = 0;
    let k = 0;
    while (i < hosts.length) {
      const size = sizes[Math.min(k++, sizes.length - 1)];
      out.push(hosts.slice(i, i + size));
      i += size;
    }
    return out;
  }

  private loadVarsFiles(ctx: PlayContext): void {
    const { play } = ctx;
    if (!play.varsFiles.length) return;
    for (const host of ctx.batchHosts) {
      const merged: Vars = {};
      for (const entry of play.varsFiles) {
        const candidates = Array.isArray(entry) ? entry : [entry];
        const base = { ...this.store.hostLevelVars(host), ...play.vars };
        const rendered = candidates.map((c) => String(this.templar.renderValue(c, lazyVars(base, this.templar, play.origin.file), `${location(play)} vars_files`)));
        const found = rendered.map((f) => path.resolve(play.baseDir, f)).find((f) => existsSync(f));
        if (!found) throw new UserError(`vars file not found: ${rendered.join(' or ')}`, { file: play.origin.file, line: play.origin.line });
        Object.assign(merged, this.loader.loadVarsFile(found));
      }
      ctx.varsFiles.set(host, merged);
    }
  }

  // ---------- node lists ----------

  /** Runs a top-level section with the play's active hosts. */
  private async section(nodes: Node[], ctx: PlayContext): Promise<void> {
    if (!nodes.length || !ctx.active.size) return;
    const survivors = await this.runNodes(nodes, [...ctx.active], ctx);
    for (const h of [...ctx.active]) if (!survivors.includes(h)) ctx.active.delete(h);
  }

  /** Runs nodes in order on `hosts`; returns the hosts that are still going. */
  private async runNodes(nodes: Node[], hosts: string[], ctx: PlayContext): Promise<string[]> {
    let active = hosts;
    for (const node of nodes) {
      if (!active.length || this.stopping()) break;
      active = await this.runNode(node, active, ctx);
      active = active.filter((h) => ctx.active.has(h) || this.inBlockRecovery.has(h));
    }
    return active;
  }

  /** Hosts that failed inside a block and are running its rescue/always part. */
  private inBlockRecovery = new Set<string>();

  private async runNode(node: Node, hosts: string[], ctx: PlayContext): Promise<string[]> {
    switch (node.kind) {
      case 'task':
        return this.runTask(node, hosts, ctx);
      case 'block':
        return this.runBlock(node, hosts, ctx);
      case 'meta':
        return this.runMeta(node, hosts, ctx);
      case 'include_tasks':
      case 'include_role':
        return this.runInclude(node, hosts, ctx);
    }
  }

  private async runBlock(block: BlockNode, hosts: string[], ctx: PlayContext): Promise<string[]> {
    const survivors = await this.runNodes(block.block, hosts, ctx);
    const failed = hosts.filter((h) => !survivors.includes(h) && this.state(h).failed && !this.state(h).unreachable);
    let after = survivors;
    if (block.rescue.length && failed.length) {
      // The failure is handled: the host counts as rescued, not failed, if the rescue succeeds.
      for (const h of failed) {
        const s = this.state(h);
        s.failed = false;
        s.stats.failed = Math.max(0, s.stats.failed - 1);
        s.stats.rescued++;
        ctx.active.add(h);
      }
      const rescued = await this.runNodes(block.rescue, failed, ctx);
      after = [...after, ...rescued];
    }
    if (block.always.length) {
      const stillFailed = hosts.filter((h) => !after.includes(h) && this.state(h).failed && !this.state(h).unreachable);
      for (const h of stillFailed) this.inBlockRecovery.add(h);
      const alwaysHosts = hosts.filter((h) => after.includes(h) || stillFailed.includes(h));
      try {
        const done = await this.runNodes(block.always, alwaysHosts, ctx);
        after = after.filter((h) => done.includes(h));
      } finally {
        for (const h of stillFailed) this.inBlockRecovery.delete(h);
      }
    }
    return hosts.filter((h) => after.includes(h));
  }

  private async runMeta(node: MetaNode, hosts: string[], ctx: PlayContext): Promise<string[]> {
    if (!this.selected(node.tags)) return hosts;
    switch (node.action) {
      case 'flush_handlers':
        await this.flushHandlers(ctx);
        return hosts.filter((h) => ctx.active.has(h));
      case 'end_play':
        // Like Ansible, the condition of end_play is evaluated once, on the first host.
        if (hosts.length && !this.conditionsHold(node, hosts[0], ctx)) return hosts;
        throw new EndPlay();
      case 'end_batch':
        ctx.active.clear();
        return [];
      case 'end_host': {
        const ending = hosts.filter((h) => this.conditionsHold(node, h, ctx));
        for (const h of ending) ctx.active.delete(h);
        return hosts.filter((h) => !ending.includes(h));
      }
      case 'clear_facts':
        for (const h of hosts) this.store.facts.delete(h);
        return hosts;
      case 'clear_host_errors':
        for (const h of this.hosts.keys()) this.state(h).failed = false;
        return hosts;
      case 'reset_connection':
        for (const h of hosts) await this.closeConnection(h);
        return hosts;
      default:
        return hosts;
    }
  }

  private conditionsHold(node: Node, host: string, ctx: PlayContext, extra: Vars = {}, taskVars?: Vars): boolean {
    const conditions = this.conditionsOf(node);
    if (!conditions.length) return true;
    const vars = lazyVars(this.store.taskVars(host, ctx, node.scope, taskVars ?? (node.kind === 'block' ? undefined : (node.keywords.vars as Vars)), extra), this.templar, location(node));
    return conditions.every((c) => this.templar.isTrue(c, vars, `${location(node)} when`));
  }

  /** Every `when` from the enclosing blocks, roles and static imports, then the node's own. */
  private conditionsOf(node: Node): unknown[] {
    const conditions: unknown[] = [];
    const scopes: Scope[] = [];
    for (let s: Scope | undefined = node.scope; s; s = s.parent) scopes.unshift(s);
    for (const s of scopes) if (s.kind !== 'play' && s.keywords.when !== undefined) conditions.push(...(Array.isArray(s.keywords.when) ? s.keywords.when : [s.keywords.when]));
    const own = node.kind === 'block' ? undefined : node.keywords.when;
    if (own !== undefined) conditions.push(...(Array.isArray(own) ? own : [own]));
    return conditions;
  }

  private selected(tags: string[]): boolean {
    return tagsSelected(tags, this.options.tags, this.options.skipTags);
  }

  // ---------- includes ----------

  private async runInclude(node: IncludeNode, hosts: string[], ctx: PlayContext): Promise<string[]> {
    if (!this.selected(node.tags)) return hosts;
    if (node.keywords.loop !== undefined || Object.keys(node.keywords).some((k) => k.startsWith('with_'))) {
      throw new UserError(`${node.kind} with a loop is not supported; loop inside the included file instead`, { file: node.origin.file, line: node.origin.line });
    }
    const byTarget = new Map<string, string[]>();
    const survivors: string[] = [];
    // As in Ansible, an include that cannot be done (undefined variable, missing or broken file) fails on its hosts; the run goes on.
    const failures = new Map<string, UserError>();
    for (const host of hosts) {
      try {
        if (!this.conditionsHold(node, host, ctx)) {
          survivors.push(host);
          continue;
        }
        const vars = lazyVars(this.store.taskVars(host, ctx, node.scope, node.keywords.vars as Vars), this.templar, location(node));
        const args = this.templar.renderValue(node.args, vars, `${location(node)} ${node.kind}`) as Vars;
        const key = JSON.stringify(args);
        byTarget.set(key, [...(byTarget.get(key) ?? []), host]);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        failures.set(host, err);
      }
    }
    this.failInclude(node, failures, ctx);
    const { when: _when, ...inherited } = node.keywords;
    for (const [key, group] of byTarget) {
      const args = JSON.parse(key) as Vars;
      const scope: Scope = { parent: node.scope, kind: 'include', keywords: inherited, role: node.scope.role, baseDir: node.scope.baseDir };
      let nodes: Node[];
      try {
        // An include of itself with no condition to end it would recurse until memory runs out.
        let depth = 0;
        for (let s: Scope | undefined = node.scope; s; s = s.parent) if (s.kind === 'include') depth++;
        if (depth >= MAX_INCLUDE_DEPTH) throw new UserError(`${node.kind} '${String(args.file ?? args.name)}' is nested more than ${MAX_INCLUDE_DEPTH} levels deep: an include of itself (directly or through others) needs a condition that ends it`, { file: node.origin.file, line: node.origin.line, col: node.origin.col });
        if (node.kind === 'include_tasks') {
          const file = this.loader.resolveTaskFile(String(args.file), node.scope);
          if (!file) throw new UserError(`task file not found: ${String(args.file)} (looked in ${this.loader.taskFileCandidates(String(args.file), node.scope).join(', ')})`, { file: node.origin.file, line: node.origin.line });
          nodes = this.loader.loadTaskFile(file, scope, node.tags);
        } else {
          const role = this.loader.loadRoleRef({ role: args.name, ...(args.vars ? { vars: args.vars } : {}) }, node.origin.loaded!, node.origin.path, scope, node.scope.baseDir, node.tags, new Set(), args);
          ctx.play.roles.push(...role.scopes.filter((r) => !ctx.play.roles.includes(r)));
          ctx.handlers.push(...role.handlers);
          nodes = role.tasks;
        }
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        this.failInclude(node, new Map(group.map((h) => [h, err])), ctx);
        continue;
      }
      survivors.push(...(await this.runNodes(nodes, group, ctx)));
    }
    return hosts.filter((h) => survivors.includes(h));
  }

  /** Reports an include that failed on some hosts as a failed task there. */
  private failInclude(node: IncludeNode, failures: Map<string, UserError>, ctx: PlayContext): void {
    if (!failures.size) return;
    const title = taskTitle(node);
    this.emit({ type: 'task_start', id: node.id, name: title, role: node.scope.role?.name, location: location(node), hosts: [...failures.keys()], handler: false });
    for (const [host, err] of failures) this.record({ host, status: 'failed', result: { changed: false, failed: true, msg: err.format() }, noLog: false, notify: [], durationMs: 0 }, node.id, title, ctx, false);
    this.emit({ type: 'task_end', id: node.id, name: title });
  }

  // ---------- tasks ----------

  private async gather(ctx: PlayContext): Promise<void> {
    const id = -1;
    const hosts = [...ctx.active];
    this.emit({ type: 'task_start', id, name: 'Gathering Facts', location: location(ctx.play), hosts, handler: false });
    const outcomes = await Promise.all(
      hosts.map((host) =>
        this.fork(async (): Promise<Outcome> => {
          const t0 = Date.now();
          return this.retryingDrops(host, 'Gathering Facts', async (): Promise<Outcome> => {
            try {
              const conn = await this.connection(host);
              const facts = await gatherFacts(conn, this.options.taskTimeoutSec * 1000);
              this.store.setFacts(host, facts);
              return { host, status: 'ok', result: { changed: false }, noLog: false, notify: [], durationMs: Date.now() - t0 };
            } catch (err) {
              const unreachable = err instanceof UnreachableError;
              return {
                host, status: unreachable ? 'unreachable' : 'failed', result: { changed: false, failed: true, unreachable, msg: (err as Error).message },
                noLog: false, notify: [], durationMs: Date.now() - t0, connectionLost: err instanceof ConnectionLostError,
              };
            }
          });
        }),
      ),
    );
    for (const o of outcomes) this.record(o, id, 'Gathering Facts', ctx, false);
    this.emit({ type: 'task_end', id, name: 'Gathering Facts' });
  }

  private async runTask(task: TaskNode, hosts: string[], ctx: PlayContext, handler = false): Promise<string[]> {
    if (!handler && !this.selected(task.tags)) return hosts;
    const title = taskTitle(task);
    if (this.startAtPending !== undefined && !handler) {
      if (title !== this.startAtPending && task.name !== this.startAtPending) return hosts;
      this.startAtPending = undefined;
    }
    this.emit({ type: 'task_start', id: task.id, name: title, role: task.scope.role?.name, location: location(task), hosts, handler });
    const runOnce = bool(this.keyword(task, 'run_once'));
    const targets = runOnce ? hosts.slice(0, 1) : hosts;
    const outcomes = await Promise.all(targets.map((host) => this.fork(() => this.runTaskOnHost(task, host, ctx))));
    if (runOnce && outcomes[0]) {
      // run_once: the one result stands for every host (register and notify too), like Ansible.
      for (const host of hosts.slice(1)) outcomes.push({ ...outcomes[0], host });
    }
    let fatal = false;
    for (const o of outcomes) {
      this.record(o, task.id, title, ctx, handler, task);
      if (o.fatal) fatal = true;
    }
    this.emit({ type: 'task_end', id: task.id, name: title });
    if (fatal) {
      for (const h of ctx.active) if (!this.state(h).failed) this.state(h).failed = true;
      ctx.active.clear();
      throw new EndPlay();
    }
    return hosts.filter((h) => {
      const o = outcomes.find((x) => x.host === h);
      return o && o.status !== 'failed' && o.status !== 'unreachable';
    });
  }

  private record(o: Outcome, taskId: number, title: string, ctx: PlayContext, handler: boolean, task?: TaskNode): void {
    const s = this.state(o.host);
    switch (o.status) {
      case 'ok':
        s.stats.ok++;
        break;
      case 'changed':
        s.stats.ok++;
        s.stats.changed++;
        break;
      case 'skipped':
        s.stats.skipped++;
        break;
      case 'failed':
        s.stats.failed++;
        s.failed = true;
        ctx.active.delete(o.host);
        break;
      case 'unreachable':
        s.stats.unreachable++;
        s.unreachable = true;
        ctx.active.delete(o.host);
        break;
      case 'ignored':
        s.stats.ok++;
        s.stats.ignored++;
        break;
      case 'rescued':
        s.stats.rescued++;
        break;
    }
    if (o.register) this.store.setRuntime(o.host, { [o.register]: o.result });
    if (task && o.status === 'changed' && o.notify.length) this.notify(o.host, o.notify, ctx);
    void handler;
    const shown: ModuleResult = o.noLog ? { changed: o.result.changed, failed: o.result.failed, censored: NO_LOG_MESSAGE } : o.result;
    this.emit({ type: 'host_result', taskId, task: title, host: o.host, status: o.status, result: shown, durationMs: o.durationMs, delegatedTo: o.delegatedTo, noLog: o.noLog });
  }

  private notify(host: string, targets: string[], ctx: PlayContext): void {
    for (const target of targets) {
      for (const h of ctx.handlers) {
        const names = [h.name, h.name && h.scope.role ? `${h.scope.role.name} : ${h.name}` : undefined, ...(h.handler?.listen ?? [])];
        if (!names.includes(target)) continue;
        let set = ctx.notified.get(h.id);
        if (!set) ctx.notified.set(h.id, (set = new Set()));
        set.add(host);
      }
    }
  }

  private async flushHandlers(ctx: PlayContext): Promise<void> {
    for (const handler of ctx.handlers) {
      const pending = ctx.notified.get(handler.id);
      if (!pending?.size) continue;
      ctx.notified.delete(handler.id);
      const hosts = [...pending].filter((h) => ctx.active.has(h));
      if (hosts.length) await this.runTask(handler, hosts, ctx, true);
    }
  }

  /** A keyword from the task, else the nearest enclosing block/role/include/play that sets it. */
  private keyword(node: Node, name: string): unknown {
    if (node.kind !== 'block' && node.keywords[name] !== undefined) return node.keywords[name];
    for (let s: Scope | undefined = node.scope; s; s = s.parent) if (s.keywords[name] !== undefined) return s.keywords[name];
    return undefined;
  }

  /** environment: merged from the play down to the task, the nearest wins per variable. */
  private environmentOf(task: TaskNode): unknown[] {
    const layers: unknown[] = [];
    for (let s: Scope | undefined = task.scope; s; s = s.parent) if (s.keywords.environment !== undefined) layers.unshift(s.keywords.environment);
    if (task.keywords.environment !== undefined) layers.push(task.keywords.environment);
    return layers;
  }

  private loopItems(task: TaskNode, vars: Vars): unknown[] | undefined {
    const k = task.keywords;
    const source = `${location(task)} loop`;
    const render = (v: unknown) => (typeof v === 'string' ? this.templar.renderValue(v, vars, source) : this.templar.renderValue(v, vars, source));
    if (k.loop !== undefined) {
      const items = render(k.loop);
      if (!Array.isArray(items)) throw new UserError(`loop must be a list, got ${typeof items}`, { file: task.origin.file, line: task.origin.line });
      return items;
    }
    if (k.with_items !== undefined || k.with_list !== undefined) {
      const items = render(k.with_items ?? k.with_list);
      const list = Array.isArray(items) ? items : [items];
      return k.with_items !== undefined ? list.flatMap((i) => (Array.isArray(i) ? i : [i])) : list;
    }
    if (k.with_dict !== undefined) {
      const d = render(k.with_dict);
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new UserError('with_dict needs a mapping', { file: task.origin.file, line: task.origin.line });
      return Object.entries(d as Vars).map(([key, value]) => ({ key, value }));
    }
    if (k.with_indexed_items !== undefined) {
      const items = render(k.with_indexed_items);
      return (Array.isArray(items) ? items : [items]).map((item, i) => [i, item]);
    }
    if (k.with_sequence !== undefined) {
      const spec = String(render(k.with_sequence));
      const m = /start=(\d+)\s+end=(\d+)(?:\s+stride=(\d+))?(?:\s+format=(\S+))?/.exec(spec) ?? /^(\d+)-(\d+)$/.exec(spec);
      if (!m) throw new UserError(`with_sequence: cannot read '${spec}'`, { file: task.origin.file, line: task.origin.line });
      const out: string[] = [];
      for (let i = Number(m[1]); i <= Number(m[2]); i += Number(m[3] ?? 1)) out.push(m[4] ? m[4].replace(/%0?(\d*)d/, (_x, w) => String(i).padStart(Number(w || 0), '0')) : String(i));
      return out;
    }
    if (k.with_fileglob !== undefined) throw new UserError('with_fileglob is not supported; use the find module', { file: task.origin.file, line: task.origin.line });
    return undefined;
  }

  /**
   * A step on a host, again after a dropped connection (the next command
   * reconnects): the step may have run in part, and Ansible's modules, like
   * ours, are written to be run again.
   */
  private async retryingDrops(host: string, what: string, step: () => Promise<Outcome>): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await step();
      if (!outcome.connectionLost || attempt > RETRIES_AFTER_DROP || this.stopping()) return outcome;
      this.emit({
        type: 'warning',
        host,
        message: `${what}: ${String(outcome.result.msg)}; reconnecting and running it again (try ${attempt + 1} of ${RETRIES_AFTER_DROP + 1})`,
      });
    }
  }

  private runTaskOnHost(task: TaskNode, host: string, ctx: PlayContext): Promise<Outcome> {
    return this.retryingDrops(host, `task '${task.name}' (${location(task)})`, () => this.runTaskOnHostOnce(task, host, ctx));
  }

  private async runTaskOnHostOnce(task: TaskNode, host: string, ctx: PlayContext): Promise<Outcome> {
    const t0 = Date.now();
    const register = task.keywords.register as string | undefined;
    const noLogRaw = this.keyword(task, 'no_log');
    const base: Omit<Outcome, 'status' | 'result' | 'durationMs'> = { host, noLog: false, register, notify: asList(task.keywords.notify) };
    try {
      const baseVars = this.store.taskVars(host, ctx, task.scope, task.keywords.vars as Vars);
      const vars = lazyVars(baseVars, this.templar, location(task));
      base.noLog = noLogRaw !== undefined && bool(this.templar.renderValue(noLogRaw, vars, `${location(task)} no_log`));
      const items = this.loopItems(task, vars);
      if (!items) {
        const { status, result } = await this.executeOnce(task, host, ctx, baseVars, {});
        return { ...base, status, result, durationMs: Date.now() - t0, delegatedTo: result._delegated_to as string | undefined, fatal: status === 'failed' && this.errorsFatal(task) };
      }
      return await this.executeLoop(task, host, ctx, baseVars, items, base, t0);
    } catch (err) {
      if (err instanceof UnreachableError) {
        return {
          ...base, status: 'unreachable', result: { changed: false, unreachable: true, msg: err.message }, durationMs: Date.now() - t0,
          connectionLost: err instanceof ConnectionLostError,
        };
      }
      if (err instanceof UserError) return { ...base, status: 'failed', result: { changed: false, failed: true, msg: err.format() }, durationMs: Date.now() - t0, fatal: this.errorsFatal(task) };
      throw err;
    }
  }

  private errorsFatal(task: TaskNode): boolean {
    const v = this.keyword(task, 'any_errors_fatal');
    return v !== undefined && bool(v);
  }

  private async executeLoop(task: TaskNode, host: string, ctx: PlayContext, initialVars: Vars, items: unknown[], base: Omit<Outcome, 'status' | 'result' | 'durationMs'>, t0: number): Promise<Outcome> {
    let baseVars = initialVars;
    const control = (task.keywords.loop_control as Vars | undefined) ?? {};
    const loopVar = String(control.loop_var ?? 'item');
    const results: ModuleResult[] = [];
    let anyFailed = false;
    let anyChanged = false;
    let allSkipped = true;
    for (const [index, item] of items.entries()) {
      const extra: Vars = {
        [loopVar]: item,
        ansible_loop_var: loopVar,
        ...(control.index_var ? { [String(control.index_var)]: index } : {}),
        ansible_loop: { index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length, revindex: items.length - index, revindex0: items.length - index - 1, allitems: items },
      };
      const t1 = Date.now();
      const { status, result } = await this.executeOnce(task, host, ctx, baseVars, extra);
      // As in Ansible, facts set by one item are seen by the next (accumulating set_fact loops).
      if (result.ansible_facts && !result.failed) baseVars = { ...baseVars, ...(result.ansible_facts as Vars) };
      const label = control.label !== undefined ? String(this.templar.renderValue(control.label, lazyVars({ ...baseVars, ...extra }, this.templar, location(task)), `${location(task)} loop_control.label`)) : typeof item === 'string' ? item : JSON.stringify(item);
      results.push({ ...result, [loopVar]: item, ansible_loop_var: loopVar });
      if (status === 'failed') anyFailed = true;
      if (result.changed) anyChanged = true;
      if (status !== 'skipped') allSkipped = false;
      const shown: ModuleResult = base.noLog ? { changed: result.changed, failed: result.failed, censored: NO_LOG_MESSAGE } : result;
      this.emit({ type: 'host_result', taskId: task.id, task: taskTitle(task), host, item: base.noLog ? '(censored)' : label, status: status === 'ignored' ? 'failed' : status, result: shown, durationMs: Date.now() - t1, noLog: base.noLog });
    }
    const ignore = bool(this.keyword(task, 'ignore_errors') ?? false);
    const result: ModuleResult = { changed: anyChanged, results, msg: anyFailed ? 'One or more items failed' : 'All items completed', ...(anyFailed ? { failed: true } : {}), ...(allSkipped && items.length ? { skipped: true } : {}) };
    if (!items.length) Object.assign(result, { skipped: true, skipped_reason: 'No items in the list' });
    const status: HostStatus = anyFailed ? (ignore ? 'ignored' : 'failed') : allSkipped ? 'skipped' : anyChanged ? 'changed' : 'ok';
    return { ...base, status, result, durationMs: Date.now() - t0, fatal: status === 'failed' && this.errorsFatal(task) };
  }

  /** One execution of a task on a host (one loop item): conditions, arguments, module, result checks. */
  private async executeOnce(task: TaskNode, host: string, ctx: PlayContext, baseVars: Vars, extra: Vars): Promise<{ status: HostStatus; result: ModuleResult }> {
    const where = location(task);
    const vars = lazyVars({ ...baseVars, ...extra }, this.templar, where);
    for (const c of this.conditionsOf(task)) {
      if (!this.templar.isTrue(c, vars, `${where} when`)) return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False', false_condition: c } };
    }
    const render = (v: unknown, what: string) => this.templar.renderValue(v, vars, `${where} ${what}`);
    const ignoreErrors = bool(render(this.keyword(task, 'ignore_errors') ?? false, 'ignore_errors'));
    const checkKeyword = this.keyword(task, 'check_mode');
    const check = checkKeyword === undefined ? this.options.check : bool(render(checkKeyword, 'check_mode'));
    const diffKeyword = this.keyword(task, 'diff');
    const diff = diffKeyword === undefined ? this.options.diff : bool(render(diffKeyword, 'diff'));
    const delegateRaw = this.keyword(task, 'delegate_to');
    const delegateTo = delegateRaw !== undefined ? String(render(delegateRaw, 'delegate_to')) : undefined;
    const timeoutRaw = this.keyword(task, 'timeout');
    const timeoutMs = 1000 * (timeoutRaw !== undefined ? Number(render(timeoutRaw, 'timeout')) : this.options.taskTimeoutSec);
    const become = this.becomeFor(task, vars, render);
    const environment: Record<string, string> = {};
    for (const layer of this.environmentOf(task)) {
      const rendered = render(layer, 'environment');
      const dicts = Array.isArray(rendered) ? rendered : [rendered];
      for (const d of dicts) if (d && typeof d === 'object') for (const [k, v] of Object.entries(d as Vars)) environment[k] = String(v);
    }

    let args = render(task.args, 'arguments');
    if (!args || typeof args !== 'object' || Array.isArray(args)) throw new UserError(`arguments of ${task.moduleName} must render to a mapping`, { file: task.origin.file, line: task.origin.line });
    args = dropOmitted(args as Vars, OMIT_TOKEN);
    const checked = checkArgsRuntime(task.module, args as Vars);
    if ('problem' in checked) return { status: ignoreErrors ? 'ignored' : 'failed', result: { changed: false, failed: true, msg: `${where}: ${checked.problem.message}` } };

    const target = delegateTo ?? host;
    const mctx = this.moduleContext(task, target, ctx, vars, { check, diff, timeoutMs, become, environment });
    const retries = task.keywords.until !== undefined ? Math.max(0, Number(render(task.keywords.retries ?? 3, 'retries'))) : 0;
    const delaySec = Number(render(task.keywords.delay ?? 5, 'delay'));
    let result: ModuleResult = { changed: false };
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      result = await this.invokeModule(task, mctx, checked.args);
      if (delegateTo) result._delegated_to = delegateTo;
      this.applyResultConditions(task, result, { ...baseVars, ...extra }, where);
      if (task.keywords.until === undefined) break;
      const untilVars = lazyVars({ ...baseVars, ...extra, ...(task.keywords.register ? { [String(task.keywords.register)]: result } : {}) }, this.templar, where);
      const done = this.templar.isTrue(task.keywords.until, untilVars, `${where} until`);
      result.attempts = attempt;
      if (done) break;
      if (attempt > retries) {
        result.failed = true;
        result.msg = result.msg ?? `Retried ${retries} times without meeting 'until'`;
        break;
      }
      await new Promise((r) => setTimeout(r, delaySec * 1000));
    }
    if (result.ansible_facts && !result.failed) {
      if (task.moduleName === 'set_fact') this.store.setRuntime(host, result.ansible_facts as Vars);
      else this.store.setFacts(delegateTo && !bool(this.keyword(task, 'delegate_facts') ?? false) ? host : target, result.ansible_facts as Vars);
    }
    if (result.skipped) return { status: 'skipped', result };
    if (result.failed) return { status: ignoreErrors ? 'ignored' : 'failed', result };
    return { status: result.changed ? 'changed' : 'ok', result };
  }

  /** changed_when / failed_when, seeing the result under its register name like Ansible. */
  private applyResultConditions(task: TaskNode, result: ModuleResult, vars: Vars, where: string): void {
    const { changed_when: changedWhen, failed_when: failedWhen, register } = task.keywords;
    if (changedWhen === undefined && failedWhen === undefined) return;
    if (result.unreachable) return;
    const scope = lazyVars({ ...vars, ...result, ...(register ? { [String(register)]: result } : {}) }, this.templar, where);
    if (changedWhen !== undefined) {
      const list = Array.isArray(changedWhen) ? changedWhen : [changedWhen];
      result.changed = list.every((c) => this.templar.isTrue(c, scope, `${where} changed_when`));
    }
    if (failedWhen !== undefined) {
      const list = Array.isArray(failedWhen) ? failedWhen : [failedWhen];
      const failed = list.some((c) => this.templar.isTrue(c, scope, `${where} failed_when`));
      result.failed_when_result = failed;
      if (failed) {
        result.failed = true;
        result.msg ??= 'failed_when was true';
      } else delete result.failed;
    }
  }

  private becomeFor(task: TaskNode, vars: Vars, render: (v: unknown, what: string) => unknown) {
    const keyword = this.keyword(task, 'become');
    const enabled = keyword !== undefined ? bool(render(keyword, 'become')) : vars.ansible_become !== undefined ? bool(vars.ansible_become) : false;
    if (!enabled) return undefined;
    const userKeyword = this.keyword(task, 'become_user');
    const user = String(userKeyword !== undefined ? render(userKeyword, 'become_user') : (vars.ansible_become_user ?? 'root'));
    const password = vars.ansible_become_password ?? vars.ansible_become_pass;
    return { user, ...(password !== undefined ? { password: String(password) } : {}) };
  }

  private invokeModule(task: TaskNode, mctx: ModuleContext, args: Vars): Promise<ModuleResult> {
    return runModule(task.module, args, mctx);
  }

  private moduleContext(task: TaskNode, target: string, ctx: PlayContext, vars: Vars, o: { check: boolean; diff: boolean; timeoutMs: number; become?: { user: string; password?: string }; environment: Record<string, string> }): ModuleContext {
    const runner = this;
    let conn: Connection | undefined;
    const getConn = async () => (conn ??= await runner.connection(target));
    const mctx: ModuleContext = {
      host: target,
      // The raw connection, for modules that need it after their first `run` (which opens it).
      get conn(): Connection {
        return conn ?? runner.connectionSync(target);
      },
      async run(command, options = {}) {
        const c = await getConn();
        const { become: becomeOption, ...rest } = options;
        const become = becomeOption === false ? undefined : (becomeOption ?? o.become);
        return c.exec(command, { timeoutMs: o.timeoutMs, ...rest, env: { ...o.environment, ...(rest.env ?? {}) }, become });
      },
      become: o.become,
      check: o.check,
      diff: o.diff,
      vars,
      renderTemplate: (text, source) => runner.templar.render(text, vars, source),
      evaluate: (expr, source) => runner.templar.evaluate(expr, vars, source),
      isTrue: (condition, source) => runner.templar.isTrue(condition, vars, source),
      findFile: (kind, name) => runner.findFile(task, kind, name),
      connectionFor: (host) => runner.connection(host),
      hostVars: (host) => lazyVars(runner.store.hostLevelVars(host, ctx), runner.templar, `hostvars['${host}']`),
      location: location(task),
      verbosity: this.options.verbosity,
      timeoutMs: o.timeoutMs,
    };
    return mctx;
  }

  private connectionSync(host: string): Connection {
    const made = this.made.get(host);
    if (!made) throw new Error(`internal: no connection to ${host} yet; call ctx.run first`);
    return made;
  }

  private made = new Map<string, Connection>();

  findFile(task: TaskNode, kind: 'files' | 'templates', name: string): string {
    if (path.isAbsolute(name)) {
      if (existsSync(name)) return name;
      throw new UserError(`${kind === 'files' ? 'file' : 'template'} not found: ${name}`, { file: task.origin.file, line: task.origin.line });
    }
    const candidates: string[] = [];
    for (let s: Scope | undefined = task.scope; s; s = s.parent) {
      if (s.role) candidates.push(path.join(s.role.path, kind, name), path.join(s.role.path, name));
      if (s.kind === 'play' || s.kind === 'include') candidates.push(path.join(s.baseDir, kind, name), path.join(s.baseDir, name));
    }
    const unique = [...new Set(candidates)];
    const found = unique.find((c) => existsSync(c));
    if (found) return found;
    throw new UserError(`could not find ${kind === 'files' ? 'file' : 'template'} '${name}' (looked in ${unique.join(', ')})`, { file: task.origin.file, line: task.origin.line });
  }

  // ---------- connections ----------

  async connection(host: string): Promise<Connection> {
    let p = this.connections.get(host);
    if (!p) {
      p = (async () => {
        const vars = this.inventory.hasHost(host) ? lazyVars(this.store.hostLevelVars(host), this.templar, `connection variables of ${host}`) : { ansible_connection: host === 'localhost' || host === '127.0.0.1' ? 'local' : 'ssh' };
        const settings = settingsFromVars(host, vars, { acceptNewHostKeys: this.options.acceptNewHostKeys, knownHostsFile: this.options.knownHostsFile });
        const conn = (this.options.connect ?? createConnection)(settings);
        this.made.set(host, conn);
        await conn.connect();
        // Over SSH, the run holds the host's lock until it closes the connection.
        if (settings.connection === 'ssh') {
          const lock = this.lockOptions(vars);
          this.locks.set(host, { options: lock, holder: await acquireLock(conn, host, lock) });
        }
        return conn;
      })();
      this.connections.set(host, p);
      // A failed connect is not cached: the next task may retry (bounded by the connection's own retries).
      p.catch(() => this.connections.delete(host));
    }
    return p;
  }

  private readonly locks = new Map<string, { options: LockOptions; holder: LockHolder }>();

  private lockOptions(vars: Record<string, unknown>): LockOptions {
    return {
      dir: typeof vars.uxsv_lock_dir === 'string' ? vars.uxsv_lock_dir : DEFAULT_LOCK_DIR,
      ttlSec: this.options.lockTtlSec ?? DEFAULT_LOCK_TTL_SEC,
    };
  }

  private async closeConnection(host: string): Promise<void> {
    const p = this.connections.get(host);
    this.connections.delete(host);
    const conn = this.made.get(host);
    this.made.delete(host);
    const lock = this.locks.get(host);
    this.locks.delete(host);
    if (conn && lock) await releaseLock(conn, host, lock.options, lock.holder);
    if (conn) {
      this.connectionStats.push({ host, ...conn.stats });
      await conn.close().catch(() => undefined);
    } else if (p) await p.then((c) => c.close()).catch(() => undefined);
  }

  private async closeConnections(): Promise<void> {
    await Promise.all([...new Set([...this.connections.keys(), ...this.made.keys()])].map((h) => this.closeConnection(h)));
  }
}
