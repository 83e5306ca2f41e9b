/**
 * What the host's next tasks will read (read-ahead.ts), found without
 * running anything: for each task of a module that declares `readAhead`,
 * its conditions, keywords and arguments are rendered with the host's
 * variables as they are now, and the module names its reads; a `loop:` is
 * rendered too and each item planned with its loop variable (up to
 * MAX_LOOP_ITEMS). A task whose place or arguments cannot be known yet is
 * left out: a `with_*` loop (its lookup would act), extended loop variables,
 * delegate_to, async, `until`, a templated action, a condition that is
 * false, cannot be evaluated or holds {{ }}, anything that fails to render (a
 * variable an earlier task will register). A guess that turns out wrong
 * costs a read, never a wrong state: the task reads by its real arguments,
 * and a cache entry is only ever the output of exactly that read.
 *
 * Rendering ahead must not act: lookups (which run programs, read files and
 * make passwords on the controller) are refused, and the task is left out.
 */
import type { TaskNode, Vars } from '../loader/model.js';
import type { ReadAheadContext } from '../modules/types.js';
import { lazyVars, type Templar } from '../template/index.js';
import { findFile } from './context.js';
import type { RunnableNode } from './iterator.js';
import { conditionsOf, keyword, location } from './keywords.js';
import { loopItemVars, loopKeywords } from './loop-items.js';
import type { RunOptions } from './options.js';
import { readScope, type PlannedRead } from './read-ahead.js';
import { moduleArgs, taskSettings, type TaskSettings } from './task-settings.js';
import { layeredView, searchPath, type PlayVarsContext, type VariableStore } from './vars.js';

export interface PlanDeps {
  store: VariableStore;
  templar: Templar;
  options: RunOptions;
  play: PlayVarsContext;
  /** The host's earlier plans, kept when the cache is forgotten: a task whose variables are the same is not rendered again. */
  memo: WeakMap<object, PlanMemo>;
}

/**
 * A task's planned reads and the variables its planning read (their values
 * then). Forgetting the cache (a command ran, a file changed) says nothing of
 * variables: a task whose variables are all still the same plans the same
 * reads. A plan that turns out stale costs a read, never a wrong state.
 */
export interface PlanMemo {
  reads: PlannedRead[];
  /** Undefined when the planning listed every variable (a template asking for all of them): never reused. */
  used?: Map<string, unknown>;
  /** A task without a loop whose keywords and arguments were rendered and checked: its run uses them while the variables are the same. */
  prepared?: PlannedPreparation;
}

/** What planning rendered of a task that its run would render again. */
export interface PlannedPreparation {
  settings: TaskSettings;
  args: Vars;
}

class LookupRefused extends Error {}

/** Stands in for lookup(), query() and q() while rendering ahead (the render's variables come before the globals). */
function refuseLookup(): never {
  throw new LookupRefused('no lookup while reading ahead');
}

/** Items of one loop planned ahead at most: a longer loop reads the rest itself. */
export const MAX_LOOP_ITEMS = 64;

/**
 * The reads of `tasks` on `host`. With `done`, a task in it is skipped (it was
 * planned already) and a task planned without error is added to it, so the
 * windows of later tasks render only what is new; one that could not be
 * planned is tried again by the next window (a variable may be known then).
 */
export function plannedReads(deps: PlanDeps, host: string, tasks: RunnableNode[], done?: Set<object>): PlannedRead[] {
  const out: PlannedRead[] = [];
  for (const task of tasks) {
    if (task.kind !== 'task' || done?.has(task)) continue;
    try {
      out.push(...plannedTaskReads(deps, host, task));
      done?.add(task);
    } catch {
      // Not known yet: the task reads for itself when it runs.
    }
  }
  return out;
}

function plannedTaskReads(deps: PlanDeps, host: string, task: TaskNode): PlannedRead[] {
  const mod = task.module;
  if (!mod.readAhead || task.argProblem || task.templatedAction || task.variableParams !== undefined) return [];
  if (task.keywords.until !== undefined) return [];
  if (keyword(task, 'delegate_to') !== undefined || keyword(task, 'async') !== undefined) return [];
  const loops = loopKeywords(task.keywords);
  if (loops.length > 1 || (loops.length === 1 && loops[0] !== 'loop')) return [];
  const paths = searchPath(task.scope, task.origin.file, deps.play.play.baseDir);
  const base = deps.store.taskVars(host, deps.play, task.scope, task.keywords.vars as Vars | undefined, {
    ansible_search_path: paths,
    lookup: refuseLookup, query: refuseLookup, q: refuseLookup,
  });
  const known = deps.memo.get(task);
  if (known && unchanged(known, base)) return known.reads;
  const used = new Map<string, unknown>();
  let everything = false;
  let prepared: PlannedPreparation | undefined;
  const reads = planTask(deps, host, task, recording(base, used, () => (everything = true)), paths, (p) => (prepared = p));
  deps.memo.set(task, everything ? { reads } : { reads, used, ...(prepared ? { prepared } : {}) });
  return reads;
}

/** Whether every variable the plan read still has the value it read. */
function unchanged(memo: PlanMemo, vars: Vars): boolean {
  return memo.used !== undefined && [...memo.used].every(([name, value]) => sameValue(value, vars[name]));
}

/**
 * The keywords and arguments planning rendered for `task`, when every
 * variable it read is the same in `vars` (the task's variables as it runs):
 * rendering them again would give the same. The arguments are the run's own
 * copy.
 */
export function preparedAhead(memo: WeakMap<object, PlanMemo>, task: TaskNode, vars: Vars): PlannedPreparation | undefined {
  const known = memo.get(task);
  if (!known?.prepared || !unchanged(known, vars)) return undefined;
  return { settings: known.prepared.settings, args: structuredClone(known.prepared.args) };
}

/**
 * `vars` that notes each variable read and its value then; listing them all
 * (a template's `vars`) calls `all`, and the plan is then never reused.
 */
function recording(vars: Vars, used: Map<string, unknown>, all: () => void): Vars {
  const note = (key: string | symbol) => {
    if (typeof key === 'string' && !used.has(key)) used.set(key, vars[key]);
  };
  return new Proxy(vars, {
    get(target, key) {
      note(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      note(key);
      return Reflect.has(target, key);
    },
    getOwnPropertyDescriptor(target, key) {
      note(key);
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
    ownKeys(target) {
      all();
      return Reflect.ownKeys(target);
    },
  });
}

/** The same value for a plan: identical, or a list or mapping of identical items (magic variables are made anew for each task). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => Object.is(item, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
}

const isPlainObject = (v: unknown): v is Vars => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function planTask(deps: PlanDeps, host: string, task: TaskNode, base: Vars, paths: string[], keep: (prepared: PlannedPreparation) => void): PlannedRead[] {
  if (loopKeywords(task.keywords).length === 0) {
    const read = plannedRead(deps, host, task, base, paths, keep);
    return read ? [read] : [];
  }
  const where = location(task);
  const items = deps.templar.renderValue(task.keywords.loop, lazyVars(base, deps.templar, where), `${where} loop`);
  const control = (task.keywords.loop_control ?? {}) as Vars;
  if (!Array.isArray(items) || typeof control !== 'object' || control.extended !== undefined) return [];
  const loopVar = control.loop_var === undefined ? 'item' : control.loop_var;
  const indexVar = control.index_var;
  if (typeof loopVar !== 'string' || /\{\{|\{%/.test(loopVar) || (indexVar !== undefined && (typeof indexVar !== 'string' || /\{\{|\{%/.test(indexVar)))) return [];
  const reads: PlannedRead[] = [];
  const naming = { loopVar, indexVar: indexVar as string | undefined, extended: false, extendedAllItems: false };
  for (let index = 0; index < Math.min(items.length, MAX_LOOP_ITEMS); index++) {
    const itemVars = loopItemVars(naming, items, index);
    try {
      const read = plannedRead(deps, host, task, layeredView([base, itemVars]), paths);
      if (read) reads.push(read);
    } catch {
      // This item is not known yet; the others may be.
    }
  }
  return reads;
}

function plannedRead(deps: PlanDeps, host: string, task: TaskNode, base: Vars, paths: string[], keep?: (prepared: PlannedPreparation) => void): PlannedRead | undefined {
  const mod = task.module;
  const where = location(task);
  const vars = lazyVars(base, deps.templar, where);
  const conditions = conditionsOf(task);
  // A condition with {{ }} makes the templar warn: that warning belongs to the task's own run.
  if (conditions.some((c) => typeof c === 'string' && /\{\{|\{%/.test(c))) return undefined;
  for (const c of conditions) if (!deps.templar.isTrue(c, vars, `${where} when`)) return undefined;
  const render = (v: unknown, what: string) => deps.templar.renderValue(v, vars, `${where} ${what}`);
  const settings = taskSettings(task, vars, render, deps.options);
  if (settings.delegateTo !== undefined) return undefined;
  let warned = false;
  const prepared = moduleArgs(task, render, where, () => (warned = true));
  if ('failure' in prepared) return undefined;
  // A warning belongs to the task's own run, which then renders its arguments itself.
  if (!warned) keep?.({ settings, args: structuredClone(prepared.args) });
  const ctx: ReadAheadContext = {
    host,
    check: settings.check,
    diff: settings.diff,
    become: settings.become,
    findFile: (kind, name) => findFile(task, paths, kind, name),
    searchPath: paths,
    location: where,
  };
  const requests = mod.readAhead?.(ctx, prepared.args);
  return requests?.length ? { scope: readScope(settings.become, settings.environment), requests } : undefined;
}
