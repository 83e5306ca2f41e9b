// Text filters. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');
const sentence = 'The quick brown fox jumps over the lazy dog and keeps running far away from here';

describe('case and spacing', () => {
  it('lower, upper, capitalize and title', () => {
    expect(ev("'Hello' | lower")).toBe('hello');
    expect(ev("'straße' | upper")).toBe('STRASSE');
    expect(ev("'hello WORLD' | capitalize")).toBe('Hello world');
    expect(ev("'hELLO wOrld-foo (bar) [baz] <x>y' | title")).toBe('Hello World-Foo (Bar) [Baz] <X>y');
  });
  it("center puts the odd space where Python's str.center does", () => {
    expect(ev("'abc' | center(10)")).toBe('   abc    ');
    expect(ev("'abc' | center(8)")).toBe('  abc   ');
    expect(ev("'ab' | center(9)")).toBe('    ab   ');
    expect(ev("'x' | center")).toBe(`${' '.repeat(39)}x${' '.repeat(40)}`);
  });
  it('trim strips whitespace, or the given characters', () => {
    expect(ev("'  x \\n' | trim")).toBe('x');
    expect(ev("'xxhixx' | trim('x')")).toBe('hi');
  });
  it('indent leaves the first and blank lines alone unless asked', () => {
    expect(ev("'a\\nb\\n\\nc' | indent")).toBe('a\n    b\n\n    c');
    expect(ev("'a\\nb\\n\\nc' | indent(2, true)")).toBe('  a\n  b\n\n  c');
    expect(ev("'a\\nb\\n\\nc' | indent(2, first=true, blank=true)")).toBe('  a\n  b\n  \n  c');
    expect(ev("'a\\nb\\n' | indent('> ')")).toBe('a\n> b\n');
  });
});

describe('truncate, wordwrap, wordcount', () => {
  it('truncate keeps whole words, with a leeway of 5', () => {
    expect(ev('s | truncate(20)', { s: sentence })).toBe('The quick brown...');
    expect(ev('s | truncate(20, true)', { s: sentence })).toBe('The quick brown f...');
    expect(ev("s | truncate(20, false, '!!', 0)", { s: sentence })).toBe('The quick brown!!');
    expect(ev("'foo bar baz qux' | truncate(9)")).toBe('foo...');
    expect(ev("'foo bar baz qux' | truncate(11)")).toBe('foo bar baz qux');
    expect(() => ev("'foo' | truncate(2)")).toThrow('expected length >= 3, got 2');
  });
  it("wordwrap fills lines as Python's textwrap, breaking long words at hyphens", () => {
    expect(ev('s | wordwrap(20)', { s: sentence })).toBe('The quick brown fox\njumps over the lazy\ndog and keeps\nrunning far away\nfrom here');
    expect(ev("s | wordwrap(20, wrapstring='|')", { s: sentence })).toBe('The quick brown fox|jumps over the lazy|dog and keeps|running far away|from here');
    const hyphens = 'a well-known self-contained extra-long-hyphenated-word-that-goes-on text';
    expect(ev('s | wordwrap(15)', { s: hyphens })).toBe('a well-known\nself-contained\nextra-long-\nhyphenated-\nword-that-goes-\non text');
    expect(ev('s | wordwrap(15, break_on_hyphens=false)', { s: hyphens })).toBe('a well-known\nself-contained \nextra-long-hyph\nenated-word-tha\nt-goes-on text');
    expect(ev('s | wordwrap(15, false)', { s: hyphens })).toBe('a well-known\nself-contained\nextra-long-\nhyphenated-\nword-that-goes-\non text');
    expect(ev("'a  b   c\\nd e' | wordwrap(3)")).toBe('a\nb\nc\nd e');
  });
  it('wordcount counts runs of word characters', () => {
    expect(ev("'one two, three-four five_six' | wordcount")).toBe(5);
  });
});

describe('replace, format, split', () => {
  it("replace with a count, and an empty needle as Python's str.replace", () => {
    expect(ev("'aaa' | replace('a', 'b', 2)")).toBe('bba');
    expect(ev("'abc' | replace('', '-')")).toBe('-a-b-c-');
  });
  it('format applies Python %-formatting', () => {
    expect(ev("'%s-%d-%05.2f-%x-%r' | format('a', 3.9, 2.345, 255, 'q')")).toBe("a-3-02.35-ff-'q'");
    expect(ev("'%(a)s=%(b)d' | format(a='k', b=2)")).toBe('k=2');
    expect(ev("'%.3e|%g|%G|%10.4g|%-6s|%+d|% d|%#o|%#x|%c' | format(12345.678, 0.0001234, 100000000000000000000.0, 3.14159, 'ab', 5, 7, 8, 255, 65)"))
      .toBe('1.235e+04|0.0001234|1E+20|     3.142|ab    |+5| 7|0o10|0xff|A');
    expect(ev("'%.0f %.1f %.2f %.2f %e %g' | format(0.5, 0.25, 0.125, 2.675, 0.0, 123456789.0)")).toBe('0 0.2 0.12 2.67 0.000000e+00 1.23457e+08');
    expect(ev("'%5s|%-5d|%05d|%.2s' | format('ab', 3, -42, 'xyz')")).toBe('   ab|3    |-0042|xy');
    expect(() => ev("'%s %s' | format('a')")).toThrow('not enough arguments for format string');
    expect(() => ev("'%s' | format('a', 'b')")).toThrow('not all arguments converted during string formatting');
    expect(() => ev("'%d' | format('x')")).toThrow('%d format: a real number is required, not str');
    expect(() => ev("'%z' | format(1)")).toThrow("unsupported format character 'z' (0x7a) at index 1");
  });
  it("split is Python's str.split", () => {
    expect(ev("' a b  c ' | split")).toEqual(['a', 'b', 'c']);
    expect(ev("'a,b,c' | split(',', 1)")).toEqual(['a', 'b,c']);
    expect(ev("'a,,b' | split(',')")).toEqual(['a', '', 'b']);
  });
});

describe('quote and comment', () => {
  it("quote is Python's shlex.quote", () => {
    expect(ev('s | quote', { s: "it's a $x" })).toBe(`'it'"'"'s a $x'`);
    expect(ev("'' | quote")).toBe("''");
    expect(ev("'abc/-_.@%+=:,' | quote")).toBe('abc/-_.@%+=:,');
    expect(ev('None | quote')).toBe("''");
  });
  it('comment decorates text in each style', () => {
    expect(ev("'hello' | comment")).toBe('#\n# hello\n#');
    expect(ev("'a\\nb' | comment('c')")).toBe('//\n// a\n// b\n//');
    expect(ev("'a\\nb' | comment('cblock')")).toBe('/*\n *\n * a\n * b\n *\n */');
    expect(ev("'a\\nb' | comment('erlang')")).toBe('%\n% a\n% b\n%');
    expect(ev("'a\\nb' | comment('xml')")).toBe('<!--\n -\n - a\n - b\n -\n-->');
  });
  it('comment takes decoration, prefix, postfix, their counts, beginning and end', () => {
    expect(ev("'a\\n\\nb' | comment(decoration='! ')")).toBe('!\n! a\n!\n! b\n!');
    expect(ev("'a' | comment('plain', prefix='#####', postfix='#', prefix_count=2, postfix_count=3)")).toBe('#####\n#####\n# a\n#\n#\n#');
    expect(ev("'a' | comment(beginning='BEGIN', end='END')")).toBe('BEGIN\n#\n# a\n#\nEND');
    expect(() => ev("'a' | comment('nope')")).toThrow("'nope'");
  });
});
