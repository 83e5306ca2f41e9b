/**
 * Events the runner emits; the output layer (listr2 on a TTY, plain lines
 * otherwise) and the JSON report consume them. The runner already censors
 * no_log results; each reporter passes every event through censorEvent
 * (censor.ts) before using it, which masks vault values and enforces no_log.
 *
 * Where stdout is not a terminal the output is ansible-playbook's (its
 * default callback), so the events carry what that output is made of:
 * results are Ansible's result dicts, as registered (`failed`, `skipped`,
 * `msg`, `rc`, `stdout_lines`, `invocation`, `warnings`, `deprecations`,
 * `exception`, `diff`, and the internal `_ansible_verbose_always`,
 * `_ansible_verbose_override`, `_ansible_delegated_vars` keys); a loop item's
 * result holds `item` (or the loop_var) and `ansible_loop_var` as Ansible's
 * does. test/unit/output/ansible/runs/ holds event streams recorded from
 * ansible-playbook runs next to what it printed: the reference for both.
 */
import type { ModuleResult } from '../modules/types.js';
import type { ConnectionStats } from '../connection/types.js';

/**
 * How a task ended on a host. `ignored`: a failure under ignore_errors, or
 * an unreachable host under ignore_unreachable (its result has
 * `unreachable: true`); `rescued`: a failure a block's rescue took over.
 */
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
  /** `check`: the play runs in check mode (default: the run's --check); `strategy`: linear (default), free, host_pinned... */
  | { type: 'play_start'; name: string; hosts: string[]; check?: boolean; strategy?: string }
  | {
      type: 'task_start';
      id: number;
      /** The task's name (templated), or its action when it has none; without the role. */
      name: string;
      role?: string;
      /** `file:line`, shown as `task path:` from -vv. */
      location: string;
      hosts: string[];
      handler: boolean;
      /** The module or action as written (`debug`, `ansible.builtin.include_tasks`): debug's results and includes print differently. */
      action?: string;
      /** The task runs in check mode (default: the play's). */
      check?: boolean;
      /** The task's `diff` keyword, else --diff. A result's `diff` is printed with --diff or `diff: true` (modules return one only in diff mode). */
      diff?: boolean;
      /** The task's arguments as written (shown in the banner with display_args_to_stdout, unless no_log). */
      args?: Record<string, unknown>;
      /** The task's no_log keyword (its arguments are then never shown). */
      noLog?: boolean;
    }
  | {
      type: 'host_result';
      taskId: number;
      task: string;
      host: string;
      /**
       * For loops: one event per item, then one summary event without item
       * (its result holds `results`). The item's label: loop_control.label
       * rendered, else the item itself, any value (shown as Python's str()).
       * Each item's warnings are also in the summary's result.
       */
      item?: unknown;
      status: HostStatus;
      result: ModuleResult;
      durationMs: number;
      delegatedTo?: string;
      noLog: boolean;
    }
  /** One failed attempt of a task with `until`, before it is tried again (Ansible's "FAILED - RETRYING"). */
  | {
      type: 'retry';
      taskId: number;
      /** The task's name as written (without role). */
      task: string;
      host: string;
      attempt: number;
      retriesLeft: number;
      result: ModuleResult;
      noLog: boolean;
      delegatedTo?: string;
    }
  /** A dynamic include was loaded for these hosts (Ansible's "included: FILE for HOSTS"); `item`: the loop item's label. */
  | { type: 'include'; taskId: number; file: string; hosts: string[]; item?: unknown }
  /** An async task's job was polled (`poll`), or ended (`ok`, `failed`); `started`/`finished` as async_status returns them. */
  | { type: 'async'; state: 'poll' | 'ok' | 'failed'; taskId: number; host: string; jid: unknown; started?: unknown; finished?: unknown }
  /** A handler was notified for a host (shown from -vv). */
  | { type: 'handler_notified'; handler: string; host: string }
  /** A message shown from verbosity `level` (Ansible's display.v/vv/vvv...: `META: ...`, `N plays in FILE`), as `<host> message` with a host. */
  | { type: 'verbose'; level: number; message: string; host?: string }
  | { type: 'task_end'; id: number; name: string }
  /** Every host of the play has failed or ended: the play stops (Ansible's "NO MORE HOSTS LEFT"). */
  | { type: 'no_hosts_remaining' }
  /** The play's pattern matched no host (Ansible's "skipping: no hosts matched"). */
  | { type: 'no_hosts_matched'; pattern: string }
  | { type: 'play_end'; name: string }
  /** `[WARNING]: message` (each text once per run). Ansible's warnings have no host; ours may name one. */
  | { type: 'warning'; message: string; host?: string }
  | { type: 'deprecation'; message: string; version?: string; date?: string; collectionName?: string }
  | {
      type: 'recap';
      stats: Record<string, HostStats>;
      durationMs: number;
      connections?: Record<string, ConnectionStats>;
      /** set_stats: per host (`per_host: true`) and for the whole run (`_run`). */
      custom?: Record<string, Record<string, unknown>>;
    };

export type HostResultEvent = Extract<RunEvent, { type: 'host_result' }>;
export type TaskStartEvent = Extract<RunEvent, { type: 'task_start' }>;

export interface Reporter {
  handle(event: RunEvent): void;
  /** Flush and stop (restores the terminal for listr2). */
  close(): Promise<void>;
}

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
