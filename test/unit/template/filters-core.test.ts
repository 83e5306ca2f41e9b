// Values and types. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';
import { filters } from '../../../engine/template/filters.js';
import { tests } from '../../../engine/template/tests.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, { d: { a: 1 }, ...vars }, 'test');

describe('default and mandatory', () => {
  it('default replaces undefined values, and falsy ones when asked', () => {
    expect(ev("missing | default('x')")).toBe('x');
    expect(ev("missing.deep.path | d('x')")).toBe('x');
    expect(ev('missing | default')).toBe('');
    expect(ev("'' | default('x')")).toBe('');
    expect(ev("'' | d('x', true)")).toBe('x');
    expect(ev("[] | default([1], boolean=true)")).toEqual([1]);
    expect(ev("none_value | default('x')", { none_value: null })).toBe(null);
  });
  it("mandatory names the missing variable, or the missing attribute, with Ansible's spacing", () => {
    expect(ev('d.a | mandatory')).toBe(1);
    expect(() => ev('missing | mandatory')).toThrow("Mandatory variable 'missing'  not defined.");
    expect(() => ev('d.nokey | mandatory')).toThrow("Mandatory variable 'nokey'  not defined.");
    expect(() => ev('missing.x | mandatory')).toThrow("Mandatory variable 'missing'  not defined.");
    expect(() => ev("missing | mandatory('set it, please')")).toThrow('set it, please');
  });
});

describe('bool', () => {
  it("is Ansible's filter: only yes/on/1/true (any case) and 1 are true; None stays None", () => {
    for (const yes of ['yes', 'YES', 'On', '1', 'true', 'True']) expect(ev(`'${yes}' | bool`)).toBe(true);
    for (const no of ['no', 'off', '0', 'false', 'y', 't', ' yes', 'whatever']) expect(ev(`'${no}' | bool`)).toBe(false);
    expect(ev('1 | bool')).toBe(true);
    expect(ev('1.0 | bool')).toBe(true);
    expect(ev('2 | bool')).toBe(false);
    expect(ev('true | bool')).toBe(true);
    expect(ev('None | bool')).toBe(null);
    expect(ev('[1] | bool')).toBe(false);
  });
});

describe('ternary', () => {
  it('picks by truthiness, with a separate value for None when given', () => {
    expect(ev("true | ternary('y', 'n')")).toBe('y');
    expect(ev("[] | ternary('y', 'n')")).toBe('n');
    expect(ev("None | ternary('y', 'n')")).toBe('n');
    expect(ev("None | ternary('y', 'n', 'none')")).toBe('none');
    expect(ev("false | ternary('y', 'n', 'none')")).toBe('n');
  });
});

describe('int and float', () => {
  it('int reads strings in a base, falls back through float, then to the default', () => {
    expect(ev("' 12 ' | int")).toBe(12);
    expect(ev("'1_000' | int")).toBe(1000);
    expect(ev("'4.7' | int")).toBe(4);
    expect(ev("'1e3' | int")).toBe(1000);
    expect(ev("'0x1F' | int(base=16)")).toBe(31);
    expect(ev("'0x1F' | int(base=0)")).toBe(31);
    expect(ev("'ff' | int(0, 16)")).toBe(255);
    expect(ev("'0b101' | int(base=2)")).toBe(5);
    expect(ev("'abc' | int")).toBe(0);
    expect(ev("'nan' | int(5)")).toBe(5);
    expect(ev('None | int(3)')).toBe(3);
    expect(ev('[1] | int')).toBe(0);
    expect(ev('true | int')).toBe(1);
    expect(() => ev("'inf' | int")).toThrow('cannot convert float infinity to integer');
  });
  it("float reads Python's float syntax", () => {
    expect(ev("' 1_0.5 ' | float")).toBe(10.5);
    expect(ev("'-Infinity' | float")).toBe(-Infinity);
    expect(Number.isNaN(ev("'nan' | float"))).toBe(true);
    expect(ev("'x' | float")).toBe(0);
    expect(ev("'x' | float(1.5)")).toBe(1.5);
    expect(ev("'1e3' | float")).toBe(1000);
  });
});

describe('conversions and inspection', () => {
  it('string, list, length and count', () => {
    expect(ev('3 | string')).toBe('3');
    expect(ev('true | string')).toBe('True');
    expect(ev("['a', None] | string")).toBe("['a', None]");
    expect(ev("'ab' | list")).toEqual(['a', 'b']);
    expect(ev("{'k': 1, 'j': 2} | list")).toEqual(['k', 'j']);
    expect(() => ev('None | list')).toThrow("'NoneType' object is not iterable");
    expect(ev("'héllo' | length")).toBe(5);
    expect(ev("{'a': 1} | count")).toBe(1);
    expect(() => ev('None | length')).toThrow("object of type 'NoneType' has no len()");
    expect(() => ev('5 | length')).toThrow("object of type 'int' has no len()");
  });
  it('attr finds attributes (methods), never dict keys', () => {
    expect(ev("d | attr('items')")).toBeTypeOf('function');
    expect(() => ev("d | attr('a') | string")).toThrow(/has no attribute 'a'/);
  });
  it("type_debug gives Python's class names", () => {
    expect(ev("'abc' | type_debug")).toBe('str');
    expect(ev('d | type_debug')).toBe('dict');
    expect(ev('[1] | type_debug')).toBe('list');
    expect(ev('1 | type_debug')).toBe('int');
    expect(ev('1.5 | type_debug')).toBe('float');
    expect(ev('None | type_debug')).toBe('NoneType');
    expect(ev('true | type_debug')).toBe('bool');
    expect(ev("'x' | e | type_debug")).toBe('Markup');
  });
  it("type_debug names text read from a variable AnsibleUnicode (the YAML's text), text made by the expression str", () => {
    const vars = { s: '1', l: ['a', 2], m: { k: 'v' } };
    expect(ev('s | type_debug', vars)).toBe('AnsibleUnicode');
    expect(ev('l[0] | type_debug', vars)).toBe('AnsibleUnicode');
    expect(ev('m.k | type_debug', vars)).toBe('AnsibleUnicode');
    expect(ev("m['k'] | type_debug", vars)).toBe('AnsibleUnicode');
    expect(ev('(s if true else m.k) | type_debug', vars)).toBe('AnsibleUnicode');
    expect(t.render('{% for x in l %}{{ x | type_debug }} {% endfor %}', vars, 'test')).toBe('AnsibleUnicode int ');
    expect(ev('l[1] | type_debug', vars)).toBe('int');
    expect(ev('s | lower | type_debug', vars)).toBe('str');
    expect(ev("(s ~ 'x') | type_debug", vars)).toBe('str');
    expect(ev('s[0:1] | type_debug', vars)).toBe('str');
    expect(ev("['a'][0] | type_debug", vars)).toBe('str');
    expect(ev("(s if false else 'x') | type_debug", vars)).toBe('str');
  });
  it("an undefined value's repr shows Ansible's hint: none for a missing variable, the given one for undef()", () => {
    expect(ev('"%r" | format(missing)')).toBe("AnsibleUndefined(hint=None, obj=missing, name='missing')");
    expect(ev('[missing] | string')).toBe("[AnsibleUndefined(hint=None, obj=missing, name='missing')]");
    expect(ev('"%r" | format(undef("set it"))')).toMatch(/^AnsibleUndefined\(hint='set it', obj=missing, /);
  });
  it('pprint sorts keys and wraps long structures at 80 columns', () => {
    expect(ev("{'b': [1, 'x'], 'a': None} | pprint")).toBe("{'a': None, 'b': [1, 'x']}");
    const long = { key: Array.from({ length: 12 }, (_, i) => `item-number-${i}`) };
    const text = ev('long | pprint', { long }) as string;
    expect(text.split('\n')[0]).toBe("{'key': ['item-number-0',");
    expect(text.split('\n')[1]).toBe("         'item-number-1',");
    expect(text.endsWith("'item-number-11']}")).toBe(true);
  });
});

describe('names', () => {
  it('every filter and test is also registered as ansible.builtin.<name>', () => {
    for (const name of Object.keys(filters).filter((n) => !n.includes('.'))) expect(filters[`ansible.builtin.${name}`]).toBe(filters[name]);
    for (const name of Object.keys(tests).filter((n) => /^\w+$/.test(n))) expect(tests[`ansible.builtin.${name}`]).toBe(tests[name]);
    expect(ev("'a' | ansible.builtin.to_json")).toBe('"a"');
  });
  it("has every Jinja2 builtin and every one of Ansible's builtin filters and tests", () => {
    const jinjaFilters = 'abs attr batch capitalize center count d default dictsort e escape filesizeformat first float forceescape format groupby indent int items join last length list lower map max min pprint random reject rejectattr replace reverse round safe select selectattr slice sort string striptags sum title tojson trim truncate unique upper urlencode urlize wordcount wordwrap xmlattr';
    const ansibleFilters = 'b64decode b64encode to_uuid to_json to_nice_json from_json to_yaml to_nice_yaml from_yaml from_yaml_all basename dirname expanduser expandvars path_join realpath relpath splitext win_basename win_dirname win_splitdrive fileglob bool to_datetime strftime quote md5 sha1 checksum password_hash hash regex_replace regex_escape regex_search regex_findall ternary random shuffle mandatory comment type_debug combine extract flatten dict2items items2dict subelements split log pow root unique intersect difference symmetric_difference union product permutations combinations human_readable human_to_bytes rekey_on_member zip zip_longest urldecode urlsplit vault unvault';
    for (const name of `${jinjaFilters} ${ansibleFilters}`.split(' ')) expect(filters[name], name).toBeTypeOf('function');
    const jinjaTests = '!= < <= == > >= boolean callable defined divisibleby eq equalto escaped even false filter float ge greaterthan gt in integer iterable le lessthan lower lt mapping ne none number odd sameas sequence string test true undefined upper';
    const ansibleTests = 'failed failure succeeded success successful reachable unreachable changed change skipped skip finished started match search regex version_compare version any all truthy falsy vault_encrypted directory is_dir file is_file link is_link exists link_exists abs is_abs same_file is_same_file mount is_mount subset issubset superset issuperset contains nan isnan uri url urn';
    for (const name of `${jinjaTests} ${ansibleTests}`.split(' ')) expect(tests[name], name).toBeTypeOf('function');
  });
});
