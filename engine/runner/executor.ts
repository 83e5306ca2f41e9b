/**
 * The task executor: one task on one host (Ansible's TaskExecutor). It
 * computes the loop items, and for each item (or once) evaluates the
 * conditions, renders the keywords and arguments, runs the module through
 * the driver (retrying with `until`), applies changed_when/failed_when and
 * returns Ansible's result dict. It decides nothing about other hosts or
 * what runs next: the strategy does that with the outcome.
 */
import { ConnectionLostError, UnreachableError, type BecomeSpec } from '../connection/types.js';
import { UserError } from '../errors.js';
import { checkArgsRuntime, dropOmitted } from '../loader/args.js';
import type { IncludeNode, TaskNode, Vars } from '../loader/model.js';
import { runModule } from '../modules/driver.js';
import { modules } from '../modules/registry.js';
import type { ModuleResult } from '../modules/types.js';
import type { HostStatus, RunEvent } from '../output/events.js';
import { TemplateError, lazyVars, type Templar } from '../template/index.js';
import { markUnsafe, untag } from '../template/trust.js';
import { toBool } from '../values.js';
import { moduleContext, type ContextHost, type Observed } from './context.js';
import { conditionsOf, environmentLayers, keyword, location, taskTitle } from './keywords.js';
import { loopItems, templarLoopDeps } from './loop-items.js';
import type { LookupHost } from '../lookups/types.js';
import type { AsyncJobs } from './async-jobs.js';
import type { PlayDefaults, RunOptions } from './options.js';
import { OMIT_TOKEN, searchPath, type PlayVarsContext, type VariableStore } from './vars.js';

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
}

const INTERNAL_KEYS = /^_ansible_/;
/** Ansible's action plugins that refuse `async`. */
const NO_ASYNC = new Set(['add_host', 'assemble', 'assert', 'async_status', 'copy', 'debug', 'fail', 'fetch', 'group_by', 'include_vars', 'pause', 'raw', 'script', 'set_fact', 'set_stats', 'template', 'unarchive', 'validate_argument_spec', 'wait_for_connection']);

/** Ansible's _ACTION_WITH_CLEAN_FACTS: their results are not wrapped as unsafe. */
const CLEAN_FACTS_ACTIONS = new Set(['set_fact', 'include_vars']);

export class TaskExecutor {
  constructor(
    private readonly deps: ExecutorDeps,
    private readonly play: PlayVarsContext,
  ) {}

  async run(task: TaskNode | IncludeNode, host: string, extraVars: Vars = {}): Promise<TaskOutcome> {
    const t0 = Date.now();
    const taskKeywordVars = task.keywords.vars as Vars | undefined;
    const paths = searchPath(task.scope, task.origin.file, this.play.play.baseDir);
    const baseVars: Vars = { ...this.deps.store.taskVars(host, this.play, task.scope, taskKeywordVars, extraVars), ansible_search_path: paths };
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
    for (const [index, item] of items.entries()) {
      if (index > 0 && control.pause > 0) await new Promise((r) => setTimeout(r, control.pause * 1000));
      const itemVars: Vars = { [control.loopVar]: item, ansible_loop_var: control.loopVar };
      if (control.indexVar) Object.assign(itemVars, { [control.indexVar]: index, ansible_index_var: control.indexVar });
      if (control.extended) {
        const loop: Vars = {
          index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length,
          revindex: items.length - index, revindex0: items.length - index - 1,
        };
        if (control.extendedAllItems) loop.allitems = items;
        if (index + 1 < items.length) loop.nextitem = items[index + 1];
        if (index > 0) loop.previtem = items[index - 1];
        itemVars.ansible_loop = loop;
      }
      const t1 = Date.now();
      const itemOutcome = { ...outcome, ignoreErrors: outcome.ignoreErrors };
      const result = await this.once(task, host, vars, itemVars, undefined, itemOutcome);
      // Facts set by one item are seen by the next (set_fact loops that accumulate).
      if (result.ansible_facts && !result.failed) vars = { ...vars, ...(result.ansible_facts as Vars) };
      Object.assign(result, itemVars);
      let label: unknown = item;
      try {
        label = control.label !== undefined ? this.deps.templar.renderValue(control.label, lazyVars({ ...vars, ...itemVars }, this.deps.templar, location(task)), `${location(task)} loop_control.label`) : item;
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
    const scopeVars: Vars = { ...baseVars, ...itemVars };
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
      return await this.module(task, host, vars, scopeVars, render);
    } catch (err) {
      // In a loop, an item that cannot be prepared ends the whole task (Ansible's executor raises there).
      if (err instanceof UnreachableError || Object.keys(itemVars).length) throw err;
      return { changed: false, failed: true, msg: messageOf(err) };
    }
  }

  private async module(task: TaskNode, host: string, vars: Vars, scopeVars: Vars, render: (v: unknown, what: string) => unknown): Promise<ModuleResult> {
    const where = location(task);
    if (task.argProblem) return { changed: false, failed: true, msg: task.argProblem };
    if (task.templatedAction) {
      const name = String(untag(render(task.templatedAction, 'action')));
      const mod = modules.get(name);
      if (!mod) return { changed: false, failed: true, msg: `couldn't resolve module/action '${name}'. This often indicates a misspelling, missing collection, or incorrect module path.` };
      task = { ...task, module: mod, moduleName: mod.name, templatedAction: undefined };
    }
    const options = this.deps.options;
    const checkKeyword = keyword(task, 'check_mode');
    const check = checkKeyword === undefined ? options.check : toBool(render(checkKeyword, 'check_mode'), false);
    const diffKeyword = keyword(task, 'diff');
    const diff = diffKeyword === undefined ? options.diff : toBool(render(diffKeyword, 'diff'), false);
    const delegateRaw = keyword(task, 'delegate_to');
    const delegateTo = delegateRaw !== undefined && delegateRaw !== null ? String(untag(render(delegateRaw, 'delegate_to'))) : undefined;
    const timeoutRaw = keyword(task, 'timeout');
    const timeoutSec = timeoutRaw !== undefined ? Number(render(timeoutRaw, 'timeout')) : 0;
    const timeoutMs = 1000 * (timeoutSec > 0 ? timeoutSec : options.taskTimeoutSec);
    const become = becomeFor(task, vars, render, options.defaults);
    const environment: Record<string, string> = {};
    for (const layer of environmentLayers(task)) {
      const rendered = untag(render(layer, 'environment'));
      for (const d of Array.isArray(rendered) ? rendered : [rendered]) if (d && typeof d === 'object') for (const [k, v] of Object.entries(d as Vars)) environment[k] = String(v);
    }
    let args: unknown;
    try {
      args = render(task.args, 'arguments');
    } catch (err) {
      // Thrown on: like any error preparing the task, it ends the whole loop.
      const undefinedVariable = undefinedVariableMessage(err, task);
      throw undefinedVariable === undefined ? err : new Error(undefinedVariable);
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) throw new UserError(`arguments of ${task.moduleName} must render to a mapping`, { file: task.origin.file, line: task.origin.line });
    if (task.variableParams !== undefined) {
      const extra = untag(render(task.variableParams, 'arguments'));
      if (!extra || typeof extra !== 'object' || Array.isArray(extra)) return { changed: false, failed: true, msg: `invalid or malformed argument: '${String(extra)}'` };
      this.deps.emit({ type: 'warning', message: "Using a variable for a task's 'args' is unsafe in some situations (see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)" });
      args = { ...(extra as Vars), ...(args as Vars) };
    }
    const tagged = args as Vars;
    args = dropOmitted(untag(tagged), OMIT_TOKEN);
    const checked = checkArgsRuntime(task.module, args as Vars);
    if ('problem' in checked) return { changed: false, failed: true, msg: `${where}: ${checked.problem.message}` };
    // set_fact and include_vars keep their values' tags: an unsafe value stays unsafe in the variable it becomes.
    if (CLEAN_FACTS_ACTIONS.has(task.module.name)) checked.args = withTagsKept(checked.args, tagged, task.module);

    const target = delegateTo ?? host;
    const searchPathValue = scopeVars.ansible_search_path as string[];
    const observed: Observed = {};
    const mctx = moduleContext(task, target, vars, { check, diff, timeoutMs, become, environment, verbosity: options.verbosity, searchPath: searchPathValue }, this.deps.contextHost, observed);
    const asyncSec = Number(render(keyword(task, 'async') ?? 0, 'async')) || 0;
    const poll = Number(render(keyword(task, 'poll') ?? 15, 'poll'));
    if (asyncSec > 0 && NO_ASYNC.has(task.module.name)) return { changed: false, failed: true, msg: 'async is not supported for this task.' };
    if (asyncSec > 0 && !task.module.controllerOnly) {
      const job = this.deps.asyncJobs.start(target, asyncSec, () => runModule(task.module, checked.args, mctx));
      if (poll <= 0) return { changed: true, started: 1, finished: 0, ansible_job_id: job.id, results_file: job.resultsFile };
      const done = await this.deps.asyncJobs.wait(job, asyncSec * 1000);
      return { ...done, ansible_job_id: job.id, started: 1, finished: 1, results_file: job.resultsFile };
    }

    const until = task.keywords.until;
    const retriesRaw = until !== undefined ? Number(render(task.keywords.retries ?? 3, 'retries')) : 0;
    const attempts = until === undefined ? 1 : retriesRaw <= 0 ? 1 : retriesRaw + 1;
    const delaySec = Math.max(0, Number(render(task.keywords.delay ?? 5, 'delay')));
    const register = task.keywords.register !== undefined ? String(task.keywords.register) : undefined;
    let result: ModuleResult = { changed: false };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      result = await withTaskTimeout(runModule(task.module, checked.args, mctx), timeoutSec, task.moduleName);
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
      const resultVars = { ...scopeVars, ...(result.ansible_facts && task.moduleName === 'set_fact' ? (result.ansible_facts as Vars) : {}), ...(register ? { [register]: result } : {}) };
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

  /** changed_when / failed_when, seeing the result under its register name, as Ansible does. */
  private resultConditions(task: TaskNode, result: ModuleResult, vars: Vars, where: string): void {
    const { changed_when: changedWhen, failed_when: failedWhen } = task.keywords;
    if (changedWhen === undefined && failedWhen === undefined) return;
    if (result.unreachable) return;
    const scope = lazyVars({ ...vars, ...untagged(result) }, this.deps.templar, where);
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
 * The checked arguments, but the free-form values (those the module's
 * schema does not declare) as they were rendered, tags and all.
 */
function withTagsKept(checked: Vars, tagged: Vars, mod: { schema: unknown }): Vars {
  const declared = new Set(Object.keys((mod.schema as { properties?: Vars }).properties ?? {}));
  const out: Vars = { ...checked };
  for (const [k, v] of Object.entries(tagged)) if (!declared.has(k) && k in checked) out[k] = v;
  return out;
}

/**
 * Ansible's message for a task argument that needs an undefined variable
 * (scripts and tests look for "undefined variable"), with where the task is.
 */
function undefinedVariableMessage(err: unknown, task: TaskNode): string | undefined {
  if (!(err instanceof TemplateError) || err.details.pythonType !== 'UndefinedError' || err.details.reason === undefined) return undefined;
  const reason = err.details.reason;
  return `The task includes an option with an undefined variable. The error was: ${reason}. ${reason} (${location(task)})`;
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

/**
 * Privilege escalation for the task. As in Ansible, the connection variables
 * (ansible_become, ansible_become_user, ...) win over the keywords, which win
 * over the command line's defaults.
 */
export function becomeFor(task: TaskNode, vars: Vars, render: (v: unknown, what: string) => unknown, defaults: PlayDefaults = {}): BecomeSpec | undefined {
  const pick = (varName: string, keywordName: string, fallback: unknown): unknown => {
    if (vars[varName] !== undefined) return vars[varName];
    const kw = keyword(task, keywordName);
    if (kw !== undefined) return render(kw, keywordName);
    return fallback;
  };
  if (!toBool(pick('ansible_become', 'become', defaults.become ?? false), false)) return undefined;
  const user = String(untag(pick('ansible_become_user', 'become_user', defaults.becomeUser ?? 'root')));
  const method = String(untag(pick('ansible_become_method', 'become_method', defaults.becomeMethod ?? 'sudo')));
  const password = vars.ansible_become_password ?? vars.ansible_become_pass ?? defaults.becomePassword;
  return { user, ...(method !== 'sudo' ? { method } : {}), ...(password !== undefined ? { password: String(untag(password)) } : {}) } as BecomeSpec;
}
