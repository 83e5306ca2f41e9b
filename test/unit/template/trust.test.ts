/**
 * Trust at the Templar level: data from a host, a lookup or `!unsafe` is
 * never a template, wherever it travels; secrets stay secret through the
 * values computed from them (engine/template/trust.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseYaml, readYamlFile } from '../../../engine/loader/yaml.js';
import { VaultSecrets, encrypt, setActiveVaultSecrets } from '../../../engine/vault/index.js';
import { MASK, clearSecrets, maskSecrets } from '../../../engine/vault/secrets.js';
import { Templar, TemplateError, lazyVars } from '../../../engine/template/index.js';
import {
  SECRET, TaggedText, UNSAFE, carryTags, isUnsafe, markSecret, markUnsafe, ownTags, untag, type SecretSink,
} from '../../../engine/template/trust.js';

const dir = mkdtempSync(path.join(tmpdir(), 'uxsv-trust-'));
const SECRET_FILE = path.join(dir, 'vault-password');
writeFileSync(SECRET_FILE, 'the-controller-secret\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t = new Templar({ searchPaths: [dir] });
/** What a hostile host could send back: templates that would read the controller's files or run loops. */
const HOSTILE = [
  `{{ lookup('file', '${SECRET_FILE}') }}`,
  "{% for f in query('file', '/etc/hostname') %}{{ f }}{% endfor %}",
  '{{ 7*7 }}',
];

/** A registered result as the runner stores it: the host's output, marked unsafe. */
function registered(stdout: string): Record<string, unknown> {
  return markUnsafe({ stdout, stdout_lines: stdout.split('\n'), rc: 0, changed: true });
}

function sink(): SecretSink & { seen: string[] } {
  const seen: string[] = [];
  return { seen, add: (text) => seen.push(text) };
}

/** A vault-encrypted vars file, loaded as the loader loads one. */
function readYamlText(text: string): unknown {
  const file = path.join(dir, `vault-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return readYamlFile(file).data;
}

function leaksSecret(value: unknown): boolean {
  return JSON.stringify(untag(value)).includes('the-controller-secret');
}

describe('host data is never a template', () => {
  it.each(HOSTILE)('renderValue and evaluate return %s as it is, through the variable', (text) => {
    const vars = { result: registered(text) };
    const got = t.renderValue('{{ result.stdout }}', vars, 'task');
    expect(String(got)).toBe(text);
    expect(isUnsafe(got)).toBe(true);
    expect(String(t.renderValue('out: {{ result.stdout }}!', vars, 'task'))).toBe(`out: ${text}!`);
    expect(String(t.evaluate('result.stdout_lines[0]', vars, 'task'))).toBe(text.split('\n')[0]);
    expect(leaksSecret(t.renderValue({ msg: '{{ result }}', items: ['{{ result.stdout }}'] }, vars, 'task'))).toBe(false);
  });

  it('an unsafe value handed to renderValue or render directly is returned as it is', () => {
    const text = new TaggedText(HOSTILE[0]!, UNSAFE);
    expect(t.renderValue(text, {}, 'x')).toBe(text);
    expect(t.render(text as unknown as string, {}, 'x')).toBe(HOSTILE[0]);
    const list = markUnsafe(['{{ 7*7 }}', { '{{ key }}': '{{ 7*7 }}' }]);
    expect(t.renderValue(list, {}, 'x')).toBe(list);
    // Keys of an unsafe dict are not rendered either.
    const dict = markUnsafe({ '{{ 7*7 }}': 'v' });
    expect(Object.keys(t.renderValue(dict, {}, 'x') as object)).toEqual(['{{ 7*7 }}']);
  });

  it('mixed containers: unsafe leaves stay, safe leaves render', () => {
    const value = { safe: '{{ 6*7 }}', unsafe: new TaggedText('{{ 7*7 }}', UNSAFE), list: ['{{ 1+1 }}', new TaggedText('{{ 2+2 }}', UNSAFE)] };
    const out = untag(t.renderValue(value, {}, 'x'));
    expect(out).toEqual({ safe: '42', unsafe: '{{ 7*7 }}', list: ['2', '{{ 2+2 }}'] });
  });

  it('lazyVars returns unsafe variables unrendered, and templates that read them give unsafe text', () => {
    const vars = lazyVars({ raw: new TaggedText(HOSTILE[0]!, UNSAFE), copy: '{{ raw }}', shout: '{{ raw | upper }}', safe: '{{ 6*7 }}' }, t, 'vars');
    expect(String(vars.raw)).toBe(HOSTILE[0]);
    expect(String(vars.copy)).toBe(HOSTILE[0]);
    expect(isUnsafe(vars.copy)).toBe(true);
    expect(String(vars.shout)).toBe(HOSTILE[0]!.toUpperCase());
    expect(isUnsafe(vars.shout)).toBe(true);
    expect(vars.safe).toBe('42');
  });

  it('set_fact-like chains: render, store, render again, several times', () => {
    const host = { result: registered(HOSTILE[0]!) };
    // set_fact: first: "{{ result.stdout }}"
    const first = t.renderValue('{{ result.stdout }}', host, 'set_fact');
    // set_fact: second: "prefix {{ first }}" ; third: "{{ [second] }}"
    const second = t.renderValue('prefix {{ first }}', lazyVars({ ...host, first }, t, 'vars'), 'set_fact');
    const third = t.renderValue('{{ [second, first] }}', lazyVars({ ...host, first, second }, t, 'vars'), 'set_fact');
    const vars = lazyVars({ first, second, third }, t, 'vars');
    for (const template of ['{{ first }}', '{{ second }}', '{{ third }}', '{{ third | join(",") }}', '{{ third[0] }}']) {
      const out = t.renderValue(template, vars, 'debug');
      expect(leaksSecret(out), template).toBe(false);
      expect(JSON.stringify(untag(out))).toContain('lookup');
    }
    expect(isUnsafe(third)).toBe(true);
  });

  it('loop items and include_vars-like data stay literal', () => {
    const items = registered(HOSTILE.join('\n')).stdout_lines as unknown[];
    for (const item of items) {
      const out = t.renderValue({ line: '{{ item }}', upper: '{{ item | upper }}', dict: { '{{ item }}': 1 } }, { item }, 'loop');
      expect(leaksSecret(out)).toBe(false);
    }
    const loaded = markUnsafe({ conf: { path: HOSTILE[0], list: [HOSTILE[2]] } });
    const vars = lazyVars({ ...loaded, derived: '{{ conf.list + [conf.path] }}' }, t, 'vars');
    expect(untag(vars.derived)).toEqual([HOSTILE[2], HOSTILE[0]]);
    expect(isUnsafe(vars.derived)).toBe(true);
  });

  it('string filters and methods keep host text unsafe and literal', () => {
    const vars = { text: new TaggedText('{{ 7*7 }}', UNSAFE) };
    for (const template of ['{{ text | lower }}', '{{ text | replace("7", "8") }}', '{{ text.strip() }}', '{{ text ~ "" }}', '{{ [text] | join }}']) {
      const out = t.renderValue(template, vars, 'x');
      expect(isUnsafe(out), template).toBe(true);
      expect(String(out)).toMatch(/\{\{ [78]\*[78] \}\}/);
    }
  });

  it('lookup results are unsafe: a file holding a template is not rendered', () => {
    writeFileSync(path.join(dir, 'payload.txt'), HOSTILE[2]!);
    const out = t.renderValue("{{ lookup('file', 'payload.txt') }}", {}, 'x');
    expect(String(out)).toBe('{{ 7*7 }}');
    expect(isUnsafe(out)).toBe(true);
    const stored = lazyVars({ content: "{{ lookup('file', 'payload.txt') }}", again: '{{ content }}' }, t, 'vars');
    expect(String(stored.again)).toBe('{{ 7*7 }}');
    // allow_unsafe=True keeps Ansible's opt-out.
    expect(isUnsafe(t.renderValue("{{ lookup('file', 'payload.txt', allow_unsafe=True) }}", {}, 'x'))).toBe(false);
  });

  it('a conditional that is, or renders to, unsafe text is refused, not evaluated', () => {
    const vars = { result: registered(`lookup('file', '${SECRET_FILE}') == ''`) };
    expect(() => t.isTrue('{{ result.stdout }}', vars, 'when')).toThrow(TemplateError);
    expect(() => t.isTrue('{{ result.stdout }}', vars, 'when')).toThrow(/unsafe/);
    expect(() => t.isTrue(new TaggedText('1 == 1', UNSAFE), {}, 'when')).toThrow(/unsafe/);
    // Reading unsafe data in a bare expression is fine: it is a value, not the expression.
    expect(t.isTrue('result.stdout != ""', vars, 'when')).toBe(true);
    expect(t.isTrue("{{ result.stdout == 'x' }}", vars, 'when')).toBe(false);
  });
});

describe('YAML !unsafe', () => {
  it('marks scalars, and the strings and keys of sequences and mappings; aliases too', () => {
    const { data } = parseYaml("a: !unsafe '{{ x }}'\nb: !unsafe ['{{ y }}', {k: '{{ z }}'}]\nc: !unsafe {'{{ k }}': v}\nd: &anc !unsafe ['{{ w }}']\ne: *anc\nplain: '{{ 1 + 1 }}'\n", 'vars.yml');
    const d = data as Record<string, unknown>;
    expect(isUnsafe(d.a)).toBe(true);
    expect(isUnsafe(d.b) && isUnsafe((d.b as unknown[])[0]) && isUnsafe(((d.b as unknown[])[1] as Record<string, unknown>).k)).toBe(true);
    expect(isUnsafe(d.c) && isUnsafe(d.e)).toBe(true);
    expect(isUnsafe(d.plain)).toBe(false);
    const vars = lazyVars(d, t, 'vars');
    expect(untag(t.renderValue('{{ [a, b, c, e, plain] }}', vars, 'x'))).toEqual(['{{ x }}', ['{{ y }}', { k: '{{ z }}' }], { '{{ k }}': 'v' }, ['{{ w }}'], '2']);
  });
  it('unknown tags stay refused', () => {
    expect(() => parseYaml('a: !!python/object/apply:os.system [id]\n', 'evil.yml')).toThrow(/unknown tag/);
    expect(() => parseYaml('a: !unsafee x\n', 'typo.yml')).toThrow(/unknown tag/);
  });
});

describe('secrets propagate by value', () => {
  const s = sink();
  const sec = markSecret('Sup3r-Secret-Value', s);
  const vars = { sec, public_list: ['alpha', 'beta'] };
  const render = (template: string) => t.renderValue(template, vars, 'x');
  const isSecret = (value: unknown) => (ownTags(value) & SECRET) !== 0;

  it.each([
    ['{{ sec[0:8] }}', 'Sup3r-Se'],
    ['{{ sec | lower }}', 'sup3r-secret-value'],
    ['{{ sec | b64encode }}', Buffer.from('Sup3r-Secret-Value').toString('base64')],
    ["{{ 'x' ~ sec }}", 'xSup3r-Secret-Value'],
    ["{{ sec + 'y' }}", 'Sup3r-Secret-Valuey'],
    ["{{ '%s!' % sec }}", 'Sup3r-Secret-Value!'],
    ["{{ '<{}>'.format(sec) }}", '<Sup3r-Secret-Value>'],
    ['{{ sec.upper() }}', 'SUP3R-SECRET-VALUE'],
    ['password={{ sec }}', 'password=Sup3r-Secret-Value'],
    ["{{ sec.split('-') | join('+') }}", 'Sup3r+Secret+Value'],
  ])('%s is secret and reaches the sink', (template, expected) => {
    const out = render(template);
    expect(String(out)).toBe(expected);
    expect(isSecret(out)).toBe(true);
    expect(s.seen).toContain(expected);
  });

  it('the pieces of a split and a hash are secret too', () => {
    const parts = render("{{ sec.split('-') }}") as unknown[];
    expect(parts.map(String)).toEqual(['Sup3r', 'Secret', 'Value']);
    expect(parts.every(isSecret)).toBe(true);
    const hashed = render("{{ sec | hash('sha1') }}");
    expect(isSecret(hashed)).toBe(true);
    expect(s.seen).toContain(String(hashed));
  });

  it('a length, a test or a string that merely passes by is not secret', () => {
    const before = s.seen.length;
    expect(t.evaluate('sec | length', vars, 'x')).toBe(18);
    expect(render('{{ sec | length }}')).toBe('18');
    expect(isSecret(render('{{ sec | length }}'))).toBe(false);
    // Tests give plain booleans, and see the value as a string.
    expect(render('{{ sec is string }}')).toBe(true);
    expect(render("{{ sec is match('Sup3r') }}")).toBe(true);
    const defined = render("{{ 'yes' if sec is defined }}");
    expect(defined).toBe('yes');
    expect(isSecret(defined)).toBe(false);
    expect(isSecret(render('{{ [sec, "public"] | last }}'))).toBe(false);
    expect(isSecret(render('{{ public_list | first }}'))).toBe(false);
    expect(s.seen.slice(before)).not.toContain('yes');
    expect(s.seen.slice(before)).not.toContain('public');
  });

  it('carryTags: new strings get the inputs’ tags, passed-through ones keep theirs', () => {
    const out = carryTags(['new text', 'public'], [sec, 'public']);
    expect(isSecret(out[0])).toBe(true);
    expect(isSecret(out[1])).toBe(false);
    expect(carryTags(42, sec)).toBe(42);
  });

  it('!vault values are secret and never templated; a vault-encrypted vars file is secret', () => {
    setActiveVaultSecrets(new VaultSecrets(['pw']));
    clearSecrets();
    try {
      const inline = encrypt('{{ 6*7 }}-inline-Secret', 'pw').trimEnd().split('\n').map((l) => `  ${l}`).join('\n');
      const { data } = parseYaml(`token: !vault |\n${inline}\nplain: ok\n`, 'vars.yml');
      const vars = lazyVars(data as Record<string, unknown>, t, 'vars');
      const token = t.renderValue('{{ token }}', vars, 'x');
      expect(String(token)).toBe('{{ 6*7 }}-inline-Secret');
      expect(isSecret(token) && isUnsafe(token)).toBe(true);
      const derived = t.renderValue('{{ token | upper }}', vars, 'x');
      expect(maskSecrets(`shown: ${String(derived)}`)).toBe(`shown: ${MASK}`);
      // As Ansible's encrypted values, it keeps its vault text.
      expect(t.evaluate('token is vault_encrypted and plain is not vault_encrypted', vars, 'x')).toBe(true);
      expect(String(t.evaluate("token | unvault('pw')", vars, 'x'))).toBe('{{ 6*7 }}-inline-Secret');

      const file = readYamlText(encrypt('db: "{{ \x27abc\x27 }}-file-Secret"\nlist: [Other-Secret]\n', 'pw'));
      const fileVars = lazyVars(file as Record<string, unknown>, t, 'vars');
      // Unlike !vault values, a vault file's values are templates like any other.
      expect(String(fileVars.db)).toBe('abc-file-Secret');
      expect(isSecret(fileVars.db)).toBe(true);
      expect(isSecret((file as { list: unknown[] }).list[0])).toBe(true);
      const sliced = t.renderValue('{{ list[0][0:9] }}', fileVars, 'x');
      expect(maskSecrets(String(sliced))).toBe(MASK);
      // A text that shows the secret as it is: the secret is masked in it, the rest stays readable.
      const line = t.renderValue('db={{ list[0] }} b64={{ list[0] | b64encode }}', fileVars, 'x');
      expect(maskSecrets(String(line))).toBe(`db=${MASK} b64=${MASK}`);
    } finally {
      setActiveVaultSecrets(undefined);
      clearSecrets();
    }
  });
});
