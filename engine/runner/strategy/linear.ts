/**
 * Ansible's linear strategy: hosts move in lockstep, one task at a time for
 * every host that has it next, all of them finishing it before the next task
 * starts. Hosts whose includes gave them other tasks wait their turn (the
 * order of `allTasks`, included tasks placed right after their include).
 * A flush point runs the notified handlers in their order, hosts again in
 * lockstep.
 */
import { toBool } from '../../values.js';
import type { RunnableNode } from '../iterator.js';
import { keyword } from '../keywords.js';
import type { PlayRun } from '../play-run.js';
import { hostsLeft, runMeta, runTask } from './base.js';
import type { TaskOutcome } from '../executor.js';

export interface StrategyResult {
  /** any_errors_fatal or max_fail_percentage stopped the play: no later batch or play runs. */
  breakPlay: boolean;
}

export async function linear(play: PlayRun): Promise<StrategyResult> {
  let inHandlers = false;
  let breakPlay = false;
  for (;;) {
    if (play.run.stopping() || play.iterator.endPlay) break;
    const hosts = hostsLeft(play);
    const peeked = new Map<string, RunnableNode>();
    for (const h of hosts) {
      const t = play.iterator.next(h, true);
      if (t) peeked.set(h, t);
    }
    if (!peeked.size) break;
    if (inHandlers && ![...peeked.values()].some(isHandler)) inHandlers = false;
    const chosen = inHandlers ? nextHandler(play, peeked) : nextInLockstep(play, peeked);
    const runners = [...peeked].filter(([, t]) => t === chosen).map(([h]) => h);
    for (const h of runners) play.iterator.take(h, chosen);
    const handler = isHandler(chosen);
    if (chosen.kind === 'meta') {
      await runMeta(play, chosen, runners);
      if (!inHandlers && chosen.action === 'flush_handlers') inHandlers = true;
      continue;
    }
    const outcomes = await runTask(play, chosen, runners, handler);
    if (fatalOrTooMany(play, chosen, outcomes, hosts)) {
      breakPlay = true;
      if (hostsLeft(play).every((h) => play.iterator.isComplete(h))) {
        play.run.emit({ type: 'no_hosts_remaining' });
        break;
      }
    }
  }
  return { breakPlay };
}

/** The next task in play order that some host has next (Ansible's lockstep over all tasks). */
function nextInLockstep(play: PlayRun, peeked: Map<string, RunnableNode>): RunnableNode {
  const wanted = new Set(peeked.values());
  const all = play.iterator.allTasks;
  for (let pass = 0; pass < 2; pass++) {
    while (play.iterator.lockstepIndex < all.length) {
      const t = all[play.iterator.lockstepIndex++];
      if (wanted.has(t)) return t;
    }
    play.iterator.lockstepIndex = 0;
  }
  // A task not in the order (should not happen): run the first host's.
  return peeked.values().next().value as RunnableNode;
}

/** A handler (or an include in the handlers section): only the handler phase gives them. */
function isHandler(node: RunnableNode): boolean {
  return node.kind !== 'meta' && node.handler !== undefined;
}

/** In the handler phase: the handler earliest in the play's handler order that a host is at. */
function nextHandler(play: PlayRun, peeked: Map<string, RunnableNode>): RunnableNode {
  let best: RunnableNode | undefined;
  let bestIndex = Infinity;
  for (const t of peeked.values()) {
    if (!isHandler(t)) continue;
    const i = play.handlers.indexOf(t as never);
    const index = i < 0 ? play.handlers.length : i;
    if (index < bestIndex) {
      bestIndex = index;
      best = t;
    }
  }
  return best ?? (peeked.values().next().value as RunnableNode);
}

/**
 * any_errors_fatal: a failure fails every host of the batch (except those
 * already rescuing); max_fail_percentage: too many failed hosts fail the
 * rest. Either stops the play.
 */
function fatalOrTooMany(play: PlayRun, task: RunnableNode, outcomes: TaskOutcome[], hosts: string[]): boolean {
  const failed = outcomes.filter((o) => o.status === 'failed' || o.status === 'unreachable');
  if (!failed.length) return false;
  const fatal = toBool(keyword(task, 'any_errors_fatal') ?? play.play.keywords.any_errors_fatal ?? false, false) && !outcomes.every((o) => o.ignoreErrors);
  if (fatal) {
    for (const h of hosts) {
      if (play.iterator.isRescuing(h)) continue;
      play.run.host(h).failed = true;
      play.iterator.endHost(h);
    }
    return true;
  }
  const maxFail = play.play.keywords.max_fail_percentage;
  if (maxFail !== undefined) {
    const failedHosts = play.batchHosts.filter((h) => play.iterator.isFailed(h) || play.run.host(h).unreachable).length;
    if (failedHosts / play.batchHosts.length > Number(maxFail) / 100) {
      for (const h of hosts) if (!play.iterator.isFailed(h)) play.iterator.markFailed(h);
      play.run.emit({ type: 'no_hosts_remaining' });
      return true;
    }
  }
  return false;
}
