import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupForLoops } from '../../../engine/lookups/call.js';
import { isLoopKeyword, loopItems, loopSubdir, templarLoopDeps } from '../../../engine/runner/loop-items.js';
import { lazyVars, Templar, TemplateError } from '../../../engine/template/index.js';
import { isUnsafe, untag } from '../../../engine/template/trust.js';
import type { LookupHost } from '../../../engine/lookups/types.js';
import { contextFor, errorOf, fixture, playVars, recordingHost, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

const root = fixture({
  'files/a.txt': 'alpha\n',
  'files/b.txt': 'beta\n',
  'templates/t.j2': 'Hi {{ name }}\n',
  'vars/main.yml': 'x: 1\n',
  'files/people.csv': 'Smith,Jane\n',
  'files/lookup.ini': '[global]\nuser=bob\n',
});

const data = {
  nested: [[1, 2], [3, [4, 5]]],
  d: { a: 1, b: 2 },
  users: [{ name: 'alice', hosts: ['h1', 'h2'] }, { name: 'bob', hosts: ['h3'] }],
  things2: ['{{ foo }}', 'b'],
};

/** loopItems as a runner calls it: the task's variables (lazy), the engine's Templar, the lookups. */
function itemsOf(keywords: Record<string, unknown>, action = 'debug', host?: LookupHost): unknown[] | undefined {
  const templar = new Templar();
  const vars = lazyVars(playVars(root, data), templar, 'task');
  const items = loopItems(keywords, templarLoopDeps(templar, vars, 'task', host, action));
  return items === undefined ? undefined : untag(items);
}

const failure = (keywords: Record<string, unknown>, action?: string) => errorOf(() => itemsOf(keywords, action));

// Expected values: Ansible 2.14 (ansible-playbook, the items of debug tasks) with the same data.
describe('loop items', () => {
  it('no loop keyword: no loop', () => {
    expect(itemsOf({ name: 'x', when: 'true' })).toBeUndefined();
    expect(itemsOf({ loop: null })).toBeUndefined();
  });

  it('loop: must give a list', () => {
    expect(itemsOf({ loop: [1, '{{ name }}'] })).toEqual([1, 'World']);
    expect(itemsOf({ loop: '{{ nested }}' })).toEqual(data.nested);
    expect(itemsOf({ loop: "{{ query('sequence', 'end=2') }}" })).toEqual(['1', '2']);
    expect(failure({ loop: '{{ d }}' }).message).toBe(
      "Invalid data passed to 'loop', it requires a list, got this instead: {'a': 1, 'b': 2}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.",
    );
  });

  it('with_items flattens one level; with_list does not', () => {
    expect(itemsOf({ with_items: '{{ nested }}' })).toEqual([1, 2, 3, [4, 5]]);
    expect(itemsOf({ with_list: '{{ nested }}' })).toEqual(data.nested);
    expect(itemsOf({ with_items: [[1, [2]], 3, '{{ nested }}'] })).toEqual([1, [2], 3, [1, 2], [3, [4, 5]]]);
    expect(itemsOf({ with_items: 'a,b' })).toEqual(['a,b']);
    expect(itemsOf({ with_items: '  {{ d }}  ' })).toEqual(['a', 'b']);
    expect(itemsOf({ with_items: 5 })).toEqual([5]);
    expect(itemsOf({ with_items: [] })).toEqual([]);
    expect(itemsOf({ with_items: ['things2', 'nested'] })).toEqual(['things2', 'nested']);
  });

  it('with_dict, with_indexed_items, with_together, with_nested, with_subelements', () => {
    expect(itemsOf({ with_dict: '{{ d }}' })).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(itemsOf({ with_indexed_items: [[1, 2], 3] })).toEqual([[0, 1], [1, 2], [2, 3]]);
    expect(itemsOf({ with_together: [[1, 2], [3]] })).toEqual([[1, 3], [2, null]]);
    expect(itemsOf({ with_nested: [[1, 2], [3, 4], 'x'] })).toEqual([[1, 3, 'x'], [1, 4, 'x'], [2, 3, 'x'], [2, 4, 'x']]);
    expect(itemsOf({ with_subelements: ['{{ users }}', 'hosts'] })).toEqual([[{ name: 'alice' }, 'h1'], [{ name: 'alice' }, 'h2'], [{ name: 'bob' }, 'h3']]);
  });

  it('with_sequence, with_lines, with_random_choice', () => {
    expect(itemsOf({ with_sequence: 'start=1 end=10 stride=3 format=%03x' })).toEqual(['001', '004', '007', '00a']);
    expect(itemsOf({ with_sequence: '0x0f00-0x0f02:%04X' })).toEqual(['0F00', '0F01', '0F02']);
    expect(itemsOf({ with_sequence: 'count=3 start=5 stride=-1' })).toEqual(['5', '4', '3', '2', '1']);
    expect(itemsOf({ with_lines: 'for i in $(seq 1 3); do echo "l$i" ; done;' })).toEqual(['l1', 'l2', 'l3']);
    expect(['foo', 'bar']).toContain(itemsOf({ with_random_choice: ['foo', 'bar'] })![0]);
  });

  it('the file lookups find files from the task\'s search path', () => {
    expect(itemsOf({ with_file: ['a.txt', 'b.txt'] })).toEqual(['alpha', 'beta']);
    expect([...(itemsOf({ with_fileglob: '*.txt' }) as string[])].sort()).toEqual([`${root}/files/a.txt`, `${root}/files/b.txt`]);
    expect(itemsOf({ with_template: 't.j2' })).toEqual(['Hi World\n']);
    expect(itemsOf({ with_csvfile: 'Smith file=people.csv delimiter=,' })).toEqual(['Jane']);
    expect(itemsOf({ with_ini: 'user section=global file=lookup.ini' })).toEqual(['bob']);
  });

  it('with_env and with_inventory_hostnames', () => {
    process.env.UXSV_LOOP_ENV = 'from env';
    try {
      expect(itemsOf({ with_env: ['UXSV_LOOP_ENV', 'UXSV_LOOP_NOPE'] })).toEqual(['from env', '']);
    } finally {
      delete process.env.UXSV_LOOP_ENV;
    }
    const host = recordingHost({ hostsMatching: (pattern) => (pattern === 'web' ? ['w1', 'w2'] : []) });
    expect(itemsOf({ with_inventory_hostnames: 'web' }, 'debug', host)).toEqual(['w1', 'w2']);
  });

  it('with_first_found passes over undefined names and looks in the folder of the task\'s action', () => {
    expect(itemsOf({ with_first_found: ['{{ nope }}', 'a.txt'] })).toEqual([`${root}/files/a.txt`]);
    expect(itemsOf({ with_first_found: [{ files: ['{{ nope }}.yml', 'b.txt'] }, 'a.txt'] })).toEqual([`${root}/files/a.txt`]);
    expect(itemsOf({ with_first_found: ['t.j2'] }, 'ansible.builtin.template')).toEqual([`${root}/templates/t.j2`]);
    expect(itemsOf({ with_first_found: [{ files: ['main.yml'] }] }, 'include_vars')).toEqual([`${root}/vars/main.yml`]);
    expect(itemsOf({ with_first_found: [{ files: ['nope'], skip: true }] })).toEqual([]);
    expect(failure({ with_first_found: ['nope'] }).message).toBe('No file was found when using first_found.');
    expect([loopSubdir('template'), loopSubdir('include_vars'), loopSubdir('copy'), loopSubdir(undefined)]).toEqual(['templates', 'vars', 'files', 'files']);
  });

  it('marks the items of a with_ loop unsafe', () => {
    const templar = new Templar();
    const vars = playVars(root, data);
    const items = loopItems({ with_items: ['{{ name }}'] }, { render: (v) => templar.renderValue(v, vars, 'task'), lookup: lookupForLoops(contextFor(root)) })!;
    expect(isUnsafe(items) && isUnsafe(items[0])).toBe(true);
  });

  it('an undefined variable in the loop is the templating error naming it', () => {
    for (const keywords of [{ with_items: ['{{ foo }}', 'b'] }, { with_items: '{{ foo }}' }, { loop: '{{ foo }}' }, { with_items: '{{ things2 }}' }]) {
      const err = failure(keywords);
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).variable).toBe('foo');
    }
  });

  it("fails with Ansible's messages", () => {
    expect(failure({ with_dict: '{{ nested }}' }).message).toBe('with_dict expects a dict');
    expect(failure({ with_indexed_items: { a: 1 } }).message).toBe('with_indexed_items expects a list');
    expect(failure({ with_together: [] }).message).toBe('with_together requires at least one element in each list');
    expect(failure({ with_sequence: 'start=0 junk=3' }).message).toBe("unrecognized arguments to with_sequence: ['junk']");
    expect(failure({ with_foo: [1] }).message).toBe("'with_foo' is not a valid attribute for a Task");
    expect(failure({ with_items: null }).message).toBe('you must specify a value when using with_items');
    expect(failure({ with_items: [1], with_list: [2] }).message).toBe('duplicate loop in task: list');
    expect(failure({ with_file: ['nope.txt'] }).message).toBe('could not locate file in lookup: nope.txt');
    expect(path.isAbsolute(root)).toBe(true);
  });

  it('knows which keywords are loops', () => {
    expect(['loop', 'with_items', 'with_ansible.builtin.file', 'with_inventory_hostnames', 'with_foo', 'loop_control', 'with_'].map(isLoopKeyword))
      .toEqual([true, true, true, true, false, false, false]);
  });
});
