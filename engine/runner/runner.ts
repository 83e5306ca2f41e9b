/**
 * A run: the playbooks' plays in order, each run by its strategy
 * (play.ts, strategy/), then the recap. The pieces, Ansible's split:
 *   play.ts        a play's hosts and batches
 *   play-run.ts    one batch: iterator, handlers, run effects
 *   iterator.ts    where each host is (blocks, rescue/always, includes, handlers)
 *   strategy/      which host runs which task when (linear, free)
 *   executor.ts    one task on one host (loop, conditions, until, module)
 *   task-settings.ts  a task's keywords and arguments, rendered
 *   read-ahead.ts  the next tasks' reads in one round trip, kept while nothing changes
 *   includes.ts    dynamic includes; meta.ts: meta actions
 *   vars.ts        variable precedence; pool.ts: connections and locks
 */
import path from 'node:path';
import { Inventory } from '../inventory/index.js';
import { multiplexerProblem } from '../connection/index.js';
import type { Loader } from '../loader/playbook.js';
import type { Playbook } from '../loader/model.js';
import type { HostStats } from '../output/events.js';
import { Templar } from '../template/index.js';
import type { LookupHost } from '../lookups/types.js';
import { untag } from '../template/trust.js';
import type { RunOptions, RunResult } from './options.js';
import { runPlay } from './play.js';
import { ConnectionPool } from './pool.js';
import { RunState } from './run-state.js';
import { VariableStore } from './vars.js';
import { FactCache, factCacheSettings } from './fact-cache.js';

export type { PlayDefaults, RunOptions, RunResult } from './options.js';
export { playPattern } from './play.js';
export { taskTitle } from './keywords.js';
export { checkNotifyTargets } from './notify-check.js';
export { RETRIES_AFTER_DROP } from './play-run.js';

/** A file as Ansible names it in messages: as given, relative to the working folder when inside it. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

export class Runner {
  private readonly state: RunState;

  constructor(inventory: Inventory, loader: Loader, options: RunOptions) {
    const store = new VariableStore(inventory, options.extraVars, {
      check: options.check, diff: options.diff, verbosity: options.verbosity, forks: options.forks, limit: options.limit,
      tags: options.tags, skipTags: options.skipTags, inventorySources: options.inventorySources, configFile: options.configFile,
      injectFacts: options.injectFactVars ?? !/^(0|false|no|off)$/i.test(process.env.ANSIBLE_INJECT_FACT_VARS ?? ''),
    });
    store.factCache = new FactCache(options.factCache ?? factCacheSettings(process.env));
    if (options.flushCache) for (const host of inventory.hostNames()) store.factCache.remove(host);
    const lookupHost: LookupHost = {
      hostsMatching: (pattern) => inventory.select(pattern),
      warn: (message) => this.state.warn(message),
      ...(options.decryptVault ? { decryptVault: options.decryptVault } : {}),
      ...(options.config ? { config: options.config } : {}),
    };
    const templar = new Templar({ lookupHost });
    store.templar = templar;
    const pool = new ConnectionPool({ acceptNewHostKeys: options.acceptNewHostKeys, knownHostsFile: options.knownHostsFile, connect: options.connect, lockTtlSec: options.lockTtlSec });
    this.state = new RunState(inventory, loader, options, store, templar, pool, lookupHost);
  }

  async run(playbooks: Playbook[]): Promise<RunResult> {
    const run = this.state;
    const started = Date.now();
    try {
      playbooks: for (const pb of playbooks) {
        run.emit({ type: 'playbook_start', file: pb.file, check: run.options.check });
        run.emit({ type: 'verbose', level: 2, message: `${pb.plays.length} plays in ${shownPath(pb.file)}` });
        for (const play of pb.plays) {
          if (run.stopping()) break playbooks;
          const outcome = await runPlay(run, play);
          if (outcome.stopPlaybook) break playbooks;
        }
      }
    } finally {
      await run.pool.closeAll();
    }
    const muxProblem = multiplexerProblem();
    if (muxProblem) run.warn(muxProblem);
    const stats: Record<string, HostStats> = {};
    for (const [host, s] of run.hosts) stats[host] = s.stats;
    const connections = Object.fromEntries(run.pool.closed.map(({ host, ...counts }) => [host, counts]));
    const custom = run.customStats.size ? Object.fromEntries([...run.customStats].map(([h, v]) => [h, untag(v)])) : undefined;
    run.emit({ type: 'recap', stats, durationMs: Date.now() - started, connections, ...(custom ? { custom } : {}) });
    const records = [...run.hosts.values()];
    return {
      stats,
      anyFailed: records.some((s) => s.failed),
      anyUnreachable: records.some((s) => s.unreachable),
      anyChanged: records.some((s) => s.stats.changed > 0),
      interrupted: run.interrupted,
      connections: run.pool.closed,
    };
  }
}
