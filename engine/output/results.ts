/**
 * How ansible-playbook shows a task result: which keys reach the screen
 * (its clean copy of the result, debug's own trimming, the keys a dump leaves
 * out), the JSON of a dump, the host and loop item labels, and the line about
 * an exception. Pure functions over one result.
 */
import type { ModuleResult } from '../modules/types.js';
import { pythonJson, pythonStr } from './python.js';

/** Ansible's wording, so operators and scripts recognise it. */
export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/** Result key a module sets to have its result printed at every verbosity (Ansible's convention, used by `debug`). */
export const VERBOSE_ALWAYS_KEY = '_ansible_verbose_always';
/** Result key that keeps a result from being printed even at -v (fact gathering sets it). */
export const VERBOSE_OVERRIDE_KEY = '_ansible_verbose_override';
/** Result key with the delegated host's connection variables (`ansible_host` shows in the host label). */
export const DELEGATED_VARS_KEY = '_ansible_delegated_vars';

/** What a no_log result keeps besides the notice. */
const NO_LOG_PRESERVED = ['attempts', 'changed', 'retries'];
const DELEGATED_VARS_PRESERVED = ['ansible_host', 'ansible_port', 'ansible_user', 'ansible_connection'];
/** Keys debug keeps when it shows a message. */
const DEBUG_MSG_KEYS = new Set(['msg', 'exception', 'warnings', 'deprecations']);
/** Keys debug drops when it shows a variable. */
const DEBUG_VAR_HIDDEN = ['changed', 'failed', 'skipped', 'invocation', 'skip_reason'];

function actionName(action: string | undefined): string | undefined {
  return action?.replace(/^ansible\.(builtin|legacy)\./, '');
}

export function isDebugAction(action: string | undefined): boolean {
  return actionName(action) === 'debug';
}

/** Dynamic includes: their own ok results are not printed (what they include is). */
export function isIncludeAction(action: string | undefined): boolean {
  const name = actionName(action);
  return name === 'include_tasks' || name === 'include_role' || name === 'include';
}

export function isInternalKey(key: string): boolean {
  return key.startsWith('_ansible_');
}

export type ShownResult = Record<string, unknown>;

/**
 * The result as Ansible's output sees it: for no_log only the notice (and
 * changed, attempts, retries); otherwise without `failed` and `skipped`
 * (the line already says so), and for debug without `invocation` either.
 * Only the top level is copied: the result itself is never changed.
 */
export function shownResult(result: ModuleResult, noLog: boolean, action?: string): ShownResult {
  if (noLog) {
    const shown: ShownResult = { censored: NO_LOG_MESSAGE };
    for (const key of NO_LOG_PRESERVED) if (key in result) shown[key] = result[key];
    const delegated = result[DELEGATED_VARS_KEY];
    if (delegated && typeof delegated === 'object') {
      const kept: Record<string, unknown> = {};
      for (const key of DELEGATED_VARS_PRESERVED) if (key in delegated) kept[key] = (delegated as Record<string, unknown>)[key];
      shown[DELEGATED_VARS_KEY] = kept;
    }
    return shown;
  }
  const shown: ShownResult = { ...result };
  delete shown.failed;
  delete shown.skipped;
  if (isDebugAction(action)) delete shown.invocation;
  return shown;
}

/** debug shows only its message, or only the variable it was asked for (Ansible's _clean_results). */
export function trimDebugResult(shown: ShownResult, action: string | undefined): void {
  if (!isDebugAction(action)) return;
  if ('msg' in shown) {
    for (const key of Object.keys(shown)) if (!DEBUG_MSG_KEYS.has(key) && !key.startsWith('_')) delete shown[key];
  } else {
    for (const key of DEBUG_VAR_HIDDEN) delete shown[key];
  }
}

/** Whether the result is dumped after its status line: at -v, or always for debug, never with the override. */
export function isVerbose(shown: ShownResult, verbosity: number, above = 0): boolean {
  return (verbosity > above || shown[VERBOSE_ALWAYS_KEY] === true) && (shown[VERBOSE_OVERRIDE_KEY] ?? false) === false;
}

export interface DumpOptions {
  verbosity: number;
  /** Ansible's callback_format_pretty: true indents always, false never, undefined as Ansible chooses. */
  pretty?: boolean;
  /** A fixed indentation (the custom stats use 1). */
  indent?: number;
}

/**
 * The JSON of a result as printed after `=>`: keys sorted, internal keys
 * left out at every depth, `invocation` and `diff` only from -vvv, never the
 * exception (printed on its own line); indented by 4 for debug, at -vvv and
 * more, or when pretty results are asked for.
 */
export function dumpResult(shown: ShownResult, options: DumpOptions): string {
  let indent = options.indent;
  if (!indent && (Boolean(shown[VERBOSE_ALWAYS_KEY]) || options.pretty === true || options.verbosity > 2)) indent = 4;
  if (options.pretty === false) indent = undefined;
  const dumped: ShownResult = { ...shown };
  if (options.verbosity < 3) {
    delete dumped.invocation;
    delete dumped.diff;
  }
  delete dumped.exception;
  return pythonJson(dumped, { indent: indent || undefined, omitKey: isInternalKey });
}

/** `host`, `host -> delegate`, or `host -> delegate(address)` when the delegate's ansible_host differs. */
export function hostLabel(host: string, delegatedTo: string | undefined, result: ModuleResult | ShownResult): string {
  if (!delegatedTo || delegatedTo === host) return host;
  const vars = result[DELEGATED_VARS_KEY];
  const address = vars && typeof vars === 'object' ? (vars as Record<string, unknown>).ansible_host : undefined;
  const shownAddress = address === undefined || address === null ? delegatedTo : pythonStr(address);
  return shownAddress !== delegatedTo ? `${host} -> ${delegatedTo}(${shownAddress})` : `${host} -> ${delegatedTo}`;
}

/** What follows `item=`: Python's str() of the label (`{'a': 1}`, `None`, `True`). */
export function itemLabel(item: unknown, noLog: boolean): string {
  return noLog ? 'None' : pythonStr(item);
}

/** Python's truth of a value (an include's item label is only shown when true). */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (value instanceof String) return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * The line about a module's exception, before its failure: its last line
 * below -vvv, the whole traceback from -vvv. Undefined without an exception.
 */
export function exceptionText(shown: ShownResult, verbosity: number): string | undefined {
  if (!('exception' in shown)) return undefined;
  const text = pythonStr(shown.exception);
  if (verbosity < 3) {
    const lines = text.trim().split('\n');
    return `An exception occurred during task execution. To see the full traceback, use -vvv. The error was: ${lines[lines.length - 1]}`;
  }
  return `The full traceback is:\n${text}`;
}
