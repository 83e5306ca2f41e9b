/**
 * The one way a module is run on a host, for the runner and the tests alike:
 * read the state, plan the change, and apply it unless in check mode. The
 * diff is kept only when diff mode is on; a module that cannot predict its
 * effect (command without creates/removes) is skipped in check mode;
 * controller-only modules (debug, set_fact, ...) run in check mode too.
 */
import { UnreachableError } from '../connection/types.js';
import { UserError } from '../errors.js';
import type { Module, ModuleContext, ModuleResult } from './types.js';

export async function runModule(mod: Module<any, any>, args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  try {
    const state = await mod.read(ctx, args);
    const plan = await mod.plan(ctx, args, state);
    const result: ModuleResult = { changed: plan.changed, ...(plan.result ?? {}) };
    // A module that returns its own `diff` value (known_hosts, sysctl: Ansible's dict) keeps it; a planned content diff shows in diff mode.
    if (plan.diff && ctx.diff && result.diff === undefined) result.diff = plan.diff;
    if (plan.failed) return { ...result, changed: false, failed: true, msg: plan.msg ?? (result.msg as string | undefined) };
    if (plan.msg !== undefined) result.msg = plan.msg;
    if (ctx.check && !mod.controllerOnly) {
      if (plan.skipInCheckMode) return { ...result, changed: false, skipped: true, msg: plan.msg ?? 'skipped, running in check mode' };
      return result;
    }
    if (plan.apply) {
      const applied = await plan.apply();
      if (applied) Object.assign(result, applied);
    }
    return result;
  } catch (err) {
    if (err instanceof UnreachableError) throw err;
    if (err instanceof UserError) return { changed: false, failed: true, msg: err.format() };
    return { changed: false, failed: true, msg: err instanceof Error ? err.message : String(err) };
  }
}
