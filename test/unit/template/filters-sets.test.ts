// Set theory and combinatorics. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string) => t.evaluate(expr, {}, 'test');

describe('unique', () => {
  it('keeps first occurrences, case-insensitively by default', () => {
    expect(ev('[1,2,3,4,4,3,2,1] | unique')).toEqual([1, 2, 3, 4]);
    expect(ev("['a', 'b', 'A', 'B'] | unique")).toEqual(['a', 'b']);
    expect(ev("['a', 'b', 'A', 'B'] | unique(case_sensitive=True)")).toEqual(['a', 'b', 'A', 'B']);
    expect(ev('[1, True, 1.0] | unique')).toEqual([1]);
    expect(ev("{'foo': 1, 'moo': 2} | unique")).toEqual(['foo', 'moo']);
    expect(ev("'foo' | unique | sort | join")).toBe('fo');
    expect(ev(`[{"foo": "bar", "moo": "cow"}, {"foo": "bar", "moo": "mar"}] | unique(attribute="foo")`)).toEqual([{ foo: 'bar', moo: 'cow' }]);
  });
  it("falls back to Ansible's plain version for unhashable items, unless options it lacks are asked", () => {
    expect(ev("['a', 'A', {}] | unique")).toEqual(['a', 'A', {}]);
    expect(ev(`[{"a": 1}, {"a": 1}, {"b": 2}] | unique`)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(() => ev(`[{"foo": "bar"}] | unique(case_sensitive=False)`)).toThrow(
      "Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied",
    );
    expect(() => ev('True | unique')).toThrow("'bool' object is not iterable");
  });
});

describe('union, intersect, difference, symmetric_difference', () => {
  it('keep the order of first occurrence', () => {
    expect(ev('[1,2,3] | union([3,4,5,6])')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ev("['a','A','b'] | union(['b','B','c','C'])")).toEqual(['a', 'A', 'b', 'B', 'c', 'C']);
    expect(ev('[1,2,3] | intersect([3,2,1])')).toEqual([1, 2, 3]);
    expect(ev("['a','A','b'] | intersect(['b','B','c','C'])")).toEqual(['b']);
    expect(ev('[1,2,3] | difference([3,4,5,6])')).toEqual([1, 2]);
    expect(ev("['a','A','b'] | difference(['b','A','a'])")).toEqual([]);
    expect(ev('[1,2,3] | symmetric_difference([3,4,5,6])')).toEqual([1, 2, 4, 5, 6]);
    expect(ev("['a','A','b'] | symmetric_difference(['b','B','c','C'])")).toEqual(['a', 'A', 'B', 'c', 'C']);
    expect(ev('[1,2,3] | union([4,5]) | union([6,7]) | length')).toBe(7);
    expect(ev('[1,2,3] | union([{}])')).toEqual([1, 2, 3, {}]);
  });
  it("refuse as Python's `in` does", () => {
    expect(() => ev("[1, 2] | intersect('abc')")).toThrow("'in <string>' requires string as left operand, not int");
  });
});

describe('combinatorics and zips', () => {
  it('product, permutations, combinations', () => {
    expect(ev("[1, 2] | product(['a', 'b']) | list")).toEqual([[1, 'a'], [1, 'b'], [2, 'a'], [2, 'b']]);
    expect(ev('[1, 2] | product(repeat=2) | list')).toEqual([[1, 1], [1, 2], [2, 1], [2, 2]]);
    expect(ev('[1, 2, 3] | permutations | list')).toEqual([[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]]);
    expect(ev('[1, 2, 3] | permutations(2) | list')).toEqual([[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]]);
    expect(ev('[1, 2, 3] | combinations(2) | list')).toEqual([[1, 2], [1, 3], [2, 3]]);
    expect(() => ev('[1, 2, 3] | combinations')).toThrow("combinations() missing required argument 'r' (pos 2)");
  });
  it('zip stops at the shortest; zip_longest fills', () => {
    expect(ev("[1, 2] | zip(['a']) | list")).toEqual([[1, 'a']]);
    expect(ev("'ab' | zip('cd') | list")).toEqual([['a', 'c'], ['b', 'd']]);
    expect(ev("[1, 2] | zip_longest(['a'], fillvalue='x') | list")).toEqual([[1, 'a'], [2, 'x']]);
    expect(ev("[1, 2] | zip_longest(['a']) | list")).toEqual([[1, 'a'], [2, null]]);
  });
});
