// Regular expressions with Python's syntax. Expected values were checked against ansible-playbook 2.14.
// (In these TypeScript strings, '\\\\d' is the template text '\\d', which the template reads as \d.)
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');

describe('regex_replace', () => {
  it('uses backreferences, named groups, flags, and Python 3.7 empty-match rules', () => {
    expect(ev("'foo bar 123 baz' | regex_replace('(\\\\d+)', '<\\\\1>')")).toBe('foo bar <123> baz');
    expect(ev("'ab' | regex_replace('(?P<n>a)', '\\\\g<n>\\\\g<n>')")).toBe('aab');
    expect(ev("'2023-01-05' | regex_replace('^(\\\\d{4})-(\\\\d\\\\d)-(\\\\d\\\\d)$', '\\\\3/\\\\2/\\\\1')")).toBe('05/01/2023');
    expect(ev("'foo' | regex_replace('^F', 'x', ignorecase=true)")).toBe('xoo');
    expect(ev("'a\\nb' | regex_replace('^', '> ', multiline=true)")).toBe('> a\n> b');
    expect(ev("'abxd' | regex_replace('x*', '-')")).toBe('-a-b--d-');
    expect(ev("5 | regex_replace('5', 'five')")).toBe('five');
    expect(ev("['a', 'b'] | regex_replace('a', 'z')")).toBe("['z', 'b']");
    expect(() => ev("'ab' | regex_replace('a', '\\\\2')")).toThrow(/invalid group reference 2/);
  });
});

describe('regex_findall and regex_search', () => {
  it('findall gives matches, single groups, or tuples of groups', () => {
    expect(ev("'k1=v1 k2=v2' | regex_findall('(\\\\w+)=(\\\\w+)')")).toEqual([['k1', 'v1'], ['k2', 'v2']]);
    expect(ev("'k1=v1 k2=v2' | regex_findall('(\\\\w+)=')")).toEqual(['k1', 'k2']);
    expect(ev("'Hello World' | regex_findall('[A-Z]')")).toEqual(['H', 'W']);
    expect(ev("'A\\na' | regex_findall('^a', multiline=true, ignorecase=true)")).toEqual(['A', 'a']);
  });
  it('search gives the match, None, or the asked groups (None for a group that did not take part)', () => {
    expect(ev("'server1 port 80' | regex_search('port (\\\\d+)')")).toBe('port 80');
    expect(ev("'server1 port 80' | regex_search('port (\\\\d+)', '\\\\1')")).toEqual(['80']);
    expect(ev("'server1 port 80' | regex_search('(?P<h>\\\\w+) port (?P<p>\\\\d+)', '\\\\g<p>', '\\\\g<h>')")).toEqual(['80', 'server1']);
    expect(ev("'x' | regex_search('(a)?x', '\\\\1')")).toEqual([null]);
    expect(ev("'x' | regex_search('y')")).toBe(null);
    expect(ev("'X' | regex_search('x', ignorecase=true)")).toBe('X');
    expect(() => ev("'x' | regex_search('x', 'bad')")).toThrow('Unknown argument');
  });
});

describe('regex_escape', () => {
  it("escapes as Python's re.escape, or for POSIX basic regexes", () => {
    expect(ev('s | regex_escape', { s: 'a.b*c[d]^$e\\f g-h#i&j~k/l' })).toBe('a\\.b\\*c\\[d\\]\\^\\$e\\\\f\\ g\\-h\\#i\\&j\\~k/l');
    expect(ev("s | regex_escape('posix_basic')", { s: 'a.b*c[d]^$e\\f g' })).toBe('a\\.b\\*c\\[d\\]\\^\\$e\\\\f g');
    expect(() => ev("'a' | regex_escape('posix_extended')")).toThrow('Regex type (posix_extended) not yet implemented');
    expect(() => ev("'a' | regex_escape('x')")).toThrow('Invalid regex type (x)');
  });
});
