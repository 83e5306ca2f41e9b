import { describe, expect, it } from 'vitest';
import { Templar, TemplateError, lazyVars, plainViews } from '../../../engine/template/index.js';
import { isUnsafe, markUnsafe, ownTags } from '../../../engine/template/trust.js';

const t = new Templar();

describe('lazyVars', () => {
  it('renders chained variables on access, whatever their order', () => {
    const vars = lazyVars({ url: 'http://{{ host }}:{{ port }}/', host: '{{ prefix }}01', prefix: 'web', port: 8080 }, t, 'vars');
    expect(vars.url).toBe('http://web01:8080/');
    expect(t.render('{{ url }}', vars, 'x')).toBe('http://web01:8080/');
  });
  it('keeps native types and templates nested structures', () => {
    const vars = lazyVars({ ports: '{{ [base, base + 1] }}', base: 10, cfg: { listen: '{{ ports }}', name: 'n-{{ base }}' } }, t, 'vars');
    expect(vars.ports).toEqual([10, 11]);
    expect(vars.cfg).toEqual({ listen: [10, 11], name: 'n-10' });
    expect(t.evaluate('cfg.listen[1]', vars, 'x')).toBe(11);
  });
  it('leaves values without templates untouched and does not render unused broken ones', () => {
    const raw = { plain: { a: [1] }, broken: '{{ nowhere }}' };
    const vars = lazyVars(raw, t, 'vars');
    expect(vars.plain).toBe(raw.plain);
    expect(t.render('{{ plain.a[0] }}', vars, 'x')).toBe('1');
  });
  it('reports a variable that refers to itself, with the chain', () => {
    const direct = lazyVars({ a: '{{ a }}' }, t, 'host vars');
    expect(() => direct.a).toThrow(/variable 'a' refers to itself: a -> a/);
    const vars = lazyVars({ a: '{{ b }}', b: 'x{{ c }}', c: '{{ a }}' }, t, 'host vars');
    let error: unknown;
    try {
      t.render('{{ a }}', vars, 'task when');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as Error).message).toContain('a -> b -> c -> a');
    expect((error as Error).message).toContain('host vars');
  });
  it('an undefined variable inside a lazy value names the variable and the caller', () => {
    const vars = lazyVars({ a: '{{ nowhere }}' }, t, 'group_vars/all.yml');
    expect(() => t.render('v={{ a }}', vars, 'roles/x/templates/y.j2')).toThrow(
      /roles\/x\/templates\/y\.j2: group_vars\/all\.yml: variable 'a': 'nowhere' is undefined/,
    );
  });
  it('is defined and default see lazy variables', () => {
    // As in Ansible, a template that is not a lone variable gives text: "{{ 1 + 1 }}" is '2'.
    const vars = lazyVars({ a: '{{ 1 + 1 }}' }, t, 'vars');
    expect(t.evaluate('a is defined and b is not defined', vars, 'x')).toBe(true);
    expect(t.evaluate('b | default(a)', vars, 'x')).toBe('2');
  });
  it('a variable whose template fails on an undefined name is undefined to templates, as in Ansible', () => {
    const vars = lazyVars({ a: '{{ nowhere }}', b: 'x' }, t, 'vars');
    expect(t.evaluate('a is defined', vars, 'x')).toBe(false);
    expect(t.evaluate("a | default('fallback')", vars, 'x')).toBe('fallback');
    expect(() => t.evaluate('a ~ b', vars, 'x')).toThrow(/variable 'a': 'nowhere' is undefined/);
  });
  describe('the magic variable vars (every variable, as written)', () => {
    it('looks a variable up by a computed name, unrendered, as Ansible does', () => {
      const vars = lazyVars({ port_web: 80, port_mail: 25, derived: '{{ port_web + 1 }}' }, t, 'vars');
      expect(t.evaluate("vars['port_' + 'mail']", vars, 'x')).toBe(25);
      expect(t.evaluate('vars.derived', vars, 'x')).toBe('{{ port_web + 1 }}');
      expect(t.render("{{ vars['port_ftp'] is defined }}", vars, 'x')).toBe('False');
    });
    it('lists every variable but itself', () => {
      const vars = lazyVars({ name_a: 1, name_b: 2, other: 3 }, t, 'vars');
      expect(t.evaluate("vars | select('match', '^name_') | list", vars, 'x')).toEqual(['name_a', 'name_b']);
      expect(t.render("{{ 'vars' in vars }} {{ vars | length }}", vars, 'x')).toBe('False 3');
    });
    it('keeps unsafe values unsafe (never rendered when read through it)', () => {
      const vars = lazyVars({ secret: markUnsafe('{{ lookup("pipe", "id") }}'), n: 1 }, t, 'vars');
      const all = t.evaluate('vars', vars, 'x') as Record<string, unknown>;
      expect(isUnsafe(all.secret)).toBe(true);
      const again = lazyVars({ copied: all }, t, 'vars');
      expect(t.render('{{ copied.secret }}', again, 'x')).toBe('{{ lookup("pipe", "id") }}');
    });
    it('a variable of its own named vars wins', () => {
      const vars = lazyVars({ vars: { mine: true } }, t, 'vars');
      expect(t.evaluate('vars.mine', vars, 'x')).toBe(true);
    });
  });

  describe('plainViews (lazy views made plain data, for module arguments)', () => {
    it('renders a view wherever it is, keeps the containers it copies tagged, and returns data without views as it is', () => {
      const view = lazyVars({ me: '{{ name }}', name: 'h2' }, t, "hostvars['h2']");
      const data = markUnsafe({ list: [1, view], other: { a: 1 } });
      const plain = plainViews(data);
      expect(plain).toEqual({ list: [1, { me: 'h2', name: 'h2' }], other: { a: 1 } });
      expect(ownTags(plain.list)).toBe(ownTags(data.list));
      expect(ownTags(plain)).toBe(ownTags(data));
      expect(plain.other).toBe(data.other);
      const none = { a: [1, 2], b: 'x' };
      expect(plainViews(none)).toBe(none);
    });
  });
});

