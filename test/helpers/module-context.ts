/**
 * A ModuleContext on the local machine (the real LocalConnection) for module
 * unit tests, and `runModule`,
 * which drives a module the way the runner does (read → plan → apply unless
 * check mode) and shapes the result like a task result.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import nunjucks from 'nunjucks';
import { LocalConnection } from '../../engine/connection/local.js';
import type { Module, ModuleContext, ModuleResult } from '../../engine/modules/types.js';

export interface LocalContextOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  filesDir?: string;
  templatesDir?: string;
  host?: string;
}

export function localContext(options: LocalContextOptions = {}): ModuleContext {
  const conn = new LocalConnection(options.host ?? 'localhost');
  const vars = { inventory_hostname: options.host ?? 'localhost', ...(options.vars ?? {}) };
  const env = new nunjucks.Environment(undefined, { autoescape: false, throwOnUndefined: true });
  return {
    host: conn.host,
    conn,
    run: (command, execOptions = {}) => {
      const { become: _become, ...rest } = execOptions;
      return conn.exec(command, rest);
    },
    check: options.check ?? false,
    diff: options.diff ?? false,
    vars,
    renderTemplate: (text) => env.renderString(text, vars),
    findFile: (kind, name) => {
      if (isAbsolute(name)) return name;
      const dir = kind === 'files' ? options.filesDir : options.templatesDir;
      const candidate = dir ? join(dir, name) : name;
      if (!existsSync(candidate)) throw new Error(`could not find ${name} (looked in ${candidate})`);
      return candidate;
    },
    connectionFor: async (host) => new LocalConnection(host),
    hostVars: () => vars,
    location: 'test.yml:1',
    verbosity: 0,
  };
}

/** read → plan → apply (unless check mode), shaped like the runner's task result. */
export async function runModule(mod: Module<any, any>, args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  try {
    const state = await mod.read(ctx, args);
    const plan = await mod.plan(ctx, args, state);
    if (plan.failed) return { changed: false, failed: true, msg: plan.msg, ...(plan.result ?? {}) };
    if (ctx.check && plan.skipInCheckMode) return { changed: false, skipped: true, msg: 'skipped in check mode' };
    const base: ModuleResult = { changed: plan.changed, ...(plan.diff ? { diff: plan.diff } : {}), ...(plan.result ?? {}) };
    if (plan.msg !== undefined) base.msg = plan.msg;
    if (ctx.check || !plan.apply) return base;
    const extra = await plan.apply();
    return { ...base, ...(extra ?? {}) };
  } catch (error) {
    return { changed: false, failed: true, msg: error instanceof Error ? error.message : String(error) };
  }
}
