import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { tree } from './helpers.js';

/**
 * Ansible's inventory variable precedence, lowest first. Each layer sets `x`
 * to its own name; with layers 0..k present, layer k must win.
 */
interface Setup {
  inventory: { allVars?: string; parentVars?: string; childVars?: string; hostVars?: string };
  files: Record<string, string>;
}

const layers: Array<[string, (s: Setup, value: string) => void]> = [
  ["inventory file: group 'all'", (s, v) => void (s.inventory.allVars = v)],
  ['inventory file: parent group', (s, v) => void (s.inventory.parentVars = v)],
  ['inventory file: child group (deeper wins)', (s, v) => void (s.inventory.childVars = v)],
  ['inventory group_vars/all', (s, v) => void (s.files['inv/group_vars/all.yml'] = `x: ${v}\n`)],
  ['playbook group_vars/all', (s, v) => void (s.files['play/group_vars/all.yml'] = `x: ${v}\n`)],
  ['inventory group_vars/parent', (s, v) => void (s.files['inv/group_vars/parent.yml'] = `x: ${v}\n`)],
  ['inventory group_vars/child (deeper wins)', (s, v) => void (s.files['inv/group_vars/child.yml'] = `x: ${v}\n`)],
  ['playbook group_vars/child', (s, v) => void (s.files['play/group_vars/child.yml'] = `x: ${v}\n`)],
  ['inventory file: host vars', (s, v) => void (s.inventory.hostVars = v)],
  ['inventory host_vars/h1', (s, v) => void (s.files['inv/host_vars/h1.yml'] = `x: ${v}\n`)],
  ['playbook host_vars/h1', (s, v) => void (s.files['play/host_vars/h1.yml'] = `x: ${v}\n`)],
];

function inventoryText(i: Setup['inventory']): string {
  const vars = (v?: string) => (v ? { vars: { x: v } } : {});
  const doc = {
    all: {
      ...vars(i.allVars),
      children: {
        parent: { ...vars(i.parentVars), children: { child: { ...vars(i.childVars), hosts: { h1: i.hostVars ? { x: i.hostVars } : null } } } },
      },
    },
  };
  return JSON.stringify(doc, null, 2); // JSON is YAML
}

function loadUpTo(k: number): { inv: Inventory; playbookDir: string } {
  const setup: Setup = { inventory: {}, files: { 'play/site.yml': '[]\n' } };
  layers.slice(0, k + 1).forEach(([name, apply]) => apply(setup, name));
  const root = tree({ ...setup.files, 'inv/hosts.yml': inventoryText(setup.inventory) });
  return { inv: Inventory.load([join(root, 'inv/hosts.yml')]), playbookDir: join(root, 'play') };
}

describe('inventory variable precedence', () => {
  layers.forEach(([name], k) => {
    it(`${name} overrides everything below it`, () => {
      const { inv, playbookDir } = loadUpTo(k);
      expect(inv.hostVars('h1', playbookDir).x).toBe(name);
    });
  });

  it('lists the layers in order, for debugging', () => {
    const { inv, playbookDir } = loadUpTo(layers.length - 1);
    const names = inv.hostVarLayers('h1', playbookDir).map((l) => l.name.replace(/: \/.*$/, ''));
    expect(names).toEqual([
      "inventory group 'all'",
      "inventory group 'parent'",
      "inventory group 'child'",
      'inventory group_vars/all',
      'playbook group_vars/all',
      'inventory group_vars/parent',
      'inventory group_vars/child',
      'playbook group_vars/child',
      "inventory host 'h1'",
      'inventory host_vars/h1',
      'playbook host_vars/h1',
    ]);
  });

  it('ignores the playbook folder when none is given', () => {
    const { inv } = loadUpTo(layers.length - 1);
    expect(inv.hostVars('h1').x).toBe('inventory host_vars/h1');
  });

  it('merges shallowly: a dict in a higher layer replaces the whole dict (hash_behaviour=replace)', () => {
    const root = tree({
      'hosts.yml': 'all:\n  vars:\n    cfg: {a: 1, b: 2}\n    keep: yes\n  hosts:\n    h1:\n      cfg: {a: 9}\n',
    });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1')).toEqual({ cfg: { a: 9 }, keep: true });
  });
});

describe('group order among groups of the same depth', () => {
  const inventory = (priorityOfA?: number) =>
    JSON.stringify({
      all: {
        children: {
          a_group: { vars: { x: 'a', ...(priorityOfA === undefined ? {} : { ansible_group_priority: priorityOfA }) }, hosts: { h1: null } },
          b_group: { vars: { x: 'b' }, hosts: { h1: null } },
        },
      },
    });

  it('merges by name when priorities are equal (the later name wins)', () => {
    const root = tree({ 'hosts.yml': inventory() });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1').x).toBe('b');
  });

  it('honours ansible_group_priority (higher wins) and does not expose it as a variable', () => {
    const root = tree({ 'hosts.yml': inventory(10) });
    const vars = Inventory.load([join(root, 'hosts.yml')]).hostVars('h1');
    expect(vars.x).toBe('a');
    expect(vars).not.toHaveProperty('ansible_group_priority');
  });

  it('orders group_vars files the same way', () => {
    const root = tree({
      'hosts.yml': JSON.stringify({ all: { children: { b_group: { hosts: { h1: null } }, a_group: { hosts: { h1: null } } } } }),
      'group_vars/a_group.yml': 'x: a\n',
      'group_vars/b_group.yml': 'x: b\n',
    });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1').x).toBe('b');
  });
});

describe('group_vars and host_vars files', () => {
  const hosts = 'all:\n  children:\n    web:\n      hosts:\n        h1:\n';

  it('reads a folder NAME/ with its files merged in name order, recursively, skipping hidden files', () => {
    const root = tree({
      'hosts.yml': hosts,
      'group_vars/web/10-base.yml': 'x: base\nbase_only: 1\n',
      'group_vars/web/20-override.yaml': 'x: override\n',
      'group_vars/web/30-more/extra.json': '{"from_json": true}',
      'group_vars/web/.swap.yml': 'x: hidden\n',
      'group_vars/web/notes.txt': 'x: ignored\n',
    });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1')).toEqual({ x: 'override', base_only: 1, from_json: true });
  });

  it('takes the first of NAME, NAME.yml, NAME.yaml, NAME.json', () => {
    const root = tree({
      'hosts.yml': hosts,
      'group_vars/web': 'x: bare\n',
      'group_vars/web.yml': 'x: yml\n',
      'host_vars/h1.yaml': 'z: yaml\n',
      'host_vars/h1.json': '{"z": "json"}',
    });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1')).toEqual({ x: 'bare', z: 'yaml' });
  });

  it('reads a JSON file and keeps templates as strings', () => {
    const root = tree({ 'hosts.yml': hosts, 'host_vars/h1.json': '{"url": "http://{{ inventory_hostname }}/"}' });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1')).toEqual({ url: 'http://{{ inventory_hostname }}/' });
  });

  it('treats an empty vars file as no variables', () => {
    const root = tree({ 'hosts.yml': hosts, 'group_vars/all.yml': '---\n' });
    expect(Inventory.load([join(root, 'hosts.yml')]).hostVars('h1')).toEqual({});
  });

  it('reads group_vars/ of a folder inventory and of each source, the later source winning', () => {
    const root = tree({
      'one/hosts.yml': hosts,
      'one/group_vars/web.yml': 'x: one\nonly_one: 1\n',
      'two/hosts.yml': 'all:\n  hosts:\n    h2:\n',
      'two/group_vars/web.yml': 'x: two\n',
    });
    const inv = Inventory.load([join(root, 'one'), join(root, 'two/hosts.yml')]);
    expect(inv.hostVars('h1')).toEqual({ x: 'two', only_one: 1 });
  });

  it("gives the implicit localhost the 'all' variables and its own host_vars, but no other group's", () => {
    const root = tree({
      'hosts.yml': 'all:\n  vars:\n    from_all: 1\n  children:\n    web:\n      vars:\n        from_web: 1\n      hosts:\n        h1:\n',
      'group_vars/all.yml': 'gv_all: 1\n',
      'host_vars/localhost.yml': 'mine: 1\n',
    });
    const inv = Inventory.load([join(root, 'hosts.yml')]);
    expect(inv.hostVars('localhost')).toEqual({ from_all: 1, gv_all: 1, ansible_connection: 'local', mine: 1 });
  });
});
