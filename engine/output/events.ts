/**
 * Events the runner emits; the output layer (listr2 on a TTY, plain lines
 * otherwise) and the JSON report consume them. The runner already censors
 * no_log results; each reporter passes every event through censorEvent
 * (censor.ts) before using it, which masks vault values and enforces no_log.
 */
import type { ModuleResult } from '../modules/types.js';
import type { ConnectionStats } from '../connection/types.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable' | 'rescued' | 'ignored';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunEvent =
  | { type: 'playbook_start'; file: string; check: boolean }
  | { type: 'play_start'; name: string; hosts: string[] }
  | { type: 'task_start'; id: number; name: string; role?: string; location: string; hosts: string[]; handler: boolean }
  | {
      type: 'host_result';
      taskId: number;
      task: string;
      host: string;
      /** For loops: one event per item, then one summary event without item. */
      item?: string;
      status: HostStatus;
      result: ModuleResult;
      durationMs: number;
      delegatedTo?: string;
      noLog: boolean;
    }
  /** One failed attempt of a task with `until`, before it is tried again (Ansible's "FAILED - RETRYING"). */
  | { type: 'retry'; taskId: number; task: string; host: string; attempt: number; retriesLeft: number; result: ModuleResult; noLog: boolean }
  /** A dynamic include was loaded for these hosts (Ansible's "included: FILE for HOSTS"). */
  | { type: 'include'; taskId: number; file: string; hosts: string[]; item?: string }
  | { type: 'task_end'; id: number; name: string }
  /** Every host of the play has failed or ended: the play stops (Ansible's "NO MORE HOSTS LEFT"). */
  | { type: 'no_hosts_remaining' }
  /** The play's pattern matched no host (Ansible's "skipping: no hosts matched"). */
  | { type: 'no_hosts_matched'; pattern: string }
  | { type: 'play_end'; name: string }
  | { type: 'warning'; message: string; host?: string }
  /** A message shown from this verbosity up (Ansible's display.vv ...), e.g. what a meta task did. */
  | { type: 'verbose'; level: number; message: string; host?: string }
  | { type: 'deprecation'; message: string; version?: string }
  | {
      type: 'recap';
      stats: Record<string, HostStats>;
      durationMs: number;
      connections?: Record<string, ConnectionStats>;
      /** set_stats: per host (`per_host: true`) and for the whole run (`_run`). */
      custom?: Record<string, Record<string, unknown>>;
    };

export interface Reporter {
  handle(event: RunEvent): void;
  /** Flush and stop (restores the terminal for listr2). */
  close(): Promise<void>;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
