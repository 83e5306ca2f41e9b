/**
 * The task executor: one task on one host (Ansible's TaskExecutor). It
 * computes the loop items, and for each item (or once) evaluates the
 * conditions, renders the keywords and arguments, runs the module through
 * the driver (retrying with `until`), applies changed_when/failed_when and
 * returns Ansible's result dict. It decides nothing about other hosts or
 * what runs next: the strategy does that with the outcome.
 */
import { ConnectionLostError, UnreachableError } from '../connection/types.js';
import { UserError } from '../errors.js';
import type { IncludeNode, TaskNode, Vars } from '../loader/model.js';
import { runModule } from '../modules/driver.js';
import { modules } from '../modules/registry.js';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import type { HostStatus, RunEvent } from '../output/events.js';
import { lazyVars, type Templar } from '../template/index.js';
import { markUnsafe, untag } from '../template/trust.js';
import { toBool } from '../values.js';
import { moduleContext, type ContextHost, type Observed } from './context.js';
import { conditionsOf, keyword, location, taskTitle } from './keywords.js';
import { loopItems, loopItemVars, templarLoopDeps } from './loop-items.js';
import type { LookupHost } from '../lookups/types.js';
import type { AsyncJobs } from './async-jobs.js';
import type { RunOptions } from './options.js';
import type { ReadAhead } from './read-ahead.js';
import { readScope } from './read-ahead.js';
import { plannedReads, preparedAhead } from './read-ahead-plan.js';
import type { RunnableNode } from './iterator.js';
import { CLEAN_FACTS_ACTIONS, moduleArgs, taskSettings, type TaskSettings } from './task-settings.js';
import { layeredView, searchPath, type PlayVarsContext, type VariableStore } from './vars.js';

/** What a loop item or a plain run of an include asks to include. */
export interface IncludeRequest {
  /** include_tasks: the rendered file name. */
  file?: string;
  /** The rendered arguments (include_role: name, tasks_from, ...; include_tasks: extra args). */
  args: Vars;
  /** The loop variables of the item (item, index var, ansible_loop), for the included tasks. */
  itemVars: Vars;
}

export interface TaskOutcome {
  host: string;
  task: TaskNode | IncludeNode;
  /** Ansible's result dict (loops: with `results`). Values from the host are tagged unsafe. */
  result: ModuleResult;
  status: HostStatus;
  noLog: boolean;
  ignoreErrors: boolean;
  delegatedTo?: string;
  includes?: IncludeRequest[];
  durationMs: number;
  /** Unreachable because an established connection dropped: worth another try. */
  connectionLost?: boolean;
}

export interface ExecutorDeps {
  store: VariableStore;
  templar: Templar;
  lookupHost?: LookupHost;
  options: RunOptions;
  contextHost: ContextHost;
  asyncJobs: AsyncJobs;
  emit: (event: RunEvent) => void;
  /** The run's read-ahead cache. */
  reads: ReadAhead;
  /** The host's next tasks after the one it runs, as far as the play can tell (for reading ahead). */
  upcoming?: (host: string, count: number) => RunnableNode[];
}

const INTERNAL_KEYS = /^_ansible_/;
/** Ansible's action plugins that refuse `async`. */
const NO_ASYNC = new Set(['add_host', 'assemble', 'assert', 'async_status', 'copy', 'debug', 'fail', 'fetch', 'group_by', 'include_vars', 'pause', 'raw', 'script', 'set_fact', 'set_stats', 'template', 'unarchive', 'validate_argument_spec', 'wait_for_connection']);


export class TaskExecutor {
  constructor(
    private readonly deps: ExecutorDeps,
    private readonly play: PlayVarsContext,
  ) {}

  async run(task: TaskNode | IncludeNode, host: string, extraVars: Vars = {}): Promise<TaskOutcome> {
    const t0 = Date.now();
    const taskKeywordVars = task.keywords.vars as Vars | undefined;
    const paths = searchPath(task.scope, task.origin.file, this.play.play.baseDir);
    const baseVars: Vars = this.deps.store.taskVars(host, this.play, task.scope, taskKeywordVars, { ...extraVars, ansible_search_path: paths });
    const vars = lazyVars(baseVars, this.deps.templar, location(task));
    const outcome: TaskOutcome = { host, task, result: { changed: false }, status: 'ok', noLog: false, ignoreErrors: false, durationMs: 0 };
    try {
      outcome.noLog = keyword(task, 'no_log') === undefined ? Boolean(this.deps.options.noLog) : this.flag(task, 'no_log', vars);
      outcome.ignoreErrors = this.flag(task, 'ignore_errors', vars);
      let items: unknown[] | undefined;
      let loopError: unknown;
      try {
        items = loopItems(task.keywords, templarLoopDeps(this.deps.templar, vars, `${location(task)} loop`, this.deps.lookupHost, task.kind === 'task' ? task.moduleName : task.kind));
      } catch (err) {
        loopError = err;
      }
      if (items === undefined) {
        outcome.result = await this.once(task, host, baseVars, {}, loopError, outcome);
      } else if (!items.length) {
        outcome.result = { changed: false, skipped: true, skipped_reason: 'No items in the list', results: [] };
      } else {
        outcome.result = await this.loop(task, host, baseVars, items, outcome);
      }
    } catch (err) {
      // Like Ansible, an error while preparing the task (a template, a condition, a loop item) fails the task, whole loop included.
      if (err instanceof UnreachableError) {
        outcome.result = { changed: false, unreachable: true, msg: err.message };
        outcome.connectionLost = err instanceof ConnectionLostError;
      } else outcome.result = { changed: false, failed: true, msg: messageOf(err) };
    }
    outcome.status = statusOf(outcome.result, outcome.ignoreErrors);
    outcome.durationMs = Date.now() - t0;
    return outcome;
  }

  /** A boolean keyword of the task (inherited), rendered. */
  private flag(task: TaskNode | IncludeNode, name: string, vars: Vars): boolean {
    const raw = keyword(task, name);
    if (raw === undefined) return false;
    return toBool(this.deps.templar.renderValue(raw, vars, `${location(task)} ${name}`), false);
  }

  private async loop(task: TaskNode | IncludeNode, host: string, baseVars: Vars, items: unknown[], outcome: TaskOutcome): Promise<ModuleResult> {
    const control = this.loopControl(task, baseVars);
    const results: ModuleResult[] = [];
    let vars = baseVars;
    // The facts of the items so far, one layer over the task's variables (a layer per item would deepen every lookup).
    let loopFacts: Vars = {};
    for (const [index, item] of items.entries()) {
      if (index > 0 && control.pause > 0) await new Promise((r) => setTimeout(r, control.pause * 1000));
      const itemVars = loopItemVars(control, items, index);
      const t1 = Date.now();
      const itemOutcome = { ...outcome, ignoreErrors: outcome.ignoreErrors };
      const result = await this.once(task, host, vars, itemVars, undefined, itemOutcome);
      // Facts set by one item are seen by the next (set_fact loops that accumulate).
      if (result.ansible_facts && !result.failed) {
        loopFacts = { ...loopFacts, ...(result.ansible_facts as Vars) };
        vars = layeredView([baseVars, loopFacts]);
      }
      Object.assign(result, itemVars);
      let label: unknown = item;
      try {
        label = control.label !== undefined ? this.deps.templar.renderValue(control.label, lazyVars(layeredView([vars, itemVars]), this.deps.templar, location(task)), `${location(task)} loop_control.label`) : item;
      } catch (err) {
        Object.assign(result, { failed: true, msg: `Failed to template loop_control.label: ${(err as Error).message}` });
      }
      result._ansible_item_label = label;
      if (itemOutcome.ignoreErrors !== outcome.ignoreErrors) outcome.ignoreErrors = itemOutcome.ignoreErrors;
      results.push(result);
      if (task.kind === 'task') {
        const status = statusOf(result, outcome.ignoreErrors);
        this.deps.emit({
          type: 'host_result', taskId: task.id, task: taskTitle(task), host, item: outcome.noLog ? '(censored)' : untag(label), status: status === 'ignored' ? 'failed' : status,
          result: outcome.noLog ? { changed: Boolean(result.changed), failed: result.failed } : publicResult(result), durationMs: Date.now() - t1,
          delegatedTo: result._ansible_delegated_to as string | undefined, noLog: outcome.noLog,
        });
      }
    }
    const aggregate: ModuleResult = { changed: results.some((r) => r.changed === true), results };
    if (results.some((r) => r.failed)) Object.assign(aggregate, { failed: true, msg: 'One or more items failed' });
    else if (results.every((r) => r.skipped)) Object.assign(aggregate, { skipped: true, msg: 'All items skipped' });
    else aggregate.msg = 'All items completed';
    if (task.kind === 'include_tasks' || task.kind === 'include_role') {
      outcome.includes = results.filter((r) => r._include !== undefined).map((r) => r._include as IncludeRequest);
    }
    return aggregate;
  }

  private loopControl(task: TaskNode | IncludeNode, vars: Vars) {
    const raw = (task.keywords.loop_control as Vars | undefined) ?? {};
    // The label is rendered per item, with the loop variable; the rest once.
    const { label: _label, ...rest } = raw;
    const control = untag(this.deps.templar.renderValue(rest, lazyVars(vars, this.deps.templar, location(task)), `${location(task)} loop_control`)) as Vars;
    return {
      loopVar: String(control.loop_var ?? 'item'),
      indexVar: control.index_var !== undefined ? String(control.index_var) : undefined,
      label: raw.label,
      pause: Number(control.pause ?? 0),
      extended: toBool(control.extended ?? false, false),
      extendedAllItems: toBool(control.extended_allitems ?? true, false),
    };
  }

  /** One run of the task on the host (one loop item): conditions, keywords, arguments, module, result conditions. */
  private async once(task: TaskNode | IncludeNode, host: string, baseVars: Vars, itemVars: Vars, loopError: unknown, outcome: TaskOutcome): Promise<ModuleResult> {
    const where = location(task);
    const scopeVars: Vars = Object.keys(itemVars).length ? layeredView([baseVars, itemVars]) : baseVars;
    const vars = lazyVars(scopeVars, this.deps.templar, where);
    const templar = this.deps.templar;
    try {
      for (const c of conditionsOf(task)) {
        if (!templar.isTrue(c, vars, `${where} when`)) return { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
      }
      if (loopError) throw loopError;
      const render = (v: unknown, what: string) => templar.renderValue(v, vars, `${where} ${what}`);
      if (task.kind !== 'task') {
        const args = untag(render(task.args, task.kind)) as Vars;
        const request: IncludeRequest = { file: task.kind === 'include_tasks' ? String(args.file) : undefined, args, itemVars };
        if (Object.keys(itemVars).length) return { changed: false, _include: request, include: request.file ?? args.name, include_args: args };
        outcome.includes = [request];
        return { changed: false, include: request.file ?? args.name, include_args: args };
      }
      const rawIgnore = keyword(task, 'ignore_errors');
      if (rawIgnore !== undefined) outcome.ignoreErrors = toBool(render(rawIgnore, 'ignore_errors'), false);
      return await this.module(task, host, vars, scopeVars, render, Object.keys(itemVars).length > 0);
    } catch (err) {
      // In a loop, an item that cannot be prepared ends the whole task (Ansible's executor raises there).
      if (err instanceof UnreachableError || Object.keys(itemVars).length) throw err;
      return { changed: false, failed: true, msg: messageOf(err) };
    }
  }

  private async module(task: TaskNode, host: string, vars: Vars, scopeVars: Vars, render: (v: unknown, what: string) => unknown, inLoop: boolean): Promise<ModuleResult> {
    const where = location(task);
    if (task.argProblem) return { changed: false, failed: true, msg: task.argProblem };
    if (task.templatedAction) {
      const name = String(untag(render(task.templatedAction, 'action')));
      const mod = modules.get(name);
      if (!mod) return { changed: false, failed: true, msg: `couldn't resolve module/action '${name}'. This often indicates a misspelling, missing collection, or incorrect module path.` };
      task = { ...task, module: mod, moduleName: mod.name, templatedAction: undefined };
    }
    const options = this.deps.options;
    const until = task.keywords.until;
    // Planned ahead with the variables it has now: its keywords and arguments are what rendering them again would give.
    const planned = inLoop || until !== undefined || !this.deps.reads.enabled ? undefined : preparedAhead(this.deps.reads.planMemo(host), task, scopeVars);
    const settings = planned?.settings ?? taskSettings(task, vars, render, options);
    const { check, diff, delegateTo, timeoutSec, timeoutMs, become, environment } = settings;
    const prepared = planned ? { args: planned.args } : moduleArgs(task, render, where, (message) => this.deps.emit({ type: 'warning', message }));
    if ('failure' in prepared) return { changed: false, failed: true, msg: prepared.failure };
    const checked = prepared;

    const target = delegateTo ?? host;
    const searchPathValue = scopeVars.ansible_search_path as string[];
    const observed: Observed = {};
    // A no_log task's commands are not shown at -vvv either (they hold its arguments).
    const noLog = keyword(task, 'no_log') === undefined ? Boolean(options.noLog) : this.flag(task, 'no_log', vars);
    const mctx = moduleContext(task, target, vars, { check, diff, timeoutMs, become, environment, verbosity: options.verbosity, searchPath: searchPathValue, noLog }, this.deps.contextHost, observed);
    // `until` waits for the host to change by itself: each attempt reads afresh, and so do the tasks after it.
    if (until === undefined) this.readAhead(task, host, target, mctx, settings, inLoop);
    else this.deps.reads.invalidate();
    const asyncSec = Number(render(keyword(task, 'async') ?? 0, 'async')) || 0;
    const poll = Number(render(keyword(task, 'poll') ?? 15, 'poll'));
    if (asyncSec > 0 && NO_ASYNC.has(task.module.name)) return { changed: false, failed: true, msg: 'async is not supported for this task.' };
    if (asyncSec > 0 && !task.module.controllerOnly) {
      const job = this.deps.asyncJobs.start(target, asyncSec, this.deps.reads.during(() => runModule(task.module, checked.args, mctx)));
      if (poll <= 0) return { changed: true, started: 1, finished: 0, ansible_job_id: job.id, results_file: job.resultsFile };
      const done = await this.deps.asyncJobs.wait(job, asyncSec * 1000);
      return { ...done, ansible_job_id: job.id, started: 1, finished: 1, results_file: job.resultsFile };
    }

    const retriesRaw = until !== undefined ? Number(render(task.keywords.retries ?? 3, 'retries')) : 0;
    const attempts = until === undefined ? 1 : retriesRaw <= 0 ? 1 : retriesRaw + 1;
    const delaySec = Math.max(0, Number(render(task.keywords.delay ?? 5, 'delay')));
    const register = task.keywords.register !== undefined ? String(task.keywords.register) : undefined;
    let result: ModuleResult = { changed: false };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      result = await withTaskTimeout(this.settled(runModule(task.module, checked.args, mctx), target, task, check, observed), timeoutSec, task.moduleName);
      // A module's result tells what it was called with (Ansible shows it from -vvv; register leaves it out).
      if (!task.module.controllerOnly && !result.skipped) result.invocation = { module_args: checked.args };
      if (observed.truncated) {
        // The host printed more than the output limit: the rest was dropped, not kept in memory.
        result.truncated = { ...observed.truncated };
        const warnings = Array.isArray(result.warnings) ? result.warnings : [];
        result.warnings = [...warnings, `the output was cut at the output limit (uxsv_output_limit): ${observed.truncated.stdout} bytes of stdout and ${observed.truncated.stderr} bytes of stderr were dropped`];
        observed.truncated = undefined;
      }
      if (delegateTo) result._ansible_delegated_to = delegateTo;
      // As in Ansible, a result is data, never a template, except set_fact's and include_vars' values (they keep their own tags).
      if (!CLEAN_FACTS_ACTIONS.has(task.module.name)) result = markUnsafe(result);
      if (result.failed === undefined) result.failed = result.rc !== undefined && Number(result.rc) !== 0;
      if (until !== undefined) result.attempts = attempt;
      // What changed_when, failed_when and until see: the result under its register name, and set_fact's facts.
      const resultVars = layeredView([scopeVars, ...(result.ansible_facts && task.moduleName === 'set_fact' ? [result.ansible_facts as Vars] : []), ...(register ? [{ [register]: result }] : [])]);
      if (!result.skipped) this.resultConditions(task, result, resultVars, where);
      if (until === undefined) break;
      const done = this.deps.templar.isTrue(until, lazyVars(resultVars, this.deps.templar, where), `${where} until`);
      if (done) break;
      if (attempt < attempts) {
        result.retries = attempts;
        this.deps.emit({ type: 'retry', taskId: task.id, task: task.name ?? task.moduleName, host, attempt, retriesLeft: attempts - attempt, result: publicResult(result), noLog: false, ...(delegateTo ? { delegatedTo: delegateTo } : {}) });
        if (delaySec) await new Promise((r) => setTimeout(r, delaySec * 1000));
      } else {
        result.failed = true;
        result.attempts = attempts - 1 || 1;
      }
    }
    return result;
  }

  /**
   * Gives the module's context the host's read-ahead cache (read-ahead.ts).
   * Only a task at the host's own place (not delegated) and without a
   * `timeout` of its own reads for the host's next tasks too; a loop item
   * also reads for the loop's other items.
   */
  private readAhead(task: TaskNode, host: string, target: string, mctx: ModuleContext, settings: TaskSettings, inLoop: boolean): void {
    const { reads, upcoming } = this.deps;
    if (!reads.enabled || !task.module.readAhead) return;
    const scope = readScope(settings.become, settings.environment);
    // A task with its own time limit reads only for itself: the next tasks' reads must not count against it.
    const ahead = target === host && !(settings.timeoutSec > 0);
    const deps = { store: this.deps.store, templar: this.deps.templar, options: this.deps.options, play: this.play, memo: reads.planMemo(host) };
    const window = ahead && upcoming ? (count: number) => plannedReads(deps, host, upcoming(host, count), reads.plannedTasks(host)) : undefined;
    const items = ahead && inLoop ? () => plannedReads(deps, host, [task]) : undefined;
    reads.attach(task.module, mctx, {
      target,
      scope,
      exec: async (script, inline) => (await this.deps.contextHost.connection(target)).exec(script, { timeoutMs: settings.timeoutMs, env: settings.environment, become: settings.become, inline }),
      ...(window ? { window } : {}),
      ...(items ? { items } : {}),
      check: settings.check,
    });
  }

  /** Tells the read-ahead cache how the module's run on `target` ended (before changed_when: what the module did). */
  private async settled(run: Promise<ModuleResult>, target: string, task: TaskNode, check: boolean, observed: Observed): Promise<ModuleResult> {
    let result: ModuleResult | undefined;
    try {
      result = await run;
      return result;
    } finally {
      this.deps.reads.settled(target, task.module, result, check, observed.touched === true);
    }
  }

  /** changed_when / failed_when, seeing the result under its register name, as Ansible does. */
  private resultConditions(task: TaskNode, result: ModuleResult, vars: Vars, where: string): void {
    const { changed_when: changedWhen, failed_when: failedWhen } = task.keywords;
    if (changedWhen === undefined && failedWhen === undefined) return;
    if (result.unreachable) return;
    const scope = lazyVars(layeredView([vars, untagged(result)]), this.deps.templar, where);
    let which = 'changed';
    try {
      if (changedWhen !== undefined) result.changed = asList(changedWhen).every((c) => this.deps.templar.isTrue(c, scope, `${where} changed_when`));
      which = 'failed';
      if (failedWhen !== undefined) {
        const failed = asList(failedWhen).some((c) => this.deps.templar.isTrue(c, scope, `${where} failed_when`));
        result.failed_when_result = failed;
        result.failed = failed;
      }
    } catch (err) {
      result.failed = true;
      result[`${which}_when_result`] = messageOf(err);
    }
  }
}

/**
 * The task's `timeout` keyword, as Ansible enforces it: past it, the task
 * fails with Ansible's message (the command itself is killed by the same
 * limit on the connection).
 */
async function withTaskTimeout(run: Promise<ModuleResult>, seconds: number, action: string): Promise<ModuleResult> {
  if (!(seconds > 0)) return run;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<ModuleResult>((resolve) => {
    timer = setTimeout(() => resolve({ changed: false, failed: true, msg: `The ${action} action failed to execute in the expected time frame (${seconds}) and was terminated` }), seconds * 1000);
  });
  try {
    return await Promise.race([run, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** The result's keys for changed_when/failed_when, which see `rc`, `stdout`, ... directly too. */
function untagged(result: ModuleResult): Vars {
  const out: Vars = {};
  for (const [k, v] of Object.entries(result)) if (!INTERNAL_KEYS.test(k)) out[k] = v;
  return out;
}



/**
 * Whether a result failed, as Ansible's TaskResult tells it: failed_when's
 * verdict when there is one (an `until` that ran out marks the result failed,
 * yet a failed_when that holds false keeps the task ok), else `failed`.
 */
function isFailed(result: ModuleResult): boolean {
  if ('failed_when_result' in result) return Boolean(result.failed_when_result);
  // A loop: failed_when's verdicts decide when its first item has one.
  const items = Array.isArray(result.results) ? (result.results as ModuleResult[]) : [];
  if (items[0] && typeof items[0] === 'object' && 'failed_when_result' in items[0]) return items.some((r) => Boolean(r?.failed_when_result));
  return Boolean(result.failed);
}

function messageOf(err: unknown): string {
  if (err instanceof UserError) return err.format();
  return err instanceof Error ? err.message : String(err);
}

export function statusOf(result: ModuleResult, ignoreErrors: boolean): HostStatus {
  if (result.unreachable) return 'unreachable';
  if (isFailed(result)) return ignoreErrors ? 'ignored' : 'failed';
  if (result.skipped) return 'skipped';
  return result.changed ? 'changed' : 'ok';
}

/** A result as the output sees it: plain strings, no internal keys. */
export function publicResult(result: ModuleResult): ModuleResult {
  const plain = untag(result);
  const out: ModuleResult = { changed: Boolean(plain.changed) };
  for (const [k, v] of Object.entries(plain)) if (SHOWN_INTERNAL.has(k) || !INTERNAL_KEYS.test(k)) out[k] = v;
  return out;
}

/** Internal keys the output reads (how to show the result), not shown themselves. */
const SHOWN_INTERNAL = new Set(['_ansible_verbose_always', '_ansible_verbose_override', '_ansible_delegated_vars', '_ansible_no_log']);
