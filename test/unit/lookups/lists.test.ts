import { afterAll, describe, expect, it } from 'vitest';
import { errorOf, evaluator, fixture, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

const users = [
  { name: 'alice', mysql: { hosts: ['h1', 'h2'], pw: 'x' }, groups: ['wheel'] },
  { name: 'bob', mysql: { hosts: ['h3'] } },
  { name: 'carol', skipped: true, mysql: { hosts: ['h9'] } },
];

// Expected values: Ansible 2.14 (query() in a debug task) with the same data.
describe('list lookups', () => {
  const { evaluate } = evaluator(fixture({}), undefined, { users });
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('items flattens one level, list keeps its items', () => {
    expect(evaluate("query('items', [1, [2, [3]]], 4)")).toEqual([1, [2, [3]], 4]);
    expect(evaluate("query('items', [1, [2]], 3)")).toEqual([1, [2], 3]);
    expect(evaluate("query('list', [1, [2, [3]]], 4)")).toEqual([[1, [2, [3]]], 4]);
  });

  it('indexed_items pairs each flattened item with its position', () => {
    expect(evaluate("query('indexed_items', ['a', ['b', 'c']])")).toEqual([[0, 'a'], [1, ['b', 'c']]]);
    expect(evaluate("query('indexed_items', 'a', 'b')")).toEqual([[0, 'a'], [1, 'b']]);
  });

  it('dict gives key/value pairs in order; anything else is an error', () => {
    expect(evaluate("query('dict', {'b': 1, 'a': [2]})")).toEqual([{ key: 'b', value: 1 }, { key: 'a', value: [2] }]);
    expect(fails("lookup('dict', 1)")).toContain('with_dict expects a dict');
  });

  it('nested combines lists (a string is a list of itself; a lone list splits strings into characters)', () => {
    expect(evaluate("query('nested', ['a', 'b'], [1, 2], 'x')")).toEqual([['a', 1, 'x'], ['a', 2, 'x'], ['b', 1, 'x'], ['b', 2, 'x']]);
    expect(evaluate("query('nested', ['ab', 'c'])")).toEqual([['a', 'b'], ['c']]);
    expect(fails("query('nested')")).toContain('with_nested requires at least one element in the nested list');
  });

  it('together zips lists, filling with None', () => {
    expect(evaluate("query('together', [1, 2, 3], ['a'], 'xy')")).toEqual([[1, 'a', 'xy'], [2, null, null], [3, null, null]]);
    expect(fails("query('together')")).toContain('with_together requires at least one element in each list');
  });

  it('random_choice picks one term; no terms give none', () => {
    const picks = new Set(Array.from({ length: 40 }, () => evaluate("lookup('random_choice', 'a', 'b', 'c')")));
    expect([...picks].every((p) => ['a', 'b', 'c'].includes(p as string))).toBe(true);
    expect(picks.size).toBeGreaterThan(1);
    expect(evaluate("query('random_choice')")).toEqual([]);
  });
});

describe('subelements', () => {
  const { evaluate } = evaluator(fixture({}), undefined, { users });
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('pairs each item with each element of its sub-list, the sub-list taken out of the item', () => {
    expect(evaluate("query('subelements', users, 'mysql.hosts')")).toEqual([
      [{ name: 'alice', mysql: { pw: 'x' }, groups: ['wheel'] }, 'h1'],
      [{ name: 'alice', mysql: { pw: 'x' }, groups: ['wheel'] }, 'h2'],
      [{ name: 'bob', mysql: {} }, 'h3'],
    ]);
    expect(evaluate("query('subelements', {'k1': users[0], 'k2': users[1]}, 'mysql.hosts')")).toHaveLength(3);
    expect(evaluate("query('subelements', {'skipped': True}, 'mysql.hosts')")).toEqual([]);
  });

  it('skip_missing passes over items without the key', () => {
    expect(evaluate("query('subelements', users, 'groups', {'skip_missing': True})")).toEqual([[{ name: 'alice', mysql: { hosts: ['h1', 'h2'], pw: 'x' } }, 'wheel']]);
    expect(evaluate("query('subelements', users, 'mysql.pw.x', {'skip_missing': True})")).toEqual([]);
  });

  it("fails with Ansible's messages", () => {
    expect(fails("query('subelements', users, 'groups')")).toContain("could not find 'groups' key in iterated item '{'name': 'bob', 'mysql': {'hosts': ['h3']}}'");
    expect(fails("query('subelements', users, 'mysql.pw')")).toContain("the key pw should point to a list, got 'x'");
    expect(fails("query('subelements', users, 'mysql.hosts.nope')")).toContain("the key hosts should point to a dictionary, got '['h1', 'h2']'");
    expect(fails("query('subelements', 9001, 'groups')")).toContain("subelements lookup expects a dictionary, got '9001'");
    expect(fails("query('subelements', users, 'mysql.privs', 'wolves')")).toContain("the optional third item must be a dict with flags ('skip_missing',)");
    expect(fails("query('subelements', users, 'a', 'b', 'c')")).toContain('subelements lookup expects a list of two or three items, ');
    expect(fails("query('subelements', users, True)")).toContain('first a dict or a list, second a string pointing to the subkey');
  });
});
