import { stripVTControlCharacters } from 'node:util';
import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../../engine/output/events.js';
import { createReporter, DEFAULT_SETTINGS, formatRecap } from '../../../engine/output/index.js';
import { capture, RECAP_STATS, SECRET, sampleRun } from './fixtures.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function ttyReporter(options: { color?: boolean; verbosity?: number } = {}) {
  const out = capture();
  const reporter = createReporter({ tty: true, color: false, verbosity: 0, diff: true, check: false, write: out.write, ...options });
  return { reporter, out };
}

/** Feeds events with small pauses, as a real run delivers them over time. */
async function play(reporter: ReturnType<typeof ttyReporter>['reporter'], events: RunEvent[]): Promise<void> {
  for (const event of events) {
    reporter.handle(event);
    await tick();
  }
}

/** What a terminal would show, minus the escape codes. */
function visible(raw: string): string {
  return stripVTControlCharacters(raw);
}

describe('TTY (listr2) output', () => {
  test('draws each task with per-host states, shows failures and diffs under it, then the recap', async () => {
    const { reporter, out } = ttyReporter();
    await play(reporter, sampleRun());
    await reporter.close();
    const text = visible(out.text());
    expect(text).toContain('PLAY [base]');
    expect(text).toContain('✖ TASK [base-install : write motd]  uxsv01 ok · uxsv02 changed · uxsv03');
    expect(text).toContain('✔ TASK [install packages]  uxsv01 changed · uxsv02 ok');
    expect(text).toContain('› -old line');
    expect(text).toContain('› fatal: [uxsv02]: FAILED! => {"changed": false, "msg": "chmod failed"}');
    expect(text).toContain('› ok: [uxsv01] => {\n  › "msg": "mode is normal"\n  › }');
    // Bare statuses are in the title, not repeated under it.
    expect(text).not.toContain('› ok: [uxsv01]\n');
    expect(text).not.toContain(SECRET);
    expect(text.endsWith(`${formatRecap(RECAP_STATS, false)}\n`)).toBe(true);
  });

  test('writes no colour codes without colour', async () => {
    const { reporter, out } = ttyReporter({ color: false });
    await play(reporter, sampleRun());
    await reporter.close();
    expect(out.text()).not.toMatch(/\u001b\[\d+(;\d+)*m/);
  });

  test('colours host states with colour on', async () => {
    const { reporter, out } = ttyReporter({ color: true });
    await play(reporter, sampleRun());
    await reporter.close();
    expect(out.text()).toContain('uxsv02 \u001b[33mchanged\u001b[39m');
  });

  test('close() resolves when the run stops mid-task, and still prints a recap', async () => {
    const { reporter, out } = ttyReporter();
    const started = sampleRun().slice(0, 5); // play, task 1, two results: no task_end, no recap
    await play(reporter, started);
    await reporter.close();
    const text = visible(out.text());
    expect(text).toContain('(interrupted)');
    expect(text).toContain('PLAY RECAP');
    expect(text).toMatch(/uxsv02 +: ok=1 +changed=1 /);
  });

  test('events arriving all at once (no pause) render too', async () => {
    const { reporter, out } = ttyReporter();
    for (const event of sampleRun()) reporter.handle(event);
    await reporter.close();
    const text = visible(out.text());
    expect(text).toContain('TASK [set password]  uxsv01 changed · uxsv02 failed');
    expect(text).toContain('PLAY RECAP');
  });

  test('a task left open by the runner is closed by the next one, so rendering never stalls', async () => {
    const { reporter, out } = ttyReporter();
    const task = (id: number, name: string): RunEvent => ({ type: 'task_start', id, name, location: 'x:1', hosts: ['uxsv01'], handler: false });
    const ok = (taskId: number): RunEvent => ({ type: 'host_result', taskId, task: 't', host: 'uxsv01', status: 'ok', result: { changed: false }, durationMs: 1, noLog: false });
    await play(reporter, [task(1, 'first'), ok(1), task(2, 'second'), ok(2), { type: 'task_end', id: 2, name: 'second' }]);
    await reporter.close();
    const text = visible(out.text());
    expect(text).toContain('✔ TASK [first]  uxsv01 ok');
    expect(text).toContain('✔ TASK [second]  uxsv01 ok');
  });

  test('retries, includes, verbose notes and warnings show under their task; NO MORE HOSTS LEFT between tasks', async () => {
    const { reporter, out } = ttyReporter({ verbosity: 2 });
    await play(reporter, [
      { type: 'play_start', name: 'p', hosts: ['uxsv01'] },
      { type: 'task_start', id: 1, name: 'wait', location: 'x:1', hosts: ['uxsv01'], handler: false },
      { type: 'retry', taskId: 1, task: 'wait', host: 'uxsv01', attempt: 1, retriesLeft: 2, result: { changed: false, failed: true }, noLog: false },
      { type: 'warning', message: 'slow' },
      { type: 'host_result', taskId: 1, task: 'wait', host: 'uxsv01', status: 'failed', result: { changed: false, failed: true, msg: 'gave up' }, durationMs: 1, noLog: false },
      { type: 'task_end', id: 1, name: 'wait' },
      { type: 'task_start', id: 2, name: 'inc', location: 'x:2', hosts: ['uxsv01'], handler: false, action: 'include_tasks' },
      { type: 'host_result', taskId: 2, task: 'inc', host: 'uxsv01', status: 'ok', result: { changed: false }, durationMs: 1, noLog: false },
      { type: 'include', taskId: 2, file: '/srv/a.yml', hosts: ['uxsv01'] },
      { type: 'verbose', level: 2, message: 'META: ending play' },
      { type: 'task_end', id: 2, name: 'inc' },
      { type: 'no_hosts_remaining' },
    ]);
    await reporter.close();
    const text = visible(out.text());
    expect(text).toContain('› FAILED - RETRYING: [uxsv01]: wait (2 retries left).');
    expect(text).toContain('› [WARNING]: slow');
    expect(text).toContain('› fatal: [uxsv01]: FAILED! => {"changed": false, "msg": "gave up"}');
    expect(text).toContain('› included: /srv/a.yml for uxsv01');
    expect(text).toContain('› META: ending play');
    expect(text).toContain('NO MORE HOSTS LEFT');
    expect(text).not.toContain('TASK [wait] ***');
  });

  test('custom stats after the recap when asked for', async () => {
    const out = capture();
    const reporter = createReporter({
      tty: true,
      color: false,
      verbosity: 0,
      diff: false,
      check: false,
      write: out.write,
      settings: { ...DEFAULT_SETTINGS, showCustomStats: true },
    });
    await play(reporter, [{ type: 'recap', stats: RECAP_STATS, durationMs: 1, custom: { _run: { total: 3 } } }]);
    await reporter.close();
    expect(visible(out.text())).toContain('CUSTOM STATS:\n\n\tRUN: { "total": 3}\n');
  });
});
