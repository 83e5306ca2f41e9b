import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { InventoryListing } from '../../../engine/inventory/listing.js';
import { tree } from './helpers.js';

// Expected texts are what ansible-inventory 2.14 prints for the same files.
const INI = `lonely ansible_host=1.2.3.4
[web]
www[01:02] port=80
db1
[web:vars]
x=1
y="two"
[dbs]
db1
[prod:children]
web
dbs
[empty]
`;

function listing(options: ConstructorParameters<typeof InventoryListing>[1] = {}, files: Record<string, string> = {}): InventoryListing {
  const root = tree({ 'inv/hosts': INI, ...files });
  return new InventoryListing(Inventory.load([join(root, 'inv')]), options);
}

describe('ansible-inventory --list', () => {
  it("prints the inventory script JSON: groups with hosts and children, empty ones left out, hostvars under _meta", () => {
    const expected = {
      _meta: {
        hostvars: {
          db1: { x: 1, y: 'two' },
          lonely: { ansible_host: '1.2.3.4' },
          www01: { port: 80, x: 1, y: 'two' },
          www02: { port: 80, x: 1, y: 'two' },
        },
      },
      all: { children: ['ungrouped', 'prod', 'empty'] },
      dbs: { hosts: ['db1'] },
      prod: { children: ['web', 'dbs'] },
      ungrouped: { hosts: ['lonely'] },
      web: { hosts: ['www01', 'www02', 'db1'] },
    };
    const text = listing().json();
    expect(JSON.parse(text)).toEqual(expected);
    // sorted keys, indented by 4, no trailing newline (Python's json.dumps)
    expect(text.startsWith('{\n    "_meta": {\n        "hostvars": {\n            "db1": {\n                "x": 1,')).toBe(true);
    expect(text.endsWith('    }\n}')).toBe(true);
  });

  it('with --export: hosts keep only their own vars and groups carry theirs, group_vars files included', () => {
    const data = JSON.parse(listing({ export: true }, { 'inv/group_vars/web.yml': 'z: 3\n', 'inv/group_vars/all.yml': 'g: all\n' }).json());
    expect(data._meta.hostvars).toEqual({ lonely: { ansible_host: '1.2.3.4' }, www01: { port: 80 }, www02: { port: 80 } });
    expect(data.web.vars).toEqual({ x: 1, y: 'two', z: 3 });
    expect(data.all.vars).toEqual({ g: 'all' });
  });

  it('adds extra vars to every host (not with --export) and keeps only --limit hosts', () => {
    const data = JSON.parse(listing({ extraVars: { e: 1 }, onlyHosts: new Set(['db1']) }).json());
    expect(Object.keys(data._meta.hostvars)).toEqual(['db1']);
    expect(data._meta.hostvars.db1.e).toBe(1);
    expect(data.web).toEqual({ hosts: ['db1'] });
    expect(data.ungrouped).toBeUndefined();
  });

  it('prints the YAML inventory format, with variables where a host first appears', () => {
    expect(listing().yaml()).toBe(
      [
        'all:',
        '  children:',
        '    empty: {}',
        '    prod:',
        '      children:',
        '        dbs:',
        '          hosts:',
        '            db1: {}',
        '        web:',
        '          hosts:',
        '            db1:',
        '              x: 1',
        '              y: two',
        '            www01:',
        '              port: 80',
        '              x: 1',
        '              y: two',
        '            www02:',
        '              port: 80',
        '              x: 1',
        '              y: two',
        '    ungrouped:',
        '      hosts:',
        '        lonely:',
        '          ansible_host: 1.2.3.4',
        '',
      ].join('\n'),
    );
  });
});

describe('ansible-inventory --graph and --host', () => {
  it('draws the tree of groups and hosts, and with --vars each one’s variables', () => {
    const l = listing();
    expect(l.graphOf('all', false)).toBe(
      ['@all:', '  |--@ungrouped:', '  |  |--lonely', '  |--@prod:', '  |  |--@web:', '  |  |  |--www01', '  |  |  |--www02', '  |  |  |--db1', '  |  |--@dbs:', '  |  |  |--db1', '  |--@empty:'].join('\n'),
    );
    expect(l.graphOf('web', true)).toBe(
      ['@web:', '  |--www01', '  |  |--{port = 80}', '  |  |--{x = 1}', '  |  |--{y = two}', '  |--www02', '  |  |--{port = 80}', '  |  |--{x = 1}', '  |  |--{y = two}', '  |--db1', '  |  |--{x = 1}', '  |  |--{y = two}', '  |--{x = 1}', '  |--{y = two}'].join('\n'),
    );
    expect(l.graphOf('nosuch', false)).toBeUndefined();
  });

  it("gives one host's variables without Ansible's internal names", () => {
    expect(listing().hostVars('www01')).toEqual({ port: 80, x: 1, y: 'two' });
  });
});
