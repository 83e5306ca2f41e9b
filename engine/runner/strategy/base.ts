/**
 * What every strategy shares (Ansible's StrategyBase): running one task on a
 * set of hosts, then processing the outcomes in order — statistics, the
 * iterator's failure handling, registered results, facts, handler
 * notifications, add_host/group_by, set_stats and the output — and loading
 * what dynamic includes asked for. A strategy only decides which host runs
 * which task when.
 */
import { NO_LOG_MESSAGE } from '../../output/results.js';
import type { IncludeNode, MetaNode, TaskNode, Vars } from '../../loader/model.js';
import type { ModuleResult } from '../../modules/types.js';
import type { HostStatus } from '../../output/events.js';
import { markUnsafe, untag } from '../../template/trust.js';
import { lazyVars } from '../../template/index.js';
import { toBool } from '../../values.js';
import { RETRIES_AFTER_DROP, type PlayRun } from '../play-run.js';
import { publicResult, type TaskOutcome } from '../executor.js';
import { asStringList, keyword, location, taskTitle } from '../keywords.js';
import { loadIncludes } from '../includes.js';
import { executeMeta } from '../meta.js';
import type { RunnableNode } from '../iterator.js';
import { tagsSelected } from '../tags.js';
import { layeredView } from '../vars.js';

/** Hosts still in the play and reachable. */
export function hostsLeft(play: PlayRun): string[] {
  return play.batchHosts.filter((h) => !play.run.host(h).unreachable);
}

export function selected(play: PlayRun, node: RunnableNode): boolean {
  if (node.kind === 'meta' && node.implicit) return true;
  return tagsSelected(node.tags, play.run.options.tags, play.run.options.skipTags);
}

/**
 * Runs `task` on `hosts` (at most --forks at once) and processes the
 * outcomes. Returns the outcomes (for any_errors_fatal and includes).
 */
export async function runTask(play: PlayRun, task: TaskNode | IncludeNode, hosts: string[], handler: boolean, options: { alreadyForked?: boolean } = {}): Promise<TaskOutcome[]> {
  const run = play.run;
  const title = taskTitle(task);
  if (play.announce(task)) run.emit(play.taskStart(task, hosts, handler));
  const runOnce = task.kind === 'task' && (task.module.bypassHostLoop === true || toBool(renderKeyword(play, task, hosts[0], 'run_once') ?? false, false));
  const targets = runOnce ? hosts.slice(0, 1) : hosts;
  const outcomes = await Promise.all(targets.map((host) => (options.alreadyForked ? runOnHost(play, task, host) : run.fork(() => runOnHost(play, task, host)))));
  for (const o of outcomes) processOutcome(play, o, runOnce ? hosts : [o.host], handler);
  run.emit({ type: 'task_end', id: task.id, name: title });
  await loadIncludes(play, outcomes);
  return outcomes;
}

/** A step on a host, again after a dropped connection (the next command reconnects), at most RETRIES_AFTER_DROP more times. */
async function runOnHost(play: PlayRun, task: TaskNode | IncludeNode, host: string): Promise<TaskOutcome> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await play.executor.run(task, host);
    if (!outcome.connectionLost || attempt > RETRIES_AFTER_DROP || play.run.stopping()) return outcome;
    play.run.warn(`task '${taskTitle(task)}' (${location(task)}): ${String(outcome.result.msg)}; reconnecting and running it again (try ${attempt + 1} of ${RETRIES_AFTER_DROP + 1})`, host);
  }
}

function renderKeyword(play: PlayRun, task: TaskNode | IncludeNode, host: string | undefined, name: string): unknown {
  const raw = keyword(task, name);
  if (raw === undefined || host === undefined) return raw;
  return play.render(task, host, raw, name);
}

const INTERNAL_KEY = /^_ansible_|^_include$|^invocation$/;

/** Ansible's result as `register` stores it: internal keys removed. */
function registered(result: ModuleResult): ModuleResult {
  const out: ModuleResult = { changed: false };
  for (const [k, v] of Object.entries(result)) if (!INTERNAL_KEY.test(k)) out[k] = k === 'results' && Array.isArray(v) ? v.map((r) => (r && typeof r === 'object' ? registered(r as ModuleResult) : r)) : v;
  return out;
}

/**
 * One outcome: statistics, failure handling in the iterator, register,
 * facts, notifications and run effects, then the output event. `applyTo`
 * are the hosts a run_once result stands for.
 */
export function processOutcome(play: PlayRun, o: TaskOutcome, applyTo: string[], handler: boolean): void {
  const run = play.run;
  const record = run.host(o.host);
  const task = o.task;
  let status: HostStatus = o.status;
  const isInclude = task.kind !== 'task';
  switch (o.status) {
    case 'failed': {
      const rescuable = play.iterator.isRescuable(o.host);
      for (const h of applyTo) {
        if (h !== o.host && applyTo.length > 1 && run.host(h).unreachable) continue;
        play.iterator.markFailed(h);
      }
      if (rescuable) {
        record.stats.rescued++;
        status = 'rescued';
        run.store.setRuntime(o.host, {
          ansible_failed_task: markUnsafe({ name: task.name ?? '', action: task.kind === 'task' ? task.moduleName : task.kind, ...(task.scope.role ? { role: task.scope.role.name } : {}) }),
          ansible_failed_result: markUnsafe(o.result),
        });
      } else record.stats.failed++;
      break;
    }
    case 'ignored':
      record.stats.ok++;
      record.stats.ignored++;
      if (o.result.changed) record.stats.changed++;
      break;
    case 'unreachable':
      if (toBool(keyword(task, 'ignore_unreachable') ?? false, false)) {
        record.stats.ok++;
        record.stats.ignored++;
        status = 'ignored';
        o.result.unreachable = true;
      } else {
        record.stats.unreachable++;
        record.unreachable = true;
      }
      break;
    case 'skipped':
      record.stats.skipped++;
      break;
    default:
      // Effects first: add_host tells whether the inventory changed.
      if (task.kind === 'task') applyEffects(play, task, o, applyTo);
      if (o.result.changed && status === 'ok') status = 'changed';
      record.stats.ok++;
      if (o.result.changed && !isInclude) record.stats.changed++;
  }
  const register = task.keywords.register;
  if (register !== undefined && task.kind === 'task') for (const h of applyTo) run.store.setRuntime(h, { [String(register)]: registered(o.result) });
  if (task.scope.role && (o.status !== 'skipped' && o.status !== 'unreachable')) play.markRoleRan(task.scope.role, o.host);
  if (handler) play.handlerRan(task as TaskNode, o.host);
  for (const w of asStringList(untag(o.result.warnings))) run.warn(w);
  if (isInclude && status !== 'failed' && status !== 'skipped' && status !== 'unreachable') return;
  const shown = o.noLog ? { changed: Boolean(o.result.changed), ...(o.result.failed ? { failed: true } : {}), censored: NO_LOG_MESSAGE } : publicResult(o.result);
  run.emit({ type: 'host_result', taskId: task.id, task: taskTitle(task), host: o.host, status, result: shown, durationMs: o.durationMs, delegatedTo: o.result._ansible_delegated_to as string | undefined, noLog: o.noLog });
}


/** What an ok/changed result does beyond itself: facts, notifications, add_host, group_by, set_stats. */
function applyEffects(play: PlayRun, task: TaskNode, o: TaskOutcome, applyTo: string[]): void {
  const run = play.run;
  const items: ModuleResult[] = Array.isArray(o.result.results) ? (o.result.results as ModuleResult[]) : [o.result];
  const delegateFacts = toBool(keyword(task, 'delegate_facts') ?? false, false);
  for (const item of items) {
    if (item.failed || item.skipped) continue;
    const facts = item.ansible_facts as Vars | undefined;
    if (facts && task.moduleName !== 'debug') {
      const targets = delegateFacts && item._ansible_delegated_to ? [String(item._ansible_delegated_to)] : applyTo;
      for (const h of targets) {
        if (task.moduleName === 'include_vars') run.store.setIncluded(h, facts);
        else if (task.moduleName === 'set_fact') {
          run.store.setRuntime(h, facts);
          if (item._ansible_facts_cacheable) run.store.setFacts(h, facts);
        } else run.store.setFacts(h, facts);
      }
    }
    // As Ansible does, a changed inventory makes the task changed; changed_when then has the last word.
    if (item.add_host && play.addHost(item.add_host as Vars)) inventoryChanged(play, task, o, item);
    if (item.add_group && play.addGroup(o.host, String(untag(item.add_group)), asStringList(untag(item.parent_groups)))) inventoryChanged(play, task, o, item);
    const stats = item.ansible_stats as { data?: Vars; per_host?: boolean; aggregate?: boolean } | undefined;
    if (stats?.data && Object.keys(stats.data).length) {
      for (const h of stats.per_host === true ? applyTo : ['_run']) play.setStats(h, untag(stats.data), stats.aggregate !== false);
    }
  }
  if (o.result.changed) {
    // notify set on an import_tasks or import_role applies to its tasks.
    const notify = keyword(task, 'notify');
    if (notify !== undefined) {
      const names = asStringList(untag(play.render(task, o.host, notify, 'notify')));
      for (const h of applyTo) for (const handler of play.notify(h, names, task)) run.emit({ type: 'handler_notified', handler, host: h });
    }
  }
}

/** add_host/group_by changed the inventory: the item is changed, unless changed_when (seeing it under its register name) says no. */
function inventoryChanged(play: PlayRun, task: TaskNode, o: TaskOutcome, item: ModuleResult): void {
  item.changed = true;
  const changedWhen = task.keywords.changed_when;
  if (changedWhen !== undefined) {
    const register = task.keywords.register;
    const vars = lazyVars(layeredView([play.run.store.taskVars(o.host, play, task.scope, task.keywords.vars as Vars | undefined), item, ...(register !== undefined ? [{ [String(register)]: item }] : [])]), play.run.templar, location(task));
    try {
      item.changed = (Array.isArray(changedWhen) ? changedWhen : [changedWhen]).every((c) => play.run.templar.isTrue(c, vars, `${location(task)} changed_when`));
    } catch (err) {
      item.failed = true;
      item.changed_when_result = (err as Error).message;
    }
  }
  if (item !== o.result) o.result.changed = (o.result.results as ModuleResult[]).some((r) => r.changed === true);
  else o.result.changed = item.changed;
}

/** Runs a meta task for the hosts that are at it (Ansible's _execute_meta). */
export async function runMeta(play: PlayRun, task: MetaNode, hosts: string[]): Promise<void> {
  // A meta handler has run for these hosts: their notification is spent.
  if (task.handler) for (const host of hosts) play.handlerRan(task, host);
  await executeMeta(play, task, hosts);
}
