import { describe, expect, test } from 'vitest';
import type { Reporter, RunEvent } from '../../../engine/output/events.js';
import { combineReporters } from '../../../engine/output/index.js';

class Recorder implements Reporter {
  readonly events: RunEvent[] = [];
  closed = false;
  handle(event: RunEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.closed = true;
  }
}

const warning: RunEvent = { type: 'warning', message: 'w' };

describe('combineReporters', () => {
  test('feeds every event to every reporter and closes them all', async () => {
    const [a, b] = [new Recorder(), new Recorder()];
    const combined = combineReporters(a, b);
    combined.handle(warning);
    combined.handle({ type: 'play_end', name: 'p' });
    await combined.close();
    expect(a.events).toEqual([warning, { type: 'play_end', name: 'p' }]);
    expect(b.events).toEqual(a.events);
    expect([a.closed, b.closed]).toEqual([true, true]);
  });

  test('a failing reporter does not starve the others, and its error is raised', async () => {
    const broken: Reporter = {
      handle: () => {
        throw new Error('broken handle');
      },
      close: async () => {
        throw new Error('disk full');
      },
    };
    const healthy = new Recorder();
    const combined = combineReporters(broken, healthy);
    expect(() => combined.handle(warning)).toThrow('broken handle');
    expect(healthy.events).toEqual([warning]);
    await expect(combined.close()).rejects.toThrow('disk full');
    expect(healthy.closed).toBe(true);
  });

  test('several failures are raised together', async () => {
    const failing = (message: string): Reporter => ({ handle: () => {}, close: async () => Promise.reject(new Error(message)) });
    await expect(combineReporters(failing('a'), failing('b')).close()).rejects.toBeInstanceOf(AggregateError);
  });
});
