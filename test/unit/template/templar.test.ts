import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../engine/errors.js';
import { Templar, TemplateError, lazyVars, templateModuleMessage } from '../../../engine/template/index.js';
import { untag } from '../../../engine/template/trust.js';

const t = new Templar();
const vars = {
  name: 'web',
  port: 22,
  hosts: ['uxsv01', 'uxsv02'],
  cfg: { zone: 'example.jp', serial: 7 },
  empty_list: [],
  empty_dict: {},
  flag: false,
  csv: 'a, b,c',
};
const render = (text: string, extra: Record<string, unknown> = {}) => t.render(text, { ...vars, ...extra }, 'test.j2');

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('render: Jinja2 syntax', () => {
  it('text without markup passes through unchanged, Japanese included', () => {
    expect(render('プライマリ DNS: 何もない')).toBe('プライマリ DNS: 何もない');
    expect(render('{{ name }} は日本語のテキスト「テスト」')).toBe('web は日本語のテキスト「テスト」');
  });
  it('keeps a trailing newline and trims the newline after a block tag', () => {
    expect(render('port {{ port }}\n')).toBe('port 22\n');
    expect(render('{% if true %}\nyes\n{% endif %}\n')).toBe('yes\n');
    expect(render('a\n\n')).toBe('a\n\n');
  });
  it('loops with loop.index, whitespace control, dict methods', () => {
    expect(render('{% for h in hosts %}{{ loop.index }}={{ h }}{% if not loop.last %},{% endif %}{% endfor %}')).toBe('1=uxsv01,2=uxsv02');
    expect(render('{%- for h in hosts -%}\n  [{{ h }}]\n{%- endfor %}')).toBe('[uxsv01][uxsv02]');
    expect(render('{% for k, v in cfg.items() %}{{ k }}:{{ v }} {% endfor %}')).toBe('zone:example.jp serial:7 ');
    expect(render("{{ cfg.keys() | list | join(',') }} {{ cfg.values() | list | join(',') }}")).toBe('zone,serial example.jp,7');
    expect(render('{% for k in cfg %}{{ k }};{% endfor %}')).toBe('zone;serial;');
  });
  it('operators: in, not, ==, ternary, ~, True/False/None, dict literals, arithmetic', () => {
    expect(render("{{ 'uxsv01' in hosts }} {{ 'x' not in hosts }} {{ not flag }}")).toBe('True True True');
    expect(render("{{ port == 22 }} {{ port != '22' }} {{ name == 'web' }}")).toBe('True True True');
    expect(render("{{ 'a' if flag else 'b' }} {{ name ~ '-' ~ port }}")).toBe('b web-22');
    expect(render('{{ True }} {{ False }} {{ None }}|{{ true and none is none }}')).toBe('True False |True');
    expect(render("{{ {'a': 1, 'b': [1, 2]} }} {{ {name: port} }}")).toBe("{'a': 1, 'b': [1, 2]} {'web': 22}");
    expect(render('{{ hosts + ["uxsv03"] }} {{ port // 5 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ "-" * 3 }}')).toBe("['uxsv01', 'uxsv02', 'uxsv03'] 4 1 8 ---");
  });
  it('Python truthiness in if/and/or: empty list and dict are false; and/or return operands', () => {
    expect(render('{% if empty_list %}y{% else %}n{% endif %}{% if empty_dict %}y{% else %}n{% endif %}{% if hosts %}y{% endif %}')).toBe('nny');
    expect(render("{{ empty_list or 'fallback' }} {{ hosts and 'yes' }}")).toBe('fallback yes');
  });
  it('string methods, indexing and slicing', () => {
    expect(render("{{ csv.split(',') }} {{ name.upper() }} {{ 'A'.lower() }} {{ '  x '.strip() }}")).toBe("['a', ' b', 'c'] WEB a x");
    expect(render("{{ name.startswith('we') }} {{ name.endswith('x') }} {{ name.replace('w', 'W') }}")).toBe('True False Web');
    expect(render("{{ '{}:{}'.format(name, port) }} {{ ', '.join(hosts) }}")).toBe('web:22 uxsv01, uxsv02');
    expect(render('{{ hosts[-1] }} {{ hosts[0][-2:] }} {{ name[::-1] }} {{ hosts[1:] }}')).toBe("uxsv02 01 bew ['uxsv02']");
    expect(render("{{ 'a\\tb' }}|{{ '\\d' }}")).toBe('a\tb|\\d');
  });
  it('None prints as empty; lists and dicts print in Python repr form', () => {
    expect(render('[{{ nothing }}] {{ hosts }} {{ cfg }}', { nothing: null })).toBe(
      "[] ['uxsv01', 'uxsv02'] {'zone': 'example.jp', 'serial': 7}",
    );
  });
  it('set, macros, % formatting, tuples and fully qualified filter names', () => {
    expect(render('{% set x = port + 1 %}{{ x }}')).toBe('23');
    expect(render('{% macro m(a) %}<{{ a }}>{% endmacro %}{{ m(name) }}')).toBe('<web>');
    expect(render("{{ '%s:%d' % (name, port) }} {{ (1, 2) }} {{ (1,) }}")).toBe('web:22 (1, 2) (1,)');
    expect(render('{{ cfg | ansible.builtin.to_json }}')).toBe('{"zone": "example.jp", "serial": 7}');
  });
  it('does not escape HTML', () => {
    expect(render('{{ "<a & b>" }}')).toBe('<a & b>');
  });
});

describe('undefined variables', () => {
  it('are errors naming the source and the variable', () => {
    const err = errorOf(() => render('hello {{ nobody }}'));
    expect(err.message).toBe("test.j2: 'nobody' is undefined");
    expect(err.variable).toBe('nobody');
    expect(err.source).toBe('test.j2');
    expect(err).toBeInstanceOf(UserError);
  });
  it('give the line in multi-line templates', () => {
    const err = errorOf(() => render('line 1\nline 2\n{{ cfg.nokey }}\n'));
    expect(err.message).toContain('test.j2 line 3');
    expect(err.message).toContain("'dict object' has no attribute 'nokey'");
    expect(err.variable).toBe('cfg.nokey');
    expect(err.details.line).toBe(3);
  });
  it('in conditions, loops, filters and attribute access of undefined', () => {
    expect(errorOf(() => render('{% if ghost %}x{% endif %}')).variable).toBe('ghost');
    expect(errorOf(() => render('{% for x in ghost %}{% endfor %}')).variable).toBe('ghost');
    expect(errorOf(() => render('{{ ghost | upper }}')).variable).toBe('ghost');
    expect(errorOf(() => render('{{ ghost.attr }}')).variable).toBe('ghost');
    expect(errorOf(() => render("{{ hosts[5] }}")).message).toContain('list object has no element 5');
  });
  it('default and is defined handle undefined names and attributes', () => {
    expect(render("{{ ghost | default('d') }} {{ cfg.nokey | d('k') }} {{ ghost.a.b | default('ab') }}")).toBe('d k ab');
    expect(render("{{ ghost is defined }} {{ cfg.zone is defined }} {{ cfg.nokey is undefined }}")).toBe('False True True');
    expect(render("{% if ghost is defined and ghost %}x{% else %}safe{% endif %}")).toBe('safe');
  });
  it('syntax errors name the source and the line', () => {
    const err = errorOf(() => render('a\n{% if %}\n'));
    expect(err.message).toMatch(/^test\.j2 line 2: template syntax error/);
    expect(errorOf(() => render('{{ name | nosuchfilter }}')).message).toContain('nosuchfilter');
  });
});

describe('renderValue: native types', () => {
  const rv = (value: unknown) => t.renderValue(value, vars, 'task args');
  it('a lone variable keeps its type; other templates give text unless it reads as a list, dict or bool (as Ansible)', () => {
    expect(rv('{{ 3 }}')).toBe('3');
    expect(rv('{{ port }}')).toBe(22);
    expect(rv('{{ port + 1 }}')).toBe('23');
    expect(t.renderValue('{{ nothing }}', { nothing: null }, 'x')).toBe(null);
    expect(rv("{{ 'True' }}")).toBe(true);
    expect(rv('[{{ port }}, {{ port }}]')).toEqual([22, 22]);
    expect(rv('{{ (1, 2) }}')).toBe('(1, 2)');
    expect(rv('{{ [1, 2] }}')).toEqual([1, 2]);
    expect(rv("{{ {'a': 1} }}")).toEqual({ a: 1 });
    expect(rv('{{ cfg }}')).toBe(vars.cfg);
    expect(rv('{{ flag }}')).toBe(false);
    expect(rv('{{ none }}')).toBe('');
    expect(rv("{{ {'a': {'b': 1}} }}")).toEqual({ a: { b: 1 } });
  });
  it('other strings render to strings', () => {
    expect(rv('port {{ port }}')).toBe('port 22');
    expect(rv('{{ port }}{{ port }}')).toBe('2222');
    expect(rv(' {{ port }}')).toBe(' 22');
    expect(rv('no markup')).toBe('no markup');
  });
  it('walks dicts and lists and passes other values through', () => {
    expect(rv({ dest: '/etc/{{ name }}.conf', mode: 420, list: ['{{ port }}', true], '{{ name }}_key': null })).toEqual({
      dest: '/etc/web.conf', mode: 420, list: [22, true], web_key: null,
    });
    expect(rv(5)).toBe(5);
    expect(rv(null)).toBe(null);
  });
});

describe('type_debug with native types: made text is str, a variable\'s text is AnsibleUnicode', () => {
  const native = new Templar({ native: true });
  const base = { s_one: '1', s_two: 'two', i_two: 2, list_one: ['one', 'two'] };
  it('a set value keeps telling whether its template made it (as set_fact stores it)', () => {
    const made = native.renderValue({
      quoted: "'{{ i_two }}'", joined: '{{ list_one }} + {{ list_one }}', looped: '{% for x in list_one %}{{ x }}{% endfor %}',
      concat: "{{ s_two ~ 'x' }}", passed: '{{ s_two }}', listed: '{{ [i_two, s_two] }}',
    }, base, 'set_fact') as Record<string, unknown>;
    const typeOf = (name: string) => native.evaluate(`${name} | type_debug`, { ...base, ...made }, 'assert');
    expect(typeOf('quoted')).toBe('str');
    expect(typeOf('joined')).toBe('str');
    expect(typeOf('looped')).toBe('str');
    expect(typeOf('concat')).toBe('str');
    expect(typeOf('passed')).toBe('AnsibleUnicode');
    expect(typeOf('listed[1]')).toBe('AnsibleUnicode');
    expect(typeOf('s_one')).toBe('AnsibleUnicode');
    // The marker changes nothing else: the text compares and prints as itself.
    expect(native.evaluate("quoted == \"'2'\" and joined is string", { ...base, ...made }, 'assert')).toBe(true);
    expect(String(made.concat)).toBe('twox');
  });
  it('without native types, values stay plain strings', () => {
    expect(t.renderValue("{{ s_two ~ 'x' }}", { s_two: 'two' }, 'x')).toBe('twox');
  });
});

describe("the template module's message for a template that fails", () => {
  const messageOf = (text: string) => templateModuleMessage(errorOf(() => t.render(text, vars, 'site.yml:4: template t.j2')));
  it("names the Python exception as Ansible's template module does", () => {
    expect(messageOf('{{ [{"failed": false}] | selectattr("failed", "asdf ", true) }}'))
      .toBe("TemplateSyntaxError: Could not load \"asdf \": 'invalid plugin name: ansible.builtin.asdf '");
    expect(messageOf('{{ 1 / 0 }}')).toBe('ZeroDivisionError: division by zero');
    expect(messageOf('{{ ghost }}')).toBe("AnsibleUndefinedVariable: 'ghost' is undefined. 'ghost' is undefined");
    expect(templateModuleMessage(new Error('plain'))).toBe('plain');
  });
});

describe('evaluate and isTrue', () => {
  const is = (c: unknown) => t.isTrue(c, vars, 'playbooks/site.yml:12 task \'x\' when');
  it('evaluate returns native values', () => {
    expect(t.evaluate('hosts | length', vars, 'x')).toBe(2);
    expect(t.evaluate('cfg', vars, 'x')).toBe(vars.cfg);
    expect(t.evaluate("{'k': {'n': [1]}}", vars, 'x')).toEqual({ k: { n: [1] } });
  });
  it('booleans, bare expressions and lists (AND)', () => {
    expect(is(true)).toBe(true);
    expect(is(false)).toBe(false);
    expect(is('port == 22')).toBe(true);
    expect(is('empty_list')).toBe(false);
    expect(is('hosts')).toBe(true);
    expect(is(['port == 22', 'name == "web"'])).toBe(true);
    expect(is(['port == 22', 'flag'])).toBe(false);
    expect(is([])).toBe(true);
  });
  it('strings that contain {{ }} are rendered first, then evaluated as an expression', () => {
    expect(is('{{ flag }}')).toBe(false);
    expect(is('{{ port == 22 }}')).toBe(true);
    expect(is("{{ 'false' }}")).toBe(false);
    expect(is("{{ '0' }}")).toBe(false);
    expect(is("{{ 'True' }}")).toBe(true);
    // As in Ansible, `no` and `yes` are then names, and undefined ones.
    expect(() => is("{{ 'no' }}")).toThrow(/'no' is undefined/);
    expect(() => is("{{ 'yes' }}")).toThrow(/'yes' is undefined/);
  });
  it('a variable holding a string is true when it is not empty, whatever it says (as in Ansible: use | bool)', () => {
    for (const word of ['false', 'False', 'no', 'off', '0']) expect(t.isTrue('value', { value: word }, 'x')).toBe(true);
    expect(t.isTrue('value', { value: '' }, 'x')).toBe(false);
    expect(t.isTrue('value | bool', { value: 'no' }, 'x')).toBe(false);
  });
  it('an undefined variable in a condition is an error naming the task', () => {
    const err = errorOf(() => is('ghost == 1'));
    expect(err.message).toBe("playbooks/site.yml:12 task 'x' when: 'ghost' is undefined");
  });
  it('isTemplate', () => {
    expect(Templar.isTemplate('a {{ b }}')).toBe(true);
    expect(Templar.isTemplate('{% if %}')).toBe(true);
    expect(Templar.isTemplate('{# c #}')).toBe(true);
    expect(Templar.isTemplate('plain { text }')).toBe(false);
  });
  it('repeated conditions reuse the compiled template', () => {
    const started = performance.now();
    for (let i = 0; i < 3000; i++) t.isTrue("inventory_hostname in hosts and port == 22", { ...vars, inventory_hostname: 'uxsv01' }, 'x');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('files, includes and lookups', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'uxsv-template-'));
  mkdirSync(path.join(dir, 'parts'));
  writeFileSync(path.join(dir, 'parts', 'header.j2'), '# managed for {{ name }}\n');
  writeFileSync(path.join(dir, 'parts', 'broken.j2'), 'ok\n{{ missing_in_include }}\n');
  writeFileSync(path.join(dir, 'motd.txt'), 'ようこそ\n');
  const templar = new Templar({ searchPaths: [dir] });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('includes templates from the search paths with the same variables', () => {
    // Jinja2 drops an included template's last newline, as it does for any template, and trim_blocks the one after the tag.
    expect(templar.render('{% include "parts/header.j2" %}zone {{ cfg.zone }}\n', vars, 'named.conf.j2')).toBe('# managed for webzone example.jp\n');
    expect(templar.render('{% include "parts/header.j2" %}\n\nzone\n', vars, 'named.conf.j2')).toBe('# managed for web\nzone\n');
  });
  it('an error inside an include names the included file and line', () => {
    const err = errorOf(() => templar.render('{% include "parts/broken.j2" %}', vars, 'main.j2'));
    expect(err.message).toContain(`${path.join(dir, 'parts', 'broken.j2')} line 2 (included from main.j2)`);
    expect(err.variable).toBe('missing_in_include');
    expect(errorOf(() => templar.render('{% include "nope.j2" %}', vars, 'main.j2')).message).toContain("template 'nope.j2' not found");
  });
  it('lookup env and file, query, range, dict', () => {
    process.env.UXSV_TEMPLATE_TEST = 'from-env';
    // Lookup results are unsafe text (trust.ts); untag compares their content.
    const evaluate = (expr: string, v: Record<string, unknown>, source: string) => untag(templar.evaluate(expr, v, source));
    expect(evaluate("lookup('env', 'UXSV_TEMPLATE_TEST')", {}, 'x')).toBe('from-env');
    expect(evaluate("lookup('env', 'UXSV_TEMPLATE_UNSET_VAR')", {}, 'x')).toBe('');
    expect(evaluate("lookup('file', 'motd.txt')", {}, 'x')).toBe('ようこそ');
    expect(evaluate("query('file', 'motd.txt')", {}, 'x')).toEqual(['ようこそ']);
    expect(() => templar.evaluate("lookup('file', 'absent.txt')", {}, 'x')).toThrow(/could not locate file in lookup: absent.txt/);
    expect(templar.evaluate('range(3)', {}, 'x')).toEqual([0, 1, 2]);
    expect(templar.evaluate('range(1, 10, 4)', {}, 'x')).toEqual([1, 5, 9]);
    expect(templar.evaluate("dict(a=1)", {}, 'x')).toEqual({ a: 1 });
    expect(evaluate("lookup('vars', 'name')", vars, 'x')).toBe('web');
  });
});

describe('render options: extraVars', () => {
  it('adds variables over the given ones for that render only, leaving the given ones as they are', () => {
    const base = Object.freeze({ name: 'web', shadowed: 'task value' });
    const extra = { shadowed: 'extra value', added: 7 };
    const text = '{{ name }} {{ shadowed }} {{ added }} {{ lookup("vars", "added") }}';
    expect(t.render(text, base, 'x.j2', { extraVars: extra })).toBe('web extra value 7 7');
    expect(Object.keys(base)).toEqual(['name', 'shadowed']);
    expect(() => t.render('{{ added }}', base, 'x.j2')).toThrow(/'added' is undefined/);
  });

  it('a lazily rendered variable of the base still renders when read', () => {
    const lazy = lazyVars({ greeting: 'hello {{ who }}', who: 'world' }, t, 'x');
    expect(t.render('{{ greeting }} / {{ template_path }}', lazy, 'x.j2', { extraVars: { template_path: 'a.j2' } })).toBe('hello world / a.j2');
  });
});
