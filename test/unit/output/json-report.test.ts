import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { JsonReport, NO_LOG_MESSAGE, type RunReport } from '../../../engine/output/index.js';
import { RECAP_STATS, SECRET, sampleRun } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uxsv-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeReport(events = sampleRun()): Promise<{ text: string; report: RunReport; file: string }> {
  const file = join(dir, 'reports', 'run.json');
  const reporter = new JsonReport(file);
  for (const event of events) reporter.handle(event);
  await reporter.close();
  const text = await readFile(file, 'utf8');
  return { text, report: JSON.parse(text) as RunReport, file };
}

describe('JsonReport', () => {
  test('has the documented shape', async () => {
    const { report } = await writeReport();
    expect(report.version).toBe(1);
    expect(new Date(report.started).toISOString()).toBe(report.started);
    expect(Date.parse(report.finished)).toBeGreaterThanOrEqual(Date.parse(report.started));
    expect(report.check).toBe(false);
    expect(report.playbooks).toEqual(['playbooks/site.yml']);
    expect(report.recap).toEqual(RECAP_STATS);
    expect(report.warnings).toEqual([{ message: 'mirror is off', host: 'uxsv02' }]);
    expect(report.deprecations).toEqual([]);
    expect(report.custom_stats).toEqual({});
    expect(Object.keys(report.hosts).sort()).toEqual(['uxsv01', 'uxsv02', 'uxsv03']);
    expect(report.hosts.uxsv02![0]).toEqual({
      play: 'base',
      task: 'write motd',
      role: 'base-install',
      location: 'roles/base-install/tasks/main.yml:3',
      status: 'changed',
      changed: true,
      path: '/etc/motd',
      diff: [{ before_header: '/etc/motd', after_header: '/etc/motd', before: 'hello\nold line\n', after: 'hello\nnew line\n' }],
      duration_ms: 12,
    });
    const failure = report.hosts.uxsv02!.find((entry) => entry.task === 'check config');
    expect(failure).toMatchObject({ status: 'ignored', msg: 'non-zero return code', rc: 2, stderr: 'named-checkconf: bad zone\nline 2 of stderr\n' });
  });

  test('item labels as the output shows them, tries, warnings and deprecations of results, custom stats', async () => {
    const { report } = await writeReport([
      { type: 'task_start', id: 1, name: 'wait', location: 'site.yml:1', hosts: ['h1'], handler: false },
      { type: 'retry', taskId: 1, task: 'wait', host: 'h1', attempt: 1, retriesLeft: 1, result: { changed: false, failed: true, attempts: 1 }, noLog: false },
      {
        type: 'host_result',
        taskId: 1,
        task: 'wait',
        host: 'h1',
        item: { name: 'web', port: 443 },
        status: 'ok',
        result: { changed: false, attempts: 2, warnings: ['slow host', 'slow host'] },
        durationMs: 1,
        noLog: false,
      },
      { type: 'host_result', taskId: 1, task: 'wait', host: 'h1', status: 'ok', result: { changed: false, results: [], warnings: ['slow host'] }, durationMs: 1, noLog: false },
      { type: 'deprecation', message: 'old option', version: '2.99', collectionName: 'ansible.builtin' },
      { type: 'recap', stats: {}, durationMs: 1, custom: { _run: { total: 3 }, h1: { n: 1 } } },
    ]);
    expect(report.hosts.h1).toEqual([expect.objectContaining({ item: "{'name': 'web', 'port': 443}", attempts: 2 })]);
    expect(report.warnings).toEqual([{ message: 'slow host', host: 'h1' }]);
    expect(report.deprecations).toEqual([{ message: 'old option', version: '2.99', collection_name: 'ansible.builtin' }]);
    expect(report.custom_stats).toEqual({ _run: { total: 3 }, h1: { n: 1 } });
  });

  test('loop items are entries of their own, and the loop summary is not repeated', async () => {
    const { report } = await writeReport();
    const loop = report.hosts.uxsv01!.filter((entry) => entry.task === 'install packages');
    expect(loop.map((entry) => [entry.item, entry.status])).toEqual([
      ['bind9', 'changed'],
      ['chrony', 'ok'],
    ]);
  });

  test('no_log results are censored: the secret appears nowhere in the file', async () => {
    const { text, report } = await writeReport();
    expect(text).not.toContain(SECRET);
    const censored = report.hosts.uxsv01!.find((entry) => entry.task === 'set password');
    expect(censored).toEqual({
      play: 'base',
      task: 'set password',
      location: 'playbooks/site.yml:50',
      status: 'changed',
      changed: true,
      duration_ms: 12,
      censored: NO_LOG_MESSAGE,
    });
  });

  test('check-mode drift names the file and carries its diff', async () => {
    const events = sampleRun().map((event) => (event.type === 'playbook_start' ? { ...event, check: true } : event));
    const { report } = await writeReport(events);
    expect(report.check).toBe(true);
    const drifted = Object.entries(report.hosts).flatMap(([host, entries]) =>
      entries.filter((entry) => entry.changed && entry.path).map((entry) => [host, entry.task, entry.path, entry.diff?.length]),
    );
    expect(drifted).toEqual([
      ['uxsv01', 'fix mode', '/srv/dns', 1],
      ['uxsv02', 'write motd', '/etc/motd', 1],
    ]);
  });

  test('is written atomically: only the final file is left, and without a recap event the counts come from the results', async () => {
    const { report, file } = await writeReport(sampleRun().filter((event) => event.type !== 'recap'));
    expect(await readdir(join(dir, 'reports'))).toEqual(['run.json']);
    expect(file.endsWith('run.json')).toBe(true);
    expect(report.recap.uxsv03).toEqual({ ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  });

  test('a report that cannot be written fails close() and leaves no temp file', async () => {
    await writeFile(join(dir, 'missing-parent-is-a-file'), 'not a dir');
    const reporter = new JsonReport(join(dir, 'missing-parent-is-a-file', 'x.json'));
    await expect(reporter.close()).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['missing-parent-is-a-file']);
  });
});
