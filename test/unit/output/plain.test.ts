import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../../engine/output/events.js';
import { createReporter, NO_LOG_MESSAGE, type OutputOptions } from '../../../engine/output/index.js';
import { capture, ESC, SECRET, sampleRun } from './fixtures.js';

async function render(events: RunEvent[], options: Partial<OutputOptions> = {}): Promise<string> {
  const out = capture();
  const reporter = createReporter({ tty: false, color: false, verbosity: 0, diff: false, check: false, write: out.write, ...options });
  for (const event of events) reporter.handle(event);
  await reporter.close();
  return out.text();
}

const stars = (title: string) => `${title} ${'*'.repeat(80 - title.length - 1)}`;

describe('plain output', () => {
  test('prints one Ansible-like line per event', async () => {
    const text = await render(sampleRun(), { diff: true });
    expect(text).toBe(
      [
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
        'changed: [uxsv02]',
        'unreachable: [uxsv03]: ssh: connect timed out',
        '',
        stars('TASK [install packages]'),
        'changed: [uxsv01] => (item=bind9)',
        'ok: [uxsv01] => (item=chrony)',
        'ok: [uxsv02] => (item=bind9)',
        'ok: [uxsv02] => (item=chrony)',
        '',
        stars('TASK [check config]'),
        'skipping: [uxsv01]',
        'failed: [uxsv02]: non-zero return code (rc=2)',
        '    stderr: named-checkconf: bad zone',
        '    stderr: line 2 of stderr',
        '...ignoring',
        '',
        stars('TASK [fix mode]'),
        'before: {"mode":"0755"}',
        'after: {"mode":"0750"}',
        'changed: [uxsv01]',
        'failed: [uxsv02]: chmod failed',
        '...rescued',
        '',
        stars('TASK [show mode]'),
        'ok: [uxsv01] => {"msg":"mode is normal"}',
        '',
        stars('TASK [set password]'),
        'changed: [uxsv01] => (item=None)',
        `failed: [uxsv02]: ${NO_LOG_MESSAGE}`,
        '[WARNING]: [uxsv02] mirror is off',
        '',
        stars('PLAY RECAP'),
        'uxsv01                     : ok=5    changed=2    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0',
        'uxsv02                     : ok=4    changed=1    unreachable=0    failed=0    skipped=0    rescued=1    ignored=1',
        'uxsv03                     : ok=1    changed=0    unreachable=1    failed=1    skipped=0    rescued=0    ignored=0',
        '',
      ].join('\n'),
    );
  });

  test('diffs are printed only with --diff', async () => {
    const text = await render(sampleRun(), { diff: false });
    expect(text).not.toContain('+new line');
    expect(text).not.toContain('before: {"mode"');
  });

  test('-v adds each result as compact JSON, without the diff key', async () => {
    const text = await render(sampleRun(), { verbosity: 1 });
    expect(text).toContain('PLAYBOOK: playbooks/site.yml');
    expect(text).toContain('ok: [uxsv01] => {"changed":false,"path":"/etc/motd"}\n');
    expect(text).toContain('changed: [uxsv01] => (item=bind9) => {"changed":true}\n');
    expect(text).toContain('failed: [uxsv02] => {"changed":false,"failed":true,"msg":"non-zero return code","rc":2,');
    expect(text).toContain('skipping: [uxsv01] => {"changed":false,"skipped":true,"skip_reason":"Conditional result was False"}');
    expect(text).not.toContain('"diff"');
    expect(text).not.toContain('_ansible_verbose_always');
    expect(text).not.toContain('task path:');
  });

  test('-vv adds the task location, -vvv the durations', async () => {
    const vv = await render(sampleRun(), { verbosity: 2 });
    expect(vv).toContain(`${stars('TASK [install packages]')}\ntask path: playbooks/site.yml:10\n`);
    expect(vv).not.toContain('(12 ms)');
    const vvv = await render(sampleRun(), { verbosity: 3 });
    expect(vvv).toContain('ok: [uxsv01] (12 ms) => {"changed":false,"path":"/etc/motd"}');
    expect(vvv).toContain('run took 3.2 s');
  });

  test('no_log results show nothing of their content, even at -vvv with --diff', async () => {
    const text = await render(sampleRun(), { verbosity: 3, diff: true });
    expect(text).not.toContain(SECRET);
    expect(text).toContain(`changed: [uxsv01] (12 ms) => (item=None) => {"censored":"${NO_LOG_MESSAGE}","changed":true}`);
    expect(text).toContain(`failed: [uxsv02] (12 ms) => {"censored":"${NO_LOG_MESSAGE}","changed":false}`);
  });

  test('check mode is marked in the play header, from the options or the playbook event', async () => {
    const events: RunEvent[] = [{ type: 'play_start', name: 'dns', hosts: ['uxsv01'] }];
    expect(await render(events, { check: true })).toBe(`${stars('PLAY [dns] [CHECK MODE]')}\n`);
    const fromEvent = await render([{ type: 'playbook_start', file: 'site.yml', check: true }, ...events]);
    expect(fromEvent).toContain('PLAY [dns] [CHECK MODE] ***');
  });

  test('handlers, delegation, failed loops and empty loops', async () => {
    const base = { type: 'host_result', task: 'h', durationMs: 1, noLog: false } as const;
    const text = await render([
      { type: 'task_start', id: 7, name: 'reload bind', role: 'dns', location: 'x:1', hosts: ['uxsv01'], handler: true },
      { ...base, taskId: 7, host: 'uxsv01', status: 'changed', delegatedTo: 'uxsv02', result: { changed: true } },
      { ...base, taskId: 8, host: 'uxsv01', item: 'a', status: 'failed', result: { changed: false, failed: true, msg: 'no such package' } },
      { ...base, taskId: 8, host: 'uxsv01', status: 'failed', result: { changed: false, failed: true, msg: 'One or more items failed', results: [] } },
      { ...base, taskId: 9, host: 'uxsv01', status: 'skipped', result: { changed: false, skipped: true, results: [] } },
    ]);
    expect(text).toBe(
      [
        stars('RUNNING HANDLER [dns : reload bind]'),
        'changed: [uxsv01 -> uxsv02]',
        'failed: [uxsv01] (item=a): no such package',
        'failed: [uxsv01]: One or more items failed',
        'skipping: [uxsv01]',
        '',
        stars('PLAY RECAP'),
        'uxsv01                     : ok=1    changed=1    unreachable=0    failed=1    skipped=1    rescued=0    ignored=0',
        '',
      ].join('\n'),
    );
  });

  test('a run that stopped before the recap still ends with one, counted from the results seen', async () => {
    const interrupted = sampleRun().filter((event) => event.type !== 'recap');
    const text = await render(interrupted);
    expect(text).toContain('uxsv02                     : ok=3    changed=1    unreachable=0    failed=1    skipped=0    rescued=1    ignored=1');
  });

  test('colour only when asked', async () => {
    const plain = await render(sampleRun(), { diff: true, color: false });
    expect(plain).not.toContain(ESC);
    const colored = await render(sampleRun(), { diff: true, color: true });
    expect(colored).toContain(`${ESC}32mok: [uxsv01]${ESC}39m`);
    expect(colored).toContain(`${ESC}33mchanged: [uxsv02]${ESC}39m`);
    expect(colored).toContain(`${ESC}31munreachable: [uxsv03]: ssh: connect timed out${ESC}39m`);
    expect(colored).toContain(`${ESC}36mskipping: [uxsv01]${ESC}39m`);
    expect(colored).toContain(`${ESC}35m...ignoring${ESC}39m`);
  });

  test('a prepared diff is printed as is; a text diff without final newline says so', async () => {
    const prepared = '--- before: /etc/hosts\n+++ after: /etc/hosts\n@@ -1 +1 @@\n-a\n+b\n';
    const text = await render(
      [
        {
          type: 'host_result',
          taskId: 1,
          task: 't',
          host: 'uxsv01',
          status: 'changed',
          durationMs: 1,
          noLog: false,
          result: { changed: true, diff: [{ prepared }, { before: 'x', after: 'y\n' }] },
        },
      ],
      { diff: true },
    );
    expect(text.startsWith(`${prepared}--- before\n+++ after\n@@ -1,1 +1,1 @@\n-x\n\\ No newline at end of file\n+y\nchanged: [uxsv01]\n`)).toBe(true);
  });
});
