/**
 * A task's loop items from its keywords, as Ansible 2.14's task executor
 * computes them (TaskExecutor._get_loop_items):
 *
 * - `loop:` is templated and must give a list;
 * - `with_<name>:` runs the lookup plugin `name` on the keyword's value
 *   (a string is stripped and templated, anything else templated item by
 *   item, then a single value becomes a one-item list: Ansible's
 *   listify_lookup_plugin_terms), as `query()` would; `with_first_found`
 *   passes over names using undefined variables instead of failing;
 * - no loop keyword: undefined.
 *
 * The items of a `with_` loop are marked unsafe (they are lookup results).
 * Errors carry Ansible's messages; an undefined variable in the loop
 * expression propagates as the templating error it is (the caller decides,
 * as Ansible does, whether the task is skipped by its `when` first).
 */
import { UserError } from '../errors.js';
import { lookupForLoops } from '../lookups/call.js';
import { findLookup } from '../lookups/index.js';
import { holdsTemplate } from '../lookups/terms.js';
import type { LookupHost, Terms } from '../lookups/types.js';
import { lookupContext } from '../template/globals.js';
import { isDict, isString, pyStr } from '../template/python.js';
import type { Templar } from '../template/templar.js';
import { markUnsafe } from '../template/trust.js';

export interface LoopLookupOptions {
  /**
   * The folder first_found tries in each search path: 'templates' for a
   * template task, 'vars' for include_vars, else 'files' (Ansible derives it
   * from the action's name).
   */
  subdir: string;
}

export interface LoopDeps {
  /**
   * Template a keyword value with the task's variables: strings holding
   * markup rendered (a lone `{{ expr }}` gives its native value), lists
   * and dicts walked. An undefined variable throws.
   */
  render(value: unknown): unknown;
  /** Run the lookup plugin `name` on `terms` with the task's context (engine/lookups/call.ts lookupForLoops). */
  lookup(name: string, terms: Terms, options: LoopLookupOptions): unknown[];
  /** The task's action (module) name, for with_first_found's folder. */
  action?: string;
}

/** A loop keyword the task cannot run with (Ansible's message; no stack trace). */
export class LoopError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'LoopError';
  }
}

function isUndefinedFailure(err: unknown): boolean {
  return err instanceof Error && (err.name === 'UndefinedVariableError' || (err.name === 'TemplateError' && (err as { variable?: string }).variable !== undefined));
}

/** True when the value still holds template markup anywhere (Ansible's templar.is_template). */
function stillTemplated(value: unknown): boolean {
  if (isString(value)) return holdsTemplate(String(value));
  if (Array.isArray(value)) return value.some(stillTemplated);
  if (isDict(value)) return Object.values(value).some(stillTemplated);
  return false;
}

/** Template with undefined variables tolerated: a string that cannot be rendered stays as written. */
function renderLenient(value: unknown, render: (v: unknown) => unknown): unknown {
  if (isString(value)) {
    try {
      return render(value);
    } catch (err) {
      if (isUndefinedFailure(err)) return value;
      throw err;
    }
  }
  if (Array.isArray(value)) return value.map((item) => renderLenient(item, render));
  if (isDict(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderLenient(v, render)]));
  return value;
}

/** listify_lookup_plugin_terms: a string stripped then templated, other values templated; scalars become one-item lists. */
function listify(value: unknown, render: (v: unknown) => unknown): Terms {
  const templated = render(isString(value) ? String(value).trim() : value);
  if (Array.isArray(templated) || isDict(templated)) return templated;
  return [templated];
}

/** The folder first_found uses, from the action's name (as Ansible's task executor picks it). */
export function loopSubdir(action: string | undefined): string {
  const name = action ?? '';
  for (const subdir of ['template', 'var', 'file']) if (name.includes(subdir)) return `${subdir}s`;
  return 'files';
}

/**
 * Whether a task keyword is a loop: `loop`, or `with_<name>` for a lookup
 * plugin `name` (Ansible's task loader accepts exactly these).
 */
export function isLoopKeyword(key: string): boolean {
  return key === 'loop' || (key.startsWith('with_') && findLookup(key.slice('with_'.length)) !== undefined);
}

/** The loop keywords a task has: `loop` and every `with_<name>`. */
export function loopKeywords(keywords: Record<string, unknown>): string[] {
  // `loop: null` is no loop; `with_x: null` is an error (below).
  return Object.keys(keywords).filter((k) => (k === 'loop' ? keywords[k] !== undefined && keywords[k] !== null : k.startsWith('with_') && keywords[k] !== undefined));
}

export function loopItems(keywords: Record<string, unknown>, deps: LoopDeps): unknown[] | undefined {
  const keys = loopKeywords(keywords);
  if (keys.length === 0) return undefined;
  const withKeys = keys.filter((k) => k !== 'loop');
  if (keys.length > 1) throw new LoopError(`duplicate loop in task: ${(withKeys[1] ?? withKeys[0] ?? 'loop').replace(/^with_/, '')}`);
  const key = keys[0]!;
  const value = keywords[key];

  if (key === 'loop') {
    const items = deps.render(value);
    if (!Array.isArray(items)) {
      throw new LoopError(`Invalid data passed to 'loop', it requires a list, got this instead: ${pyStr(items)}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`);
    }
    return items;
  }

  const name = key.slice('with_'.length);
  if (!findLookup(name)) throw new LoopError(`'${key}' is not a valid attribute for a Task`);
  if (value === null) throw new LoopError(`you must specify a value when using ${key}`);
  let terms: Terms;
  if (name === 'first_found') {
    // first_found passes over names that use undefined variables.
    terms = listify(value, (v) => renderLenient(v, deps.render));
    if (Array.isArray(terms)) terms = terms.filter((t) => !stillTemplated(t));
  } else terms = listify(value, deps.render);
  return markUnsafe(deps.lookup(name, terms, { subdir: loopSubdir(deps.action) }));
}

/**
 * The deps of loopItems for a task rendered by `templar` with `vars` (which
 * should hold the task's `ansible_search_path` and `playbook_dir`);
 * `source` names the task in template errors.
 */
export function templarLoopDeps(templar: Templar, vars: Record<string, unknown>, source: string, host?: LookupHost, action?: string): LoopDeps {
  const ctx = lookupContext(vars, {
    searchPaths: [],
    host,
    render: (text, v, src, options) => templar.render(text, v, src, options),
    renderValue: (value, v, src) => templar.renderValue(value, v, src),
  }, source);
  return { render: (value) => templar.renderValue(value, vars, source), lookup: lookupForLoops(ctx), action };
}

/** How a loop names its item (loop_control, rendered). */
export interface LoopNaming {
  loopVar: string;
  indexVar?: string;
  extended: boolean;
  extendedAllItems: boolean;
}

/** The variables item `index` of `items` runs with: the loop variable, the index variable, and `ansible_loop` when extended. */
export function loopItemVars(naming: LoopNaming, items: unknown[], index: number): Record<string, unknown> {
  const item = items[index];
  const vars: Record<string, unknown> = { [naming.loopVar]: item, ansible_loop_var: naming.loopVar };
  if (naming.indexVar) Object.assign(vars, { [naming.indexVar]: index, ansible_index_var: naming.indexVar });
  if (naming.extended) {
    const loop: Record<string, unknown> = {
      index: index + 1, index0: index, first: index === 0, last: index === items.length - 1, length: items.length,
      revindex: items.length - index, revindex0: items.length - index - 1,
    };
    if (naming.extendedAllItems) loop.allitems = items;
    if (index + 1 < items.length) loop.nextitem = items[index + 1];
    if (index > 0) loop.previtem = items[index - 1];
    vars.ansible_loop = loop;
  }
  return vars;
}
