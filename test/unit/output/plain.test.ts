/**
 * The plain reporter beyond the recorded ansible-playbook runs
 * (ansible-runs.test.ts): what uxsv adds (an interrupted run's recap, its own
 * warnings naming a host), event streams Ansible's recorder cannot make, and
 * large results.
 */
import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../../engine/output/events.js';
import { createReporter, DEFAULT_SETTINGS, NO_LOG_MESSAGE, type OutputOptions } from '../../../engine/output/index.js';
import { capture, SECRET, sampleRun } from './fixtures.js';

async function render(events: RunEvent[], options: Partial<OutputOptions> = {}): Promise<{ out: string; err: string }> {
  const out = capture();
  const err = capture();
  const reporter = createReporter({ tty: false, color: false, verbosity: 0, diff: false, check: false, write: out.write, writeError: err.write, ...options });
  for (const event of events) reporter.handle(event);
  await reporter.close();
  return { out: out.text(), err: err.text() };
}

const stars = (title: string) => `${title} ${'*'.repeat(Math.max(3, 79 - title.length))}`;
const task = (id: number, name: string, extra: Partial<Extract<RunEvent, { type: 'task_start' }>> = {}): RunEvent => ({
  type: 'task_start',
  id,
  name,
  location: `/srv/site.yml:${id}`,
  hosts: ['uxsv01'],
  handler: false,
  ...extra,
});
const result = (taskId: number, extra: Partial<Extract<RunEvent, { type: 'host_result' }>>): RunEvent => ({
  type: 'host_result',
  taskId,
  task: 't',
  host: 'uxsv01',
  status: 'ok',
  result: { changed: false },
  durationMs: 1,
  noLog: false,
  ...extra,
});

describe('plain output', () => {
  test('the sample run, as ansible-playbook prints it', async () => {
    const { out, err } = await render(sampleRun(), { diff: true });
    expect(out).toBe(
      [
        '',
        stars('PLAY [base]'),
        '',
        stars('TASK [base-install : write motd]'),
        'ok: [uxsv01]',
        '--- before: /etc/motd',
        '+++ after: /etc/motd',
        '@@ -1,2 +1,2 @@',
        ' hello',
        '-old line',
        '+new line',
        '',
        'changed: [uxsv02]',
        'fatal: [uxsv03]: UNREACHABLE! => {"changed": false, "msg": "ssh: connect timed out", "unreachable": true}',
        '',
        stars('TASK [install packages]'),
        'changed: [uxsv01] => (item=bind9)',
        'ok: [uxsv01] => (item=chrony)',
        'ok: [uxsv02] => (item=bind9)',
        'ok: [uxsv02] => (item=chrony)',
        '',
        stars('TASK [check config]'),
        'skipping: [uxsv01]',
        'fatal: [uxsv02]: FAILED! => {"changed": false, "msg": "non-zero return code", "rc": 2, "stderr": "named-checkconf: bad zone\\nline 2 of stderr\\n"}',
        '...ignoring',
        '',
        stars('TASK [fix mode]'),
        '--- before',
        '+++ after',
        '@@ -1,3 +1,3 @@',
        ' {',
        '-    "mode": "0755"',
        '+    "mode": "0750"',
        ' }',
        '',
        'changed: [uxsv01]',
        'fatal: [uxsv02]: FAILED! => {"changed": false, "msg": "chmod failed"}',
        '',
        stars('TASK [show mode]'),
        'ok: [uxsv01] => {',
        '    "msg": "mode is normal"',
        '}',
        '',
        stars('TASK [set password]'),
        'changed: [uxsv01] => (item=None)',
        `fatal: [uxsv02]: FAILED! => {"censored": "${NO_LOG_MESSAGE}", "changed": false}`,
        '',
        stars('PLAY RECAP'),
        'uxsv01                     : ok=5    changed=2    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   ',
        'uxsv02                     : ok=4    changed=1    unreachable=0    failed=0    skipped=0    rescued=1    ignored=1   ',
        'uxsv03                     : ok=1    changed=0    unreachable=1    failed=1    skipped=0    rescued=0    ignored=0   ',
        '',
        '',
      ].join('\n'),
    );
    // Ansible's warnings go to stderr; ours may name the host they are about.
    expect(err).toBe('[WARNING]: [uxsv02] mirror is off\n');
  });

  test('no_log results show nothing of their content, even at -vvvvv with --diff', async () => {
    const { out, err } = await render(sampleRun(), { verbosity: 5, diff: true });
    expect(out + err).not.toContain(SECRET);
    expect(out).toContain(`changed: [uxsv01] => (item=None) => {\n    "censored": "${NO_LOG_MESSAGE}",\n    "changed": true\n}\n`);
  });

  test('a run that stopped before the recap still ends with one, counted from the results seen', async () => {
    const interrupted = sampleRun().filter((event) => event.type !== 'recap');
    const { out } = await render(interrupted);
    expect(out).toContain(`${stars('PLAY RECAP')}\nuxsv01                     : ok=4    changed=2    unreachable=0    failed=0    skipped=1 `);
    expect(out).toContain('uxsv02                     : ok=3    changed=1    unreachable=0    failed=1    skipped=0    rescued=1    ignored=1   \n');
  });

  test('without events, no recap at all', async () => {
    expect((await render([])).out).toBe('');
  });

  test('a result for a task that never started still prints, under a banner named after the last task', async () => {
    const { out } = await render([task(1, 'first'), result(1, {}), result(2, { status: 'changed', result: { changed: true } })]);
    expect(out).toContain(`${stars('TASK [first]')}\nok: [uxsv01]\n\n${stars('TASK [first]')}\nchanged: [uxsv01]\n`);
  });

  test('task titles: role prefix added once, the action when unnamed, handlers', async () => {
    const { out } = await render([
      task(1, 'install', { role: 'dns' }),
      task(2, 'dns : install', { role: 'dns' }),
      task(3, '', { action: 'ansible.builtin.command' }),
      task(4, 'restart', { handler: true, role: 'web' }),
    ]);
    expect(out.split('\n').filter((line) => line !== '')).toEqual([
      stars('TASK [dns : install]'),
      stars('TASK [dns : install]'),
      stars('TASK [ansible.builtin.command]'),
      stars('RUNNING HANDLER [web : restart]'),
    ]);
  });

  test('debug keeps only its message; without an action the result is shown whole', async () => {
    const shown = { changed: false, msg: 'hi', extra: 1, _ansible_verbose_always: true };
    const { out } = await render([task(1, 'd', { action: 'debug' }), result(1, { result: shown }), task(2, 'x'), result(2, { result: shown })]);
    expect(out).toContain('ok: [uxsv01] => {\n    "msg": "hi"\n}\n');
    expect(out).toContain('ok: [uxsv01] => {\n    "changed": false,\n    "extra": 1,\n    "msg": "hi"\n}\n');
  });

  test('include results print nothing of their own; the include event names the file and hosts', async () => {
    const { out } = await render([
      task(1, 'include once', { action: 'include_tasks' }),
      result(1, {}),
      { type: 'include', taskId: 1, file: '/srv/tasks/a.yml', hosts: ['uxsv01', 'uxsv02'] },
      { type: 'include', taskId: 1, file: '/srv/tasks/a.yml', hosts: ['uxsv01'], item: { name: 'x' } },
      { type: 'include', taskId: 1, file: '/srv/tasks/a.yml', hosts: ['uxsv01'], item: 0 },
    ]);
    expect(out.split('\n').slice(2, 6)).toEqual([
      'included: /srv/tasks/a.yml for uxsv01, uxsv02',
      "included: /srv/tasks/a.yml for uxsv01 => (item={'name': 'x'})",
      'included: /srv/tasks/a.yml for uxsv01',
      '',
    ]);
  });

  test('warnings and deprecations: each text once, on stderr, wrapped at 79 columns', async () => {
    const long = 'word '.repeat(30).trim();
    const { out, err } = await render([
      { type: 'warning', message: long },
      { type: 'warning', message: long },
      { type: 'deprecation', message: 'old', version: '2.99' },
      { type: 'deprecation', message: 'old', version: '2.99' },
      task(1, 'x'),
      result(1, { result: { changed: false, warnings: ['from a module', 'from a module'], deprecations: [{ msg: 'old', version: '2.99' }] } }),
    ]);
    expect(out).not.toContain('WARNING');
    expect(err.split('\n').every((line) => line.length <= 79)).toBe(true);
    expect(err.match(/\[WARNING\]: word/g)).toHaveLength(1);
    expect(err.match(/\[DEPRECATION WARNING\]: old\./g)).toHaveLength(1);
    expect(err.match(/from a module/g)).toHaveLength(1);
    const quiet = await render([{ type: 'deprecation', message: 'old' }], { settings: { ...DEFAULT_SETTINGS, deprecationWarnings: false } });
    expect(quiet.err).toBe('');
  });

  test('verbose messages and notified handlers from their verbosity, with the host when given', async () => {
    const events: RunEvent[] = [
      { type: 'verbose', level: 2, message: 'META: ending play' },
      { type: 'verbose', level: 3, message: 'ESTABLISH', host: 'uxsv01' },
      { type: 'handler_notified', handler: 'restart', host: 'uxsv01' },
    ];
    expect((await render(events, { verbosity: 1 })).out).toBe('');
    expect((await render(events, { verbosity: 2 })).out).toBe('META: ending play\nNOTIFIED HANDLER restart for uxsv01\n');
    expect((await render(events, { verbosity: 3 })).out).toContain('<uxsv01> ESTABLISH\n');
  });

  test('the width of the screen sets the banners and the wrapping', async () => {
    const { out } = await render([task(1, 'x')], { terminalColumns: 120 });
    expect(out).toBe(`\nTASK [x] ${'*'.repeat(119 - 8)}\n`);
  });

  test('a large result is dumped in time linear in its size', async () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    const big = { changed: false, stdout: lines.join('\n'), stdout_lines: lines, nested: { deeper: lines.slice(0, 1000) } };
    const { out } = await render([task(1, 'x'), result(1, { result: big })], { verbosity: 3 });
    expect(out.length).toBeGreaterThan(1_000_000);
    expect(out).toContain('        "line 49999"\n    ]\n}\n');
  });
});

describe('hostile results', () => {
  test('odd values anywhere in a result print as something, never throw', async () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const odd = {
      changed: true,
      cyclic,
      big: 10n ** 30n,
      when: new Date(0),
      bytes: Buffer.from('bin'),
      sym: Symbol('s'),
      fn: () => 1,
      nan: Number.NaN,
      neg: -Infinity,
      list: [undefined, null, [cyclic]],
      warnings: 'not a list',
      deprecations: [null, 'text', { msg: 42, version: 3 }],
      diff: [null, 'text', { before: { a: cyclic }, after: 7 }, { prepared: 5 }, { before: 'x' }],
      exception: { not: 'text' },
    };
    const { out, err } = await render(
      [
        task(1, 'odd', { diff: true }),
        result(1, { status: 'changed', item: cyclic, result: odd }),
        result(1, { status: 'failed', result: { ...odd, failed: true } }),
        { type: 'include', taskId: 1, file: 'f', hosts: [], item: cyclic },
        { type: 'retry', taskId: 1, task: 'odd', host: 'uxsv01', attempt: 1, retriesLeft: 1, result: odd, noLog: false },
      ],
      { verbosity: 4, diff: true },
    );
    expect(out).toContain("(item={'name': 'loop', 'self': {...}})");
    expect(out).toContain('"big": 1000000000000000000000000000000');
    expect(out).toContain('"nan": NaN');
    expect(err).toContain('[DEPRECATION WARNING]: 42. This feature will be removed in version 3.');
  });

  test('a warning of one huge word is cut into lines in time linear in its size', async () => {
    const { err } = await render([{ type: 'warning', message: `x${'y'.repeat(2_000_000)}😀` }]);
    const lines = err.split('\n');
    expect(lines[0]).toBe(`[WARNING]: x${'y'.repeat(79 - 12)}`);
    expect(lines.at(-2)!.endsWith('y😀')).toBe(true);
  });
});
