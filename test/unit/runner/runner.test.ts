/** The linear strategy on local hosts: loops, when, register, handlers, blocks, check mode, tags, exit codes, report. */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { play, project, results, uxsv, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

const recap = (run: { report?: any }, host: string) => run.report.recap[host];

describe('runner', () => {
  it('runs a task on every host, then the next; recap counts ok and changed', async () => {
    p = project();
    const run = await play(p, `- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n    - debug: msg=hi\n`);
    expect(run.code).toBe(0);
    expect(recap(run, 'h1')).toMatchObject({ ok: 2, changed: 1, failed: 0 });
    expect(run.output).toMatch(/PLAY RECAP/);
    expect(run.output.indexOf('TASK [command]')).toBeLessThan(run.output.indexOf('TASK [debug]'));
  });

  it('loop with loop_control, when per item, register of loop results', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: each
      command: echo {{ thing.n }}
      loop: [{n: 1}, {n: 2}, {n: 3}]
      loop_control: {loop_var: thing, label: "n={{ thing.n }}"}
      when: thing.n != 2
      register: out
    - name: show
      debug:
        msg: "{{ out.results | map(attribute='stdout') | select('defined') | list | join(',') }} {{ out.results | selectattr('skipped', 'defined') | list | length }}"
    - name: items
      debug: msg="{{ item }}"
      with_items: [[a, b], c]
`,
    );
    expect(run.code).toBe(0);
    expect(results(run, 'show').h1[0].msg).toBe('1,3 1');
    expect(run.output).toContain('(item=n=1)');
    expect(results(run, 'items').h1.map((r) => r.msg)).toEqual(['a', 'b', 'c']);
  });

  it('when with bare expressions, is defined, and block conditions', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: all
  gather_facts: false
  vars: {flag: true}
  tasks:
    - name: only h1
      debug: msg=yes
      when: inventory_hostname == 'h1' and flag
    - block:
        - name: in block
          debug: msg=b
      when: undefined_thing is defined
`,
    );
    expect(run.code).toBe(0);
    expect(results(run, 'only h1').h1[0].status).toBe('ok');
    expect(results(run, 'only h1').h2[0].status).toBe('skipped');
    expect(results(run, 'in block').h1[0].status).toBe('skipped');
  });

  it('handlers run once at the end, only where notified, listen and flush_handlers', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: web
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      notify: [h, topic]
      when: inventory_hostname == 'h1'
    - name: change again
      command: "true"
      notify: h
      when: inventory_hostname == 'h1'
    - meta: flush_handlers
    - name: after flush
      debug: msg=after
    - name: no change
      debug: msg=x
      notify: late
  handlers:
    - name: h
      debug: msg=handler-h
    - name: listener
      debug: msg=handler-listen
      listen: topic
    - name: late
      debug: msg=never
`,
    );
    expect(run.code).toBe(0);
    expect(results(run, 'h').h1.length).toBe(1);
    expect(results(run, 'h').h2.length).toBe(0);
    expect(results(run, 'listener').h1.length).toBe(1);
    expect(results(run, 'late').h1.length).toBe(0);
    const order = run.report.hosts.h1.map((r: any) => r.task);
    expect(order.indexOf('h')).toBeLessThan(order.indexOf('after flush'));
  });

  it('block, rescue, always: a rescued host goes on and counts as rescued', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: web
  gather_facts: false
  tasks:
    - block:
        - name: may fail
          command: "false"
          when: inventory_hostname == 'h1'
        - name: after failure
          debug: msg=not-on-h1
      rescue:
        - name: rescue
          debug: msg="rescued {{ ansible_failed_task | default('?') }}"
      always:
        - name: always
          debug: msg=always
    - name: next
      debug: msg=next
`,
    );
    expect(run.code).toBe(0);
    expect(recap(run, 'h1')).toMatchObject({ failed: 0, rescued: 1 });
    expect(results(run, 'after failure').h1.length).toBe(0);
    expect(results(run, 'rescue').h2.length).toBe(0);
    expect(results(run, 'always').h1.length + results(run, 'always').h2.length).toBe(2);
    expect(results(run, 'next').h1.length).toBe(1);
  });

  it('a failure without rescue still runs always, then the host stops; exit 2', async () => {
    p = project();
    const run = await play(p, `- hosts: web\n  gather_facts: false\n  tasks:\n    - block:\n        - command: "false"\n          when: inventory_hostname == 'h1'\n      always:\n        - name: always\n          debug: msg=a\n    - name: next\n      debug: msg=n\n`);
    expect(run.code).toBe(2);
    expect(results(run, 'always').h1.length).toBe(1);
    expect(results(run, 'next').h1.length).toBe(0);
    expect(results(run, 'next').h2.length).toBe(1);
  });

  it('ignore_errors, failed_when, changed_when, until/retries', async () => {
    p = project();
    p.write('count.sh', 'n=$(cat counter 2>/dev/null || echo 0); n=$((n+1)); echo $n > counter; echo $n\n');
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: ignored
      command: "false"
      ignore_errors: true
    - name: fw
      command: echo ERROR
      register: r
      failed_when: "'ERROR' in r.stdout"
      ignore_errors: yes
    - name: cw
      command: echo hi
      changed_when: false
    - name: retry
      shell: sh ${p.path('count.sh')}
      args: {chdir: ${p.dir}}
      register: c
      until: c.stdout | int >= 3
      retries: 5
      delay: 0
`,
    );
    expect(run.code).toBe(0);
    expect(recap(run, 'h1')).toMatchObject({ ignored: 2, failed: 0 });
    expect(results(run, 'cw').h1[0].changed).toBe(false);
    expect(results(run, 'retry').h1[0].status).toBe('changed');
    expect(p.read('counter').trim()).toBe('3');
  });

  it('check mode changes nothing: command skipped, creates predicts', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: plain\n      command: touch ${p.path('made')}\n    - name: guarded\n      command: touch ${p.path('made')}\n      args: {creates: ${p.path('made')}}\n`, ['--check']);
    expect(run.code).toBe(0);
    expect(existsSync(p.path('made'))).toBe(false);
    expect(results(run, 'plain').h1[0].status).toBe('skipped');
    expect(results(run, 'guarded').h1[0].status).toBe('changed');
  });

  it('task check_mode: false runs even under --check; creates makes command idempotent', async () => {
    p = project();
    const pb = `- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: forced\n      command: touch ${p.path('made')}\n      args: {creates: ${p.path('made')}}\n      check_mode: false\n`;
    const first = await play(p, pb, ['--check']);
    expect(existsSync(p.path('made'))).toBe(true);
    expect(results(first, 'forced').h1[0].status).toBe('changed');
    const second = await play(p, pb);
    expect(results(second, 'forced').h1[0].status).toBe('ok');
  });

  it('tags, skip-tags, always and never', async () => {
    p = project();
    const pb = `- hosts: h1\n  gather_facts: false\n  tasks:\n    - {name: a, debug: msg=a, tags: [x]}\n    - {name: b, debug: msg=b, tags: [y]}\n    - {name: c, debug: msg=c, tags: [always]}\n    - {name: d, debug: msg=d, tags: [never, debug]}\n    - block:\n        - {name: e, debug: msg=e}\n      tags: x\n`;
    const names = (run: any) => run.report.hosts.h1.map((r: any) => r.task);
    expect(names(await play(p, pb))).toEqual(['a', 'b', 'c', 'e']);
    expect(names(await play(p, pb, ['--tags', 'x']))).toEqual(['a', 'c', 'e']);
    expect(names(await play(p, pb, ['--skip-tags', 'x,always']))).toEqual(['b']);
    expect(names(await play(p, pb, ['--tags', 'debug']))).toEqual(['c', 'd']);
  });

  it('--list-hosts, --list-tasks and --start-at-task', async () => {
    p = project();
    const pb = `- hosts: web\n  gather_facts: false\n  tasks:\n    - {name: one, debug: msg=1}\n    - {name: two, debug: msg=2, tags: t}\n`;
    const hosts = await play(p, pb, ['--list-hosts']);
    expect(hosts.output).toMatch(/hosts \(2\):\n\s+h1\n\s+h2/);
    const tasks = await play(p, pb, ['--list-tasks']);
    expect(tasks.output).toMatch(/one\tTAGS: \[\]\n\s+two\tTAGS: \[t\]/);
    const started = await play(p, pb, ['--start-at-task', 'two']);
    expect(started.report.hosts.h1.map((r: any) => r.task)).toEqual(['two']);
  });

  it('serial runs the play in batches; run_once runs on one host and shares the result', async () => {
    p = project();
    const run = await play(p, `- hosts: all\n  gather_facts: false\n  serial: 2\n  tasks:\n    - name: once\n      command: echo {{ inventory_hostname }}\n      run_once: true\n      register: o\n    - name: show\n      debug: msg="{{ o.stdout }}"\n`);
    expect(run.code).toBe(0);
    const shown = Object.fromEntries(Object.entries(results(run, 'show')).map(([h, l]) => [h, l[0].msg]));
    expect(shown).toEqual({ h1: 'h1', h2: 'h1', h3: 'h3' });
  });

  it('any_errors_fatal stops the play on every host', async () => {
    p = project();
    const run = await play(p, `- hosts: web\n  gather_facts: false\n  any_errors_fatal: true\n  tasks:\n    - command: "false"\n      when: inventory_hostname == 'h1'\n    - name: next\n      debug: msg=n\n`);
    expect(run.code).toBe(2);
    expect(results(run, 'next').h2.length).toBe(0);
  });

  it('environment, delegate_to localhost, no_log', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1\n  gather_facts: false\n  environment: {A: play}\n  tasks:\n    - name: env\n      shell: echo "$A $B"\n      environment: {B: "task value"}\n    - name: secret\n      command: echo s3cr3t-value\n      no_log: true\n    - name: deleg\n      command: echo delegated\n      delegate_to: localhost\n`,
      ['-v'],
    );
    expect(run.code).toBe(0);
    expect(run.report.hosts.h1.find((r: any) => r.task === 'env').stdout).toBe('play task value');
    expect(JSON.stringify(run.report)).not.toContain('s3cr3t-value');
    expect(run.output).not.toContain('s3cr3t-value');
    expect(results(run, 'deleg').h1[0].delegated_to).toBe('localhost');
  });

  it('import_tasks, include_tasks with a templated name, import_role, include_role, import_playbook', async () => {
    p = project({
      'tasks/static.yml': '- name: static\n  debug: msg=static\n',
      'tasks/dyn-h1.yml': '- name: dynamic\n  debug: msg="dyn {{ inventory_hostname }}"\n',
      'tasks/dyn-h2.yml': '- name: dynamic\n  debug: msg="other {{ inventory_hostname }}"\n',
      'roles/r/tasks/main.yml': '- name: role task\n  debug: msg="{{ greeting }}"\n',
      'roles/r/tasks/other.yml': '- name: other entry\n  debug: msg=other\n',
      'roles/r/defaults/main.yml': 'greeting: hello\n',
      'second.yml': '- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: from second\n      debug: msg=second\n',
    });
    const run = await play(
      p,
      `- hosts: web\n  gather_facts: false\n  tasks:\n    - import_tasks: tasks/static.yml\n    - include_tasks: "tasks/dyn-{{ inventory_hostname }}.yml"\n    - import_role: {name: r}\n    - include_role:\n        name: r\n        tasks_from: other\n- import_playbook: second.yml\n`,
    );
    expect(run.code).toBe(0);
    expect(results(run, 'static').h1.length).toBe(1);
    expect(results(run, 'dynamic').h1[0].msg).toBe('dyn h1');
    expect(results(run, 'dynamic').h2[0].msg).toBe('other h2');
    expect(results(run, 'role task').h2[0].msg).toBe('hello');
    expect(results(run, 'other entry').h1.length).toBe(1);
    expect(results(run, 'from second').h1.length).toBe(1);
  });

  it('role dependencies run first, once; role handlers are notified by name', async () => {
    p = project({
      'roles/base/tasks/main.yml': '- name: base\n  debug: msg=base\n',
      'roles/app/meta/main.yml': 'dependencies: [base]\n',
      'roles/app/tasks/main.yml': '- name: app\n  command: "true"\n  notify: restart app\n',
      'roles/app/handlers/main.yml': '- name: restart app\n  debug: msg=restarted\n',
      'roles/other/meta/main.yml': 'dependencies: [base]\n',
      'roles/other/tasks/main.yml': '- name: other\n  debug: msg=o\n',
    });
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  roles: [app, other]\n`);
    expect(run.code).toBe(0);
    expect(run.report.hosts.h1.map((r: any) => r.task)).toEqual(['base : base', 'app : app', 'other : other', 'app : restart app']);
  });

  it('gather_facts collects Ansible fact names in one round trip', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  tasks:\n    - name: facts\n      debug:\n        msg: "{{ ansible_hostname }}|{{ ansible_facts.distribution }}|{{ ansible_os_family }}|{{ ansible_architecture }}|{{ ansible_memtotal_mb > 0 }}|{{ ansible_date_time.year | length }}|{{ ansible_interfaces | length > 0 }}|{{ ansible_pkg_mgr }}"\n`);
    expect(run.code).toBe(0);
    const [hostname, distribution, family, arch, mem, year, ifaces, pkg] = results(run, 'facts').h1[0].msg.split('|');
    expect(hostname.length).toBeGreaterThan(0);
    expect(distribution).toBe('Debian');
    expect(family).toBe('Debian');
    expect(arch).toBe(process.arch === 'x64' ? 'x86_64' : arch);
    expect([mem, year, ifaces, pkg]).toEqual(['True', '4', 'True', 'apt']);
  });

  it('exit codes: 0 ok, 2 failed, 4 unreachable, 1 usage', async () => {
    p = project();
    expect((await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - ping:\n`)).code).toBe(0);
    expect((await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - fail: msg=no\n`)).code).toBe(2);
    const unreachable = await play(
      p,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n`,
      [],
      `all:\n  hosts:\n    local:\n      ansible_connection: local\n    gone:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n      ansible_ssh_timeout: 2\n`,
    );
    expect(unreachable.code).toBe(4);
    expect(unreachable.report.recap.gone.unreachable).toBe(1);
    expect(unreachable.report.recap.local.ok).toBe(1);
    expect((await uxsv(p, ['play'])).code).toBe(1);
    expect((await uxsv(p, ['nosuchcommand'])).code).toBe(1);
  });

  it('the JSON report has the recap and every task result with duration', async () => {
    p = project();
    const run = await play(p, `- hosts: web\n  gather_facts: false\n  tasks:\n    - name: c\n      command: echo hi\n`);
    expect(run.report.recap.h1).toEqual({ ok: 1, changed: 1, failed: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 });
    const entry = run.report.hosts.h2[0];
    expect(entry).toMatchObject({ task: 'c', status: 'changed', changed: true });
    expect(typeof entry.duration_ms).toBe('number');
  });

  it('set_fact in a loop sees the facts of the previous items (accumulating lists)', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - set_fact:\n        acc: "{{ acc | default([]) + [item * 2] }}"\n      loop: [1, 2, 3]\n    - name: show\n      debug: msg="{{ acc | join(',') }}"\n`);
    expect(results(run, 'show').h1[0].msg).toBe('2,4,6');
  });

  it('import_playbook vars reach the imported plays, templated hosts and play names use them', async () => {
    p = project({ 'inner.yml': '- name: "inner {{ flavour }}"\n  hosts: "{{ target }}"\n  gather_facts: false\n  tasks:\n    - name: show\n      debug: msg="{{ flavour }}"\n' });
    const run = await play(p, `- import_playbook: inner.yml\n  vars: {flavour: sweet, target: 'web:!h2'}\n`);
    expect(run.code).toBe(0);
    expect(Object.keys(results(run, 'show')).filter((h) => results(run, 'show')[h].length)).toEqual(['h1']);
    expect(results(run, 'show').h1[0].msg).toBe('sweet');
    expect(run.output).toContain('PLAY [inner sweet]');
  });

  it('meta end_play honours its condition', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - meta: end_play\n      when: stop | default(false) | bool\n    - name: after\n      debug: msg=ran\n`);
    expect(results(run, 'after').h1.length).toBe(1);
    const stopped = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - meta: end_play\n      when: stop | default(false) | bool\n    - name: after\n      debug: msg=ran\n`, ['-e', 'stop=true']);
    expect(results(stopped, 'after').h1 ?? []).toEqual([]);
  });

  it('a multi-line free-form shell script keeps its line breaks', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: script\n      shell: |\n        if true; then\n          echo yes\n        fi\n        echo second line chdir=/\n      args:\n        chdir: /tmp\n`);
    expect(run.code).toBe(0);
    expect(results(run, 'script').h1[0].stdout).toBe('yes\nsecond line');
  });

  it('ansible_play_hosts leaves out failed and unreachable hosts; ansible_play_hosts_all keeps them', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n    - fail: msg=down\n      when: inventory_hostname == 'h2'\n    - name: show\n      debug: msg="{{ ansible_play_hosts | join(',') }} / {{ ansible_play_hosts_all | join(',') }}"\n`,
      [],
      `all:\n  hosts:\n    h1: {ansible_connection: local}\n    h2: {ansible_connection: local}\n    gone: {ansible_host: 127.0.0.1, ansible_port: 1}\n`,
    );
    expect(results(run, 'show').h1[0].msg).toBe('h1 / h1,h2,gone');
  });

  it('the setup module gathers facts as a task, like gather_facts', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - setup:\n    - name: show\n      debug: msg="{{ ansible_os_family }} {{ ansible_facts.pkg_mgr }}"\n`);
    expect(results(run, 'show').h1[0].msg).toBe('Debian apt');
  });
});
