/** Reading facts through a module context (see types.ts). */
import { randomBytes } from 'node:crypto';
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

/** One fact and its parameters, for readFacts. */
export type FactRequest<P = any, V = any> = readonly [Fact<P, V>, P];
type Values<R extends readonly FactRequest[]> = { [K in keyof R]: R[K] extends FactRequest<any, infer V> ? V : never };

/**
 * Reads several facts in one round trip: their commands run one after the
 * other in one shell (each in a subshell of its own), and each output goes to
 * its own parser with its own exit code. Through the runner's cache
 * (`ctx.fact`) each is asked for separately.
 */
export async function readFacts<R extends readonly FactRequest[]>(ctx: ModuleContext, requests: R): Promise<Values<R>> {
  if (ctx.fact || requests.length === 1) {
    return (await Promise.all(requests.map(([fact, params]) => readFact(ctx, fact, params)))) as Values<R>;
  }
  const token = `uxsv-fact-${randomBytes(8).toString('hex')}`;
  const script = requests.map(([fact, params]) => [
    `(\n${fact.command(params)}\n)`,
    `printf '\\n%s %s\\n' ${token} "$?"`,
    `printf '\\n%s\\n' ${token} >&2`,
  ].join('\n')).join('\n');
  const res = await ctx.run(script);
  const outs = splitOnToken(res.stdout, Buffer.from(`\n${token} `));
  const errs = res.stderr.toString().split(`\n${token}\n`);
  return requests.map(([fact, params], i) => {
    const chunk = outs[i];
    if (!chunk) throw new Error(`cannot read ${fact.name}: ${res.stderr.toString().trim() || `rc ${res.rc}, the command was cut off`}`);
    return fact.parse({ rc: chunk.rc, stdout: chunk.out, stderr: errs[i] ?? '' }, params);
  }) as Values<R>;
}

/** The outputs before each `\n<token> <rc>\n`. */
function splitOnToken(stdout: Buffer, marker: Buffer): Array<{ out: Buffer; rc: number }> {
  const parts: Array<{ out: Buffer; rc: number }> = [];
  let start = 0;
  for (;;) {
    const at = stdout.indexOf(marker, start);
    if (at === -1) return parts;
    const end = stdout.indexOf(0x0a, at + marker.length);
    if (end === -1) return parts;
    parts.push({ out: stdout.subarray(start, at), rc: Number(stdout.subarray(at + marker.length, end).toString()) });
    start = end + 1;
  }
}
