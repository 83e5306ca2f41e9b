/**
 * The Jinja2 engine's behaviours that ansible-cases.test.ts does not reach:
 * strings carrying trust tags in every operation, the extensions, lists and
 * dicts changed by their methods, recursion limits, template options with
 * includes, and Ansible's backslash rule for values.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Templar, TemplateError, lazyVars } from '../../../engine/template/index.js';
import { SECRET, TaggedText, UNSAFE, isUnsafe, untag } from '../../../engine/template/trust.js';

const t = new Templar();
const tagged = (s: string) => new TaggedText(s, UNSAFE);

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('strings that carry tags behave as strings everywhere', () => {
  const vars = {
    a: tagged('web'),
    list: [tagged('b'), 'a', tagged('c')],
    keyed: { web: 1, db: 2 },
    sec: new TaggedText('s3cret-value', SECRET),
  };
  const ev = (expr: string) => t.evaluate(expr, vars, 'x');
  it('comparisons, in, dict keys, sorting, json and yaml, tests', () => {
    expect(ev("a == 'web'")).toBe(true);
    expect(ev("'web' == a")).toBe(true);
    expect(ev("a != 'db'")).toBe(true);
    expect(ev("a < 'z' and a >= 'web'")).toBe(true);
    expect(ev("a in ['web', 'db']")).toBe(true);
    expect(ev("'e' in a")).toBe(true);
    expect(ev("a in keyed")).toBe(true);
    expect(ev('keyed[a]')).toBe(1);
    expect(ev('{a: 1}')).toEqual({ web: 1 });
    expect(untag(ev('list | sort'))).toEqual(['a', 'b', 'c']);
    expect(untag(ev('list | sort | first'))).toBe('a');
    expect(String(ev('list | to_json'))).toBe('["b", "a", "c"]');
    expect(String(ev('{a: list} | to_nice_yaml'))).toContain('web:');
    expect(ev('a is string')).toBe(true);
    expect(ev('a | length')).toBe(3);
    expect(String(ev("list | join('-')"))).toBe('b-a-c');
    expect(ev('sec == "s3cret-value"')).toBe(true);
    expect(String(t.render('{{ a }}-{{ sec }}', vars, 'x'))).toBe('web-s3cret-value');
  });
});

describe('extensions', () => {
  it('do and loop controls are refused by default, with Jinja2’s message', () => {
    expect(errorOf(() => t.render('{% do x %}', {}, 'x')).message).toContain("Encountered unknown tag 'do'.");
    expect(errorOf(() => t.render('{% for i in [1] %}{% break %}{% endfor %}', {}, 'x')).message).toContain("Encountered unknown tag 'break'.");
  });
  it('work when enabled (ansible.cfg jinja2_extensions)', () => {
    const ext = new Templar({ extensions: ['jinja2.ext.do', 'jinja2.ext.loopcontrols'] });
    expect(ext.render('{% set l = [] %}{% do l.append(1) %}{{ l }}', {}, 'x')).toBe('[1]');
    expect(ext.render('{% for i in range(10) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}', {}, 'x')).toBe('02');
    expect(errorOf(() => ext.render('{% break %}', {}, 'x')).message).toContain("'break' outside loop");
  });
});

describe('methods that change lists and dicts', () => {
  it('change what the template made', () => {
    expect(t.render('{% set l = [] %}{% set _ = l.append(1) %}{% set _ = l.extend([2, 3]) %}{{ l }}', {}, 'x')).toBe('[1, 2, 3]');
    expect(t.render("{% set d = {} %}{% set _ = d.update({'a': 1}) %}{{ d }} {{ d.pop('a') }} {{ d }}", {}, 'x')).toBe("{'a': 1} 1 {}");
  });
  it('change a copy of a variable, never the variable', () => {
    const vars = { items: ['a'], conf: { k: 1 } };
    expect(t.render("{% set _ = items.append('b') %}{% set _ = conf.update({'j': 2}) %}{{ items }} {{ conf }}", vars, 'x')).toBe("['a', 'b'] {'k': 1, 'j': 2}");
    expect(vars).toEqual({ items: ['a'], conf: { k: 1 } });
  });
  it('refuse to change a list reached through another object', () => {
    const host = { nested: { list: [1] } };
    const vars = lazyVars({ hostvars: new Proxy({ h1: host }, {}) }, t, 'vars');
    expect(errorOf(() => t.render("{% set _ = hostvars['h1'].nested.list.append(2) %}", vars, 'x')).message).toContain('cannot change');
    expect(host.nested.list).toEqual([1]);
  });
});

describe('limits', () => {
  it('a macro that calls itself ends in a clear error', () => {
    expect(errorOf(() => t.render('{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}', {}, 'x')).message).toMatch(/recursion/);
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'uxsv-engine-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('an include that includes itself ends in a clear error', () => {
    writeFileSync(path.join(dir, 'self.j2'), "{% include 'self.j2' %}");
    expect(errorOf(() => new Templar({ searchPaths: [dir] }).render("{% include 'self.j2' %}", {}, 'x')).message).toMatch(/recursion/);
  });
  it('included templates use the including template’s delimiters and whitespace settings', () => {
    writeFileSync(path.join(dir, 'part.j2'), '[% if true %]\n<< v >>\n[% endif %]\n');
    const options = { block_start_string: '[%', block_end_string: '%]', variable_start_string: '<<', variable_end_string: '>>' };
    expect(new Templar({ searchPaths: [dir] }).render("[% include 'part.j2' %]{{ literal }}\n", { v: 1 }, 'x', options)).toBe('1\n{{ literal }}\n');
  });
});

describe('the template module’s options', () => {
  it('newline_sequence as the module receives it (escaped) or as the characters', () => {
    expect(t.render('a\n{{ 1 }}\n', {}, 'x', { newline_sequence: '\\r\\n' })).toBe('a\r\n1\r\n');
    expect(t.render('a\nb\n', {}, 'x', { newline_sequence: '\r' })).toBe('a\rb\r');
  });
  it('a #jinja2: header with a wrong separator is an error naming it', () => {
    expect(errorOf(() => t.render('#jinja2: trim_blocks=False\nx', {}, 'x')).message).toContain("failed to parse jinja2 override 'trim_blocks=False'");
  });
});

describe("Ansible's backslash rule", () => {
  it('values: backslashes in {{ }} string literals are literal; in {% %} and the template module they are escapes', () => {
    expect(t.renderValue("{{ 'a\\nb' }}", {}, 'x')).toBe('a\\nb');
    expect(t.renderValue("{{ 'host-01' | regex_replace('\\d+', 'N') }}", {}, 'x')).toBe('host-N');
    expect(t.renderValue("{% set x = 'a\\nb' %}{{ x }}", {}, 'x')).toBe('a\nb');
    expect(t.render("{{ 'a\\nb' }}", {}, 'x')).toBe('a\nb');
  });
});

describe('unsafe output of a render', () => {
  it('a render that printed unsafe data in a macro is unsafe', () => {
    const out = t.renderValue('{% macro m(v) %}[{{ v }}]{% endmacro %}{{ m(x) }}', { x: tagged('y') }, 'x');
    expect(isUnsafe(out)).toBe(true);
  });
});

describe('now()', () => {
  it('gives the current datetime, as Python prints and formats it', () => {
    const today = new Date();
    const ymd = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    expect(t.render("{{ now(fmt='%Y-%m-%d') }}", {}, 'x')).toBe(ymd);
    expect(t.render('{{ now() }}', {}, 'x')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(t.render("{{ now(utc=True).strftime('%H:%M %j %a %B') }}", {}, 'x')).toMatch(/^\d\d:\d\d \d{3} [A-Z][a-z]{2} [A-Z][a-z]+$/);
    expect(t.evaluate('now().year >= 2024 and now() is not string', {}, 'x')).toBe(true);
  });
});

describe('the filter and test bridge', () => {
  it('gives every argument to a filter as plain data, and carries their tags to its result', async () => {
    const { templateFilter, templateTest } = await import('../../../engine/template/bridge.js');
    const { FloatValue } = await import('../../../engine/template/python.js');
    const seen: unknown[] = [];
    const probe = templateFilter('probe', (...args: unknown[]) => {
      seen.push(...args);
      return args.map(String).join('+');
    });
    const out = probe.call({}, tagged('a'), tagged('b'), new TaggedText('c', SECRET), [tagged('d')], new FloatValue(2));
    expect(seen.every((a) => typeof a !== 'object' || Array.isArray(a))).toBe(true);
    expect((seen[3] as unknown[])[0]).toBe('d');
    expect(seen[4]).toBe(2);
    expect(String(out)).toBe('a+b+c+d+2');
    expect(isUnsafe(out)).toBe(true);
    const floats: unknown[] = [];
    const aware = Object.assign((v: unknown) => floats.push(v), { acceptsFloatValue: true });
    templateTest('aware', aware).call({}, new FloatValue(2));
    expect(floats[0]).toBeInstanceOf(FloatValue);
  });
});

describe('dicts that are proxies', () => {
  it('a key a proxy knows but does not list is found (hostvars of the implicit localhost)', () => {
    const hostvars = new Proxy({} as Record<string, unknown>, {
      get: (_t, k) => (k === 'localhost' ? { foo: 'bar' } : undefined),
      has: (_t, k) => k === 'localhost',
    });
    const vars = { hostvars };
    expect(t.evaluate("hostvars['localhost'].foo", vars, 'x')).toBe('bar');
    expect(t.evaluate("'localhost' in hostvars and hostvars.get('localhost').foo == 'bar'", vars, 'x')).toBe(true);
    expect(t.evaluate("hostvars['elsewhere'] is defined", vars, 'x')).toBe(false);
  });
});

describe('conditionals with template markup', () => {
  it('warn as Ansible does, and still evaluate', () => {
    const warnings: string[] = [];
    const templar = new Templar({ lookupHost: { hostsMatching: () => [], warn: (m) => warnings.push(m) } });
    expect(templar.isTrue('"{{ foo }}" == "bar"', { foo: 'bar' }, 'x')).toBe(true);
    expect(templar.isTrue('foo == "bar"', { foo: 'bar' }, 'x')).toBe(true);
    expect(warnings).toEqual(['conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: "{{ foo }}" == "bar"']);
  });
});

describe('hostile templates', () => {
  it('nesting deeper than the parser can follow is a clear syntax error', () => {
    const deep = '{% if true %}'.repeat(20000) + 'x' + '{% endif %}'.repeat(20000);
    expect(errorOf(() => t.render(deep, {}, 'deep.j2')).message).toBe('deep.j2: template syntax error: nested too deeply');
    expect(errorOf(() => t.render(`{{ ${'('.repeat(20000)}1${')'.repeat(20000)} }}`, {}, 'deep.j2')).message).toBe('deep.j2: template syntax error: nested too deeply');
  });
  it('a long template whose delimiters are partly absent renders (the lexer does not search the rest again at every tag)', () => {
    const lines = '{% if true %}line {{ x }}{% endif %}\n'.repeat(20000);
    expect(t.render(lines, { x: 1 }, 'long.j2')).toBe(`${'line 1'.repeat(20000)}\n`);
  });
});
