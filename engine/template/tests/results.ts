/**
 * Tests on registered task results: failed, succeeded, changed, skipped,
 * reachable/unreachable, finished and started. Each wants a dict, and
 * returns the result's own value for its key (so `failed: 'yes'` counts as
 * failed, as in Ansible).
 */
import { isDict, truthy, type Dict } from '../python.js';
import { FilterError, strict, type TestFn } from '../filters/support.js';

function taskResult(test: string, value: unknown): Dict {
  strict(value);
  if (!isDict(value)) throw new FilterError(`The '${test}' test expects a dictionary`);
  return value;
}

const get = (result: Dict, key: string, fallback: unknown) => (Object.hasOwn(result, key) ? result[key] : fallback);

const failed = (v: unknown) => get(taskResult('failed', v), 'failed', false);
const unreachable = (v: unknown) => get(taskResult('unreachable', v), 'unreachable', false);
const skipped = (v: unknown) => get(taskResult('skipped', v), 'skipped', false);

/** `changed`, or for a loop's result without it, whether any item changed. */
function changed(v: unknown): unknown {
  const result = taskResult('changed', v);
  if (Object.hasOwn(result, 'changed')) return result.changed;
  const results = result.results;
  if (Array.isArray(results)) {
    if (results.length === 0) throw new RangeError('list index out of range');
    if (isDict(results[0])) return results.some((r) => isDict(r) && truthy(get(r, 'changed', false)));
  }
  return false;
}

/** Async progress: 1 once finished (or started); a task that was not async counts as both. */
function asyncState(test: 'finished' | 'started', v: unknown): boolean {
  const result = taskResult(test, v);
  if (!Object.hasOwn(result, test)) return true;
  const state = result[test];
  return state === 1 || state === true;
}

export const resultTests: Record<string, TestFn> = {
  failed: failed as TestFn,
  failure: failed as TestFn,
  succeeded: (v) => !truthy(failed(v)),
  success: (v) => !truthy(failed(v)),
  successful: (v) => !truthy(failed(v)),
  unreachable: unreachable as TestFn,
  reachable: (v) => !truthy(unreachable(v)),
  changed: changed as TestFn,
  change: changed as TestFn,
  skipped: skipped as TestFn,
  skip: skipped as TestFn,
  finished: (v) => asyncState('finished', v),
  started: (v) => asyncState('started', v),
};
