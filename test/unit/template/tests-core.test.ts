// Jinja2's builtin tests. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, { d: { a: 1 }, nothing: null, ...vars }, 'test');

describe('definedness and types', () => {
  it('defined and undefined, on names and attributes', () => {
    expect(ev('d is defined')).toBe(true);
    expect(ev('missing is defined')).toBe(false);
    expect(ev('missing is undefined')).toBe(true);
    expect(ev('d.b is defined')).toBe(false);
    expect(ev('missing.b is not defined')).toBe(true);
    expect(ev('nothing is defined')).toBe(true);
  });
  it('none, boolean, true, false, number, integer, float, string, mapping, sequence, iterable, callable', () => {
    expect(ev('nothing is none')).toBe(true);
    expect(ev('true is boolean')).toBe(true);
    expect(ev('1 is boolean')).toBe(false);
    expect(ev('true is true')).toBe(true);
    expect(ev('1 is true')).toBe(false);
    expect(ev('false is false')).toBe(true);
    expect(ev('1 is number')).toBe(true);
    expect(ev('true is number')).toBe(true);
    expect(ev("'1' is number")).toBe(false);
    expect(ev('1 is integer')).toBe(true);
    expect(ev('true is integer')).toBe(false);
    expect(ev('1.5 is float')).toBe(true);
    expect(ev("'x' is string")).toBe(true);
    expect(ev('{} is mapping')).toBe(true);
    expect(ev("'x' is sequence")).toBe(true);
    expect(ev('5 is sequence')).toBe(false);
    expect(ev('{} is iterable')).toBe(true);
    expect(ev('5 is iterable')).toBe(false);
    expect(ev('d.items is callable')).toBe(true);
  });
});

describe('numbers and case', () => {
  it('odd, even, divisibleby with Python modulo', () => {
    expect(ev('3 is odd')).toBe(true);
    expect(ev('-3 is odd')).toBe(true);
    expect(ev('4 is even')).toBe(true);
    expect(ev('9 is divisibleby(3)')).toBe(true);
    expect(ev('9 is divisibleby 4')).toBe(false);
    expect(() => ev('9 is divisibleby(0)')).toThrow('integer modulo by zero');
    expect(() => ev("'a' is odd")).toThrow('not all arguments converted during string formatting');
  });
  it("lower and upper as str.islower / str.isupper", () => {
    expect(ev("'abc' is lower")).toBe(true);
    expect(ev("'123' is lower")).toBe(false);
    expect(ev("'ABC1' is upper")).toBe(true);
    expect(ev("'' is upper")).toBe(false);
  });
});

describe('comparisons', () => {
  it('eq, ne, lt, le, gt, ge and their other names', () => {
    expect(ev('2 is eq 2')).toBe(true);
    expect(ev('2 is equalto 2')).toBe(true);
    expect(ev('2 is ne 3')).toBe(true);
    expect(ev('3 is gt 2')).toBe(true);
    expect(ev('3 is greaterthan 2')).toBe(true);
    expect(ev('2 is lessthan 3')).toBe(true);
    expect(ev('2 is le 2')).toBe(true);
    expect(ev('2 is ge 3')).toBe(false);
    expect(() => ev("1 is lt 'a'")).toThrow("'<' not supported between instances of 'int' and 'str'");
    expect(ev("[{'a': 1}, {'a': 2}] | selectattr('a', 'ge', 2) | list")).toEqual([{ a: 2 }]);
  });
  it('in, sameas, escaped', () => {
    expect(ev('2 is in [1, 2]')).toBe(true);
    expect(ev("'a' is in 'abc'")).toBe(true);
    expect(ev('false is sameas false')).toBe(true);
    expect(ev('0 is sameas false')).toBe(false);
    expect(ev("('x' | e) is escaped")).toBe(true);
  });
  it('filter and test tell whether a plugin of that name exists', () => {
    expect(ev("'map' is filter")).toBe(true);
    expect(ev("'ansible.builtin.to_json' is filter")).toBe(true);
    expect(ev("'defined' is test")).toBe(true);
    expect(() => ev("'nope' is filter")).toThrow(`Could not load "nope": 'nope'`);
  });
});
