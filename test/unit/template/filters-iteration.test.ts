// map, select, reject, selectattr, rejectattr, groupby. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const users = [
  { name: 'alice', city: 'NY', age: 30 },
  { name: 'Bob', city: 'ny', age: 25 },
  { name: 'carol', city: 'LA', age: 30 },
  { name: 'dave', age: 40 },
];
const fruits = [{ name: 'apple', enjoy: true }, { name: 'orange', enjoy: false }, { name: 'strawberry', enjoy: true }];
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, { users, fruits, ...vars }, 'test');
const render = (text: string) => t.render(text, { users, fruits }, 'test');

describe('map', () => {
  it('by attribute, with a default for items that lack it', () => {
    expect(ev("users | map(attribute='name') | list")).toEqual(['alice', 'Bob', 'carol', 'dave']);
    expect(ev("users | map(attribute='city', default='?') | list")).toEqual(['NY', 'ny', 'LA', '?']);
    expect(() => ev("users | map(attribute='city') | join(',')")).toThrow(/has no attribute 'city'/);
    expect(ev("users | map(attribute='city') | select('defined') | list")).toEqual(['NY', 'ny', 'LA']);
  });
  it('by a path whose digit parts index lists, or find integer keys of dicts', () => {
    const hosts = [{ ports: { 80: 'http' } }, { ports: { 443: 'https' } }];
    expect(ev("hosts | map(attribute='ports.80', default='-') | list", { hosts })).toEqual(['http', '-']);
    expect(ev("[[1, 2], [3, 4]] | map(attribute='1') | list")).toEqual([2, 4]);
  });
  it('through a filter with its arguments', () => {
    expect(ev("['a', 'B'] | map('upper') | list")).toEqual(['A', 'B']);
    expect(ev("['a,b', 'c'] | map('split', ',') | list")).toEqual([['a', 'b'], ['c']]);
    expect(ev("['x'] | map('regex_replace', 'x', 'y') | list")).toEqual(['y']);
    expect(ev("[1, 2] | map('string') | list")).toEqual(['1', '2']);
  });
  it('of nothing is nothing; an unknown filter is named', () => {
    expect(ev("None | map('upper') | list")).toEqual([]);
    expect(() => ev("[1] | map('nosuch') | list")).toThrow(`Could not load "nosuch": 'nosuch'`);
  });
});

describe('select and reject', () => {
  it('by truthiness or by a test with arguments', () => {
    expect(ev("[0, 1, '', 'a', none] | select | list")).toEqual([1, 'a']);
    expect(ev("[0, 1, '', 'a', none] | reject | list")).toEqual([0, '', null]);
    expect(ev("[1, 2, 3, 4] | select('odd') | list")).toEqual([1, 3]);
    expect(ev("[1, 2, 3, 4] | reject('divisibleby', 2) | list")).toEqual([1, 3]);
    expect(ev("None | select | list")).toEqual([]);
  });
  it('selectattr and rejectattr test an attribute of each item', () => {
    expect(ev("users | selectattr('city', 'defined') | map(attribute='name') | list")).toEqual(['alice', 'Bob', 'carol']);
    expect(ev("users | rejectattr('city', 'defined') | map(attribute='name') | list")).toEqual(['dave']);
    expect(ev("users | selectattr('age', 'gt', 26) | map(attribute='name') | list")).toEqual(['alice', 'carol', 'dave']);
    expect(ev("users | selectattr('age', '==', 30) | map(attribute='name') | list")).toEqual(['alice', 'carol']);
    expect(ev("users | selectattr('name', 'match', '^[a-c]') | map(attribute='name') | list")).toEqual(['alice', 'carol']);
    expect(() => ev("users | selectattr('city') | list")).toThrow(/has no attribute 'city'/);
  });
  it('an unknown or invalid test name is an error naming it', () => {
    expect(() => ev("[1] | select('nosuch') | list")).toThrow(`Could not load "nosuch": 'nosuch'`);
    expect(() => ev(`[{"failed": false}] | selectattr("failed", "asdf ", true) | list`)).toThrow(
      `Could not load "asdf ": 'invalid plugin name: ansible.builtin.asdf '`,
    );
  });
});

describe('groupby', () => {
  it('sorts by the attribute and gives (grouper, list) pairs', () => {
    expect(ev("fruits | groupby('enjoy')")).toEqual([
      [false, [{ name: 'orange', enjoy: false }]],
      [true, [{ name: 'apple', enjoy: true }, { name: 'strawberry', enjoy: true }]],
    ]);
    expect(ev("(users | groupby('age'))[0][0]")).toBe(25);
  });
  it('groups case-insensitively unless asked, keeping the first spelling, with a default', () => {
    expect(ev("users | groupby('city', default='XX') | map('first') | list")).toEqual(['LA', 'NY', 'XX']);
    expect(ev("users | groupby('city', default='XX', case_sensitive=true) | map('first') | list")).toEqual(['LA', 'NY', 'XX', 'ny']);
  });
  it('unpacks in a for loop', () => {
    expect(render("{% for k, items in fruits | groupby('enjoy') %}{{ k }}:{{ items | length }};{% endfor %}")).toBe('False:1;True:2;');
  });
  it('groups also answer to .grouper and .list', () => {
    const groups = ev("fruits | groupby('enjoy')") as Array<unknown[] & { grouper: unknown; list: unknown[] }>;
    expect(groups[1]!.grouper).toBe(true);
    expect(groups[1]!.list).toHaveLength(2);
  });
});
