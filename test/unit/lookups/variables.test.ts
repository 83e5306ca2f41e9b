import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LookupHost } from '../../../engine/lookups/types.js';
import { Inventory } from '../../../engine/inventory/index.js';
import { lazyVars, Templar } from '../../../engine/template/index.js';
import { untag } from '../../../engine/template/trust.js';
import { errorOf, evaluator, fixture, playVars, recordingHost, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

// Expected values: Ansible 2.14's lookup_vars, lookup_varnames, lookup_env, lookup_config and
// lookup_inventory_hostnames targets, and the same lookups in debug tasks.
describe('vars', () => {
  const { evaluate } = evaluator(fixture({}), undefined, { ansible_host: '10.0.0.1', ansible_connection: 'local', nothing: null });
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('gives variables by name', () => {
    expect(evaluate("lookup('vars', 'ansible_host')")).toBe('10.0.0.1');
    expect(evaluate("query('vars', 'ansible_host', 'ansible_connection')")).toEqual(['10.0.0.1', 'local']);
    expect(evaluate("lookup('vars', 'ansible_' + 'host')")).toBe('10.0.0.1');
    expect(evaluate("query('vars', 'nothing')")).toEqual([null]);
  });

  it('falls back to the host\'s variables', () => {
    expect(evaluate("lookup('vars', 'only_host')", { inventory_hostname: 'h1', hostvars: { h1: { only_host: 'x' } } })).toBe('x');
  });

  it('a missing variable is an error unless a default is given', () => {
    expect(fails("lookup('vars', 'doesnotexist')")).toContain('No variable found with this name: doesnotexist');
    expect(evaluate("lookup('vars', 'doesnotexist', default='some text')")).toBe('some text');
    expect(fails("lookup('vars', 42)")).toContain('Invalid setting identifier, "42" is not a string, its a <class \'int\'>');
  });

  it('renders a variable holding a template; an undefined variable in it takes the default', () => {
    const templar = new Templar();
    const vars = lazyVars({ a: '{{ b }}', b: 'B', broken: '{{ nope }}' }, templar, 'test');
    expect(untag(templar.evaluate("lookup('vars', 'a')", vars, 'test'))).toBe('B');
    expect(untag(templar.evaluate("lookup('vars', 'broken', default='d')", vars, 'test'))).toBe('d');
    expect(errorOf(() => templar.evaluate("lookup('vars', 'broken')", vars, 'test')).message).toContain("'nope' is undefined");
  });
});

describe('varnames', () => {
  const { evaluate } = evaluator(fixture({}), undefined, { qz_1: 'hello', qz_2: 'world', qa_1: "I won't show", qz_: "I won't show either" });
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('lists the variable names matching regular expressions', () => {
    expect(evaluate("lookup('varnames', '^qz_.+', wantlist=True)")).toEqual(['qz_1', 'qz_2']);
    expect(evaluate("lookup('varnames', '^qz_.+', '^qa.*', wantlist=True)")).toEqual(['qz_1', 'qz_2', 'qa_1']);
    expect(evaluate("lookup('varnames', '^doesnotexist.*', wantlist=True)")).toEqual([]);
    expect(evaluate("lookup('varnames', '^q.*_\\\\d')")).toBe('qz_1,qz_2,qa_1');
    expect(evaluate("lookup('varnames', 'book_dir$')")).toBe('playbook_dir');
  });

  it("fails with Ansible's messages", () => {
    expect(fails("lookup('varnames', True, wantlist=True)")).toContain('Invalid setting identifier, "True" is not a string, it is a <class \'bool\'>');
    const bad = fails("lookup('varnames', '*', wantlist=True)");
    expect(bad).toContain('Unable to use "*" as a search parameter: ');
    expect(bad).toContain('nothing to repeat');
  });
});

describe('env', () => {
  it('reads the controller\'s environment; a missing variable gives the default (\'\' by default)', () => {
    process.env.UXSV_LOOKUP_A = 'aa';
    process.env.UXSV_LOOKUP_EMPTY = '';
    process.env.UXSV_LOOKUP_U = 'café';
    try {
      const { evaluate } = evaluator(fixture({}));
      expect(evaluate("lookup('env', 'UXSV_LOOKUP_A', 'UXSV_LOOKUP_NOPE', 'UXSV_LOOKUP_A extra')")).toBe('aa,,aa');
      expect(evaluate("lookup('env', 'UXSV_LOOKUP_NOPE', default='nobody')")).toBe('nobody');
      expect(evaluate("lookup('env', 'UXSV_LOOKUP_EMPTY', default='nobody')")).toBe('');
      expect(evaluate("lookup('env', 'UXSV_LOOKUP_U')")).toBe('café');
      // A variable named like the environment one does not matter.
      expect(evaluate("lookup('env', 'UXSV_LOOKUP_A')", { UXSV_LOOKUP_A: 'var' })).toBe('aa');
      expect(() => evaluate("lookup('env', 'UXSV_LOOKUP_NOPE', default=Undefined)")).toThrow();
    } finally {
      delete process.env.UXSV_LOOKUP_A;
      delete process.env.UXSV_LOOKUP_EMPTY;
      delete process.env.UXSV_LOOKUP_U;
    }
  });
});

describe('config', () => {
  const settings: Record<string, unknown> = { DEFAULT_BECOME_USER: 'root', ANSIBLE_COW_ACCEPTLIST: ['bud-frogs', 'meow'], DEFAULT_REMOTE_USER: 'cfguser' };
  const host = recordingHost({ config: (name) => ({ value: settings[name], known: Object.hasOwn(settings, name) }) });
  const { evaluate } = evaluator(fixture({}), host);
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('reads settings from the run\'s configuration', () => {
    expect(evaluate("lookup('config', 'DEFAULT_BECOME_USER')")).toBe('root');
    expect(evaluate("'meow' in lookup('config', 'ANSIBLE_COW_ACCEPTLIST')")).toBe(true);
  });

  it('on_missing: error (default), warn or skip', () => {
    expect(fails("lookup('config', 'THIS_DOES_NOT_EXIST')")).toContain(
      "Unable to find setting THIS_DOES_NOT_EXIST. module 'ansible.constants' has no attribute 'THIS_DOES_NOT_EXIST'",
    );
    expect(fails("lookup('config', 'THIS_DOES_NOT_EXIST', on_missing='error')")).toContain('Unable to find setting');
    expect(evaluate("query('config', 'THIS_DOES_NOT_EXIST', on_missing='skip')")).toEqual([]);
    expect(evaluate("query('config', 'THIS_DOES_NOT_EXIST', 'DEFAULT_BECOME_USER', on_missing='warn')")).toEqual(['root']);
    expect(host.warnings).toContain('Skipping, did not find setting THIS_DOES_NOT_EXIST');
  });

  it("fails with Ansible's messages", () => {
    expect(fails("lookup('config', 'X', on_missing='boo')")).toContain(
      'Invalid value "boo" for configuration option "plugin_type: lookup plugin: config setting: on_missing ", valid values are: error, skip, warn',
    );
    expect(fails("lookup('config', 1337)")).toContain('Invalid setting identifier, "1337" is not a string, its a <class \'int\'>');
    expect(fails("lookup('config', 'ConfigManager')")).toContain('Invalid setting "ConfigManager" attempted');
    expect(fails("q('config', 'x', plugin_type='connection')")).toContain('Both plugin_type and plugin_name are required, cannot use one without the other');
    expect(fails("q('config', 'x', plugin_type='connection', plugin_name='nope')")).toContain('Unable to load connection plugin "nope"');
    expect(fails("q('config', 'nope', plugin_type='connection', plugin_name='ssh')")).toContain(
      'Unable to find setting nope. Requested entry (plugin_type: connection plugin: ssh setting: nope ) was not defined in configuration.. Requested entry',
    );
  });

  it("reads a plugin's options from its variables, the environment, the configuration or its default", () => {
    expect(evaluate("q('config', 'remote_user', 'port', plugin_type='connection', plugin_name='ssh')", { ansible_ssh_user: 'lola', ansible_port: 22, ansible_ssh_port: '2022' })).toEqual(['lola', 2022]);
    expect(evaluate("q('config', 'remote_tmp', plugin_type='shell', plugin_name='sh')", { ansible_remote_tmp: 'yolo' })).toEqual(['yolo']);
    expect(evaluate("q('config', 'remote_tmp', 'admin_users', plugin_type='shell', plugin_name='sh')")).toEqual(['~/.ansible/tmp', ['root', 'toor']]);
    expect(evaluate("q('config', 'remote_user', plugin_type='connection', plugin_name='ssh')")).toEqual(['cfguser']);
    process.env.ANSIBLE_REMOTE_USER = 'envuser';
    try {
      expect(evaluate("q('config', 'remote_user', plugin_type='connection', plugin_name='ansible.builtin.ssh')")).toEqual(['envuser']);
    } finally {
      delete process.env.ANSIBLE_REMOTE_USER;
    }
  });
});

describe('inventory_hostnames', () => {
  const root = fixture({
    'inventory.ini': 'nogroup01\nnogroup02\nnogroup03\n\n[group01]\ntest01\ntest05\ntest03\ntest02\ntest04\n\n[group02]\ntest03\ntest04\ntest200\ntest201\ntest203\ntest204\n',
  });
  const inventory = Inventory.load([path.join(root, 'inventory.ini')]);
  const host: LookupHost = recordingHost({ hostsMatching: (pattern) => inventory.select(pattern) });
  const { evaluate } = evaluator(root, host);

  it('lists the hosts matching patterns, in inventory order', () => {
    expect(evaluate("lookup('inventory_hostnames', 'group01', wantlist=true)")).toEqual(['test01', 'test05', 'test03', 'test02', 'test04']);
    expect(evaluate("lookup('inventory_hostnames', 'group01:!test03', wantlist=true)")).toEqual(['test01', 'test05', 'test02', 'test04']);
    expect(evaluate("lookup('inventory_hostnames', 'group01:&group02', wantlist=true)")).toEqual(['test03', 'test04']);
    expect(evaluate("lookup('inventory_hostnames', 'nogroup01', wantlist=true)")).toEqual(['nogroup01']);
    expect(evaluate("lookup('inventory_hostnames', 'doesnotexist', wantlist=true)")).toEqual([]);
    expect(evaluate("lookup('inventory_hostnames', 'all', wantlist=true)")).toHaveLength(12);
    expect(evaluate("lookup('inventory_hostnames', 't?s?03', wantlist=True)")).toEqual(['test03']);
    expect(evaluate("query('inventory_hostnames', 'group02:!test2*', 'nogroup01')")).toEqual(['test03', 'test04', 'nogroup01']);
  });

  it('needs the inventory of a run', () => {
    const outside = new Templar();
    expect(errorOf(() => outside.evaluate("lookup('inventory_hostnames', 'all')", playVars(root), 'test')).message).toContain('needs the inventory of a run');
  });
});
