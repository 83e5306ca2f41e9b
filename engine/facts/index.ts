/** Reading facts through a module context (see types.ts). */
import { randomBytes } from 'node:crypto';
import type { ExecResult } from '../connection/types.js';
import type { ModuleContext } from '../modules/types.js';
import type { Fact, FactOutput } from './types.js';
import { splitOnToken } from './wire.js';

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
 * (`ctx.fact`) each is asked for separately (the cache sends the ones it
 * lacks together).
 */
export async function readFacts<R extends readonly FactRequest[]>(ctx: ModuleContext, requests: R): Promise<Values<R>> {
  if (ctx.fact || requests.length === 1) {
    return (await Promise.all(requests.map(([fact, params]) => readFact(ctx, fact, params)))) as Values<R>;
  }
  const { outputs, res } = await runFactBatch((script, inline) => ctx.run(script, inline ? { inline: true } : {}), requests);
  return requests.map(([fact, params], i) => {
    const output = outputs[i];
    if (!output) throw new Error(`cannot read ${fact.name}: ${res.stderr.toString().trim() || `rc ${res.rc}, the command was cut off`}`);
    return fact.parse(output, params);
  }) as Values<R>;
}

/**
 * Runs the commands of several facts as one command line and gives each its
 * own output, or undefined for one whose end never came (the command was cut
 * off). Requests of a fact that merges (Fact.merge) share one command and its
 * output. Each output ends with a marker holding a random token made for this
 * batch: nothing a host prints for one fact (a file's content, a name) can
 * know it, so none can pass for the end of another's output. A batch whose
 * markers are not exactly one per command, in order, gives no output at all.
 * `inline` tells the runner every command promises to leave the shell as it
 * was (Fact.inline): the resident shell may run the batch without a subshell.
 */
export async function runFactBatch(run: (script: string, inline: boolean) => Promise<ExecResult>, requests: readonly FactRequest[]): Promise<{ outputs: Array<FactOutput | undefined>; res: ExecResult }> {
  const token = `uxsv-fact-${randomBytes(16).toString('hex')}`;
  const groups = groupRequests(requests);
  const script = groups.map(({ fact, params }, i) => [
    // An inline command needs no subshell of its own either.
    fact.inline ? `{\n${fact.command(params)}\n}` : `(\n${fact.command(params)}\n)`,
    `printf '\\n%s %s %s\\n' ${token} ${i} "$?"`,
    `printf '\\n%s %s\\n' ${token} ${i} >&2`,
  ].join('\n')).join('\n');
  const res = await run(script, groups.every((g) => g.fact.inline));
  const outs = splitOnToken(res.stdout, Buffer.from(`\n${token} `));
  const errs = splitOnToken(res.stderr, Buffer.from(`\n${token} `));
  const ordered = (parts: Array<{ out: Buffer; tail: string }>, withRc: boolean) =>
    parts.every((p, i) => (withRc ? new RegExp(`^${i} \\d{1,3}$`) : new RegExp(`^${i}$`)).test(p.tail)) && parts.length <= groups.length;
  const outputs: Array<FactOutput | undefined> = requests.map(() => undefined);
  if (!ordered(outs, true) || !ordered(errs, false)) return { outputs, res };
  groups.forEach((group, i) => {
    const chunk = outs[i];
    if (!chunk) return;
    const output = { rc: Number(chunk.tail.split(' ')[1]), stdout: chunk.out, stderr: errs[i]?.out.toString() ?? '' };
    for (const member of group.members) outputs[member] = output;
  });
  return { outputs, res };
}

interface RequestGroup {
  fact: Fact<any, any>;
  params: unknown;
  /** The requests it answers, by index. */
  members: number[];
}

/** One group per request, but one for all requests of a fact that merges. */
function groupRequests(requests: readonly FactRequest[]): RequestGroup[] {
  const groups: RequestGroup[] = [];
  const merging = new Map<string, { group: RequestGroup; params: unknown[] }>();
  requests.forEach(([fact, params], i) => {
    if (!fact.merge) {
      groups.push({ fact, params, members: [i] });
      return;
    }
    const known = merging.get(fact.name);
    if (known) {
      known.params.push(params);
      known.group.members.push(i);
      return;
    }
    const group: RequestGroup = { fact, params, members: [i] };
    merging.set(fact.name, { group, params: [params] });
    groups.push(group);
  });
  for (const { group, params } of merging.values()) if (params.length > 1) group.params = group.fact.merge!(params);
  return groups;
}
