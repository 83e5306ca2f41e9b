/**
 * `meta:` actions act on the play itself, so the strategy runs them, not the
 * task executor (Ansible's _execute_meta). Like Ansible: a meta task is not
 * counted in the recap; a false `when` shows `skipping`; the actions that
 * concern every host (end_play, end_batch, clear_host_errors, clear_facts,
 * refresh_inventory) are evaluated on the first host only.
 */
import type { MetaNode } from '../loader/model.js';
import { conditionsOf, location } from './keywords.js';
import type { PlayRun } from './play-run.js';

const PER_HOST = new Set(['noop', 'reset_connection', 'end_host', 'role_complete', 'flush_handlers']);
const NO_CONDITION = new Set(['noop', 'refresh_inventory', 'reset_connection']);

export async function executeMeta(play: PlayRun, task: MetaNode, hosts: string[]): Promise<void> {
  const run = play.run;
  if (!task.implicit) run.emit(play.taskStart(task, hosts, task.handler !== undefined));
  if (NO_CONDITION.has(task.action) && conditionsOf(task).length && !task.implicit) run.warn(`${task.action} task does not support when conditional`);
  const targets = PER_HOST.has(task.action) ? hosts : hosts.slice(0, 1);
  for (const host of targets) {
    if (!NO_CONDITION.has(task.action) && !holds(play, task, host)) {
      const reason = `${task.action} conditional evaluated to False${SKIP_SUFFIX[task.action]?.(host) ?? ''}`;
      if (!task.implicit) {
        run.emit({ type: 'host_result', taskId: task.id, task: play.displayName(task), host, status: 'skipped', result: { changed: false, skipped: true, skip_reason: reason }, durationMs: 0, noLog: false });
        run.emit({ type: 'verbose', level: 2, message: `META: ${reason}` });
      }
      continue;
    }
    const message = await apply(play, task, host);
    if (!task.implicit) run.emit({ type: 'verbose', level: 2, message: `META: ${message}` });
  }
  if (!task.implicit) run.emit({ type: 'task_end', id: task.id, name: play.displayName(task) });
}

function holds(play: PlayRun, task: MetaNode, host: string): boolean {
  const conditions = conditionsOf(task);
  if (!conditions.length) return true;
  const vars = play.varsFor(task, host);
  return conditions.every((c) => play.run.templar.isTrue(c, vars, `${location(task)} when`));
}

/** What Ansible adds to "<action> conditional evaluated to False". */
const SKIP_SUFFIX: Record<string, (host: string) => string> = {
  flush_handlers: (h) => `, not running handlers for ${h}`,
  clear_facts: (h) => `, not clearing facts and fact cache for ${h}`,
  clear_host_errors: (h) => `, not clearing host error state for ${h}`,
  end_batch: () => ', continuing current batch',
  end_play: () => ', continuing play',
  end_host: (h) => `, continuing execution for ${h}`,
};

/** Does the action; returns what Ansible reports it did. */
async function apply(play: PlayRun, task: MetaNode, host: string): Promise<string> {
  const run = play.run;
  const batch = play.batchHosts.filter((h) => !run.host(h).unreachable);
  switch (task.action) {
    case 'flush_handlers':
      if (!run.host(host).unreachable) play.iterator.startHandlers(host);
      return `triggered running handlers for ${host}`;
    case 'end_host':
      play.iterator.endHost(host);
      play.removed.add(host);
      return `ending play for ${host}`;
    case 'end_play':
      for (const h of batch) play.iterator.endHost(h);
      play.iterator.endPlay = true;
      return 'ending play';
    case 'end_batch':
      for (const h of batch) play.iterator.endHost(h);
      return 'ending batch';
    case 'clear_host_errors':
      for (const h of play.batchHosts) {
        run.host(h).failed = false;
        play.iterator.clearErrors(h);
      }
      return 'cleared host errors';
    case 'clear_facts':
      for (const h of play.playHosts) run.store.clearFacts(h);
      return 'facts cleared';
    case 'refresh_inventory':
      run.inventory.refresh();
      run.store.inventoryChanged();
      return 'inventory successfully refreshed';
    case 'reset_connection':
      await run.pool.close(host, { reset: true });
      // A new login may see the host otherwise (new groups, another user): what was read ahead is read again.
      run.reads.invalidate();
      return 'reset connection';
    case 'role_complete':
      return `role_complete for ${host}`;
    case 'end_role':
    case 'noop':
      return task.action;
  }
}
