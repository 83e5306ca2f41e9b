/**
 * Roles with argument specs start with the validation task Ansible inserts:
 * its name, what it validates (role parameters over variables), its
 * `always` tag, entry points, and rolespec_validate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

const ONE_HOST = 'all:\n  hosts:\n    h1: {ansible_connection: local}\n';
const MAIN = "Validating arguments against arg spec 'main' - The web role";

const ROLE = {
  'roles/web/meta/argument_specs.yml': `
argument_specs:
  main:
    short_description: The web role
    options:
      web_port: {type: int, required: true}
      web_mode: {type: str, choices: [a, b], default: a}
  extra:
    options:
      web_flag: {type: bool, required: true}
`,
  'roles/web/tasks/main.yml': '- name: body\n  debug: msg="port {{ web_port }} mode {{ web_mode }}"\n  tags: [body]\n',
  'roles/web/tasks/extra.yml': '- name: extra body\n  debug: msg="flag {{ web_flag }}"\n',
  'roles/web/defaults/main.yml': 'web_mode: b\n',
};

async function run(playbook: string, files: Record<string, string> = ROLE, extra: string[] = []) {
  p = project(files);
  return play(p, playbook, extra, ONE_HOST);
}

describe('role argument validation', () => {
  it('validates the role parameters first, under Ansible\'s task name, and the role runs', async () => {
    const r = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - {role: web, web_port: "80"}\n');
    expect(r.code).toBe(0);
    expect(r.output).toContain(`TASK [web : ${MAIN}]`);
    expect(r.output.indexOf(MAIN)).toBeLessThan(r.output.indexOf('TASK [web : body]'));
    expect(results(r, MAIN).h1![0].msg).toBe('The arg spec validation passed');
    // The spec's default does not replace the role's variable.
    expect(results(r, 'body').h1![0].msg).toBe('port 80 mode b');
  });

  it('fails the host before the role\'s tasks on a bad value, with the role as context', async () => {
    const r = await run(`
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - import_role: {name: web}
          vars: {web_port: abc}
      rescue:
        - name: keep
          copy: {content: "{{ ansible_failed_result | to_json }}", dest: "{{ playbook_dir }}/failed.json"}
`);
    expect(r.code).toBe(0);
    expect(results(r, 'body').h1 ?? []).toEqual([]);
    const failed = JSON.parse(p.read('failed.json'));
    const au = "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";
    expect(failed.argument_errors).toEqual([`argument 'web_port' is of type ${au} and we were unable to convert to int: ${au} cannot be converted to an int`]);
    expect(failed.validate_args_context).toEqual({ type: 'role', name: 'web', argument_spec_name: 'main', path: p.path('roles/web') });
    expect(failed.argument_spec_data).toEqual({ web_port: { type: 'int', required: true }, web_mode: { type: 'str', choices: ['a', 'b'], default: 'a' } });
  });

  it('refuses role parameters the spec does not know, but not the role entry\'s vars', async () => {
    const bad = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - {role: web, web_port: 1, stray: 2}\n');
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('stray. Supported parameters include: web_mode, web_port.');
    const good = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - {role: web, vars: {web_port: 1, stray: 2}}\n');
    expect(good.code).toBe(0);
  });

  it('validates the tasks_from entry point with its own spec, and nothing for an entry point without one', async () => {
    const r = await run(`
- hosts: all
  gather_facts: false
  tasks:
    - include_role: {name: web, tasks_from: extra}
      vars: {web_flag: "yes"}
`);
    expect(r.code).toBe(0);
    expect(r.output).toContain("TASK [web : Validating arguments against arg spec 'extra']");
    expect(r.output).not.toContain(MAIN);
    const none = await run('- hosts: all\n  gather_facts: false\n  tasks:\n    - import_role: {name: web, tasks_from: other}\n', { ...ROLE, 'roles/web/tasks/other.yml': '- name: other\n  debug: msg=hi\n' });
    expect(none.code).toBe(0);
    expect(none.output).not.toContain('Validating arguments');
  });

  it('runs the validation with --tags of the role\'s tasks (it is tagged always) and skips it with --skip-tags always', async () => {
    const pb = '- hosts: all\n  gather_facts: false\n  roles:\n    - {role: web, web_port: x}\n';
    const tagged = await run(pb, ROLE, ['--tags', 'body']);
    expect(tagged.code).not.toBe(0);
    expect(tagged.output).toContain(`TASK [web : ${MAIN}]`);
    const skipped = await run(pb, ROLE, ['--skip-tags', 'always']);
    expect(skipped.output).not.toContain('Validating arguments');
  });

  it('validates in check mode', async () => {
    const r = await run('- hosts: all\n  gather_facts: false\n  roles:\n    - {role: web}\n', ROLE, ['--check']);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('missing required arguments: web_port');
  });

  it('reads argument_specs from meta/main.yml when there is no argument_specs file, and the file wins over it', async () => {
    const inMeta = {
      'roles/db/meta/main.yml': 'argument_specs:\n  main:\n    options:\n      db_name: {required: true}\n',
      'roles/db/tasks/main.yml': '- debug: msg=db\n',
    };
    const r = await run('- hosts: all\n  gather_facts: false\n  roles: [db]\n', inMeta);
    expect(r.output).toContain("TASK [db : Validating arguments against arg spec 'main']");
    expect(r.output).toContain('missing required arguments: db_name');
    const both = await run('- hosts: all\n  gather_facts: false\n  roles: [db]\n', { ...inMeta, 'roles/db/meta/argument_specs.yaml': 'argument_specs:\n  main:\n    options:\n      db_user: {default: x}\n' });
    expect(both.code).toBe(0);
  });

  it('skips the validation with rolespec_validate: false', async () => {
    const r = await run('- hosts: all\n  gather_facts: false\n  tasks:\n    - include_role: {name: web, rolespec_validate: false}\n      vars: {web_port: x}\n');
    expect(r.code).toBe(0);
    expect(r.output).not.toContain('Validating arguments');
  });

  it('validates a role that has no tasks of its own', async () => {
    const r = await run('- hosts: all\n  gather_facts: false\n  roles: [empty]\n', { 'roles/empty/meta/argument_specs.yml': 'argument_specs:\n  main:\n    options:\n      need: {required: true}\n' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('missing required arguments: need');
  });
});
