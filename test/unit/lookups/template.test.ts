import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLookup } from '../../../engine/lookups/index.js';
import type { TemplateOptions } from '../../../engine/modules/types.js';
import { encrypt, VaultSecrets } from '../../../engine/vault/index.js';
import { contextFor, errorOf, evaluator, fixture, recordingHost, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

// Expected values: Ansible 2.14 on the same templates.
describe('template', () => {
  const root = fixture({
    'templates/hello.j2': 'Hello {{ name }}!\n',
    'templates/dict.j2': '{"foo": "{{ name }}", "n": 1}\n',
    'templates/list.j2': "[{{ 1 }}, 'two', true, null]\n",
    'templates/bool.j2': 'True\n',
    'templates/vars.j2': '{{ extra }} {{ template_path }} {{ ansible_managed }} {{ template_fullpath }}\n',
    'templates/hostvars.j2': "{{ hostvars['h1'].host_var }}\n",
    'templates/delims.j2': 'Hello [% name %]! {{ name }}\n',
    'templates/vaulted.j2': encrypt('Unvaulted {{ name }}!\n', 'pw'),
  });
  const host = recordingHost({ decryptVault: (text, source) => new VaultSecrets(['pw']).decrypt(text, source).toString('utf8') });
  const { evaluate } = evaluator(root, host);

  it('renders a template from templates/ with the task variables, keeping its trailing newline', () => {
    expect(evaluate("lookup('template', 'hello.j2')")).toBe('Hello World!\n');
    expect(evaluate("lookup('template', 'hostvars.j2')", { hostvars: { h1: { host_var: 'foo' } } })).toBe('foo\n');
    expect(evaluate("lookup('template', 'vaulted.j2')")).toBe('Unvaulted World!\n');
  });

  it('reads output that looks like a list, dict or bool as one (convert_data), not text without markup', () => {
    expect(evaluate("lookup('template', 'dict.j2')")).toEqual({ foo: 'World', n: 1 });
    expect(evaluate("lookup('template', 'dict.j2') is mapping")).toBe(true);
    expect(evaluate("lookup('template', 'dict.j2', convert_data=False)")).toBe('{"foo": "World", "n": 1}\n');
    expect(evaluate("query('template', 'list.j2')")).toEqual([[1, 'two', true, null]]);
    expect(evaluate("lookup('template', 'bool.j2')")).toBe('True\n');
  });

  it('adds template_vars and Ansible\'s template_* variables', () => {
    expect(evaluate("lookup('template', 'vars.j2', template_vars={'extra': 'X'})")).toBe(`X vars.j2 Ansible managed ${root}/templates/vars.j2\n`);
  });

  it('names a missing template', () => {
    expect(errorOf(() => evaluate("lookup('template', 'nope.j2')")).message).toContain('the template file nope.j2 could not be found for the lookup');
  });

  it('includes templates from beside the template and from the search path\'s templates folders', () => {
    const dir = fixture({
      'templates/hello.txt': "Hello {% include 'world.txt' %}!\n",
      'templates/world.txt': 'world',
      'roles/r/templates/role.j2': "{% include 'shared.j2' %}",
      'templates/shared.j2': 'shared {{ name }}',
    });
    const { evaluate: ev } = evaluator(dir);
    expect(ev("lookup('template', 'hello.txt')")).toBe('Hello world!\n');
    expect(ev("lookup('template', 'role.j2')", { ansible_search_path: [path.join(dir, 'roles/r'), dir] })).toBe('shared World');
  });

  it('gives the renderer the Jinja options and the folders for includes', () => {
    const ctx = contextFor(root, undefined, { ansible_search_path: [path.join(root, 'roles/r'), root] });
    const seen: TemplateOptions[] = [];
    const recording = { ...ctx, renderTemplate: (text: string, file: string, vars: Record<string, unknown>, options: TemplateOptions) => {
      seen.push(options);
      return ctx.renderTemplate(text, file, vars, options);
    } };
    findLookup('template')!.run(['delims.j2'], { variable_start_string: '[%', variable_end_string: '%]', comment_start_string: '[#', comment_end_string: '#]' }, recording);
    expect(seen[0]).toMatchObject({
      variable_start_string: '[%',
      variable_end_string: '%]',
      comment_start_string: '[#',
      comment_end_string: '#]',
      keep_trailing_newline: true,
      searchPath: [path.join(root, 'templates'), path.join(root, 'roles/r/templates'), path.join(root, 'roles/r'), path.join(root, 'templates'), root],
    });
  });
});
