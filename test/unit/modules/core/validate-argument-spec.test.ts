/**
 * validate_argument_spec on the local connection: Ansible's types and
 * coercions, defaults, choices, nested options and their rules, and the
 * words of each failure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../../helpers/engine.js';
import { validateArguments } from '../../../../engine/modules/lib/argspec/validate.js';

let p: Project;
afterEach(() => p?.cleanup());

const ONE_HOST = 'all:\n  hosts:\n    h1: {ansible_connection: local}\n';
const AU = "<class 'ansible.parsing.yaml.objects.AnsibleUnicode'>";

/** Runs one validate_argument_spec task (failures ignored) and returns its registered result. */
async function check(args: string, vars = '{}', extra: string[] = []): Promise<any> {
  p = project();
  const run = await play(p, `
- hosts: all
  gather_facts: false
  vars: ${vars}
  tasks:
    - name: check
      validate_argument_spec:
${args}
      ignore_errors: true
      register: checked
    - name: keep
      copy: {content: "{{ checked | to_json }}", dest: "{{ playbook_dir }}/result.json"}
      check_mode: false
`, extra, ONE_HOST);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(p.read('result.json'));
}

describe('validate_argument_spec module', () => {
  it('accepts values that Ansible coerces to each type', async () => {
    const r = await check(`        argument_spec:
          i: {type: int}
          f: {type: float}
          b: {type: bool}
          l: {type: list, elements: int}
          d: {type: dict}
          by: {type: bytes}
          bi: {type: bits}
          j: {type: jsonarg}
          p: {type: path}
          r: {type: raw}
          s: {type: str}
        provided_arguments:
          i: " 42 "
          f: "1e3"
          b: "Yes"
          l: "1,2,3"
          d: "a=1 b='x y'"
          by: "10 MB"
          bi: "1Mb"
          j: {k: [1, 2]}
          p: "~/x"
          r: [1, {a: b}]
          s: 5`);
    expect(r.failed).toBeFalsy();
    expect(r.changed).toBe(false);
    expect(r.msg).toBe('The arg spec validation passed');
    expect(r.validate_args_context).toEqual({});
  });

  it('fails with every problem in Ansible\'s words and order, and returns the spec', async () => {
    const r = await check(`        argument_spec:
          a: {type: int}
          b: {type: int}
          c: {type: bool}
          e: {type: list, elements: int}
          f: {type: dict}
          g: {choices: [x, y]}
          h: {required: true}
          k: {type: jsonarg}
          n: {type: bytes}
          u: {type: nonsense}
        provided_arguments:
          a: abc
          b: 1.5
          c: maybe
          e: [1, two]
          f: junk
          g: z
          k: 3
          n: "10 XB"
          u: 1
          extra: 1`);
    expect(r.failed).toBe(true);
    const errors = [
      'missing required arguments: h',
      `argument 'a' is of type ${AU} and we were unable to convert to int: ${AU} cannot be converted to an int`,
      "argument 'b' is of type <class 'float'> and we were unable to convert to int: <class 'float'> cannot be converted to an int",
      expect.stringMatching(new RegExp(`^argument 'c' is of type ${AU.replace(/[.()]/g, '\\$&')} and we were unable to convert to bool: The value 'maybe' is not a valid boolean\\.  Valid booleans include: `)),
      `Elements value for option 'e' is of type ${AU} and we were unable to convert to int: ${AU} cannot be converted to an int`,
      `argument 'f' is of type ${AU} and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value`,
      "argument 'k' is of type <class 'int'> and we were unable to convert to jsonarg: <class 'int'> cannot be converted to a json string",
      `argument 'n' is of type ${AU} and we were unable to convert to bytes: ${AU} cannot be converted to a Byte value`,
      "argument 'u' is of type <class 'int'> and we were unable to convert to nonsense: 'NoneType' object is not callable",
      'value of g must be one of: x, y, got: z',
      'extra. Supported parameters include: a, b, c, e, f, g, h, k, n, u.',
    ];
    expect(r.argument_errors).toEqual(errors);
    expect(r.msg).toBe(`Validation of arguments failed:\n${r.argument_errors.join('\n')}`);
    expect(r.argument_spec_data.h).toEqual({ required: true });
  });

  it('checks nested options, lists of dicts and the rules between nested options', async () => {
    const r = await check(`        argument_spec:
          l:
            type: dict
            options: {m: {type: int, required: true}, n: {type: str}}
          o:
            type: list
            elements: dict
            options: {p: {type: int}, q: {}, s: {default: on}}
            mutually_exclusive: [[p, q]]
            required_by: {q: [t]}
          w:
            type: dict
            options: {state: {}, path: {}, a: {}, b: {}}
            required_if: [[state, present, [path]]]
            required_together: [[a, b]]
            required_one_of: [[path, a]]
        provided_arguments:
          l: {n: [1]}
          o: [{p: x}, {p: 1, q: 2}, {zz: 1}]
          w: {state: present, a: 1}`);
    expect(r.argument_errors).toEqual([
      'missing required arguments: m found in l',
      `argument 'p' is of type ${AU} found in 'o'. and we were unable to convert to int: ${AU} cannot be converted to an int`,
      'parameters are mutually exclusive: p|q found in o',
      "missing parameter(s) required by 'q': t found in o",
      'parameters are required together: a, b found in w',
      'state is present but all of the following are missing: path found in w',
      'o.zz. Supported parameters include: p, q, s.',
    ]);
  });

  it('reads the options from the task variables when no value is provided, and a provided value wins', async () => {
    const r = await check(`        argument_spec:
          size: {type: int, required: true}
          mode: {choices: [a, b]}
        provided_arguments:
          mode: "{{ chosen }}"`, '{size: "80x", mode: a, chosen: c}');
    expect(r.argument_errors).toEqual([
      `argument 'size' is of type ${AU} and we were unable to convert to int: ${AU} cannot be converted to an int`,
      'value of mode must be one of: a, b, got: c',
    ]);
  });

  it('applies aliases and defaults before checking', async () => {
    const r = await check(`        argument_spec:
          name: {type: str, aliases: [n], required: true}
          level: {type: int, default: 3, choices: [1, 2, 3]}
          state: {type: str, choices: ['yes', 'no']}
        provided_arguments:
          n: web
          state: false`);
    expect(r.failed).toBeFalsy();
    const bad = await check(`        argument_spec:
          name: {aliases: [n], required: true, default: x}
        provided_arguments: {nn: 1}`);
    expect(bad.argument_errors).toEqual(['internal error: required and default are mutually exclusive for name', 'internal error: required and default are mutually exclusive for name']);
  });

  it('refuses a missing or mistyped argument_spec as Ansible does', async () => {
    expect((await check('        provided_arguments: {a: 1}')).msg).toBe("\"argument_spec\" arg is required in args: {'provided_arguments': {'a': 1}}");
    expect((await check('        argument_spec: [1]')).msg).toBe("Incorrect type for argument_spec, expected dict and got <class 'list'>");
    expect((await check('        argument_spec: {a: {}}\n        provided_arguments: [1]')).msg).toBe("Incorrect type for provided_arguments, expected dict and got <class 'list'>");
  });

  it('runs in check mode, on the controller', async () => {
    const r = await check(`        argument_spec: {a: {type: int}}
        provided_arguments: {a: x}`, '{}', ['--check']);
    expect(r.failed).toBe(true);
    expect(r.argument_errors).toHaveLength(1);
  });

  it('is known by its fully qualified name', async () => {
    p = project();
    const run = await play(p, `
- hosts: all
  gather_facts: false
  tasks:
    - name: check
      ansible.builtin.validate_argument_spec:
        argument_spec: {a: {type: list, elements: str}}
        provided_arguments: {a: [1, 2]}
`, [], ONE_HOST);
    expect(run.code).toBe(0);
    expect(results(run, 'check').h1![0].msg).toBe('The arg spec validation passed');
  });
});

describe('argument spec validation (pure)', () => {
  it('leaves a sub-parameter that is no mapping to the first failure, in Ansible\'s words', () => {
    const errors = validateArguments({ o: { type: 'list', elements: 'dict', options: { p: {} } } }, { o: [{ p: 1 }, 3] });
    expect(errors[0]).toBe("Value '3' in the sub parameter field 'o' must by a list, not 'int'");
    expect(errors).toContain("Elements value for option 'o' is of type <class 'int'> and we were unable to convert to dict: <class 'int'> cannot be converted to a dict");
  });

  it('converts list values for choices item by item and names those that do not match', () => {
    expect(validateArguments({ l: { type: 'list', choices: ['a', 'b'] } }, { l: 'a,c,d' })).toEqual(['value of l must be one or more of: a, b. Got no match for: c, d']);
  });

  it('reads sizes as Ansible does: B for bytes, b for bits', () => {
    expect(validateArguments({ s: { type: 'bytes' } }, { s: '1Mb' })).toHaveLength(1);
    expect(validateArguments({ s: { type: 'bits' } }, { s: '1MB' })).toHaveLength(1);
    expect(validateArguments({ s: { type: 'bytes' }, t: { type: 'bits' } }, { s: '1.5 KB', t: '2 Gb' })).toEqual([]);
  });

  it('applies a nested spec\'s defaults with apply_defaults, and fails its required options', () => {
    expect(validateArguments({ d: { type: 'dict', apply_defaults: true, options: { r: { required: true } } } }, {})).toEqual(['missing required arguments: r found in d']);
  });

  it('takes a string dict option as JSON or key=value', () => {
    expect(validateArguments({ d: { type: 'dict', options: { a: { type: 'int' } } } }, { d: '{"a": "7"}' })).toEqual([]);
    expect(validateArguments({ d: { type: 'dict', options: { a: { type: 'int' } } } }, { d: 'a=x' })[0]).toMatch(/^argument 'a' is of type .* found in 'd'\. and we were unable to convert to int/);
  });
});
