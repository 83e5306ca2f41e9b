// Serialisation. Expected texts are what ansible-playbook 2.14 writes for the same data.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const data = {
  b: [1, 2, { x: 'y' }], a: 'héllo', c: null, d: true, e: 1.5, f: 'multi\nline', g: '', h: 'yes', i: '123', j: 'with: colon',
  k: '- dash', l: [], m: {}, nn: '  lead', o: 'tab\there', p: '#hash', q: 'trail ', r: "a'quote", s: '1.0', t: '~', u: '0x1F',
  v: '2020-01-01', w: '@at', x: 0.0001, z: 'emoji 😀',
};
const users = [
  { name: 'alice', groups: ['adm', 'sudo'], shell: '/bin/bash' },
  { name: 'bob', groups: [], keys: { ssh: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@example.com with a long comment that goes past eighty columns' } },
];
const nested = [[1, 2], [3, [4, 5]], { a: [{ b: 1 }] }];
const keys = { '': 1, yes: 2, 'a b': 3, 'multi\nkey': 4 };
const vars = { data, users, nested, keys };
const ev = (expr: string, extra: Record<string, unknown> = {}) => t.evaluate(expr, { ...vars, ...extra }, 'test');
const render = (text: string) => t.render(text, vars, 'test');

describe('to_json and to_nice_json', () => {
  it("write Python's json.dumps text: separators, escapes, key order", () => {
    expect(ev('data | to_json')).toBe("{\"b\": [1, 2, {\"x\": \"y\"}], \"a\": \"h\\u00e9llo\", \"c\": null, \"d\": true, \"e\": 1.5, \"f\": \"multi\\nline\", \"g\": \"\", \"h\": \"yes\", \"i\": \"123\", \"j\": \"with: colon\", \"k\": \"- dash\", \"l\": [], \"m\": {}, \"nn\": \"  lead\", \"o\": \"tab\\there\", \"p\": \"#hash\", \"q\": \"trail \", \"r\": \"a'quote\", \"s\": \"1.0\", \"t\": \"~\", \"u\": \"0x1F\", \"v\": \"2020-01-01\", \"w\": \"@at\", \"x\": 0.0001, \"z\": \"emoji \\ud83d\\ude00\"}");
    expect(ev('data | to_json(ensure_ascii=false, sort_keys=true)')).toBe("{\"a\": \"héllo\", \"b\": [1, 2, {\"x\": \"y\"}], \"c\": null, \"d\": true, \"e\": 1.5, \"f\": \"multi\\nline\", \"g\": \"\", \"h\": \"yes\", \"i\": \"123\", \"j\": \"with: colon\", \"k\": \"- dash\", \"l\": [], \"m\": {}, \"nn\": \"  lead\", \"o\": \"tab\\there\", \"p\": \"#hash\", \"q\": \"trail \", \"r\": \"a'quote\", \"s\": \"1.0\", \"t\": \"~\", \"u\": \"0x1F\", \"v\": \"2020-01-01\", \"w\": \"@at\", \"x\": 0.0001, \"z\": \"emoji 😀\"}");
    expect(ev('nested | to_json(indent=2)')).toBe("[\n  [\n    1,\n    2\n  ],\n  [\n    3,\n    [\n      4,\n      5\n    ]\n  ],\n  {\n    \"a\": [\n      {\n        \"b\": 1\n      }\n    ]\n  }\n]");
    expect(ev("nested | to_json(separators=[',', ':'])")).toBe("[[1,2],[3,[4,5]],{\"a\":[{\"b\":1}]}]");
    expect(ev("nested | to_json(indent='\\t')")).toBe("[\n\t[\n\t\t1,\n\t\t2\n\t],\n\t[\n\t\t3,\n\t\t[\n\t\t\t4,\n\t\t\t5\n\t\t]\n\t],\n\t{\n\t\t\"a\": [\n\t\t\t{\n\t\t\t\t\"b\": 1\n\t\t\t}\n\t\t]\n\t}\n]");
  });
  it('to_nice_json sorts keys and indents by 4 unless told', () => {
    expect(ev('data | to_nice_json')).toBe("{\n    \"a\": \"h\\u00e9llo\",\n    \"b\": [\n        1,\n        2,\n        {\n            \"x\": \"y\"\n        }\n    ],\n    \"c\": null,\n    \"d\": true,\n    \"e\": 1.5,\n    \"f\": \"multi\\nline\",\n    \"g\": \"\",\n    \"h\": \"yes\",\n    \"i\": \"123\",\n    \"j\": \"with: colon\",\n    \"k\": \"- dash\",\n    \"l\": [],\n    \"m\": {},\n    \"nn\": \"  lead\",\n    \"o\": \"tab\\there\",\n    \"p\": \"#hash\",\n    \"q\": \"trail \",\n    \"r\": \"a'quote\",\n    \"s\": \"1.0\",\n    \"t\": \"~\",\n    \"u\": \"0x1F\",\n    \"v\": \"2020-01-01\",\n    \"w\": \"@at\",\n    \"x\": 0.0001,\n    \"z\": \"emoji \\ud83d\\ude00\"\n}");
    expect(ev("{'a': [], 'b': {}} | to_nice_json(indent=2)")).toBe("{\n  \"a\": [],\n  \"b\": {}\n}");
  });
  it('tojson sorts keys and escapes what HTML would read', () => {
    expect(ev('data | tojson')).toBe("{\"a\": \"h\\u00e9llo\", \"b\": [1, 2, {\"x\": \"y\"}], \"c\": null, \"d\": true, \"e\": 1.5, \"f\": \"multi\\nline\", \"g\": \"\", \"h\": \"yes\", \"i\": \"123\", \"j\": \"with: colon\", \"k\": \"- dash\", \"l\": [], \"m\": {}, \"nn\": \"  lead\", \"o\": \"tab\\there\", \"p\": \"#hash\", \"q\": \"trail \", \"r\": \"a\\u0027quote\", \"s\": \"1.0\", \"t\": \"~\", \"u\": \"0x1F\", \"v\": \"2020-01-01\", \"w\": \"@at\", \"x\": 0.0001, \"z\": \"emoji \\ud83d\\ude00\"}");
    expect(render(`{{ '<a>&' | tojson }}`)).toBe('"\\u003ca\\u003e\\u0026"');
  });
  it('dates serialise as ISO text; functions are refused', () => {
    expect(ev("('2016-08-14 20:00:12' | to_datetime) | to_json")).toBe('"2016-08-14T20:00:12"');
    expect(() => ev("{'a': 1}.items | to_json")).toThrow('Object of type builtin_function_or_method is not JSON serializable');
  });
});

describe('from_json', () => {
  it("reads JSON with Python's constants and messages", () => {
    expect(ev(`'{"a": [1, 2.5, null, true], "b": -Infinity}' | from_json`)).toEqual({ a: [1, 2.5, null, true], b: -Infinity });
    expect(() => ev(`'{"a" 1}' | from_json`)).toThrow("Expecting ':' delimiter: line 1 column 6 (char 5)");
    expect(() => ev("'[1,]' | from_json")).toThrow('Expecting value: line 1 column 4 (char 3)');
    expect(() => ev("'' | from_json")).toThrow('Expecting value: line 1 column 1 (char 0)');
    expect(() => ev(`'{"a": 1} x' | from_json`)).toThrow('Extra data: line 1 column 10 (char 9)');
    expect(() => ev(`'"abc' | from_json`)).toThrow('Unterminated string starting at: line 1 column 1 (char 0)');
  });
});

describe('to_yaml and to_nice_yaml', () => {
  it('quote strings that would read back as something else, and fold long lines at 80 columns', () => {
    expect(render('{{ data | to_yaml }}')).toBe("a: héllo\nb:\n- 1\n- 2\n- {x: y}\nc: null\nd: true\ne: 1.5\nf: 'multi\n\n  line'\ng: ''\nh: 'yes'\ni: '123'\nj: 'with: colon'\nk: '- dash'\nl: []\nm: {}\nnn: '  lead'\no: \"tab\\there\"\np: '#hash'\nq: 'trail '\nr: a'quote\ns: '1.0'\nt: '~'\nu: '0x1F'\nv: '2020-01-01'\nw: '@at'\nx: 0.0001\nz: \"emoji \\U0001F600\"\n");
    expect(render('{{ data | to_nice_yaml }}')).toBe("a: héllo\nb:\n- 1\n- 2\n-   x: y\nc: null\nd: true\ne: 1.5\nf: 'multi\n\n    line'\ng: ''\nh: 'yes'\ni: '123'\nj: 'with: colon'\nk: '- dash'\nl: []\nm: {}\nnn: '  lead'\no: \"tab\\there\"\np: '#hash'\nq: 'trail '\nr: a'quote\ns: '1.0'\nt: '~'\nu: '0x1F'\nv: '2020-01-01'\nw: '@at'\nx: 0.0001\nz: \"emoji \\U0001F600\"\n");
    expect(render('{{ users | to_yaml }}')).toBe("- groups: [adm, sudo]\n  name: alice\n  shell: /bin/bash\n- groups: []\n  keys: {ssh: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@example.com with a long\n      comment that goes past eighty columns}\n  name: bob\n");
    expect(render('{{ users | to_nice_yaml(indent=2, width=50) }}')).toBe("- groups:\n  - adm\n  - sudo\n  name: alice\n  shell: /bin/bash\n- groups: []\n  keys:\n    ssh: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@example.com\n      with a long comment that goes past eighty columns\n  name: bob\n");
    expect(render('{{ nested | to_nice_yaml }}')).toBe("-   - 1\n    - 2\n-   - 3\n    -   - 4\n        - 5\n-   a:\n    -   b: 1\n");
    expect(render('{{ keys | to_nice_yaml }}')).toBe("'': 1\na b: 3\n? 'multi\n\n    key'\n: 4\n'yes': 2\n");
    expect(render('{{ data | to_yaml(default_flow_style=true) }}')).toBe("{a: héllo, b: [1, 2, {x: y}], c: null, d: true, e: 1.5, f: 'multi\n\n    line', g: '', h: 'yes', i: '123', j: 'with: colon', k: '- dash', l: [], m: {},\n  nn: '  lead', o: \"tab\\there\", p: '#hash', q: 'trail ', r: a'quote, s: '1.0', t: '~',\n  u: '0x1F', v: '2020-01-01', w: '@at', x: 0.0001, z: \"emoji \\U0001F600\"}\n");
    expect(render("{{ 'abc' | to_yaml }}")).toBe("abc\n");
    expect(render("{{ {'b': 1, 'a': 2} | to_yaml(sort_keys=false, explicit_start=true) }}")).toBe("--- {b: 1, a: 2}\n");
  });
});

describe('from_yaml and from_yaml_all', () => {
  it('read YAML 1.1 as PyYAML does', () => {
    expect(ev(`'a: 1\\nb: [yes, no, on, y, n, 0755, 0o17, 1e3, 1.0e+3, .inf, ~, 0x1F, 1_000]' | from_yaml`)).toEqual({
      a: 1, b: [true, false, true, 'y', 'n', 493, '0o17', '1e3', 1000, Infinity, null, 31, 1000],
    });
    expect(ev(`'a: &x 1\\nb: *x\\nc:\\n  <<: {d: 2}\\n' | from_yaml`)).toEqual({ a: 1, b: 1, c: { d: 2 } });
    expect(ev(`'--- 1\\n--- [2]\\n' | from_yaml_all`)).toEqual([1, [2]]);
    expect(ev('5 | from_yaml')).toBe(5);
  });
});
