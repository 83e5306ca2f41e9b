/** Reading facts through a module context (see types.ts). */
import type { ModuleContext } from '../modules/types.js';
import type { Fact } from './types.js';

export type { Fact, FactOutput } from './types.js';

/**
 * Reads one fact on the context's host, with the task's become and
 * environment. When the runner gave the context a fact cache (`ctx.fact`),
 * a fact read ahead of the task is taken from there.
 */
export async function readFact<P, V>(ctx: ModuleContext, fact: Fact<P, V>, params: P): Promise<V> {
  if (ctx.fact) return ctx.fact(fact, params);
  const res = await ctx.run(fact.command(params), fact.inline ? { inline: true } : {});
  return fact.parse({ rc: res.rc, stdout: res.stdout, stderr: res.stderr.toString() }, params);
}
