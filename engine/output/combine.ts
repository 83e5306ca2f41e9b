import type { Reporter, RunEvent } from './events.js';

/**
 * One reporter that feeds several (screen + JSON report). Every reporter gets
 * every event and is closed even when another one fails; the first failure is
 * then raised, so a broken report file is not silently lost.
 */
export function combineReporters(...reporters: Reporter[]): Reporter {
  return {
    handle(event: RunEvent): void {
      const errors: unknown[] = [];
      for (const reporter of reporters) {
        try {
          reporter.handle(event);
        } catch (error) {
          errors.push(error);
        }
      }
      raiseFirst(errors);
    },
    async close(): Promise<void> {
      const outcomes = await Promise.allSettled(reporters.map((reporter) => reporter.close()));
      raiseFirst(outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : [])));
    },
  };
}

function raiseFirst(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} reporters failed`);
}
