/**
 * The last step before an event leaves the process: every reporter (plain,
 * TTY, `--report` JSON) passes each event through censorEvent first, so what
 * is printed or written never holds
 *   - a vault value: every string in the event (results, messages, diffs,
 *     warnings, loop items, task and play names) is masked with
 *     engine/vault/secrets.ts, before any formatting, so a secret is found
 *     whole even when JSON or a diff would later split or escape it;
 *   - anything of a `no_log` result (a task's, an item's or a retry's) but
 *     how it ended (changed/failed/skipped/unreachable, attempts/retries),
 *     the delegated host's address and the censorship notice, not even the
 *     loop item (the runner already sends it so; this holds for any source
 *     of events).
 * Host names are left as they are: they come from the (plain) inventory and
 * key the recap and the report.
 */
import type { ModuleResult } from '../modules/types.js';
import { maskSecretsDeep } from '../vault/secrets.js';
import type { RunEvent } from './events.js';
import { DELEGATED_VARS_KEY, NO_LOG_MESSAGE } from './results.js';

/** Result keys that say how a no_log task ended, and nothing of its data. */
const NO_LOG_KEPT = ['changed', 'failed', 'skipped', 'unreachable'] as const;
const NO_LOG_KEPT_COUNTS = ['attempts', 'retries'] as const;
/** Of the delegated host's variables, what names it in the output. */
const DELEGATED_KEPT = ['ansible_host', 'ansible_port', 'ansible_user', 'ansible_connection'] as const;

/** What a no_log item is shown as (Ansible shows `item=None`). */
export const CENSORED_ITEM = '(censored)';

export function censorEvent(event: RunEvent): RunEvent {
  switch (event.type) {
    case 'host_result': {
      const { host, result, item, ...rest } = event;
      if (event.noLog) return { ...maskSecretsDeep(rest), host, result: censoredResult(result), ...(item !== undefined && { item: CENSORED_ITEM }) };
      return { ...maskSecretsDeep(rest), host, result: maskSecretsDeep(result), ...(item !== undefined && { item: maskSecretsDeep(item) }) };
    }
    case 'retry': {
      const { host, result, ...rest } = event;
      return { ...maskSecretsDeep(rest), host, result: event.noLog ? censoredResult(result) : maskSecretsDeep(result) };
    }
    case 'include': {
      const { hosts, ...rest } = event;
      return { ...maskSecretsDeep(rest), hosts };
    }
    case 'async':
    case 'handler_notified':
    case 'verbose': {
      const { host, ...rest } = event;
      return { ...maskSecretsDeep(rest), ...(host !== undefined && { host }) } as RunEvent;
    }
    case 'play_start': {
      const { hosts, ...rest } = event;
      return { ...maskSecretsDeep(rest), hosts };
    }
    case 'task_start': {
      // A no_log task's arguments are its secrets.
      const { hosts, args, ...rest } = event;
      return { ...maskSecretsDeep(rest), hosts, ...(args !== undefined && !event.noLog && { args: maskSecretsDeep(args) }) };
    }
    case 'warning': {
      const { host, ...rest } = event;
      return { ...maskSecretsDeep(rest), ...(host !== undefined && { host }) };
    }
    case 'recap':
      return event;
    default:
      return maskSecretsDeep(event);
  }
}

function censoredResult(result: ModuleResult): ModuleResult {
  const kept: ModuleResult = { changed: result.changed === true };
  for (const key of NO_LOG_KEPT) if (typeof result[key] === 'boolean') kept[key] = result[key];
  for (const key of NO_LOG_KEPT_COUNTS) if (typeof result[key] === 'number') kept[key] = result[key];
  const delegated = result[DELEGATED_VARS_KEY];
  if (delegated && typeof delegated === 'object') {
    const vars = delegated as Record<string, unknown>;
    const address: Record<string, unknown> = {};
    for (const key of DELEGATED_KEPT) if (typeof vars[key] === 'string' || typeof vars[key] === 'number') address[key] = vars[key];
    kept[DELEGATED_VARS_KEY] = maskSecretsDeep(address);
  }
  return { ...kept, censored: NO_LOG_MESSAGE };
}
