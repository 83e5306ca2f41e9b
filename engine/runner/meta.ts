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
  if (!task.implicit) run.emit({ type: 'task_start', id: task.id, name: play.displayName(task), role: task.scope.role?.name, location: location(task), hosts, handler: false });
  if (NO_CONDITION.has(task.action) && conditionsOf(task).length && !task.implicit) run.warn(`${task.action} task does not support when conditional`);
  const targets = PER_HOST.has(task.action) ? hosts : hosts.slice(0, 1);
  for (const host of targets) {
    if (!NO_CONDITION.has(task.action) && !holds(play, task, host)) {
      if (!task.implicit) run.emit({ type: 'host_result', taskId: task.id, task: play.displayName(task), host, status: 'skipped', result: { changed: false, skipped: true, skip_reason: `${task.action} conditional evaluated to False` }, durationMs: 0, noLog: false });
      continue;
    }
    await apply(play, task, host);
  }
  if (!task.implicit) run.emit({ type: 'task_end', id: task.id, name: play.displayName(task) });
}

function holds(play: PlayRun, task: MetaNode, host: string): boolean {
  const conditions = conditionsOf(task);
  if (!conditions.length) return true;
  const vars = play.varsFor(task, host);
  return conditions.every((c) => play.run.templar.isTrue(c, vars, `${location(task)} when`));
}

async function apply(play: PlayRun, task: MetaNode, host: string): Promise<void> {
  const run = play.run;
  const batch = play.batchHosts.filter((h) => !run.host(h).unreachable);
  switch (task.action) {
    case 'flush_handlers':
      if (!run.host(host).unreachable) play.iterator.startHandlers(host);
      return;
    case 'end_host':
      play.iterator.endHost(host);
      play.removed.add(host);
      return;
    case 'end_play':
      for (const h of batch) play.iterator.endHost(h);
      play.iterator.endPlay = true;
      return;
    case 'end_batch':
      for (const h of batch) play.iterator.endHost(h);
      return;
    case 'clear_host_errors':
      for (const h of play.batchHosts) {
        run.host(h).failed = false;
        play.iterator.clearErrors(h);
      }
      return;
    case 'clear_facts':
      for (const h of play.playHosts) run.store.clearFacts(h);
      return;
    case 'refresh_inventory':
      run.inventory.refresh();
      run.store.inventoryChanged();
      return;
    case 'reset_connection':
      await run.pool.close(host);
      return;
    case 'role_complete':
    case 'end_role':
    case 'noop':
      return;
  }
}
