/** censorEvent, the first step of every reporter: vault values masked, no_log results reduced, host names kept. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import type { RunEvent } from '../../../engine/output/events.js';
import { censorEvent, createReporter, JsonReport, NO_LOG_MESSAGE, type Reporter } from '../../../engine/output/index.js';
import { clearSecrets, MASK, registerSecret } from '../../../engine/vault/secrets.js';
import { capture, sampleRun } from './fixtures.js';

const VAULTED = 'vaulted-Value-0c4e';

afterEach(() => clearSecrets());

/** The sample run with a vault value in a task name, a result, a diff, a loop item and a warning. */
function runWithVaultValue(): RunEvent[] {
  const events = sampleRun();
  const at = events.findIndex((e) => e.type === 'warning');
  events.splice(
    at,
    0,
    { type: 'task_start', id: 7, name: `use ${VAULTED}`, location: 'playbooks/site.yml:60', hosts: ['uxsv01'], handler: false },
    {
      type: 'host_result',
      taskId: 7,
      task: `use ${VAULTED}`,
      host: 'uxsv01',
      item: VAULTED,
      status: 'failed',
      durationMs: 3,
      noLog: false,
      result: { changed: true, failed: true, msg: `bad ${VAULTED}`, stderr: `err ${VAULTED}\n`, diff: [{ before: 'a\n', after: `a\npw=${VAULTED}\n` }] },
    },
    {
      type: 'host_result',
      taskId: 7,
      task: `use ${VAULTED}`,
      host: 'uxsv01',
      item: 'second',
      status: 'changed',
      durationMs: 3,
      noLog: false,
      result: { changed: true, diff: [{ before: 'a\n', after: `a\npw=${VAULTED}\n` }] },
    },
    { type: 'host_result', taskId: 7, task: `use ${VAULTED}`, host: 'uxsv01', status: 'failed', durationMs: 3, noLog: false, result: { changed: true, failed: true, msg: 'One or more items failed' } },
    { type: 'task_end', id: 7, name: `use ${VAULTED}` },
    { type: 'warning', message: `about ${VAULTED}`, host: 'uxsv01' },
  );
  return events;
}

async function feed(reporter: Reporter, events: RunEvent[]): Promise<void> {
  for (const event of events) {
    reporter.handle(event);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await reporter.close();
}

describe('censorEvent', () => {
  test('a no_log retry keeps only its counts, and the address of a delegated host', () => {
    const event = censorEvent({
      type: 'retry',
      taskId: 1,
      task: 'wait',
      host: 'h1',
      attempt: 1,
      retriesLeft: 2,
      noLog: true,
      delegatedTo: 'h2',
      result: { changed: false, failed: true, attempts: 1, retries: 3, stdout: 'secret', _ansible_delegated_vars: { ansible_host: '10.0.0.2', ansible_password: 'secret' } },
    });
    expect(JSON.stringify(event)).not.toContain('secret');
    expect(event).toMatchObject({ result: { attempts: 1, retries: 3, censored: NO_LOG_MESSAGE, _ansible_delegated_vars: { ansible_host: '10.0.0.2' } } });
  });

  test('masks every text of the other events, never their host names, and drops a no_log task\'s arguments', () => {
    registerSecret(VAULTED);
    registerSecret('uxsv01');
    const events: RunEvent[] = [
      { type: 'include', taskId: 1, file: `/srv/${VAULTED}.yml`, hosts: ['uxsv01'], item: VAULTED },
      { type: 'verbose', level: 2, message: `META: ${VAULTED}`, host: 'uxsv01' },
      { type: 'handler_notified', handler: `restart ${VAULTED}`, host: 'uxsv01' },
      { type: 'async', state: 'poll', taskId: 1, host: 'uxsv01', jid: VAULTED },
      { type: 'deprecation', message: VAULTED },
      { type: 'task_start', id: 1, name: 'a', location: 'x:1', hosts: ['uxsv01'], handler: false, args: { password: VAULTED } },
      { type: 'task_start', id: 2, name: 'b', location: 'x:2', hosts: ['uxsv01'], handler: false, args: { password: 'plain-secret' }, noLog: true },
    ];
    const censored = events.map(censorEvent);
    const text = JSON.stringify(censored);
    expect(text).not.toContain(VAULTED);
    expect(text).not.toContain('plain-secret');
    expect(censored.slice(1, 4).every((e) => (e as { host: string }).host === 'uxsv01')).toBe(true);
    expect(censored[0]).toMatchObject({ hosts: ['uxsv01'], item: MASK });
    expect(censored[5]).toMatchObject({ args: { password: MASK } });
  });

  test('reduces a no_log result to how it ended, with the item hidden', () => {
    const event = censorEvent({
      type: 'host_result',
      taskId: 1,
      task: 'set password',
      host: 'h1',
      item: 'secret-item',
      status: 'failed',
      durationMs: 1,
      noLog: true,
      result: { changed: false, failed: true, msg: 'secret', cmd: 'echo secret', stderr: 'secret' },
    });
    expect(event).toMatchObject({ host: 'h1', item: '(censored)', result: { changed: false, failed: true, censored: NO_LOG_MESSAGE } });
    expect(JSON.stringify(event)).not.toContain('secret-item');
    expect(Object.keys((event as Extract<RunEvent, { type: 'host_result' }>).result).sort()).toEqual(['censored', 'changed', 'failed']);
  });

  test('leaves events alone when nothing is registered, and never masks host names', () => {
    const events = sampleRun().filter((e) => !(e.type === 'host_result' && e.noLog));
    expect(events.map(censorEvent)).toEqual(events);
    registerSecret('uxsv01');
    const start = censorEvent({ type: 'play_start', name: 'on uxsv01', hosts: ['uxsv01'] });
    expect(start).toEqual({ type: 'play_start', name: `on ${MASK}`, hosts: ['uxsv01'] });
    const recap = events.find((e) => e.type === 'recap')!;
    expect(censorEvent(recap)).toEqual(recap);
  });

  test.each([
    ['plain', 0],
    ['plain -vv', 2],
  ])('the %s output shows the mask, never the value', async (_name, verbosity) => {
    registerSecret(VAULTED);
    const out = capture();
    const err = capture();
    await feed(createReporter({ tty: false, color: false, verbosity, diff: true, check: false, write: out.write, writeError: err.write }), runWithVaultValue());
    expect(out.text() + err.text()).not.toContain(VAULTED);
    expect(out.text()).toContain(`failed: [uxsv01] (item=${MASK}) => `);
    expect(out.text()).toContain(`+pw=${MASK}`);
    expect(out.text()).toContain(`"msg": "bad ${MASK}"`);
    expect(err.text()).toContain(`[WARNING]: [uxsv01] about ${MASK}`);
    expect(out.text()).toContain(`TASK [use ${MASK}]`);
  });

  test('the TTY output too', async () => {
    registerSecret(VAULTED);
    const out = capture();
    await feed(createReporter({ tty: true, color: false, verbosity: 1, diff: true, check: false, write: out.write }), runWithVaultValue());
    const text = stripVTControlCharacters(out.text());
    expect(text).not.toContain(VAULTED);
    expect(text).toContain(`(item=${MASK})`);
    expect(text).toContain(`+pw=${MASK}`);
  });

  test('and the JSON report, which stays valid JSON', async () => {
    registerSecret(VAULTED);
    const dir = await mkdtemp(join(tmpdir(), 'uxsv-censor-'));
    try {
      await feed(new JsonReport(join(dir, 'run.json')), runWithVaultValue());
      const text = await readFile(join(dir, 'run.json'), 'utf8');
      expect(text).not.toContain(VAULTED);
      const report = JSON.parse(text);
      const entry = report.hosts.uxsv01.find((e: { item?: string }) => e.item === MASK);
      expect(entry).toMatchObject({ task: `use ${MASK}`, msg: `bad ${MASK}`, stderr: `err ${MASK}\n` });
      expect(entry.diff[0].after).toBe(`a\npw=${MASK}\n`);
      expect(report.warnings).toContainEqual({ message: `about ${MASK}`, host: 'uxsv01' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
