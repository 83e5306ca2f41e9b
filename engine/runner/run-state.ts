/**
 * What lives for the whole run, across plays: each host's statistics and
 * whether it failed or became unreachable, the variables, the templar, the
 * connections and the async jobs. Plays and strategies share it.
 */
import type { Inventory } from '../inventory/index.js';
import type { Loader } from '../loader/playbook.js';
import type { Vars } from '../loader/model.js';
import { emptyStats, type HostStats, type RunEvent } from '../output/events.js';
import type { Templar } from '../template/index.js';
import type { LookupHost } from '../lookups/types.js';
import { AsyncJobs } from './async-jobs.js';
import { limiter } from './limit.js';
import type { RunOptions } from './options.js';
import type { ConnectionPool } from './pool.js';
import { ReadAhead, readAheadEnabled } from './read-ahead.js';
import type { VariableStore } from './vars.js';

export interface HostRecord {
  stats: HostStats;
  /** Failed in a play: left out of the plays after it (until clear_host_errors). */
  failed: boolean;
  unreachable: boolean;
}

export class RunState {
  readonly hosts = new Map<string, HostRecord>();
  readonly asyncJobs = new AsyncJobs();
  /** set_stats: per host, and `_run` for the whole run. */
  readonly customStats = new Map<string, Vars>();
  readonly fork: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The hosts' state read ahead of their tasks (read-ahead.ts). */
  readonly reads: ReadAhead;
  startAtPending: string | undefined;
  interrupted = false;

  constructor(
    readonly inventory: Inventory,
    readonly loader: Loader,
    readonly options: RunOptions,
    readonly store: VariableStore,
    readonly templar: Templar,
    readonly pool: ConnectionPool,
    readonly lookupHost?: LookupHost,
  ) {
    this.fork = limiter(Math.max(1, options.forks));
    this.reads = new ReadAhead(readAheadEnabled(options.readAhead));
    this.startAtPending = options.startAtTask;
  }

  emit(event: RunEvent): void {
    this.options.reporter.handle(event);
  }

  /** A host's record, without making one for a host that has not run (recap shows the hosts that ran). */
  peek(name: string): HostRecord | undefined {
    return this.hosts.get(name);
  }

  host(name: string): HostRecord {
    let h = this.hosts.get(name);
    if (!h) {
      h = { stats: emptyStats(), failed: false, unreachable: false };
      this.hosts.set(name, h);
    }
    return h;
  }

  stopping(): boolean {
    if (!this.interrupted && this.options.stopRequested?.()) this.interrupted = true;
    return this.interrupted;
  }

  warn(message: string, host?: string): void {
    this.emit({ type: 'warning', message, ...(host ? { host } : {}) });
  }
}
