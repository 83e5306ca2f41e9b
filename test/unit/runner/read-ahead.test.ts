/**
 * Reads batched across tasks (engine/runner/read-ahead.ts): a run with
 * nothing to change costs a few round trips per host whatever its length,
 * and anything that may have changed a host makes the next tasks read again.
 * Real playbooks on local connections; round trips are the connection's
 * command count from the run's --report.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project, type Run } from '../../helpers/engine.js';

const ONE_HOST = 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n';
/** Two inventory hosts that are one machine. */
const TWO_NAMES = 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n    h2:\n      ansible_connection: local\n';

/** N tasks of file, copy, template, lineinfile and stat (whose result a debug task shows) under ROOT/out/<host>. */
function mixedTasks(root: string, n: number): string {
  const dir = `${root}/out/{{ inventory_hostname }}`;
  const tasks: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = `${dir}/f${i}`;
    switch (i % 5) {
      case 0: tasks.push(`    - name: dir ${i}\n      file: { path: "${dir}/d${i}", state: directory, mode: "0755" }`); break;
      case 1: tasks.push(`    - name: copy ${i}\n      copy: { dest: "${f}", content: "hello ${i}\\n", mode: "0644" }`); break;
      case 2: tasks.push(`    - name: template ${i}\n      template: { src: t.j2, dest: "${f}" }`); break;
      case 3: tasks.push(`    - name: line ${i}\n      lineinfile: { path: "${dir}/lines", line: "line ${i}", create: true }`); break;
      default: tasks.push(`    - name: stat ${i}\n      stat: { path: "${dir}/lines" }\n      register: st${i}\n    - name: show ${i}\n      debug: { msg: "{{ [st${i}.stat.exists, st${i}.stat.checksum | default(''), st${i}.stat.mode | default('')] }}" }`);
    }
  }
  return `- hosts: all\n  gather_facts: false\n  tasks:\n    - file: { path: "${dir}", state: directory }\n${tasks.join('\n')}\n`;
}

/** Stat tasks of paths of their own that change nothing: they let the window grow before what a test looks at. */
function warmUp(dir: string, n = 6): string {
  return Array.from({ length: n }, (_, i) => `    - name: warm ${i}\n      stat: { path: "${dir}/warm${i}" }`).join('\n');
}

/** A task printing the checksum a stat registered as `after`. */
const SHOW = `      register: after\n    - name: show\n      debug: { msg: "{{ after.stat.checksum }}" }`;

function shown(run: Run, host = 'h1'): string | undefined {
  return results(run, 'show')[host]?.[0]?.msg;
}

function commands(run: Run, host = 'h1'): number {
  return run.report.connections[host].commands;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

async function withReadAhead<T>(on: boolean, fn: () => Promise<T>): Promise<T> {
  const before = process.env.UXSV_READ_AHEAD;
  if (on) delete process.env.UXSV_READ_AHEAD;
  else process.env.UXSV_READ_AHEAD = '0';
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.UXSV_READ_AHEAD;
    else process.env.UXSV_READ_AHEAD = before;
  }
}

let p: Project | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

describe('reading ahead', () => {
  it('a run with nothing to change costs a few round trips per host, whatever its length', async () => {
    p = project({ 'templates/t.j2': 'x={{ inventory_hostname }}\n' });
    const short = mixedTasks(p.dir, 30);
    const long = mixedTasks(p.dir, 50);
    expect((await play(p, long, [], ONE_HOST)).code).toBe(0);
    const off = await withReadAhead(false, () => play(p!, short, [], ONE_HOST));
    const on30 = await play(p, short, [], ONE_HOST);
    const on60 = await play(p, long, [], ONE_HOST);
    for (const r of [off, on30, on60]) expect(r.report.recap.h1).toMatchObject({ changed: 0, failed: 0 });
    expect(commands(off)).toBeGreaterThanOrEqual(31);
    expect(commands(on30)).toBeLessThanOrEqual(5);
    expect(commands(on60)).toBeLessThanOrEqual(commands(on30) + 1);
  });

  it('reads the items of a loop ahead: a no-change run of looped tasks costs a few round trips', async () => {
    p = project();
    const dir = `${p.dir}/loops/{{ inventory_hostname }}`;
    const items = JSON.stringify(Array.from({ length: 20 }, (_, i) => `n${i}`));
    const pb = `- hosts: all
  gather_facts: false
  vars:
    names: ${items}
  tasks:
    - file: { path: "${dir}", state: directory }
${warmUp(dir)}
    - name: folders
      file: { path: "${dir}/{{ item }}", state: directory }
      loop: "{{ names }}"
    - name: files
      copy: { dest: "${dir}/{{ name }}/f", content: "{{ i }}\\n" }
      loop: "{{ names }}"
      loop_control: { loop_var: name, index_var: i }
    - name: skipped items
      copy: { dest: "${dir}/{{ item }}/never", content: "x" }
      loop: "{{ names }}"
      when: item == 'none'
`;
    expect((await play(p, pb, [], ONE_HOST)).report.recap.h1).toMatchObject({ changed: 3, failed: 0 });
    const off = await withReadAhead(false, () => play(p!, pb, [], ONE_HOST));
    const on = await play(p, pb, [], ONE_HOST);
    for (const r of [off, on]) expect(r.report.recap.h1).toMatchObject({ changed: 0, failed: 0 });
    expect(commands(off)).toBeGreaterThanOrEqual(47);
    expect(commands(on)).toBeLessThanOrEqual(8);
    const files = results(on, 'files').h1!;
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((r) => r.changed !== false)).toEqual([]);
  });

  it('links read their source ahead too: a no-change loop of links costs a round trip or two', async () => {
    p = project();
    const dir = `${p.dir}/links`;
    const names = JSON.stringify(Array.from({ length: 10 }, (_, i) => `l${i}`));
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n    - file: { path: "${dir}/targets", state: directory }\n    - file: { path: "${dir}/targets/{{ item }}", state: touch, access_time: preserve, modification_time: preserve }\n      loop: ${names}\n    - command: 'true'\n      changed_when: false\n    - name: links\n      file: { src: "targets/{{ item }}", dest: "${dir}/{{ item }}", state: link }\n      loop: ${names}\n`;
    expect((await play(p, pb, [], ONE_HOST)).report.recap.h1).toMatchObject({ failed: 0 });
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.report.recap.h1).toMatchObject({ changed: 0, failed: 0 });
    // folder, touches (their own loop read), the command, then the links: one read for all ten and their sources.
    expect(commands(r)).toBeLessThanOrEqual(5);
  });

  it('check mode reads ahead too', async () => {
    p = project({ 'templates/t.j2': 'x={{ inventory_hostname }}\n' });
    const pb = mixedTasks(p.dir, 30);
    expect((await play(p, pb, [], ONE_HOST)).code).toBe(0);
    const check = await play(p, pb, ['--check'], ONE_HOST);
    expect(check.report.recap.h1).toMatchObject({ changed: 0, failed: 0 });
    expect(commands(check)).toBeLessThanOrEqual(5);
  });

  it('a task that reaches no host (a script skipped in check mode) keeps what was read ahead; one that runs does not', async () => {
    p = project({ 'noop.sh': '#!/bin/sh\ntrue\n' });
    const dir = `${p.dir}/skip`;
    const stats = (from: number) => Array.from({ length: 8 }, (_, i) => `    - stat: { path: "${dir}/s${from + i}" }`).join('\n');
    const pb = (scriptKeywords: string) => `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(dir)}\n${stats(0)}\n    - name: script\n      script: ${p!.path('noop.sh')}\n${scriptKeywords}${stats(8)}\n`;
    const skipped = await play(p, pb(''), ['--check'], ONE_HOST);
    const ran = await play(p, pb('      check_mode: false\n      changed_when: false\n'), ['--check'], ONE_HOST);
    expect(results(skipped, 'script').h1![0].status).toBe('skipped');
    expect(results(ran, 'script').h1![0].status).toBe('ok');
    for (const r of [skipped, ran]) expect(r.report.recap.h1).toMatchObject({ failed: 0 });
    // The stats after the skipped script come from the reads made before it; after the script that ran, they read again.
    expect(commands(skipped)).toBeLessThanOrEqual(5);
    expect(commands(ran)).toBeGreaterThanOrEqual(commands(skipped) + 3);
  });

  it('in check mode the tasks after a command that ran are read together at once', async () => {
    p = project();
    const dir = `${p.dir}/probe`;
    const stats = Array.from({ length: 8 }, (_, i) => `    - stat: { path: "${dir}/s${i}" }`).join('\n');
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: 'true'\n      check_mode: false\n      changed_when: false\n${stats}\n`;
    const check = await play(p, pb, ['--check'], ONE_HOST);
    const run = await play(p, pb, [], ONE_HOST);
    for (const r of [check, run]) expect(r.report.recap.h1).toMatchObject({ failed: 0 });
    // The command, then one read for the eight stats; outside check mode the window grows from nothing.
    expect(commands(check)).toBeLessThanOrEqual(3);
    expect(commands(run)).toBeGreaterThan(commands(check));
  });

  it("a loop's items are read together even when nothing was read ahead for them", async () => {
    p = project();
    const dir = `${p.dir}/items`;
    const names = JSON.stringify(Array.from({ length: 12 }, (_, i) => `d${i}`));
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n    - file: { path: "${dir}", state: directory }\n    - command: 'true'\n      changed_when: false\n    - name: folders\n      file: { path: "${dir}/{{ item }}", state: directory }\n      loop: ${names}\n`;
    expect((await play(p, pb, [], ONE_HOST)).report.recap.h1).toMatchObject({ changed: 2, failed: 0 });
    const on = await play(p, pb, [], ONE_HOST);
    const off = await withReadAhead(false, () => play(p!, pb, [], ONE_HOST));
    for (const r of [on, off]) expect(r.report.recap.h1).toMatchObject({ changed: 0, failed: 0 });
    // The file task, the command, then one read for the twelve items.
    expect(commands(off)).toBeGreaterThanOrEqual(14);
    expect(commands(on)).toBeLessThanOrEqual(4);
  });

  it('a task that changes a file makes the next task read it again (copy, then stat)', async () => {
    p = project();
    const f = p.path('f');
    const pb = (content: string) => `- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: { dest: "${f}", content: "${content}" }\n${warmUp(p.dir)}\n    - name: write\n      copy: { dest: "${f}", content: "${content}-new" }\n    - name: look\n      stat: { path: "${f}" }\n${SHOW}\n`;
    const r = await play(p, pb('one'), [], ONE_HOST);
    expect(r.code).toBe(0);
    expect(results(r, 'write').h1![0].status).toBe('changed');
    expect(shown(r)).toBe(sha1('one-new'));
  });

  it('lineinfile twice on one file keeps both lines', async () => {
    p = project();
    const f = p.write('lines', 'first\n');
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(p.dir)}\n    - lineinfile: { path: "${f}", line: "second" }\n    - lineinfile: { path: "${f}", line: "third" }\n`;
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.report.recap.h1).toMatchObject({ changed: 2, failed: 0 });
    expect(readFileSync(f, 'utf8')).toBe('first\nsecond\nthird\n');
  });

  it('group and user tasks that change nothing keep what was read ahead, and read with the next tasks', async () => {
    p = project();
    const me = userInfo();
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
    const accounts = `    - group: { name: "${group}" }\n    - user: { name: "${me.username}" }\n`;
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(p.dir, 8)}\n${accounts}${warmUp(`${p.dir}/more`, 8)}\n${accounts}`;
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.report.recap.h1).toMatchObject({ changed: 0, failed: 0, ok: 20 });
    // The windows grow across them: a handful of round trips for twenty tasks, as for stat tasks alone.
    expect(commands(r)).toBeLessThanOrEqual(6);
  });

  it('a command between two reads makes the second read again, even when it reports no change', async () => {
    p = project();
    const f = p.write('f', 'before\n');
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(p.dir)}\n    - command: sh -c 'echo after > "$1"' - ${f}\n      changed_when: false\n    - name: look\n      stat: { path: "${f}" }\n${SHOW}\n`;
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.code).toBe(0);
    expect(shown(r)).toBe(sha1('after\n'));
  });

  it('a change on one inventory host is seen by another that is the same machine', async () => {
    p = project();
    const f = p.write('f', 'before\n');
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(p.dir)}\n    - copy: { dest: "${f}", content: "after\\n" }\n      when: inventory_hostname == 'h1'\n    - name: look\n      stat: { path: "${f}" }\n${SHOW}\n`;
    const r = await play(p, pb, [], TWO_NAMES);
    expect(r.code).toBe(0);
    expect(shown(r, 'h2')).toBe(sha1('after\n'));
  });

  it('reads again after meta: reset_connection', async () => {
    p = project();
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(p.dir)}\n    - meta: reset_connection\n    - stat: { path: "${p.dir}/warm5" }\n`;
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.code).toBe(0);
    // The report keeps the last connection's counts: the one made after the reset, for the stat's own read.
    expect(commands(r)).toBe(1);
  });

  it('after a task with until, which waits for the host to change by itself, the next tasks read again', async () => {
    p = project();
    const [f, g] = [p.path('f'), p.path('g')];
    // Something outside the run makes g, then f, a while after it starts.
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n    - shell: (sleep 3; touch ${g} ${f}) > /dev/null 2>&1 &\n${warmUp(p.dir)}\n    - stat: { path: "${f}" }\n      register: waited\n      until: waited.stat.exists\n      retries: 30\n      delay: 1\n    - name: look\n      stat: { path: "${g}" }\n      register: after\n    - name: show\n      debug: { msg: "{{ after.stat.exists }}" }\n`;
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.code).toBe(0);
    expect(shown(r)).toBe('true');
  });

  it('does not run lookups ahead of their task', async () => {
    p = project();
    const counter = p.path('counter');
    const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n${warmUp(p.dir)}\n    - stat: { path: "{{ lookup('pipe', 'echo x >> ${counter}; echo ${p.dir}') }}" }\n`;
    const r = await play(p, pb, [], ONE_HOST);
    expect(r.code).toBe(0);
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
  });

  it('gives the same results and files with and without it', async () => {
    const runBoth = async (on: boolean) => {
      const q = project({ 'templates/t.j2': 'x={{ inventory_hostname }}\n', 'out/h1/lines': 'line 3\nold\n', 'out/h2/lines': 'old\n' });
      try {
        const pb = mixedTasks(q.dir, 15).replace('  tasks:\n', '  tasks:\n    - lineinfile: { path: "{{ playbook_dir }}/out/{{ inventory_hostname }}/lines", regexp: "^old", line: "new" }\n    - command: "true"\n');
        const runs = await withReadAhead(on, async () => [await play(q, pb, ['--diff'], TWO_NAMES), await play(q, pb, ['--check'], TWO_NAMES), await play(q, pb, [], TWO_NAMES)]);
        const shown = runs.map((r) => JSON.parse(JSON.stringify(r.report.hosts, (k, v) => (['duration_ms', 'started', 'finished', 'mtime', 'atime', 'ctime', 'inode', 'dev'].includes(k) ? undefined : v)).split(q.dir).join('DIR')));
        return { shown, recap: runs.map((r) => r.report.recap), files: ['h1', 'h2'].map((h) => q.read(`out/${h}/lines`) + q.read(`out/${h}/f2`)) };
      } finally {
        q.cleanup();
      }
    };
    const on = await runBoth(true);
    const off = await runBoth(false);
    expect(on.recap).toEqual(off.recap);
    expect(on.shown).toEqual(off.shown);
    expect(on.files).toEqual(off.files);
  });
});
