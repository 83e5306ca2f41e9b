/**
 * The last step before an event leaves the process: every reporter (plain,
 * TTY, `--report` JSON) passes each event through censorEvent first, so what
 * is printed or written never holds
 *   - a vault value: every string in the event (results, messages, diffs,
 *     warnings, loop items, task and play names) is masked with
 *     engine/vault/secrets.ts, before any formatting, so a secret is found
 *     whole even when JSON or a diff would later split or escape it;
 *   - anything of a `no_log` result but changed/failed/skipped/unreachable and
 *     the censorship notice, not even the loop item (the runner already sends
 *     it so; this holds for any source of events).
 * Host names are left as they are: they come from the (plain) inventory and
 * key the recap and the report.
 */
import type { ModuleResult } from '../modules/types.js';
import { maskSecretsDeep } from '../vault/secrets.js';
import type { RunEvent } from './events.js';
import { NO_LOG_MESSAGE } from './format.js';

/** Result keys that say how a no_log task ended, and nothing of its data. */
const NO_LOG_KEPT = ['changed', 'failed', 'skipped', 'unreachable'] as const;

/** What a no_log item is shown as (Ansible shows `item=None`). */
export const CENSORED_ITEM = '(censored)';

export function censorEvent(event: RunEvent): RunEvent {
  switch (event.type) {
    case 'host_result': {
      const { host, result, item, ...rest } = event;
      if (event.noLog) return { ...maskSecretsDeep(rest), host, result: censoredResult(result), ...(item !== undefined && { item: CENSORED_ITEM }) };
      return { ...maskSecretsDeep(rest), host, result: maskSecretsDeep(result), ...(item !== undefined && { item: maskSecretsDeep(item) }) };
    }
    case 'play_start':
    case 'task_start': {
      const { hosts, ...rest } = event;
      return { ...maskSecretsDeep(rest), hosts } as RunEvent;
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
  return { ...kept, censored: NO_LOG_MESSAGE };
}
