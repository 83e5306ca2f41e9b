/**
 * A task whose arguments cannot be rendered (an undefined variable) fails
 * on its host like any failure: with `ignore_errors` it is reported,
 * "...ignoring" is printed, the run goes on and ends with exit 0, as in
 * ansible-playbook 2.14.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

describe('templating errors and ignore_errors', () => {
  it('an undefined variable in arguments, a loop, a loop item or environment is an ignored failure; the run goes on', async () => {
    p = project();
    const run = await play(p, `- hosts: h1
  gather_facts: false
  vars:
    flag: true
  tasks:
    - name: args
      copy: content="{{ nope.x }}" dest=${p.path('never.txt')}
      ignore_errors: true
    - name: loop
      debug: msg="{{ item }}"
      loop: "{{ nope }}"
      ignore_errors: "{{ flag }}"
    - name: item args
      debug: msg="{{ item }} {{ nope }}"
      loop: [1, 2]
      ignore_errors: yes
    - name: env
      command: "true"
      environment:
        X: "{{ nope }}"
      ignore_errors: true
    - name: after
      debug: msg=went-on
`);
    expect(run.code, run.output + run.stderr).toBe(0);
    for (const task of ['args', 'loop', 'item args', 'env']) {
      const [result] = results(run, task).h1!;
      expect(result?.status, task).toBe('ignored');
      expect(result?.msg, task).toMatch(/'nope' is undefined/);
    }
    expect(run.output.match(/\.\.\.ignoring/g)).toHaveLength(4);
    expect(run.output).toMatch(/TASK \[args\][^\n]*\nfatal: \[h1\]: FAILED! => .*'nope' is undefined.*\n\.\.\.ignoring/);
    expect(results(run, 'after').h1![0].msg).toBe('went-on');
    expect(run.output).toMatch(/h1 +: ok=5 +changed=0 +unreachable=0 +failed=0 +skipped=0 +rescued=0 +ignored=4/);
  });

  it('without ignore_errors the same failure stops the host and the run ends with exit 2', async () => {
    p = project();
    const run = await play(p, `- hosts: h1
  gather_facts: false
  tasks:
    - name: args
      debug: msg="{{ nope }}"
    - name: after
      debug: msg=never
`);
    expect(run.code).toBe(2);
    expect(results(run, 'after').h1).toEqual([]);
  });
});
