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
