/**
 * Host data through a whole run: a command prints templates that would read
 * a controller file and compute; wherever its output goes (debug, a loop,
 * task vars, a file's content, a file read back with a lookup), it stays
 * the text it was.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

describe('a host cannot make the controller template its output', () => {
  it('registered output stays literal in debug, loops, task vars, file content and lookups', async () => {
    p = project();
    const secret = p.write('controller-secret', 'never-shown-on-a-host\n');
    const hostile = [`{{ lookup('file', '${secret}') }}`, '{{ 7*7 }}'];
    p.write('payload.txt', `${hostile.join('\n')}\n`);
    const run = await play(p, `- hosts: h1
  gather_facts: false
  tasks:
    - command: cat ${p.path('payload.txt')}
      register: out
    - name: show
      debug: msg="{{ out.stdout }}"
    - name: each
      debug: msg="{{ item }}"
      loop: "{{ out.stdout_lines }}"
    - name: via task vars
      debug: msg="{{ copied }}"
      vars:
        copied: "{{ out.stdout_lines[1] }}"
    - copy:
        content: "{{ out.stdout }}\\n"
        dest: ${p.path('written.txt')}
    - name: read back
      debug: msg="{{ lookup('file', '${p.path('written.txt')}') }}"
`);
    expect(run.code).toBe(0);
    expect(run.output).not.toContain('never-shown-on-a-host');
    expect(run.output).not.toContain('49');
    expect(results(run, 'show').h1![0].msg).toBe(hostile.join('\n'));
    expect(results(run, 'each').h1!.map((r) => r.msg)).toEqual(hostile);
    expect(results(run, 'via task vars').h1![0].msg).toBe(hostile[1]);
    expect(p.read('written.txt')).toBe(`${hostile.join('\n')}\n`);
    expect(results(run, 'read back').h1![0].msg).toBe(hostile.join('\n'));
  });
});

describe('host data stays data wherever a playbook stores it', () => {
  const SECRET_TEXT = 'controller-only-Secret-4a7e';
  const ENV_NAME = 'UXSV_TRUST_HOSTILE';

  it('set_fact (whole, sliced, filtered, nested), debug var, template vars, include vars, slurp, facts, !unsafe and lookups', async () => {
    p = project();
    const secret = p.write('controller-secret', `${SECRET_TEXT}\n`);
    const readSecret = `{{ lookup('file', '${secret}') }}`;
    const loop = '{% for x in range(3) %}x{% endfor %}';
    p.write('payload-lookup', readSecret);
    p.write('payload-loop', loop);
    p.write('facts.d/hostile.fact', JSON.stringify({ key: readSecret, [loop]: 'k' }));
    p.write('templates/show.j2', 'v={{ v }}\n');
    p.write('included.yml', '- name: included\n  debug: msg="{{ passed }}"\n');
    const previous = process.env[ENV_NAME];
    process.env[ENV_NAME] = readSecret;
    let run;
    try {
      run = await play(p, `- hosts: h1
  gather_facts: false
  vars:
    marked: !unsafe "${readSecret.replace(/"/g, '\\"')}"
  tasks:
    - command: cat ${p.path('payload-lookup')}
      register: r1
    - command: cat ${p.path('payload-loop')}
      register: r2
    - set_fact:
        whole: "{{ r1.stdout }}"
        sliced: "{{ r1.stdout[0:30] }}"
        filtered: "{{ r2.stdout | replace('x', 'y') | trim }}"
        nested: ["{{ r1.stdout }}", {inner: ["{{ r2.stdout }}"]}]
        as_list: "{{ [r2.stdout] }}"
    - name: debug var
      debug: var=whole
    - name: facts in a message
      debug: msg="{{ whole }}|{{ sliced }}|{{ filtered }}|{{ nested[1].inner[0] }}|{{ as_list[0] }}"
    - name: loop
      debug: msg="{{ item }}"
      loop: "{{ nested }}"
    - name: written
      copy: content="{{ whole }}{{ nested[1].inner[0] }}" dest=${p.path('copied.txt')}
    - template: src=show.j2 dest=${p.path('templated.txt')}
      vars:
        v: "{{ sliced }}{{ r2.stdout }}"
    - include_tasks: included.yml
      vars:
        passed: "{{ filtered }}{{ r2.stdout }}"
    - slurp: src=${p.path('payload-loop')}
      register: slurped
    - set_fact:
        decoded: "{{ slurped.content | b64decode }}"
    - name: decoded
      debug: msg="{{ decoded }}"
    - name: unsafe tag
      debug: msg="{{ marked }}"
    - set_fact:
        looked_up: "{{ lookup('file', '${p.path('payload-loop')}') }}"
    - name: looked up
      debug: msg="{{ looked_up }}"
    - setup:
        fact_path: ${p.path('facts.d')}
    - name: facts
      debug: msg="{{ ansible_env.${ENV_NAME} }}|{{ ansible_local.hostile.key }}|{{ ansible_local.hostile | list | last }}"
`);
    } finally {
      if (previous === undefined) delete process.env[ENV_NAME];
      else process.env[ENV_NAME] = previous;
    }
    expect(run.code, run.output + run.stderr).toBe(0);
    const sliced = readSecret.slice(0, 30);
    const msg = (task: string) => results(run, task).h1!.map((r) => r.msg);
    expect(run.output).toContain(`"whole": ${JSON.stringify(readSecret)}`);
    expect(msg('facts in a message')).toEqual([`${readSecret}|${sliced}|${loop.replace(/x/g, 'y')}|${loop}|${loop}`]);
    expect(results(run, 'loop').h1!.map((r) => r.item)).toEqual([readSecret, `{'inner': ['${loop}']}`]);
    expect(msg('loop')[0]).toBe(readSecret);
    expect(msg('included')).toEqual([`${loop.replace(/x/g, 'y')}${loop}`]);
    expect(msg('decoded')).toEqual([loop]);
    expect(msg('unsafe tag')).toEqual([readSecret]);
    expect(msg('looked up')).toEqual([loop]);
    expect(msg('facts')).toEqual([`${readSecret}|${readSecret}|${loop}`]);
    expect(p.read('copied.txt')).toBe(`${readSecret}${loop}`);
    expect(p.read('templated.txt')).toBe(`v=${sliced}${loop}\n`);
    for (const text of [run.output, run.stderr, JSON.stringify(run.report), p.read('copied.txt'), p.read('templated.txt')]) {
      expect(text).not.toContain(SECRET_TEXT);
      expect(text).not.toContain('xxx');
    }
  });
});
