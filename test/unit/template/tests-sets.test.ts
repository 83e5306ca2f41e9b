// Set, number and URI tests. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string) => t.evaluate(expr, {}, 'test');

describe('subset, superset, contains, nan', () => {
  it('compare as Python sets', () => {
    expect(ev('[1] is issubset([1, 2])')).toBe(true);
    expect(ev('[1] is not subset([2])')).toBe(true);
    expect(ev('[1, 2] is superset([2])')).toBe(true);
    expect(ev('[2] is issuperset([1])')).toBe(false);
    expect(ev("'ab' is subset('abc')")).toBe(true);
    expect(() => ev('[[1]] is subset([[1]])')).toThrow("unhashable type: 'list'");
  });
  it('contains is `in` the other way round', () => {
    expect(ev('[1] is contains(1)')).toBe(true);
    expect(ev("'abc' is contains('b')")).toBe(true);
    expect(ev("[{'a': [1]}, {'a': [2]}] | selectattr('a', 'contains', 2) | list")).toEqual([{ a: [2] }]);
  });
  it('nan only for the float NaN', () => {
    expect(ev("'nan' | float is nan")).toBe(true);
    expect(ev("'nan' | float is isnan")).toBe(true);
    expect(ev("'bad' is nan")).toBe(false);
    expect(ev('1.1 is nan')).toBe(false);
  });
});

describe('uri, url, urn', () => {
  it('as Python urlparse sees them', () => {
    expect(ev("'anything' is uri")).toBe(true);
    expect(ev("'http://x' is uri(['https'])")).toBe(false);
    expect(ev("'http://x' is uri(['http'])")).toBe(true);
    expect(ev('5 is uri')).toBe(false);
    expect(ev("'http://x.com/a' is url")).toBe(true);
    expect(ev("'file:///x' is url")).toBe(true);
    expect(ev("'mailto:a@b' is url")).toBe(false);
    expect(ev("'urn:isbn:123' is urn")).toBe(true);
    expect(ev("'http://x' is urn")).toBe(false);
  });
});
