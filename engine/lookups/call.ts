/**
 * Calling a lookup the way Ansible's templar does for `lookup()`,
 * `query()`/`q()`: terms templated, the plugin run, its failures handled by
 * `errors=`, the result joined with commas unless `wantlist`, and marked
 * unsafe unless `allow_unsafe=True`.
 */
import { markUnsafe } from '../template/trust.js';
import { isString, truthy, UndefinedVariableError, type Dict } from '../template/python.js';
import { TemplateError } from '../template/errors.js';
import { LookupError, LookupFailure, LookupOptionsError } from './errors.js';
import { findLookup } from './index.js';
import type { LookupContext, Terms } from './types.js';

function isUndefinedError(err: unknown): boolean {
  return err instanceof UndefinedVariableError || (err instanceof TemplateError && err.variable !== undefined);
}

/** Run a plugin by name with Ansible's `with_<name>` semantics: terms as given, errors raised as the plugin's message. */
export function runLookup(name: string, terms: Terms, options: Dict, ctx: LookupContext): unknown[] {
  const plugin = findLookup(name);
  if (!plugin) throw new LookupError(`lookup plugin (${name}) not found`);
  return plugin.run(terms, options, ctx);
}

/**
 * The lookup runner a `with_<name>` loop uses (engine/runner/loop-items.ts):
 * the plugin on the listified terms, with first_found's folder.
 */
export function lookupForLoops(ctx: LookupContext): (name: string, terms: Terms, options: { subdir?: string }) => unknown[] {
  return (name, terms, options) => runLookup(name, terms, {}, { ...ctx, subdir: options.subdir ?? ctx.subdir });
}

/**
 * `lookup(name, *args, **kwargs)` (or `query()` when `query` is true):
 * the value a template sees.
 */
export function callLookup(name: string, args: unknown[], kwargs: Dict, ctx: LookupContext, query: boolean): unknown {
  const plugin = findLookup(name);
  if (!plugin) throw new LookupError(`lookup plugin (${name}) not found`);
  const { wantlist: wantlistArg = false, allow_unsafe: allowUnsafeArg, errors: errorsArg = 'strict', ...options } = kwargs;
  const wantlist = query || truthy(wantlistArg);
  const allowUnsafe = allowUnsafeArg === undefined ? ctx.config?.('DEFAULT_ALLOW_UNSAFE_LOOKUPS')?.value === true : allowUnsafeArg;
  const terms = args.map((arg) => ctx.template(arg));

  let ran: unknown[];
  try {
    ran = plugin.run(terms, options, ctx);
  } catch (err) {
    if (isUndefinedError(err) || err instanceof LookupOptionsError) throw err;
    const original = err instanceof Error ? err.message : String(err);
    const pyClass = err instanceof LookupError ? err.pyClass : err instanceof TemplateError ? 'ansible.errors.AnsibleError' : 'Exception';
    const message = err instanceof LookupFailure
      ? `Lookup failed but the error is being ignored: ${original}`
      : `An unhandled exception occurred while running the lookup plugin '${name}'. Error was a <class '${pyClass}'>, original message: ${original}`;
    const errors = isString(errorsArg) ? String(errorsArg) : errorsArg;
    if (errors === 'warn') ctx.warn(message);
    // Ansible's message for an unhandled exception ends with the original one again.
    else if (errors !== 'ignore') throw err instanceof LookupFailure ? err : new LookupError(`${message}. ${original}`);
    return wantlist ? [] : null;
  }

  // Ansible checks `allow_unsafe is False`: any other value skips the marking and the joining.
  if (ran.length === 0 || allowUnsafe !== false) return ran;
  if (wantlist) return markUnsafe(ran);
  if (ran.every(isString)) return markUnsafe(ran.map(String).join(','));
  return markUnsafe(ran.length === 1 ? ran[0] : ran);
}
