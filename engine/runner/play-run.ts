/**
 * One batch of one play (all of the play's hosts unless `serial`): its
 * iterator, its task executor, its handlers and what has been notified, and
 * the run effects that belong to the play (add_host, group_by, set_stats).
 */
import type { BlockNode, HandlerNode, MetaNode, Node, Play, RoleScope, Scope, TaskNode, Vars } from '../loader/model.js';
import { modules } from '../modules/registry.js';
import { Templar, lazyVars } from '../template/index.js';
import { untag } from '../template/trust.js';
import { UserError } from '../errors.js';
import { toBool } from '../values.js';
import { TaskExecutor } from './executor.js';
import { missingHandlerMessage } from './notify-check.js';
import { PlayIterator, type RunnableNode } from './iterator.js';
import { keyword, location, taskTitle } from './keywords.js';
import path from 'node:path';
import type { RunEvent } from '../output/events.js';
import type { RunState } from './run-state.js';
import { tagsSelected } from './tags.js';
import type { PlayVarsContext } from './vars.js';

/** A dropped connection (not a host that cannot be reached) gets the step this many more times. */
export const RETRIES_AFTER_DROP = 2;

let implicitIds = -1;

export class PlayRun implements PlayVarsContext {
  readonly iterator: PlayIterator;
  readonly executor: TaskExecutor;
  /** The play's handlers, in order; include_role adds its role's. */
  readonly handlers: HandlerNode[];
  private readonly notified = new Map<HandlerNode, Set<string>>();
  private readonly roleRuns = new Map<RoleScope, Set<string>>();
  /** Hosts that ended (end_host) or failed in this play: out of ansible_play_hosts. */
  readonly removed = new Set<string>();
  readonly isDown = (host: string) => {
    const record = this.run.peek(host);
    return this.removed.has(host) || record?.unreachable === true || record?.failed === true || (this.iterator.has(host) && this.iterator.isFailed(host));
  };

  constructor(
    readonly run: RunState,
    readonly play: Play,
    readonly playHosts: string[],
    readonly batchHosts: string[],
    readonly varsFiles: Map<string, Vars>,
    gatherFacts: boolean,
  ) {
    this.handlers = [...play.handlers];
    const blocks = compilePlay(play, gatherFacts, (n) => this.selected(n), this.forceHandlers());
    this.iterator = new PlayIterator(batchHosts, {
      blocks,
      handlers: () => this.handlers,
      isNotified: (handler, host) => this.notified.get(handler)?.has(host) === true && this.handlerMayRun(host),
    });
    this.executor = new TaskExecutor(
      { store: run.store, templar: run.templar, lookupHost: run.lookupHost, options: run.options, contextHost: runContextHost(run, this), asyncJobs: run.asyncJobs, emit: (e) => run.emit(e),
        reads: run.reads, upcoming: (host, count) => this.iterator.upcoming(host, count) },
      this,
    );
  }

  private announced = new Set<RunnableNode>();

  /** Whether the task's banner is still to be shown (the free strategy starts a task once per host). */
  announce(task: RunnableNode): boolean {
    if (this.play.keywords.strategy !== 'free') return true;
    if (this.announced.has(task)) return false;
    this.announced.add(task);
    return true;
  }

  /**
   * A host runs its handlers while it still iterates: also in an always part
   * after a failure (its flush is reached), not once its failure ended it,
   * unless handlers are forced.
   */
  private handlerMayRun(host: string): boolean {
    return !this.run.host(host).unreachable && (!this.iterator.cursor(host).failed || this.forceHandlers());
  }

  /** force_handlers: the play's keyword, else --force-handlers (or its setting). */
  forceHandlers(): boolean {
    const own = this.play.keywords.force_handlers;
    return own !== undefined ? toBool(own, false) : Boolean(this.run.options.forceHandlers);
  }

  selected(node: RunnableNode): boolean {
    if (node.kind === 'meta' && node.implicit) return true;
    return tagsSelected(node.tags, this.run.options.tags, this.run.options.skipTags);
  }

  /** Renders a value with the task's variables on a host. */
  render(task: RunnableNode, host: string, value: unknown, what: string): unknown {
    const vars = lazyVars(this.run.store.taskVars(host, this, task.scope, task.keywords.vars as Vars | undefined), this.run.templar, location(task));
    return this.run.templar.renderValue(value, vars, `${location(task)} ${what}`);
  }

  /** Variables of a task on a host, lazily rendered. */
  varsFor(node: RunnableNode, host: string): Vars {
    return lazyVars(this.run.store.taskVars(host, this, node.scope, node.keywords.vars as Vars | undefined), this.run.templar, location(node));
  }

  /** What the output needs at a task's start (Ansible's v2_playbook_on_task_start). */
  taskStart(task: RunnableNode, hosts: string[], handler: boolean): RunEvent {
    const own = task.name !== undefined ? this.renderedName(task.name) : task.kind === 'task' ? task.writtenAs ?? task.moduleName : task.kind === 'meta' ? 'meta' : task.kind;
    const checkKeyword = keyword(task, 'check_mode');
    const diffKeyword = keyword(task, 'diff');
    const noLog = keyword(task, 'no_log');
    return {
      type: 'task_start', id: task.id, name: own, role: task.scope.role?.name, location: `${path.resolve(task.origin.file)}${task.origin.line ? `:${task.origin.line}` : ''}`,
      hosts, handler, action: task.kind === 'task' ? task.moduleName : task.kind === 'meta' ? 'meta' : task.kind,
      check: typeof checkKeyword === 'boolean' ? checkKeyword : this.run.options.check,
      diff: typeof diffKeyword === 'boolean' ? diffKeyword : this.run.options.diff,
      ...(task.kind !== 'meta' && typeof task.args === 'object' ? { args: untag(task.args) } : {}),
      noLog: noLog === true || noLog === 'yes' || noLog === 'true',
    };
  }

  private renderedName(name: string): string {
    if (!Templar.isTemplate(name)) return name;
    try {
      const vars = lazyVars({ ...this.run.store.hostLevelVars(this.batchHosts[0] ?? 'localhost', this), ...this.play.vars }, this.run.templar, location(this.play));
      return String(untag(this.run.templar.renderValue(name, vars, `${location(this.play)} name`)));
    } catch {
      return name;
    }
  }

  /** The task's title as the output shows it: its name rendered with the first host's variables where it can be. */
  displayName(task: RunnableNode): string {
    const title = taskTitle(task);
    if (!Templar.isTemplate(title)) return title;
    const host = this.batchHosts[0];
    try {
      return String(untag(this.render(task, host, title, 'name')));
    } catch {
      return title;
    }
  }

  /** Notifies handlers on a host; returns the names of those newly notified. */
  notify(host: string, names: string[], task: TaskNode): string[] {
    const newly: string[] = [];
    for (const name of names) {
      const targets = this.handlersFor(name);
      if (!targets.length) {
        if (this.run.options.errorOnMissingHandler === false) {
          this.run.warn(missingHandlerMessage(name));
          continue;
        }
        throw new UserError(`${missingHandlerMessage(name)} (${location(task)})`);
      }
      for (const h of targets) {
        let set = this.notified.get(h);
        if (!set) this.notified.set(h, (set = new Set()));
        if (!set.has(host)) newly.push(taskTitle(h));
        set.add(host);
      }
    }
    return newly;
  }

  /** The handler a notification names (the last one loaded of that name) and every handler listening to it. */
  private handlersFor(name: string): HandlerNode[] {
    const out: HandlerNode[] = [];
    // As in Ansible: the last handlers file (a role's, the play's) that has the name, and the first of that name in it.
    const files: HandlerNode[][] = [];
    for (const h of this.handlers) {
      const last = files[files.length - 1];
      if (last && last[0].origin.file === h.origin.file) last.push(h);
      else files.push([h]);
    }
    found: for (const group of files.reverse()) {
      for (const h of group) {
        const own = this.handlerName(h);
        if (own !== undefined && (own === name || (h.scope.role && `${h.scope.role.name} : ${own}` === name))) {
          out.push(h);
          break found;
        }
      }
    }
    // Listen topics are taken as written (Ansible 2.14 has no variables to render them with).
    for (const h of this.handlers) if (!out.includes(h) && (h.handler?.listen ?? []).includes(name)) out.push(h);
    return out;
  }

  private handlerNames = new Map<HandlerNode, string | undefined>();

  /**
   * A handler's name, rendered with the play's variables (not a host's). A
   * name that cannot be rendered makes the handler unusable by name, with
   * Ansible's warning when it has no listen topic either.
   */
  private handlerName(h: HandlerNode): string | undefined {
    if (!this.handlerNames.has(h)) {
      let name = h.name;
      if (name !== undefined && Templar.isTemplate(name)) {
        try {
          const vars = lazyVars({ ...this.run.store.hostLevelVars(this.batchHosts[0] ?? 'localhost', this), ...this.play.vars }, this.run.templar, location(this.play));
          name = String(untag(this.run.templar.renderValue(name, vars, `${location(h)} handler name`)));
        } catch (err) {
          if (!(h.handler?.listen ?? []).length) {
            this.run.warn(`Handler '${h.name}' is unusable because it has no listen topics and the name could not be templated (host-specific variables are not supported in handler names). The error: ${(err as Error).message}`);
          }
          name = undefined;
        }
      }
      this.handlerNames.set(h, name);
    }
    return this.handlerNames.get(h);
  }

  /** Marks one handler notified on a host (tasks included by a handler). */
  notifyHandler(handler: HandlerNode, host: string): void {
    let set = this.notified.get(handler);
    if (!set) this.notified.set(handler, (set = new Set()));
    set.add(host);
  }

  handlerRan(handler: HandlerNode, host: string): void {
    this.notified.get(handler)?.delete(host);
  }

  isNotified(handler: HandlerNode, host: string): boolean {
    return this.notified.get(handler)?.has(host) === true;
  }

  markRoleRan(role: RoleScope, host: string): void {
    let set = this.roleRuns.get(role);
    if (!set) this.roleRuns.set(role, (set = new Set()));
    set.add(host);
  }

  roleRan(role: RoleScope, host: string): boolean {
    return this.roleRuns.get(role)?.has(host) === true;
  }

  /** add_host: a new host (or new groups and variables for a known one), for the rest of the run. True when that changed the inventory. */
  addHost(info: Vars): boolean {
    const plain = untag(info);
    const name = String(plain.host_name ?? plain.name ?? '');
    if (!name) return false;
    const groups = (Array.isArray(plain.groups) ? plain.groups : plain.groups === undefined ? [] : [plain.groups]).map(String);
    const changed = this.run.inventory.addHost(name, groups, (plain.host_vars as Vars | undefined) ?? {});
    this.run.store.inventoryChanged();
    return changed;
  }

  /** group_by: the host joins a group (made if new), under the given parents. True when that changed the inventory. */
  addGroup(host: string, group: string, parents: string[]): boolean {
    const made = this.run.inventory.addGroup(group, parents.length ? parents : ['all']);
    const joined = this.run.inventory.addHostToGroup(host, group);
    this.run.store.inventoryChanged();
    return made || joined;
  }

  setStats(host: string, data: Vars, aggregate: boolean): void {
    const current = this.run.customStats.get(host) ?? {};
    for (const [k, v] of Object.entries(data)) current[k] = aggregate ? aggregateStat(current[k], v) : v;
    this.run.customStats.set(host, current);
  }
}

/** set_stats with aggregate: numbers add, lists append, dicts merge, anything else is replaced. */
function aggregateStat(current: unknown, value: unknown): unknown {
  if (current === undefined) return value;
  if (typeof current === 'number' && typeof value === 'number') return current + value;
  if (Array.isArray(current) && Array.isArray(value)) return [...current, ...value];
  if (current && value && typeof current === 'object' && typeof value === 'object' && !Array.isArray(current) && !Array.isArray(value)) return { ...current, ...value };
  return value;
}

function runContextHost(run: RunState, play: PlayRun) {
  return {
    templar: run.templar,
    connection: (host: string) => run.pool.get(host, () => connectionVars(run, play, host)),
    openedConnection: (host: string) => run.pool.opened(host),
    hostVars: (host: string) => lazyVars(run.store.hostLevelVars(host, play), run.templar, `hostvars['${host}']`),
    loadVarsFile: (file: string) => run.loader.loadVarsFile(file),
    asyncStatus: (jid: string, mode: 'status' | 'cleanup', host: string) => {
      const status = run.asyncJobs.status(jid, host);
      if (mode === 'cleanup') run.asyncJobs.cleanup(jid);
      return status;
    },
    native: Boolean(run.options.jinja2Native),
    verbose: (level: number, message: string, host: string) => run.emit({ type: 'verbose', level, message, host }),
  };
}

/**
 * The variables a host's connection is made from: the run's defaults (command
 * line, ansible.cfg) and the play's connection keywords, under the host's own
 * variables (which win, as in Ansible). A host not in the inventory
 * (`localhost` implicitly, a delegate_to target) is reached locally when it
 * is this machine.
 */
export function connectionVars(run: RunState, play: PlayRun | undefined, host: string): Vars {
  const d = run.options.defaults ?? {};
  const keywords = play?.play.keywords ?? {};
  const base: Vars = {};
  if (d.connection) base.ansible_connection = d.connection;
  if (d.remoteUser) base.ansible_user = d.remoteUser;
  if (d.port) base.ansible_port = d.port;
  if (d.privateKeyFile) base.ansible_ssh_private_key_file = d.privateKeyFile;
  if (d.timeoutSec) base.ansible_ssh_timeout = d.timeoutSec;
  if (d.password !== undefined) base.ansible_password = d.password;
  if (d.sshCommonArgs !== undefined) base.ansible_ssh_common_args = d.sshCommonArgs;
  if (d.sshExtraArgs !== undefined) base.ansible_ssh_extra_args = d.sshExtraArgs;
  if (keywords.connection !== undefined) base.ansible_connection = keywords.connection;
  if (keywords.remote_user !== undefined) base.ansible_user = keywords.remote_user;
  if (keywords.port !== undefined) base.ansible_port = keywords.port;
  if (!run.inventory.hasHost(host)) {
    const local = host === 'localhost' || host === '127.0.0.1' || host === '::1';
    return { ...base, ansible_connection: local ? 'local' : base.ansible_connection ?? 'ssh', ansible_host: host };
  }
  const own = untag(run.store.hostLevelVars(host, play));
  const vars = lazyVars({ ...base, ...own }, run.templar, `connection variables of ${host}`);
  return vars;
}

/**
 * The play as the iterator walks it: the fact-gathering task, then
 * pre_tasks, roles and tasks, post_tasks, with a handler flush after each
 * part (Ansible's implicit `meta: flush_handlers`), and only the tasks the
 * --tags/--skip-tags selection keeps.
 */
export function compilePlay(play: Play, gatherFacts: boolean, selected: (n: RunnableNode) => boolean, forceHandlers = false): BlockNode[] {
  const flush = (): MetaNode => ({ kind: 'meta', id: implicitIds--, action: 'flush_handlers', keywords: {}, scope: play.scope, origin: play.origin, tags: [], implicit: true });
  const noop = (): MetaNode => ({ kind: 'meta', id: implicitIds--, action: 'noop', keywords: {}, scope: play.scope, origin: play.origin, tags: [], implicit: true });
  const block = (nodes: Node[], always: Node[] = []): BlockNode => ({ kind: 'block', id: implicitIds--, block: nodes, rescue: [], always, scope: play.scope, origin: play.origin, tags: [] });
  const blocks: BlockNode[] = [];
  if (gatherFacts) blocks.push(block([gatherTask(play)]));
  const sections = [play.preTasks, [...play.roleTasks, ...play.tasks], play.postTasks];
  for (const section of sections) {
    const kept = filterSelected(section, selected);
    // With force_handlers the flush is the section's `always`: a host that failed still runs its handlers (Ansible does the same).
    if (forceHandlers) blocks.push(block(kept.length ? kept : [noop()], [flush()]));
    else {
      if (kept.length) blocks.push(block(kept));
      blocks.push(block([flush()]));
    }
  }
  return blocks;
}

/** The tasks (and the blocks that still hold some) the tag selection keeps. */
export function filterSelected(nodes: Node[], selected: (n: RunnableNode) => boolean): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    if (n.kind === 'block') {
      const b = { ...n, block: filterSelected(n.block, selected), rescue: filterSelected(n.rescue, selected), always: filterSelected(n.always, selected) };
      if (b.block.length || b.rescue.length || b.always.length) out.push(b);
    } else if (selected(n)) out.push(n);
  }
  return out;
}

export function gatherTask(play: Play): TaskNode {
  const mod = modules.get('gather_facts')!;
  const args: Vars = {};
  for (const k of ['gather_subset', 'gather_timeout', 'fact_path']) if (play.keywords[k] !== undefined) args[k] = play.keywords[k];
  const scope: Scope = { parent: play.scope, kind: 'block', keywords: { run_once: false }, baseDir: play.baseDir };
  return {
    kind: 'task', id: implicitIds--, name: 'Gathering Facts', moduleName: 'gather_facts', module: mod, args, keywords: {}, scope, origin: play.origin,
    tags: play.tags.length ? [...play.tags] : ['always'],
  };
}
