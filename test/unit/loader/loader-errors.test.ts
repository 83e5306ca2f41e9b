/** Bad input: exit 1, a message with file:line:col and the key, never a stack trace, nothing run. */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, uxsv, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

async function failsWith(playbook: string, files: Record<string, string> = {}): Promise<string> {
  p = project({ ...files, 'marker-check.yml': '' });
  const run = await play(p, playbook);
  expect(run.code).toBe(1);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(run.report).toBeUndefined(); // nothing ran
  return run.stderr;
}

describe('loader errors', () => {
  it('YAML syntax error shows file:line:col and a code frame', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - name: x\n      debug: msg=[\n    bad: [\n');
    expect(err).toMatch(/^ERROR! YAML syntax error.*\(site\.yml:\d+:\d+\)/m);
    expect(err).toMatch(/\|.*\^/s);
  });

  it('unknown module names the key, the position and a suggestion', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - name: x\n      debgu: msg=hi\n');
    expect(err).toContain("ERROR! unknown module or keyword 'debgu' (did you mean 'debug'?) (site.yml:4:7)");
  });

  it('misspelt task keyword is caught', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - debug: msg=hi\n      whne: true\n');
    expect(err).toContain("unknown module or keyword 'whne' (did you mean 'when'?) (site.yml:4:7)");
  });

  it('unknown play key', async () => {
    const err = await failsWith('- hosts: all\n  taks: []\n');
    expect(err).toContain("unknown key 'taks' in play (site.yml:2:3)");
  });

  it('missing hosts', async () => {
    const err = await failsWith('- name: nothing\n  tasks: []\n');
    expect(err).toMatch(/missing required key 'hosts'.* \(site\.yml:1:3\)/);
  });

  it('unknown module argument lists the known ones', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - command:\n        cmd: ls\n        chdri: /tmp\n');
    expect(err).toMatch(/unknown argument 'chdri' for module command.* \(site\.yml:5:9\)/);
    expect(err).toContain('chdir');
  });

  it('wrong argument type', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - debug:\n        verbosity: [1]\n');
    expect(err).toMatch(/argument 'verbosity' must be integer.* \(site\.yml:4:20\)/);
  });

  it('a templated argument is checked at run time, not at load time', async () => {
    p = project();
    const run = await play(p, '- hosts: h1\n  gather_facts: false\n  vars: {n: 1}\n  tasks:\n    - debug:\n        msg: hi\n        verbosity: "{{ n }}"\n');
    expect(run.code).toBe(0);
  });

  it('k=v that is not k=v: words are only for the modules that take them (Ansible words it so)', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - debug: hello\n');
    expect(err).toContain("this task 'debug' has extra params, which is only allowed in the following modules: command, shell");
  });

  it('a templated word among k=v arguments gives more arguments when it runs (a mapping) or fails the task', async () => {
    p = project();
    const run = await play(p, '- hosts: h1\n  gather_facts: false\n  vars: {more: {msg: from-var}, bad: text}\n  tasks:\n    - debug: verbosity=0 {{ more }}\n    - debug: verbosity=0 {{ bad }}\n      ignore_errors: true\n');
    expect(run.code).toBe(0);
    expect(run.output).toContain('"msg": "from-var"');
    expect(run.output).toContain("invalid or malformed argument: 'text'");
  });

  it('two modules in one task', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - debug: msg=a\n      ping:\n');
    expect(err).toContain('conflicting action statements: debug, ping');
  });

  it('rescue without block', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - debug: msg=a\n      rescue: []\n');
    expect(err).toContain("'rescue' is only allowed in a block");
  });

  it('circular import_tasks', async () => {
    const err = await failsWith('- hosts: all\n  tasks:\n    - import_tasks: a.yml\n', { 'a.yml': '- import_tasks: b.yml\n', 'b.yml': '- import_tasks: a.yml\n' });
    expect(err).toMatch(/circular include: .*a\.yml -> .*b\.yml -> .*a\.yml/);
  });

  it('circular role dependency', async () => {
    const err = await failsWith('- hosts: all\n  roles: [a]\n', { 'roles/a/meta/main.yml': 'dependencies: [b]\n', 'roles/b/meta/main.yml': 'dependencies: [a]\n', 'roles/a/tasks/main.yml': '- ping:\n', 'roles/b/tasks/main.yml': '- ping:\n' });
    expect(err).toContain('circular role dependency: a -> b -> a');
  });

  it('role not found lists where it looked', async () => {
    const err = await failsWith('- hosts: all\n  roles: [nope]\n');
    expect(err).toMatch(/role 'nope' not found \(looked in .*roles.*\(site\.yml:2:11\)/);
  });

  it('notify without a handler', async () => {
    const err = await failsWith('- hosts: all\n  gather_facts: false\n  tasks:\n    - command: "true"\n      notify: restart nothing\n');
    expect(err).toContain("The requested handler 'restart nothing' was not found in either the main handlers list nor in the listening handlers list (site.yml:4:7)");
  });

  it('binary playbook file', async () => {
    p = project();
    p.write('bin.yml', 'a\0b');
    p.write('inventory.yml', 'all: {}\n');
    const run = await uxsv(p, ['play', 'bin.yml', '-i', 'inventory.yml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('this is a binary file, not text (a NUL byte at line 1, column 2) (bin.yml:1:2)');
  });

  it('undefined variable names the variable and the task position', async () => {
    p = project();
    const run = await play(p, '- hosts: h1\n  gather_facts: false\n  tasks:\n    - name: t\n      debug: msg="{{ nothere }}"\n');
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/nothere/);
    expect(run.output).toMatch(/site\.yml:4/);
  });

  it('--syntax-check validates without running', async () => {
    p = project();
    p.write('inventory.yml', 'all: {}\n');
    p.write('ok.yml', '- hosts: all\n  tasks:\n    - ping:\n');
    const good = await uxsv(p, ['play', 'ok.yml', '-i', 'inventory.yml', '--syntax-check']);
    expect(good.code).toBe(0);
    expect(good.output).toContain('playbook: ');
    p.write('bad.yml', '- hosts: all\n  tasks:\n    - pnig:\n');
    const bad = await uxsv(p, ['play', 'bad.yml', '-i', 'inventory.yml', '--syntax-check']);
    expect(bad.code).toBe(1);
  });
});
