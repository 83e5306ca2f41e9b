import { afterAll, describe, expect, it } from 'vitest';
import { callLookup } from '../../../engine/lookups/call.js';
import { isUnsafe } from '../../../engine/template/trust.js';
import { contextFor, errorOf, evaluator, fixture, recordingHost, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

// Expected values: Ansible 2.14 (ansible-playbook, debug msg) on the same files.
describe('lookup() and query()', () => {
  const root = fixture({ 'files/a.txt': 'alpha\n', 'files/tpl.txt': '{{ name }}\n' });

  it('joins string results with commas; other results stay a value or a list', () => {
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('items', ['a', 'b'])")).toBe('a,b');
    expect(evaluate("lookup('items', ['a'])")).toBe('a');
    expect(evaluate("lookup('items', [1, 2])")).toEqual([1, 2]);
    expect(evaluate("lookup('items', ['a', 2])")).toEqual(['a', 2]);
    expect(evaluate("lookup('items', [1])")).toBe(1);
    expect(evaluate("lookup('list', ['a', ['b']])")).toEqual(['a', ['b']]);
    expect(evaluate("lookup('items', [])")).toEqual([]);
  });

  it('wantlist=True, query() and q() give the list', () => {
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('items', ['a', 'b'], wantlist=True)")).toEqual(['a', 'b']);
    expect(evaluate("lookup('file', 'a.txt', wantlist=True)")).toEqual(['alpha']);
    expect(evaluate("query('file', 'a.txt')")).toEqual(['alpha']);
    expect(evaluate("q('items', 'x')")).toEqual(['x']);
  });

  it('accepts the ansible.builtin. names; an unknown plugin is an error naming it', () => {
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('ansible.builtin.file', 'a.txt')")).toBe('alpha');
    expect(evaluate("query('ansible.builtin.items', [1])")).toEqual([1]);
    expect(errorOf(() => evaluate("lookup('nope', 'x')")).message).toContain('lookup plugin (nope) not found');
  });

  it('reports a plugin failure as Ansible does', () => {
    const { evaluate } = evaluator(root);
    expect(errorOf(() => evaluate("lookup('file', 'nope.txt')")).message).toContain(
      "An unhandled exception occurred while running the lookup plugin 'file'. Error was a <class 'ansible.errors.AnsibleError'>, original message: could not locate file in lookup: nope.txt. could not locate file in lookup: nope.txt",
    );
    // A lookup's own failure (AnsibleLookupError) is reported as it is.
    expect(errorOf(() => evaluate("lookup('first_found', 'nope')")).message).toContain('test: No file was found when using first_found.');
  });

  it("errors='warn' and errors='ignore' give None (lookup) or [] (query)", () => {
    const host = recordingHost();
    const { evaluate } = evaluator(root, host);
    expect(evaluate("lookup('file', 'nope.txt', errors='ignore')")).toBeNull();
    expect(evaluate("query('file', 'nope.txt', errors='ignore')")).toEqual([]);
    expect(host.warnings).toEqual(["Unable to find 'nope.txt' in expected paths (use -vvvvv to see paths)", "Unable to find 'nope.txt' in expected paths (use -vvvvv to see paths)"]);
    host.warnings.length = 0;
    expect(evaluate("lookup('file', 'nope.txt', errors='warn')")).toBeNull();
    expect(host.warnings[1]).toBe("An unhandled exception occurred while running the lookup plugin 'file'. Error was a <class 'ansible.errors.AnsibleError'>, original message: could not locate file in lookup: nope.txt");
    expect(evaluate("query('first_found', 'nope', errors='warn')")).toEqual([]);
    expect(host.warnings[2]).toBe('Lookup failed but the error is being ignored: No file was found when using first_found.');
    // Any other value fails as 'strict' does.
    expect(errorOf(() => evaluate("lookup('file', 'nope.txt', errors='bogus')")).message).toContain('could not locate file in lookup: nope.txt');
  });

  it('undefined variables and bad options fail whatever errors= says', () => {
    const { evaluate } = evaluator(root);
    expect(errorOf(() => evaluate("lookup('vars', 'nope', errors='ignore')")).message).toContain('No variable found with this name: nope');
    expect(errorOf(() => evaluate("lookup('password', '/dev/null', length='abc', errors='ignore')")).message).toContain(
      "Invalid type for configuration option plugin_type: lookup plugin: password setting: length (from Direct): invalid literal for int() with base 10: 'abc'",
    );
  });

  it('marks results unsafe unless allow_unsafe=True, which also skips the joining', () => {
    const ctx = contextFor(root);
    expect(isUnsafe(callLookup('file', ['a.txt'], {}, ctx, false))).toBe(true);
    const list = callLookup('items', [['a', ['b']]], {}, ctx, true) as unknown[];
    expect(isUnsafe(list) && isUnsafe(list[0]) && isUnsafe(list[1])).toBe(true);
    const allowed = callLookup('file', ['a.txt'], { allow_unsafe: true }, ctx, false);
    expect(allowed).toEqual(['alpha']);
    expect(isUnsafe(allowed)).toBe(false);
  });

  it('templates terms holding markup, but never a lookup result', () => {
    const { evaluate } = evaluator(root);
    expect(evaluate("lookup('items', ['{{ name }}'])")).toBe('World');
    expect(evaluate("query('items', '{{ name }}', '{{ name' ~ ' }}')")).toEqual(['World', 'World']);
    expect(evaluate("lookup('file', 'tpl.txt')")).toBe('{{ name }}');
    expect(evaluate("query('items', lookup('file', 'tpl.txt'))")).toEqual(['{{ name }}']);
  });
});
