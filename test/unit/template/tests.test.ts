import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const vars = {
  s: 'web01',
  n: 3,
  l: [1, 2],
  d: { a: 1 },
  nothing: null,
  ok: { changed: false, failed: false },
  bad: { failed: true, changed: false, msg: 'boom' },
  changed_result: { changed: true },
  skipped_result: { skipped: true, changed: false },
};
const ev = (expr: string) => t.evaluate(expr, vars, 'test');

describe('tests', () => {
  it('defined / undefined on names, attributes and attributes of undefined', () => {
    expect(ev('s is defined')).toBe(true);
    expect(ev('missing is defined')).toBe(false);
    expect(ev('missing is undefined')).toBe(true);
    expect(ev('missing is not defined')).toBe(true);
    expect(ev('d.a is defined')).toBe(true);
    expect(ev('d.b is defined')).toBe(false);
    expect(ev('missing.b is defined')).toBe(false);
    expect(ev("d['b'] is undefined")).toBe(true);
    expect(ev('nothing is defined')).toBe(true);
  });
  it('none, string, number, mapping, sequence, iterable', () => {
    expect(ev('nothing is none')).toBe(true);
    expect(ev('s is none')).toBe(false);
    expect(ev('s is string')).toBe(true);
    expect(ev('n is string')).toBe(false);
    expect(ev('n is number')).toBe(true);
    expect(ev('d is mapping')).toBe(true);
    expect(ev('l is mapping')).toBe(false);
    expect(ev('l is sequence')).toBe(true);
    expect(ev('l is iterable')).toBe(true);
    expect(ev('n is iterable')).toBe(false);
  });
  it('match is anchored at the start, search is not', () => {
    expect(ev("s is match('web')")).toBe(true);
    expect(ev("s is match('\\d+')")).toBe(false);
    expect(ev("s is search('\\d+')")).toBe(true);
    expect(ev("s is match('WEB', ignorecase=true)")).toBe(true);
    expect(ev("s is regex('^web\\d\\d$')")).toBe(true);
  });
  it('equalto, ==, in, truthy, falsy', () => {
    expect(ev('n is equalto 3')).toBe(true);
    expect(ev('n is equalto(4)')).toBe(false);
    expect(ev("[1, 2, 1] | select('==', 1) | list")).toEqual([1, 1]);
    expect(ev('1 is in(l)')).toBe(true);
    expect(ev('[] is truthy')).toBe(false);
    expect(ev('l is truthy')).toBe(true);
    expect(ev("'' is falsy")).toBe(true);
  });
  it('version comparisons', () => {
    expect(ev("'1.2.10' is version('1.2.9', '>')")).toBe(true);
    expect(ev("'12' is version('12.0', '>=')")).toBe(false);
    expect(ev("'12.1' is version('12', '>=')")).toBe(true);
    expect(ev("'2.0' is version('2.0')")).toBe(true);
    expect(ev("'1.0' is version('2.0', 'lt')")).toBe(true);
    expect(() => ev("'1' is version('2', 'bogus')")).toThrow(/unknown operator/);
  });
  it('task result tests: succeeded, success, failed, changed, skipped', () => {
    expect(ev('ok is succeeded')).toBe(true);
    expect(ev('ok is success')).toBe(true);
    expect(ev('bad is failed')).toBe(true);
    expect(ev('bad is succeeded')).toBe(false);
    expect(ev('ok is changed')).toBe(false);
    expect(ev('changed_result is changed')).toBe(true);
    expect(ev('skipped_result is skipped')).toBe(true);
    expect(ev('ok is skipped')).toBe(false);
    expect(() => ev('s is failed')).toThrow(/registered task result/);
  });
  it('an unknown test is an error naming it', () => {
    expect(() => ev('s is frobnicated')).toThrow(/no test named 'frobnicated'/);
  });
});
