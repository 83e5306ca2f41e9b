/**
 * A drift check reads the --report to learn which file drifted: every entry
 * of a file module names its file, also in check mode where the module's
 * result does not repeat its destination.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project | undefined;
afterEach(() => p?.cleanup());

describe('the report names the file a task manages', () => {
  it('in check mode, for template, copy and lineinfile', async () => {
    p = project();
    const src = p.write('src.txt', 'wanted\n');
    p.write('edited.txt', 'by hand\n');
    const run = await play(
      p,
      `- hosts: h1
  gather_facts: false
  tasks:
    - {name: tpl, template: {src: ${src}, dest: ${p.path('t.txt')}}}
    - {name: cp, copy: {content: "x\\n", dest: ${p.path('c.txt')}}}
    - {name: line, lineinfile: {path: ${p.path('edited.txt')}, line: wanted}}
`,
      ['--check'],
      'all:\n  hosts:\n    h1: {ansible_connection: local}\n',
    );
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(results(run, 'tpl').h1[0]).toMatchObject({ changed: true, path: p.path('t.txt') });
    expect(results(run, 'cp').h1[0]).toMatchObject({ changed: true, path: p.path('c.txt') });
    expect(results(run, 'line').h1[0]).toMatchObject({ changed: true, path: p.path('edited.txt') });
  });
});
