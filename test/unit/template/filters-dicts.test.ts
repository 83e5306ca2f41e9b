// Mappings. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');
const base = { a: 1, l: [1, 2], d: { x: 1, y: [1] } };
const patch = { b: 2, l: [2, 3], d: { y: [2], z: 3 } };

describe('combine', () => {
  it('later dicts win; recursive merges nested dicts; list_merge decides lists', () => {
    expect(ev('base | combine(patch)', { base, patch })).toEqual({ a: 1, l: [2, 3], d: { y: [2], z: 3 }, b: 2 });
    expect(ev('base | combine(patch, recursive=true)', { base, patch })).toEqual({ a: 1, l: [2, 3], d: { x: 1, y: [2], z: 3 }, b: 2 });
    const merged = (mode: string) => ev(`base | combine(patch, recursive=true, list_merge='${mode}')`, { base, patch }) as { l: unknown; d: { y: unknown } };
    expect(merged('keep').l).toEqual([1, 2]);
    expect(merged('append').l).toEqual([1, 2, 2, 3]);
    expect(merged('prepend').l).toEqual([2, 3, 1, 2]);
    expect(merged('append_rp').l).toEqual([1, 2, 3]);
    expect(merged('prepend_rp').l).toEqual([2, 3, 1]);
    expect(merged('append').d.y).toEqual([1, 2]);
    expect(ev("base | combine(patch, list_merge='append')", { base, patch })).toEqual({ a: 1, l: [1, 2, 2, 3], d: { y: [2], z: 3 }, b: 2 });
  });
  it('takes lists of dicts, several arguments, and nothing', () => {
    expect(ev("[{'a': 1}, {'b': 2}] | combine")).toEqual({ a: 1, b: 2 });
    expect(ev("{'a': 1} | combine({'a': 2}, {'a': 3, 'c': 1})")).toEqual({ a: 3, c: 1 });
    expect(ev('[] | combine')).toEqual({});
    expect(ev('None | combine')).toEqual({});
    expect(ev("[{'a': 1}, None] | combine({'b': 2})")).toEqual({ a: 1, b: 2 });
  });
  it("refuses what Ansible refuses, with its messages", () => {
    expect(() => ev("{'a': 1} | combine([1])")).toThrow(`failed to combine variables, expected dicts but got a 'dict' and a 'int': \n{"a": 1}\n1`);
    expect(() => ev("{'a': 1} | combine({'b': 2}, foo=1)")).toThrow("'recursive' and 'list_merge' are the only valid keyword arguments");
    expect(() => ev("{'a': 1} | combine({'a': 2}, list_merge='bad')")).toThrow(
      "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp'",
    );
  });
});

describe('dict2items, items2dict, items, dictsort', () => {
  it('convert both ways with custom key and value names', () => {
    expect(ev("{'a': 1, 'b': 2} | dict2items")).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(ev("{'a': 1} | dict2items(key_name='k', value_name='v')")).toEqual([{ k: 'a', v: 1 }]);
    expect(ev("[{'k': 'x', 'v': 2}] | items2dict(key_name='k', value_name='v')")).toEqual({ x: 2 });
    expect(() => ev('[1] | dict2items')).toThrow("dict2items requires a dictionary, got <class 'list'> instead.");
    expect(() => ev("[{'k': 1}] | items2dict")).toThrow("items2dict requires each dictionary in the list to contain the keys 'key' and 'value', got [{'k': 1}] instead.");
    expect(() => ev('[1] | items2dict')).toThrow('items2dict requires a list of dictionaries, got [1] instead.');
    expect(() => ev("'ab' | items2dict")).toThrow("items2dict requires a list, got <class 'str'> instead.");
  });
  it('items and dictsort give pairs', () => {
    expect(ev("{'b': 1} | items | list")).toEqual([['b', 1]]);
    expect(() => ev('[1] | items | list')).toThrow('Can only get item pairs from a mapping.');
    expect(ev("{'b': 1, 'A': 2, 'a': 3} | dictsort")).toEqual([['A', 2], ['a', 3], ['b', 1]]);
    expect(ev("{'b': 1, 'A': 2, 'a': 3} | dictsort(false, 'value', true)")).toEqual([['a', 3], ['A', 2], ['b', 1]]);
    expect(() => ev("{'b': 1} | dictsort(by='x')")).toThrow('You can only sort by either "key" or "value"');
  });
});

describe('extract, subelements, rekey_on_member', () => {
  it('extract follows keys into a container', () => {
    const hostvars = { h1: { ip: '1.1.1.1' }, h2: { ip: '2.2.2.2' } };
    expect(ev("['h2', 'h1'] | map('extract', hostvars, 'ip') | list", { hostvars })).toEqual(['2.2.2.2', '1.1.1.1']);
    expect(ev("'a' | extract({'a': {'b': [5]}}, ['b', 0])")).toBe(5);
    expect(() => ev("'z' | extract({'a': 1}) | string")).toThrow(/has no attribute 'z'/);
  });
  it('subelements pairs each item with each entry of its list', () => {
    const items = [{ n: 'x', g: ['a', 'b'] }];
    expect(ev("items | subelements('g')", { items })).toEqual([[items[0], 'a'], [items[0], 'b']]);
    expect(ev("{'u': {'n': 'x', 'g': {'h': ['a']}}} | subelements('g.h')")).toEqual([[{ n: 'x', g: { h: ['a'] } }, 'a']]);
    expect(ev("[{'n': 'x'}] | subelements('g', skip_missing=True)")).toEqual([]);
    expect(() => ev("[{'n': 'x'}] | subelements('g')")).toThrow("could not find 'g' key in iterated item {'n': 'x'}");
    expect(() => ev("[{'n': 'x', 'g': 1}] | subelements('g')")).toThrow("the key 'g' should point to a list, got 1");
    expect(() => ev("'x' | subelements('g')")).toThrow('obj must be a list of dicts or a nested dict');
    expect(() => ev("[{'n': 'x'}] | subelements(1)")).toThrow('subelements must be a list or a string');
  });
  it('rekey_on_member keys items by a member, refusing duplicates unless told', () => {
    const protos = [{ proto: 'eigrp', state: 'enabled' }, { proto: 'ospf', state: 'enabled' }];
    expect(ev("p | rekey_on_member('proto')", { p: protos })).toEqual({ eigrp: protos[0], ospf: protos[1] });
    expect(ev("{'a': p[0], 'b': p[1]} | rekey_on_member('proto')", { p: protos })).toEqual({ eigrp: protos[0], ospf: protos[1] });
    const twice = [protos[0], protos[0]];
    expect(ev("p | rekey_on_member('proto', duplicates='overwrite')", { p: twice })).toEqual({ eigrp: protos[0] });
    expect(() => ev("p | rekey_on_member('proto')", { p: twice })).toThrow('Key eigrp is not unique, cannot correctly turn into dict');
    expect(() => ev("[] | rekey_on_member('x', duplicates='boo')")).toThrow('duplicates parameter to rekey_on_member has unknown value: boo');
    expect(() => ev("'minkeys' | rekey_on_member('x')")).toThrow('Type is not a valid list, set, or dict');
    expect(() => ev("[True] | rekey_on_member('x')")).toThrow('List item is not a valid dict');
    expect(() => ev("[{'a': 1}] | rekey_on_member('x')")).toThrow('Key x was not found');
  });
});
