// Sequences. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const users = [
  { name: 'alice', city: 'NY', age: 30 },
  { name: 'Bob', city: 'ny', age: 25 },
  { name: 'carol', city: 'LA', age: 30 },
  { name: 'dave', age: 40 },
];
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, { users, ...vars }, 'test');

describe('first, last, join', () => {
  it('take items of lists, strings and dicts; an empty sequence has none', () => {
    expect(ev('[1, 2, 3] | first')).toBe(1);
    expect(ev("'abc' | last")).toBe('c');
    expect(ev("{'a': 1, 'b': 2} | first")).toBe('a');
    expect(ev("{'a': 1, 'b': 2} | last")).toBe('b');
    expect(() => ev('[] | first | string')).toThrow('No first item, sequence was empty.');
    expect(ev("[] | first | default('none')")).toBe('none');
  });
  it('join with a separator and an attribute', () => {
    expect(ev("[1, 'a', None] | join(',')")).toBe('1,a,None');
    expect(ev("users | join(', ', attribute='name')")).toBe('alice, Bob, carol, dave');
  });
});

describe('min, max, sum', () => {
  it('min and max compare case-insensitively unless asked, optionally by attribute', () => {
    expect(ev('[1000, -99] | min')).toBe(-99);
    expect(ev("['b', 'A', 'c'] | max")).toBe('c');
    expect(ev("['b', 'A', 'c'] | min")).toBe('A');
    expect(ev("['b', 'a', 'B'] | max(case_sensitive=true)")).toBe('b');
    expect(ev("users | min(attribute='age')")).toEqual(users[1]);
    expect(ev("users | max(attribute='age')")).toEqual(users[3]);
    expect(() => ev('[] | max | string')).toThrow('No aggregated item, sequence was empty.');
  });
  it("sum adds numbers, concatenates lists from a list start, and refuses strings as Python's sum", () => {
    expect(ev("users | sum(attribute='age')")).toBe(125);
    expect(ev('[[1], [2]] | sum(start=[])')).toEqual([1, 2]);
    expect(ev('[0.1, 0.2] | sum')).toBe(0.30000000000000004);
    expect(() => ev("['a'] | sum")).toThrow("unsupported operand type(s) for +: 'int' and 'str'");
    expect(() => ev("['a'] | sum(start='')")).toThrow("sum() can't sum strings [use ''.join(seq) instead]");
    expect(() => ev('[1, 2] | sum(start=[])')).toThrow('can only concatenate list (not "int") to list');
  });
});

describe('sort and reverse', () => {
  it('sort is stable, case-insensitive by default, by one or more attributes', () => {
    expect(ev("['b', 'A', 'a'] | sort")).toEqual(['A', 'a', 'b']);
    expect(ev("['b', 'a', 'B'] | sort")).toEqual(['a', 'b', 'B']);
    expect(ev("['b', 'a', 'B'] | sort(case_sensitive=true)")).toEqual(['B', 'a', 'b']);
    expect(ev("users | sort(attribute='age') | map(attribute='name') | list")).toEqual(['Bob', 'alice', 'carol', 'dave']);
    expect(ev("users | sort(attribute='age', reverse=true) | map(attribute='name') | list")).toEqual(['dave', 'alice', 'carol', 'Bob']);
    expect(ev("users | sort(attribute='age,name') | map(attribute='name') | list")).toEqual(['Bob', 'alice', 'carol', 'dave']);
    expect(ev("[{'a': 2, 'b': 1}, {'a': 1, 'b': 2}] | sort(attribute='b,a') | map(attribute='a') | list")).toEqual([2, 1]);
  });
  it('sort refuses what Python cannot order', () => {
    expect(() => ev("[3, 'a'] | sort")).toThrow("'<' not supported between instances of 'str' and 'int'");
    expect(() => ev("users | sort(attribute='city')")).toThrow(/has no attribute 'city'/);
    expect(ev('[{}, {}] | sort')).toEqual([{}, {}]);
  });
  it('reverse strings, lists and dict keys', () => {
    expect(ev("'abc' | reverse")).toBe('cba');
    expect(ev('[1, 2, 3] | reverse | list')).toEqual([3, 2, 1]);
    expect(ev("{'a': 1, 'b': 2} | reverse | list")).toEqual(['b', 'a']);
    expect(() => ev('5 | reverse')).toThrow('argument must be iterable');
  });
});

describe('batch, slice, flatten', () => {
  it('batch cuts rows of n; slice cuts n columns; both fill when asked', () => {
    expect(ev("[1,2,3,4,5] | batch(2, 'x') | list")).toEqual([[1, 2], [3, 4], [5, 'x']]);
    expect(ev('[1,2,3,4,5,6,7] | batch(3) | list')).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(ev("[1,2,3,4,5] | slice(3, 'x') | list")).toEqual([[1, 2], [3, 4], [5, 'x']]);
    expect(ev('[1,2,3,4,5,6,7] | slice(3) | list')).toEqual([[1, 2, 3], [4, 5], [6, 7]]);
  });
  it('flatten to a depth, dropping None, "None" and "null" unless asked', () => {
    expect(ev("[1, None, 'None', 'null', [2, [3, None]]] | flatten")).toEqual([1, 2, 3]);
    expect(ev('[1, [2, [3]]] | flatten(1)')).toEqual([1, 2, [3]]);
    expect(ev('[1, [2, [3]]] | flatten(levels=0)')).toEqual([1, [2, [3]]]);
    expect(ev('[1, None] | flatten(skip_nulls=false)')).toEqual([1, null]);
  });
});

describe('random and shuffle', () => {
  it("with a seed give what Python's random.Random gives for it", () => {
    expect(ev("59 | random(seed='web01')")).toBe(ev("59 | random(seed='web01')"));
    const seeded = ['web01', 'web02', 'ünï', 42, 0, -7, 1.5, true].map((seed) => ev('100 | random(seed=s)', { s: seed }));
    expect(seeded).toEqual([REF.web01, REF.web02, REF.unicode, REF.n42, REF.n0, REF.neg7, REF.float, REF.bool]);
    expect(ev("4294967296 | random(seed='x')")).toBe(REF.big);
    expect(ev("100 | random(start=1, step=10, seed='a')")).toBe(REF.step);
    expect(ev("['web01', 'web02', 'db01'] | random(seed='s')")).toBe(REF.choice);
    expect(ev('[1,2,3,4,5,6,7,8,9,10] | shuffle(seed=1)')).toEqual(REF.shuffle);
    expect(ev("range(30) | list | shuffle(seed='big list')")).toEqual(REF.shuffle30);
  });
  it('without a seed stay in range, and refuse what Python refuses', () => {
    for (let i = 0; i < 20; i++) {
      const n = ev('10 | random(start=5)') as number;
      expect(n >= 5 && n < 10).toBe(true);
    }
    expect((ev('[1, 2, 3] | shuffle') as number[]).sort()).toEqual([1, 2, 3]);
    expect(ev('None | shuffle')).toBe(null);
    expect(() => ev("['a'] | random(start=1)")).toThrow('start and step can only be used with integer values');
    expect(() => ev('1.5 | random')).toThrow('random can only be used on sequences and integers');
    expect(() => ev('0 | random')).toThrow('empty range for randrange() (0, 0, 0)');
    expect(() => ev('[] | random')).toThrow('Cannot choose from an empty sequence');
  });
});

// What Ansible 2.14 (Python 3.11) gives for the seeded expressions above.
const REF = {
  web01: 45, web02: 62, unicode: 70, n42: 81, n0: 49, neg7: 41, float: 70, bool: 17,
  big: 2709212627,
  step: 41,
  choice: 'web02',
  shuffle: [7, 9, 10, 8, 6, 4, 1, 5, 2, 3],
  shuffle30: [25, 20, 11, 26, 17, 21, 14, 3, 10, 2, 22, 16, 5, 6, 13, 28, 24, 1, 27, 29, 7, 23, 9, 18, 19, 4, 15, 0, 8, 12],
};
