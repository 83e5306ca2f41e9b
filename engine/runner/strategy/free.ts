/**
 * Ansible's free strategy: every host goes through the play as fast as it
 * can, without waiting for the others (at most --forks hosts at once).
 * Includes, handler flushes and meta tasks act on the host alone.
 */
import type { PlayRun } from '../play-run.js';
import { hostsLeft, runMeta, runTask } from './base.js';
import type { StrategyResult } from './linear.js';

export async function free(play: PlayRun): Promise<StrategyResult> {
  await Promise.all(hostsLeft(play).map((host) => play.run.fork(() => runHost(play, host))));
  return { breakPlay: false };
}

async function runHost(play: PlayRun, host: string): Promise<void> {
  for (;;) {
    if (play.run.stopping() || play.iterator.endPlay || play.run.host(host).unreachable) return;
    const task = play.iterator.next(host);
    if (!task) return;
    if (task.kind === 'meta') await runMeta(play, task, [host]);
    else await runTask(play, task, [host], play.iterator.inHandlers(host), { alreadyForked: true });
  }
}
