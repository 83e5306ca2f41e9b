/**
 * Runner behaviours that follow Ansible 2.14's executor exactly, each found
 * where uxsv used to differ: one playbook per rule, run through the CLI on
 * local connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project | undefined;
afterEach(() => p?.cleanup());

const oneHost = 'all:\n  hosts:\n    h1: {ansible_connection: local}\n';

describe('Ansible semantics of the runner', () => {
  it('module_defaults of the module a service task runs as (sysvinit without systemd) apply under its own', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  vars: {ansible_service_mgr: sysvinit}
  tasks:
    - name: svc
      service:
      check_mode: true
      ignore_errors: true
      module_defaults:
        systemd: {name: not-this-one, state: started}
        sysvinit: {name: uxsv-no-such-service, state: started}
`,
      [], oneHost,
    );
    expect(run.output).toContain('uxsv-no-such-service');
    expect(run.output).not.toContain('not-this-one');
  });

  it('module_defaults: from the play down, a later level or entry winning, any name of the module, the task\'s own arguments first', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  module_defaults:
    debug: {msg: play level}
  tasks:
    - name: play
      debug:
    - block:
        - name: block
          debug:
        - name: task
          ansible.builtin.debug:
          module_defaults:
            ansible.builtin.debug: {msg: "task level {{ 1 + 1 }}"}
        - name: own
          debug: {msg: own}
        - name: list
          debug:
          module_defaults:
            - debug: {msg: first}
            - ansible.legacy.debug: {msg: second}
      module_defaults:
        debug: {msg: block level}
`,
      [], oneHost,
    );
    expect(run.code, run.output + run.stderr).toBe(0);
    const msgs = ['play', 'block', 'task', 'own', 'list'].map((t) => results(run, t).h1![0].msg);
    expect(msgs).toEqual(['play level', 'block level', 'task level 2', 'own', 'second']);
  });

  it('a templated action takes its arguments from args: as well', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  vars: {m: debug}
  tasks:
    - name: templated
      action: "{{ m }}"
      args:
        msg: from args
`,
      [], oneHost,
    );
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(results(run, 'templated').h1![0]).toMatchObject({ msg: 'from args' });
  });

  it('an assert whose that list holds an empty entry takes it as true', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: holds
      assert:
        that:
          - 1 == 1
          -
          - ""
    - name: fails
      assert:
        that:
          -
          - 2 == 3
      ignore_errors: true
`,
      [], oneHost,
    );
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(results(run, 'holds').h1![0]).toMatchObject({ msg: 'All assertions passed' });
    expect(results(run, 'fails').h1![0]).toMatchObject({ status: 'ignored', msg: 'Assertion failed' });
    expect(run.output).toContain('"assertion": "2 == 3"');
  });

  it('an unnamed task is titled by its action as written: short, fully qualified or through action:', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - ansible.builtin.debug: msg=a
    - debug: msg=b
    - action: debug msg=c
    - ansible.posix.sysctl: {name: vm.swappiness, value: '1', sysctl_file: /nonexistent/dir/x.conf}
      check_mode: true
      ignore_errors: true
`,
      [], oneHost,
    );
    const titles = [...run.output.matchAll(/^TASK \[(.*)\]/gm)].map((m) => m[1]);
    expect(titles).toEqual(['ansible.builtin.debug', 'debug', 'debug', 'ansible.posix.sysctl']);
  });

  it('an until that runs out fails the task, unless failed_when decides otherwise', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: decided by failed_when
      shell: 'true'
      register: r
      until: 1 == 0
      retries: 2
      delay: 0
      failed_when: r.attempts > 6
    - name: attempts
      debug: {msg: "{{ r.attempts }} {{ r.failed }}"}
    - name: decided by failed_when, in a loop
      shell: 'true'
      register: looped
      until: 1 == 0
      retries: 1
      delay: 0
      failed_when: looped.attempts > 6
      loop: [a, b]
    - name: ran out
      shell: 'true'
      until: false
      retries: 1
      delay: 0
`,
      [],
      oneHost,
    );
    expect(run.code).toBe(2);
    expect(results(run, 'decided by failed_when').h1[0].status).toBe('changed');
    expect(results(run, 'decided by failed_when, in a loop').h1[0].status).toBe('changed');
    expect(run.output).toContain('"msg": "2 True"');
    expect(results(run, 'ran out').h1[0].status).toBe('failed');
  });

  it('set_fact keeps a host value unsafe, whole, sliced or nested', async () => {
    p = project();
    const secretFile = p.write('controller-secret', 'TOPSECRET-ON-CONTROLLER');
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: host output
      command: echo "{{ '{{' }} lookup('file', '${secretFile}') {{ '}}' }}"
      register: out
    - set_fact:
        copied: "{{ out.stdout }}"
        sliced: "{{ out.stdout[0:12] }}"
        nested: {a: ["{{ out.stdout }}"]}
        flag: "yes"
    - name: show
      debug: {msg: "{{ copied }}|{{ sliced }}|{{ nested.a[0] }}|{{ flag is sameas true }}"}
`,
      [],
      oneHost,
    );
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(run.output).not.toContain('TOPSECRET');
    expect(run.output).toContain(`"msg": "{{ lookup('file', '${secretFile}') }}|{{ lookup('f|{{ lookup('file', '${secretFile}') }}|True"`);
  });

  it('a meta task may be a handler; flush_handlers as a handler is an error', async () => {
    p = project();
    const pb = (second: string) => `- hosts: h1
  gather_facts: false
  tasks:
    - command: 'true'
      notify: [noop_handler, ${second}]
  handlers:
    - name: noop_handler
      meta: noop
    - name: flusher
      meta: flush_handlers
`;
    const ok = await play(p, pb('noop_handler'), ['-vv'], oneHost);
    expect(ok.code, ok.output + ok.stderr).toBe(0);
    expect(ok.output).toMatch(/RUNNING HANDLER \[noop_handler\] \*+\n[^\n]*\nMETA: noop/);
    expect(ok.output.match(/RUNNING HANDLER/g)).toHaveLength(1);
    const bad = await play(p, pb('flusher'), [], oneHost);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ERROR! flush_handlers cannot be used as a handler');
  });

  it('handlers: a block at the top of the list is allowed, a block inside it is refused, also in an included handlers file', async () => {
    p = project();
    p.write('nested.yml', '- block:\n    - debug: {msg: top}\n    - block:\n        - debug: {msg: nested}\n');
    p.write('flat.yml', '- block:\n    - debug: {msg: from the included block}\n');
    const pb = (file: string) => `- hosts: h1
  gather_facts: false
  tasks:
    - command: 'true'
      notify: h
  handlers:
    - name: h
      include_tasks: ${file}
`;
    const flat = await play(p, pb('flat.yml'), [], oneHost);
    expect(flat.code, flat.output + flat.stderr).toBe(0);
    expect(flat.output).toContain('from the included block');
    const nested = await play(p, pb('nested.yml'), [], oneHost);
    expect(nested.code).toBe(1);
    expect(nested.stderr).toContain('ERROR! Using a block as a handler is not supported.');
    const inline = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks: []\n  handlers:\n    - block:\n        - block:\n            - debug:\n`, [], oneHost);
    expect(inline.code).toBe(1);
    expect(inline.stderr).toContain('ERROR! Using a block as a handler is not supported.');
  });

  it('in an always part after a failure, a flush runs the host\'s handlers', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - block:
        - fail:
      always:
        - command: 'true'
          notify: h
        - meta: flush_handlers
  handlers:
    - name: h
      debug: {msg: handler ran in always}
`,
      [],
      oneHost,
    );
    expect(run.code).toBe(2);
    expect(run.output).toContain('handler ran in always');
  });

  it('a static import renders its name at load time with play, import_playbook and extra vars', async () => {
    p = project();
    p.write('tasks-a.yml', '- debug: {msg: from a}\n');
    p.write('tasks-b.yml', '- debug: {msg: from b}\n');
    p.write('roles/r1/tasks/main.yml', '- debug: {msg: from role r1}\n');
    p.write('inner.yml', `- hosts: h1
  gather_facts: false
  vars: {which: a}
  tasks:
    - import_tasks: "tasks-{{ which }}.yml"
    - import_role: {name: "{{ role_name }}"}
`);
    const run = await play(p, '- import_playbook: inner.yml\n  vars: {role_name: r1}\n', [], oneHost);
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(run.output).toContain('from a');
    expect(run.output).toContain('from role r1');
    const extra = await play(p, '- import_playbook: inner.yml\n  vars: {role_name: r1}\n', ['-e', 'which=b'], oneHost);
    expect(extra.output).toContain('from b');
    const unknown = await play(p, '- hosts: h1\n  gather_facts: false\n  tasks:\n    - import_tasks: "{{ nowhere }}.yml"\n', [], oneHost);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ERROR! .*'nowhere' is undefined/);
  });

  it('ansible_parent_role_names is set only in a role that another role includes or imports (innermost parent first)', async () => {
    p = project({
      'roles/outer/meta/main.yml': 'dependencies: [dep]\n',
      'roles/dep/tasks/main.yml': '- name: in dep\n  debug: {msg: "{{ ansible_parent_role_names | default(\'unset\') }}"}\n',
      'roles/outer/tasks/main.yml': [
        '- name: in outer',
        '  debug: {msg: "{{ ansible_parent_role_names | default(\'unset\') }}"}',
        '- include_role: {name: inner}',
        '- import_role: {name: inner, tasks_from: again}',
        '- name: back in outer',
        '  debug: {msg: "{{ ansible_parent_role_paths | default(\'unset\') }}"}',
        '',
      ].join('\n'),
      'roles/inner/tasks/main.yml': [
        '- name: in inner',
        '  debug: {msg: "{{ ansible_parent_role_names | join(\',\') }}"}',
        '- include_role: {name: inner, tasks_from: nested}',
        '',
      ].join('\n'),
      'roles/inner/tasks/nested.yml': '- name: nested\n  debug: {msg: "{{ ansible_parent_role_names }} {{ ansible_parent_role_paths | length }}"}\n',
      'roles/inner/tasks/again.yml': '- name: imported\n  debug: {msg: "{{ ansible_parent_role_names | default([\'unset\']) | join(\',\') }}"}\n',
    });
    const run = await play(p, '- hosts: h1\n  gather_facts: false\n  roles: [outer]\n  tasks:\n    - include_role: {name: inner, tasks_from: again}\n', [], oneHost);
    expect(run.code).toBe(0);
    const msgs = (task: string) => results(run, task).h1.map((r) => r.msg);
    expect(msgs('in dep')).toEqual(['unset']);
    expect(msgs('in outer')).toEqual(['unset']);
    expect(msgs('in inner')).toEqual(['outer']);
    expect(msgs('nested')).toEqual(["['inner', 'outer'] 2"]);
    // Imported from the outer role, then included from the play's tasks (no parent role there).
    expect(msgs('imported')).toEqual(['outer', 'unset']);
    expect(msgs('back in outer')).toEqual(['unset']);
  });

  it('assert evaluates the items of a that list as written (a template in one is warned about)', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - assert:
        that:
          - '"{{ foo }}" == "bar"'
          - foo == "bar"
      vars:
        foo: bar
`,
      [],
      oneHost,
    );
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(run.stderr.replace(/\s+/g, ' ')).toContain('[WARNING]: conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: "{{ foo }}" == "bar"');
  });

  it('-vvv shows how each command enters the shell of the host as an EXEC line (not the command), as Ansible does; -v does not', async () => {
    p = project();
    const pb = `- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: echo exec-line-marker\n`;
    const verbose = await play(p, pb, ['-vvv'], oneHost);
    expect(verbose.code, verbose.output + verbose.stderr).toBe(0);
    expect(verbose.output).toMatch(/^<h1> EXEC \/bin\/sh -c '<module command>'$/m);
    expect(verbose.output).not.toMatch(/EXEC .*exec-line-marker/);
    const quiet = await play(p, pb, ['-v'], oneHost);
    expect(quiet.output).not.toContain('EXEC');
  });

  it('a templated order is rendered with extra vars', async () => {
    p = project();
    const inventory = 'all:\n  vars: {ansible_connection: local}\n  hosts:\n    hB:\n    hA:\n    hC:\n';
    const pb = `- hosts: all\n  gather_facts: false\n  serial: 1\n  order: '{{ myorder | default("inventory") }}'\n  tasks:\n    - name: each\n      debug: {msg: "{{ inventory_hostname }}"}\n`;
    const order = (run: Awaited<ReturnType<typeof play>>) => (run.output.match(/^ok: \[(h.)\]/gm) ?? []).map((m) => m.slice(5, 7));
    expect(order(await play(p, pb, [], inventory))).toEqual(['hB', 'hA', 'hC']);
    expect(order(await play(p, pb, ['-e', 'myorder=sorted'], inventory))).toEqual(['hA', 'hB', 'hC']);
    expect(order(await play(p, pb, ['-e', 'myorder=reverse_inventory'], inventory))).toEqual(['hC', 'hA', 'hB']);
  });

  it('a become_method other than sudo fails the task rather than becoming with sudo', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: as su\n      command: 'true'\n      become: true\n      become_user: nobody\n      become_method: su\n`, [], oneHost);
    expect(run.code).toBe(2);
    expect(results(run, 'as su').h1[0].msg).toMatch(/become_method 'su' is not supported/);
  });

  it("hostvars renders each host's variables in that host's own context, and only those read", async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - name: show
      debug: msg="{{ hostvars['h2'].me }} {{ hostvars['h1'].me }} {{ me }} {{ hostvars['h2'].fine }}"
`,
      [],
      // h2's broken variable is never read: it must not fail the task (Ansible renders on access).
      'all:\n  vars: {ansible_connection: local, me: "{{ inventory_hostname }}", fine: ok}\n  hosts:\n    h1:\n    h2: {broken: "{{ undefined_anywhere }}"}\n',
    );
    expect(run.stderr).toBe('');
    expect(results(run, 'show').h1?.[0]?.msg).toBe('h2 h1 h1 ok');
  });

  it("a host's variables taken whole from hostvars stay lazy in a variable, and become plain data as arguments", async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  vars:
    all_vars: "{{ hostvars['h2'] }}"
  tasks:
    - name: read
      debug: msg="{{ all_vars.fine }} {{ all_vars.me }}"
    - set_fact: {copied: "{{ hostvars['h1'] | combine({'extra': 1}) }}", whole: "{{ hostvars['h1'] }}"}
      vars: {broken: fixed}
    - name: copied
      debug: msg="{{ copied.me }} {{ copied.extra }} {{ whole.me }} {{ whole.fine }}"
`,
      [],
      'all:\n  vars: {ansible_connection: local, me: "{{ inventory_hostname }}", fine: ok}\n  hosts:\n    h1:\n    h2: {broken: "{{ undefined_anywhere }}"}\n',
    );
    expect(run.stderr).toBe('');
    expect(results(run, 'read').h1?.[0]?.msg).toBe('ok h2');
    expect(results(run, 'copied').h1?.[0]?.msg).toBe('h1 1 h1 ok');
  });
});
