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
