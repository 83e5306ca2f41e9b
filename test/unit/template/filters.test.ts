import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const vars = {
  users: [
    { name: 'alice', enabled: true, uid: 3, groups: ['adm'] },
    { name: 'bob', enabled: false, uid: 1 },
    { name: 'Carol', enabled: true, uid: 2 },
  ],
  names: ['b', 'a', 'B', 'c', 'a'],
  nums: [3, 1, 2],
  d: { a: 1, b: { x: 1, l: [1] } },
  empty: '',
  path: '/etc/bind/named.conf',
};
const ev = (expr: string, extra: Record<string, unknown> = {}) => t.evaluate(expr, { ...vars, ...extra }, 'test');

describe('default and mandatory', () => {
  it('replaces undefined names and attributes only', () => {
    expect(ev("missing | default('x')")).toBe('x');
    expect(ev("missing | d('x')")).toBe('x');
    expect(ev("d.nokey | default(5)")).toBe(5);
    expect(ev("missing.deeper.still | default('deep')")).toBe('deep');
    expect(ev("empty | default('x')")).toBe('');
    expect(ev("none_value | default('x')", { none_value: null })).toBe(null);
  });
  it('with true as second argument also replaces falsy values', () => {
    expect(ev("empty | default('x', true)")).toBe('x');
    expect(ev("[] | default([1], true)")).toEqual([1]);
    expect(ev("'v' | default('x', true)")).toBe('v');
  });
  it('mandatory passes defined values and names the missing variable', () => {
    expect(ev('d.a | mandatory')).toBe(1);
    expect(() => ev('missing | mandatory')).toThrow(/Mandatory variable 'missing' not defined/);
    expect(() => ev("missing | mandatory('set missing please')")).toThrow(/set missing please/);
  });
});

describe('type conversion', () => {
  it('bool', () => {
    for (const yes of ['yes', 'Yes', 'on', '1', 'true', 'True']) expect(ev(`'${yes}' | bool`)).toBe(true);
    for (const no of ['no', 'off', '0', 'false', 'False', 'whatever']) expect(ev(`'${no}' | bool`)).toBe(false);
    expect(ev('1 | bool')).toBe(true);
    expect(ev('true | bool')).toBe(true);
    expect(ev('None | bool')).toBe(false);
  });
  it('int and float', () => {
    expect(ev("'42' | int")).toBe(42);
    expect(ev("'4.7' | int")).toBe(4);
    expect(ev("'abc' | int")).toBe(0);
    expect(ev("'abc' | int(7)")).toBe(7);
    expect(ev("'ff' | int(base=16)")).toBe(255);
    expect(ev("'2.5' | float")).toBe(2.5);
    expect(ev("'x' | float")).toBe(0);
  });
  it('string, lower, upper, trim', () => {
    expect(ev('3 | string')).toBe('3');
    expect(ev('true | string')).toBe('True');
    expect(ev("['a'] | string")).toBe("['a']");
    expect(ev("'AbC' | lower")).toBe('abc');
    expect(ev("'AbC' | upper")).toBe('ABC');
    expect(ev("'  x \\n' | trim")).toBe('x');
  });
});

describe('lists', () => {
  it('join', () => {
    expect(ev("names | join(',')")).toBe('b,a,B,c,a');
    expect(ev('nums | join')).toBe('312');
  });
  it('map by attribute, by filter name, and the positional attribute form', () => {
    expect(ev("users | map(attribute='name') | list")).toEqual(['alice', 'bob', 'Carol']);
    expect(ev("users | map('attribute', 'uid') | list")).toEqual([3, 1, 2]);
    expect(ev("names | map('upper') | list")).toEqual(['B', 'A', 'B', 'C', 'A']);
    expect(ev("nums | map('string') | list")).toEqual(['3', '1', '2']);
    expect(ev("users | map(attribute='groups', default=[]) | list")).toEqual([['adm'], [], []]);
    // A missing attribute is undefined, an error only where it is used (Jinja2's StrictUndefined).
    expect(() => ev("users | map(attribute='groups') | join(',')")).toThrow(/groups/);
    expect(ev("users | map(attribute='groups') | select('defined') | list")).toEqual([['adm']]);
  });
  it('select and reject by test name or truthiness', () => {
    expect(ev("names | select('match', '[ab]') | list")).toEqual(['b', 'a', 'a']);
    expect(ev("names | reject('equalto', 'a') | list")).toEqual(['b', 'B', 'c']);
    expect(ev("[0, 1, '', 'x', [], None] | select | list")).toEqual([1, 'x']);
    expect(ev("[0, 1, ''] | reject | list")).toEqual([0, '']);
    expect(ev("[1, none, 2] | select('defined') | list")).toEqual([1, null, 2]);
  });
  it('selectattr and rejectattr', () => {
    expect(ev("users | selectattr('enabled') | map(attribute='name') | list")).toEqual(['alice', 'Carol']);
    expect(ev("users | rejectattr('enabled') | map(attribute='name') | list")).toEqual(['bob']);
    expect(ev("users | selectattr('uid', 'equalto', 1) | map(attribute='name') | list")).toEqual(['bob']);
    expect(ev("users | selectattr('name', 'in', ['bob', 'Carol']) | map(attribute='uid') | list")).toEqual([1, 2]);
    expect(ev("users | selectattr('groups', 'defined') | map(attribute='name') | list")).toEqual(['alice']);
    expect(ev("users | selectattr('uid', '>', 1) | list | length")).toBe(2);
  });
  it('unique keeps first occurrences in order', () => {
    expect(ev('names | unique')).toEqual(['b', 'a', 'c']);
    expect(ev('names | unique(case_sensitive=true)')).toEqual(['b', 'a', 'B', 'c']);
    expect(ev('[[1], [1], 2] | unique')).toEqual([[1], 2]);
  });
  it('sort, with attribute and reverse', () => {
    expect(ev('nums | sort')).toEqual([1, 2, 3]);
    expect(ev('nums | sort(reverse=true)')).toEqual([3, 2, 1]);
    expect(ev("users | sort(attribute='uid') | map(attribute='name') | list")).toEqual(['bob', 'Carol', 'alice']);
    expect(ev("users | sort(attribute='name') | map(attribute='name') | list")).toEqual(['alice', 'bob', 'Carol']);
    expect(ev("['b', 'A', 'c'] | sort")).toEqual(['A', 'b', 'c']);
  });
  it('length, count, first, last, list', () => {
    expect(ev('nums | length')).toBe(3);
    expect(ev('d | count')).toBe(2);
    expect(ev("'日本語' | length")).toBe(3);
    expect(ev('nums | first')).toBe(3);
    expect(ev('nums | last')).toBe(2);
    expect(ev("'ab' | list")).toEqual(['a', 'b']);
    expect(ev('d | list')).toEqual(['a', 'b']);
  });
  it('flatten, min, max, sum, zip', () => {
    expect(ev('[1, [2, [3, [4]]], None] | flatten')).toEqual([1, 2, 3, 4]);
    expect(ev('[1, [2, [3]]] | flatten(levels=1)')).toEqual([1, 2, [3]]);
    expect(ev('nums | min')).toBe(1);
    expect(ev('nums | max')).toBe(3);
    expect(ev("users | max(attribute='uid') | attr('name')")).toBe('alice');
    expect(ev('nums | sum')).toBe(6);
    expect(ev("users | sum(attribute='uid')")).toBe(6);
    expect(ev("[1, 2] | zip(['a', 'b', 'c']) | list")).toEqual([[1, 'a'], [2, 'b']]);
  });
  it('set operations', () => {
    expect(ev('[1, 2, 3] | difference([2])')).toEqual([1, 3]);
    expect(ev('[1, 2] | union([2, 3])')).toEqual([1, 2, 3]);
    expect(ev('[1, 2] | intersect([2, 3])')).toEqual([2]);
  });
});

describe('dicts', () => {
  it('combine: shallow, several dicts, recursive, list_merge', () => {
    expect(ev("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, {'c': 3})")).toEqual({ a: 1, b: { y: 2 }, c: 3 });
    expect(ev("d | combine({'b': {'y': 2}}, recursive=true)")).toEqual({ a: 1, b: { x: 1, y: 2, l: [1] } });
    expect(ev("d | combine({'b': {'l': [2]}}, recursive=true, list_merge='append')")).toEqual({ a: 1, b: { x: 1, l: [1, 2] } });
    expect(ev("{'l': [1, 2]} | combine({'l': [2, 3]}, list_merge='append_rp')")).toEqual({ l: [1, 2, 3] });
    expect(ev("{'l': [1]} | combine({'l': [2]}, list_merge='prepend')")).toEqual({ l: [2, 1] });
    expect(ev("{'l': [1]} | combine({'l': [2]})")).toEqual({ l: [2] });
    expect(vars.d).toEqual({ a: 1, b: { x: 1, l: [1] } });
  });
  it('dict2items and items2dict with custom names', () => {
    expect(ev("{'a': 1} | dict2items")).toEqual([{ key: 'a', value: 1 }]);
    expect(ev("{'a': 1} | dict2items(key_name='k', value_name='v')")).toEqual([{ k: 'a', v: 1 }]);
    expect(ev("[{'key': 'a', 'value': 1}] | items2dict")).toEqual({ a: 1 });
    expect(ev("[{'n': 'a', 'v': 2}] | items2dict(key_name='n', value_name='v')")).toEqual({ a: 2 });
  });
  it('extract pulls values out of a container by key', () => {
    const hostvars = { h1: { ip: '1.1.1.1' }, h2: { ip: '2.2.2.2' } };
    expect(ev("['h2', 'h1'] | map('extract', hostvars, 'ip') | list", { hostvars })).toEqual(['2.2.2.2', '1.1.1.1']);
  });
});

describe('serialisation', () => {
  it('to_json uses Python separators and escapes non-ASCII', () => {
    expect(ev("{'a': 1, 'b': [true, None]} | to_json")).toBe('{"a": 1, "b": [true, null]}');
    expect(ev("'日本' | to_json")).toBe('"\\u65e5\\u672c"');
    expect(ev("'日本' | to_json(ensure_ascii=false)")).toBe('"日本"');
  });
  it('to_nice_json indents by 4 and sorts keys', () => {
    expect(ev("{'b': 1, 'a': [1, 2]} | to_nice_json")).toBe('{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}');
  });
  it('to_yaml writes leaf collections inline; to_nice_yaml writes blocks', () => {
    expect(ev("{'b': [1, 2], 'a': 'x'} | to_yaml")).toBe('a: x\nb: [1, 2]\n');
    expect(ev("{'b': [1, 2], 'a': {'c': 'x'}} | to_nice_yaml")).toBe('a:\n    c: x\nb:\n  - 1\n  - 2\n');
  });
  it('from_json and from_yaml', () => {
    expect(ev('\'{"a": [1]}\' | from_json')).toEqual({ a: [1] });
    expect(ev("'a: 1\\nb: [x]' | from_yaml")).toEqual({ a: 1, b: ['x'] });
    expect(() => ev("'{' | from_json")).toThrow(/from_json/);
  });
});

describe('regex filters', () => {
  it('regex_replace with Python backrefs, named groups and ignorecase', () => {
    expect(ev("'host-01' | regex_replace('^host-(\\\\d+)$', 'node\\\\1')")).toBe('node01');
    expect(ev("'host-01' | regex_replace('(?P<n>\\\\d+)', '<\\\\g<n>>')")).toBe('host-<01>');
    expect(ev("'ABC abc' | regex_replace('abc', 'x', ignorecase=true)")).toBe('x x');
    expect(ev("'a.b.c' | regex_replace('\\\\.', '$')")).toBe('a$b$c');
    expect(ev("'aaa' | regex_replace('a', 'b', count=2)")).toBe('bba');
  });
  it('regex_search returns the match, None, or a list of groups', () => {
    expect(ev("'ver 1.2.3' | regex_search('\\\\d+\\\\.\\\\d+')")).toBe('1.2');
    expect(ev("'none here' | regex_search('\\\\d+')")).toBe(null);
    expect(ev("'ver 1.2' | regex_search('(\\\\d+)\\\\.(\\\\d+)', '\\\\2', '\\\\1')")).toEqual(['2', '1']);
    expect(ev("'k=v' | regex_search('(?P<key>\\\\w+)=', '\\\\g<key>')")).toEqual(['k']);
  });
  it('regex_findall', () => {
    expect(ev("'a1b22c333' | regex_findall('\\\\d+')")).toEqual(['1', '22', '333']);
    expect(ev("'a=1,b=2' | regex_findall('(\\\\w)=(\\\\d)')")).toEqual([['a', '1'], ['b', '2']]);
  });
});

describe('paths, shell and encodings', () => {
  it('basename and dirname', () => {
    expect(ev('path | basename')).toBe('named.conf');
    expect(ev('path | dirname')).toBe('/etc/bind');
    expect(ev("'file' | dirname")).toBe('');
  });
  it('quote for the shell', () => {
    expect(ev("'simple' | quote")).toBe('simple');
    expect(ev("\"it's\" | quote")).toBe(`'it'\\''s'`);
    expect(ev("'' | quote")).toBe("''");
  });
  it('b64encode, b64decode and hash', () => {
    expect(ev("'日本' | b64encode")).toBe(Buffer.from('日本').toString('base64'));
    expect(ev("'5pel5pys' | b64decode")).toBe('日本');
    expect(ev("'abc' | hash('sha1')")).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(ev("'abc' | hash('md5')")).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
  it('ternary, split and format', () => {
    expect(ev("true | ternary('y', 'n')")).toBe('y');
    expect(ev("[] | ternary('y', 'n')")).toBe('n');
    expect(ev("None | ternary('y', 'n', 'none')")).toBe('none');
    expect(ev("'a b  c' | split")).toEqual(['a', 'b', 'c']);
    expect(ev("'a,b,c' | split(',')")).toEqual(['a', 'b', 'c']);
    expect(ev("'%s:%d' | format('h', 22)")).toBe('h:22');
  });
});
