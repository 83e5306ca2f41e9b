/**
 * Event types the formatters share, and the titles the TTY view draws.
 */
import type { HostStatus, RunEvent } from './events.js';

export type HostResultEvent = Extract<RunEvent, { type: 'host_result' }>;
export type TaskStartEvent = Extract<RunEvent, { type: 'task_start' }>;

export { NO_LOG_MESSAGE, VERBOSE_ALWAYS_KEY } from './results.js';

/** Failure-like statuses: the task did not do its job on the host (even if that was tolerated). */
export function isFailureLike(status: HostStatus): boolean {
  return status === 'failed' || status === 'unreachable' || status === 'rescued' || status === 'ignored';
}
