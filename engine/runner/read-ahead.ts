/**
 * Reads batched across tasks. A task's module reads the host's state with
 * facts (engine/facts); a module that declares `readAhead` says, from its
 * arguments alone, which facts its read asks for. When such a task misses
 * the cache, its own reads and those of the host's next tasks (planned in
 * read-ahead-plan.ts) go to the host as one command, and the outputs are kept
 * here, per host, keyed by fact, parameters, become user and environment.
 * The next tasks then read from the cache: a run where nothing changes costs
 * a few round trips per host instead of one per task.
 *
 * What was read ahead is used only while nothing can have changed:
 *   - a task of a module that does not declare `readAhead` (command, shell,
 *     apt, ...) and reached its host (one that did not, such as a script
 *     skipped in check mode, changed nothing), a task whose module ran a
 *     command of its own (`ctx.run`:
 *     its change), reported a change outside check mode, failed or lost its
 *     host, a task with `until` (it waits for the host to change by itself),
 *     meta: reset_connection (a new login) and a background (async) job each
 *     forget everything read ahead;
 *   - on every host at once: inventory hosts may be one machine (local
 *     connections, one address under two names), so a change on one may be a
 *     change on another;
 *   - a batch that was under way while the cache was forgotten keeps nothing
 *     (the generation count); the task that sent it still uses its own part,
 *     as it would have read it itself.
 * Outputs are kept raw and parsed at each use, so no task sees another's
 * copy of a state, and a parse error shows where it would without the cache.
 *
 * The window grows with the run: after anything is forgotten a task reads
 * only its own state (as without read-ahead), then twice as many tasks ahead
 * as have passed since, up to MAX_WINDOW, so a run that changes everything
 * makes the hosts do no more work than without it. In check mode, where no
 * task changes a host, the window starts at CHECK_WINDOW. A `loop:` is the
 * exception: its first item that misses reads for every item (a loop's items
 * are planned together, up to MAX_LOOP_ITEMS), whatever the window. A task
 * planned once is not planned again until the cache is forgotten, and then
 * only if a variable its plan read has changed (read-ahead-plan.ts).
 *
 * UXSV_READ_AHEAD=0 (or RunOptions.readAhead false) turns it off.
 */
import type { BecomeSpec, ExecResult } from '../connection/types.js';
import { runFactBatch, type Fact, type FactOutput, type FactRequest } from '../facts/index.js';
import type { Module, ModuleContext, ModuleResult } from '../modules/types.js';
import type { PlanMemo } from './read-ahead-plan.js';

/** Most tasks read in one round trip. */
export const MAX_WINDOW = 64;
/**
 * The window right after the cache was forgotten, in check mode: there no
 * task changes a host, and what forgets the cache is a command made to run
 * (check_mode: false), nearly always a probe whose result the next tasks use.
 */
export const CHECK_WINDOW = 8;

/** The reads of one task ahead, with the become and environment they are made with. */
export interface PlannedRead {
  scope: string;
  requests: FactRequest[];
}

export interface ReaderOptions {
  /** The host the task's commands run on (the delegate_to target when delegated). */
  target: string;
  /** readScope() of the task. */
  scope: string;
  /** Runs the batch with the task's become, environment and timeout (inline: it changes nothing in the shell). */
  exec(script: string, inline: boolean): Promise<ExecResult>;
  /** The reads of the host's next `count` tasks; absent when the task is not at the host's own place (delegated). */
  window?(count: number): PlannedRead[];
  /** The reads of the task's other loop items, sent with the first item that misses whatever the window. */
  items?(): PlannedRead[];
  /** The task runs in check mode (the window starts at CHECK_WINDOW). */
  check?: boolean;
}

interface HostReads {
  outputs: Map<string, FactOutput>;
  /** Tasks run on the host since the cache was last forgotten. */
  streak: number;
  /** Tasks whose reads were planned since the cache was last forgotten: a later window does not render them again. */
  planned: Set<object>;
  /** Every plan made on the host, with the variables it read (read-ahead-plan.ts): kept when the cache is forgotten. */
  memo: WeakMap<object, PlanMemo>;
}

interface Pending {
  key: string;
  request: FactRequest;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** What a fact's output depends on besides its parameters: the user it runs as and its environment. */
export function readScope(become: BecomeSpec | undefined, environment: Record<string, string>): string {
  const who = become ? [become.user, (become as { method?: string }).method ?? 'sudo'] : null;
  return JSON.stringify([who, Object.entries(environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

function factKey(scope: string, fact: Fact<any, any>, params: unknown): string {
  return `${scope}\0${fact.name}\0${fact.key ? fact.key(params) : JSON.stringify(params)}`;
}

export function readAheadEnabled(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (option !== undefined) return option;
  return env.UXSV_READ_AHEAD !== '0';
}

/** Reads planned ahead; planning is a guess, and a guess that fails costs nothing but itself. */
function plannedSafely(plan: () => PlannedRead[]): PlannedRead[] {
  try {
    return plan();
  } catch {
    return [];
  }
}

export class ReadAhead {
  private generation = 0;
  private background = 0;
  private readonly hosts = new Map<string, HostReads>();

  constructor(readonly enabled: boolean) {}

  /** Forgets everything read ahead, on every host. */
  invalidate(): void {
    this.generation++;
    for (const h of this.hosts.values()) {
      h.outputs.clear();
      h.streak = 0;
      h.planned.clear();
    }
  }

  /** What is kept for a host (tests look at it). */
  cached(target: string): number {
    return this.hosts.get(target)?.outputs.size ?? 0;
  }

  private host(target: string): HostReads {
    let h = this.hosts.get(target);
    if (!h) this.hosts.set(target, (h = { outputs: new Map(), streak: 0, planned: new Set(), memo: new WeakMap() }));
    return h;
  }

  /** The tasks planned ahead on `target` since the cache was last forgotten (the planner skips and adds to it). */
  plannedTasks(target: string): Set<object> {
    return this.host(target).planned;
  }

  /** The plans made on `target` this run, reused while the variables they read are the same. */
  planMemo(target: string): WeakMap<object, PlanMemo> {
    return this.host(target).memo;
  }

  /**
   * A module's run on `target` ended with `result` (as the module gave it,
   * before changed_when): the cache lives on if the module declares its
   * reads and says it changed nothing, or if it reached no host at all
   * (`touched` false: a command skipped in check mode, say).
   */
  settled(target: string, mod: Module<any, any>, result: ModuleResult | undefined, check: boolean, touched = true): void {
    if (!this.enabled) return;
    const ended = result !== undefined && !result.unreachable;
    const unchanged = ended && !result.failed && (check || !result.changed);
    if (mod.controllerOnly || (mod.readAhead && unchanged) || (!mod.readAhead && ended && !touched)) this.host(target).streak++;
    else this.invalidate();
  }

  /** A background (async) job: nothing is read ahead while it runs, and what was read before it is forgotten when it ends. */
  during<T>(work: () => Promise<T>): () => Promise<T> {
    return async () => {
      this.background++;
      this.invalidate();
      try {
        return await work();
      } finally {
        this.background--;
        this.invalidate();
      }
    };
  }

  /**
   * Gives the context of one module run the cache: `ctx.fact` answers from
   * it (and sends what it lacks together with the window), and `ctx.run` —
   * the module's own command, a change — forgets it, before and after.
   */
  attach(mod: Module<any, any>, ctx: ModuleContext, options: ReaderOptions): void {
    if (!this.enabled || !mod.readAhead) return;
    const host = this.host(options.target);
    const run = ctx.run.bind(ctx);
    let direct = false;
    let planned = false;
    let pending: Pending[] = [];
    const readDirect = async (fact: Fact<any, any>, params: unknown): Promise<unknown> => {
      const res = await run(fact.command(params), fact.inline ? { inline: true } : {});
      return fact.parse({ rc: res.rc, stdout: res.stdout, stderr: res.stderr.toString() }, params);
    };
    const flush = async (): Promise<void> => {
      const batch = pending;
      pending = [];
      const own = new Map<string, FactRequest>();
      for (const p of batch) own.set(p.key, p.request);
      const ahead = new Map<string, FactRequest>();
      if (!planned) {
        planned = true;
        const count = Math.min(MAX_WINDOW, Math.max(2 * host.streak, options.check ? CHECK_WINDOW : 0));
        const reads = [
          ...(options.items ? plannedSafely(options.items) : []),
          ...(options.window && count > 0 ? plannedSafely(() => options.window!(count)) : []),
        ];
        for (const read of reads) {
          if (read.scope !== options.scope) continue;
          for (const request of read.requests) {
            const key = factKey(options.scope, request[0], request[1]);
            if (!own.has(key) && !host.outputs.has(key)) ahead.set(key, request);
          }
        }
      }
      const generation = this.generation;
      const keys = [...own.keys(), ...ahead.keys()];
      let outputs: Array<FactOutput | undefined>;
      try {
        ({ outputs } = await runFactBatch(options.exec, [...own.values(), ...ahead.values()]));
      } catch (err) {
        for (const p of batch) p.reject(err);
        return;
      }
      const byKey = new Map<string, FactOutput>();
      keys.forEach((key, i) => {
        const output = outputs[i];
        if (output) byKey.set(key, output);
      });
      if (generation === this.generation) for (const [key, output] of byKey) host.outputs.set(key, output);
      for (const p of batch) {
        const output = byKey.get(p.key);
        // Cut off (the output limit): read it by itself, as it would have been read without the batch.
        if (!output) readDirect(p.request[0], p.request[1]).then(p.resolve, p.reject);
        else {
          try {
            p.resolve(p.request[0].parse(output, p.request[1]));
          } catch (err) {
            p.reject(err);
          }
        }
      }
    };
    ctx.fact = <P, V>(fact: Fact<P, V>, params: P): Promise<V> => {
      if (direct || this.background) return readDirect(fact, params) as Promise<V>;
      const key = factKey(options.scope, fact, params);
      const output = host.outputs.get(key);
      if (output) return Promise.resolve().then(() => fact.parse(output, params));
      return new Promise<V>((resolve, reject) => {
        // Requests made together (readFacts) go out together.
        pending.push({ key, request: [fact, params], resolve: resolve as (v: unknown) => void, reject });
        if (pending.length === 1) queueMicrotask(() => void flush());
      });
    };
    ctx.run = async (command, runOptions) => {
      direct = true;
      this.invalidate();
      try {
        return await run(command, runOptions);
      } finally {
        this.invalidate();
      }
    };
  }
}
