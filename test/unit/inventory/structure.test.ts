import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { expandHostRange } from '../../../engine/inventory/host-range.js';
import { UserError } from '../../../engine/errors.js';
import { tree, yaml } from './helpers.js';

const cluster = yaml`
  all:
    vars:
      domain: example.jp
    hosts:
      uxsv01:
        ansible_host: 198.51.100.11
    children:
      cluster:
        children:
          dns:
            hosts:
              uxsv01:
              uxsv02:
                dns_role: secondary
          web:
            hosts:
              uxsv03:
              uxsv02:
                http_port: 8080
      loner_group:
        hosts:
          uxsv04:
  ungrouped:
    hosts:
      stray:
`;

function load(files: Record<string, string>, ...sources: string[]): Inventory {
  const root = tree(files);
  return Inventory.load(sources.map((s) => join(root, s)));
}

describe('YAML inventory structure', () => {
  it('lists hosts in the order they first appear', () => {
    const inv = load({ 'hosts.yml': cluster }, 'hosts.yml');
    expect(inv.hostNames()).toEqual(['uxsv01', 'uxsv02', 'uxsv03', 'uxsv04', 'stray']);
    expect(inv.hasHost('uxsv03')).toBe(true);
    expect(inv.hasHost('uxsv09')).toBe(false);
  });

  it('knows every group, with all and ungrouped first', () => {
    const inv = load({ 'hosts.yml': cluster }, 'hosts.yml');
    expect(inv.groupNames()).toEqual(['all', 'ungrouped', 'cluster', 'dns', 'web', 'loner_group']);
  });

  it('builds the groups magic variable through nested children', () => {
    const inv = load({ 'hosts.yml': cluster }, 'hosts.yml');
    // Ansible's order (ansible-playbook 2.14 prints the same): a group's own hosts, then its children's, level by level.
    expect(inv.groupsVar()).toEqual({
      all: ['uxsv01', 'stray', 'uxsv04', 'uxsv02', 'uxsv03'],
      ungrouped: ['stray'],
      cluster: ['uxsv01', 'uxsv02', 'uxsv03'],
      dns: ['uxsv01', 'uxsv02'],
      web: ['uxsv03', 'uxsv02'],
      loner_group: ['uxsv04'],
    });
  });

  it('gives group_names sorted, with ancestors, without all', () => {
    const inv = load({ 'hosts.yml': cluster }, 'hosts.yml');
    expect(inv.groupNamesOf('uxsv02')).toEqual(['cluster', 'dns', 'web']);
    expect(inv.groupNamesOf('uxsv03')).toEqual(['cluster', 'web']);
    expect(inv.groupNamesOf('uxsv04')).toEqual(['loner_group']);
  });

  it("puts a host that is only in 'all' into ungrouped, as Ansible's group_names does", () => {
    const inv = load({ 'hosts.yml': 'all:\n  hosts:\n    solo:\n' }, 'hosts.yml');
    expect(inv.groupsVar().ungrouped).toEqual(['solo']);
    expect(inv.groupNamesOf('solo')).toEqual(['ungrouped']);
  });

  it('takes a host out of ungrouped once it is in another group', () => {
    const inv = load({ 'hosts.yml': 'all:\n  hosts:\n    h1:\n  children:\n    g:\n      hosts:\n        h1:\n' }, 'hosts.yml');
    expect(inv.groupsVar().ungrouped).toEqual([]);
    expect(inv.groupNamesOf('h1')).toEqual(['g']);
  });

  it('merges the variables of a host listed in several groups, later entries winning', () => {
    const inv = load({ 'hosts.yml': cluster }, 'hosts.yml');
    const vars = inv.hostVars('uxsv02');
    expect(vars).toMatchObject({ dns_role: 'secondary', http_port: 8080, domain: 'example.jp' });
    expect(inv.hostVars('uxsv01')).toMatchObject({ ansible_host: '198.51.100.11' });
  });

  it('reads YAML 1.1 scalars the way Ansible does', () => {
    const inv = load({ 'hosts.yml': 'all:\n  hosts:\n    h:\n      enabled: yes\n      mode: 0644\n      name: "{{ inventory_hostname }}.example.jp"\n' }, 'hosts.yml');
    expect(inv.hostVars('h')).toEqual({ enabled: true, mode: 0o644, name: '{{ inventory_hostname }}.example.jp' });
  });

  it('accepts a single name as a string for hosts and children, and empty groups', () => {
    const inv = load({ 'hosts.yml': 'all:\n  children:\n    web:\n      hosts: www1\n    outer:\n      children: web\n    nothing:\n' }, 'hosts.yml');
    expect(inv.groupsVar().outer).toEqual(['www1']);
    expect(inv.groupsVar().nothing).toEqual([]);
  });

  it('treats an empty inventory file as no hosts', () => {
    const inv = load({ 'hosts.yml': '# nothing yet\n' }, 'hosts.yml');
    expect(inv.hostNames()).toEqual([]);
    expect(inv.groupNames()).toEqual(['all', 'ungrouped']);
  });

  it('turns a :port suffix into ansible_port', () => {
    const inv = load({ 'hosts.yml': 'all:\n  hosts:\n    "uxsv01:2222":\n      a: 1\n' }, 'hosts.yml');
    expect(inv.hostNames()).toEqual(['uxsv01']);
    expect(inv.hostVars('uxsv01')).toEqual({ ansible_port: 2222, a: 1 });
  });

  it('records the file each host came from', () => {
    const root = tree({ 'a.yml': 'all:\n  hosts:\n    h1:\n', 'b.yml': 'all:\n  hosts:\n    h1:\n    h2:\n' });
    const inv = Inventory.load([join(root, 'a.yml'), join(root, 'b.yml')]);
    expect(inv.sourceOf('h1')).toBe(join(root, 'a.yml'));
    expect(inv.sourceOf('h2')).toBe(join(root, 'b.yml'));
  });
});

describe('host ranges', () => {
  it('expands numeric ranges with zero padding', () => {
    expect(expandHostRange('www[01:03].example.jp')).toEqual(['www01.example.jp', 'www02.example.jp', 'www03.example.jp']);
    expect(expandHostRange('h[8:10]')).toEqual(['h8', 'h9', 'h10']);
    expect(expandHostRange('h[:2]')).toEqual(['h0', 'h1', 'h2']);
  });

  it('expands alphabetic ranges, steps, and several ranges in one name', () => {
    expect(expandHostRange('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
    expect(expandHostRange('n[1:7:3]')).toEqual(['n1', 'n4', 'n7']);
    expect(expandHostRange('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  });

  it('leaves names without a range alone', () => {
    expect(expandHostRange('uxsv01.example.jp')).toEqual(['uxsv01.example.jp']);
  });

  it('refuses ranges that go backwards or mix widths', () => {
    expect(() => expandHostRange('h[5:1]')).toThrow(/begin <= end/);
    expect(() => expandHostRange('h[01:100]')).toThrow(/same width/);
    expect(() => expandHostRange('h[a:5]')).toThrow(/mixes letters and numbers/);
    expect(() => expandHostRange('h[0:999999]')).toThrow(/more than/);
  });

  it('expands ranges in inventory host keys, each host getting the vars', () => {
    const inv = load({ 'hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        www[01:03].example.jp:\n          role: web\n' }, 'hosts.yml');
    expect(inv.groupsVar().web).toEqual(['www01.example.jp', 'www02.example.jp', 'www03.example.jp']);
    expect(inv.hostVars('www02.example.jp')).toEqual({ role: 'web' });
  });
});

describe('sources', () => {
  it('merges several -i sources: hosts and groups united, later vars winning', () => {
    const inv = load(
      {
        'a.yml': 'all:\n  vars:\n    x: a\n    only_a: 1\n  children:\n    web:\n      hosts:\n        h1:\n          v: a\n',
        'b.yml': 'all:\n  vars:\n    x: b\n  children:\n    web:\n      hosts:\n        h2:\n    db:\n      hosts:\n        h1:\n          v: b\n',
      },
      'a.yml',
      'b.yml',
    );
    expect(inv.hostNames()).toEqual(['h1', 'h2']);
    expect(inv.groupsVar().web).toEqual(['h1', 'h2']);
    expect(inv.groupNamesOf('h1')).toEqual(['db', 'web']);
    expect(inv.hostVars('h1')).toMatchObject({ x: 'b', only_a: 1, v: 'b' });
  });

  it('reads every inventory file of a folder in name order, skipping hidden files and vars folders', () => {
    const inv = load(
      {
        'inv/20-web.yml': 'web:\n  hosts:\n    w1:\n      x: second\n',
        'inv/10-dns': 'dns:\n  hosts:\n    d1:\n    w1:\n      x: first\n',
        'inv/.hidden.yml': 'broken: [',
        'inv/README.md': 'not an inventory',
        'inv/group_vars/all.yml': 'gv: 1\n',
        'inv/sub/30-extra.yaml': 'extra:\n  hosts:\n    x1:\n',
      },
      'inv',
    );
    expect(inv.hostNames()).toEqual(['d1', 'w1', 'x1']);
    expect(inv.hostVars('w1')).toMatchObject({ x: 'second', gv: 1 });
  });

  it('accepts a comma-separated host list, as Ansible does', () => {
    const inv = Inventory.load(['uxsv01,uxsv02,']);
    expect(inv.hostNames()).toEqual(['uxsv01', 'uxsv02']);
    expect(inv.groupsVar().ungrouped).toEqual(['uxsv01', 'uxsv02']);
  });

  it('names a missing -i path', () => {
    const missing = join(tree({}), 'nope.yml');
    expect(() => Inventory.load([missing])).toThrow(UserError);
    expect(() => Inventory.load([missing])).toThrow(`inventory source not found: ${missing}`);
  });

  it('has only the implicit localhost when there is no inventory', () => {
    const inv = Inventory.empty();
    expect(inv.hostNames()).toEqual([]);
    expect(inv.select('all')).toEqual([]);
    expect(inv.select('localhost')).toEqual(['localhost']);
    expect(inv.hostVars('localhost')).toEqual({ ansible_connection: 'local' });
    expect(inv.groupNamesOf('localhost')).toEqual([]);
    expect(() => inv.hostVars('uxsv01')).toThrow(/unknown host/);
  });
});

describe('INI inventory', () => {
  const ini = [
    '# the cluster',
    'stray ansible_host=198.51.100.99',
    '',
    '[dns]',
    'uxsv01 ansible_host=198.51.100.11 dns_primary=True serial=42 ratio=0.5 label="two words"',
    'uxsv02:2222',
    '',
    '[web]',
    'www[1:2].example.jp  # two web hosts',
    '',
    '[cluster:children]',
    'dns',
    'web',
    '',
    '[cluster:vars]',
    'ntp = ntp.example.jp',
    'quoted = "42"',
    'mode=0644',
    'ansible_group_priority=5',
  ].join('\n');

  it('reads groups, children, host and group variables with Ansible literal values', () => {
    const inv = load({ 'hosts.ini': ini }, 'hosts.ini');
    expect(inv.hostNames()).toEqual(['stray', 'uxsv01', 'uxsv02', 'www1.example.jp', 'www2.example.jp']);
    expect(inv.groupsVar()).toMatchObject({ ungrouped: ['stray'], cluster: ['uxsv01', 'uxsv02', 'www1.example.jp', 'www2.example.jp'] });
    expect(inv.hostVars('uxsv01')).toEqual({
      ntp: 'ntp.example.jp',
      quoted: '42',
      mode: '0644',
      ansible_host: '198.51.100.11',
      dns_primary: true,
      serial: 42,
      ratio: 0.5,
      label: 'two words',
    });
    expect(inv.hostVars('uxsv02')).toMatchObject({ ansible_port: 2222 });
  });

  it('detects INI in a file without extension from its first section header', () => {
    const inv = load({ hosts: '[web]\nw1\n' }, 'hosts');
    expect(inv.groupsVar().web).toEqual(['w1']);
  });

  it('points at the line of a bad INI entry', () => {
    const root = tree({ 'hosts.ini': '[web]\nw1 port\n' });
    try {
      Inventory.load([join(root, 'hosts.ini')]);
      expect.unreachable();
    } catch (err) {
      const e = err as UserError;
      expect(e.message).toBe("expected key=value after host 'w1', got 'port'");
      expect(e.position).toMatchObject({ line: 2, col: 1 });
    }
  });

  it('refuses vars for an undefined group and unknown section types', () => {
    expect(() => load({ 'h.ini': '[ghost:vars]\nx=1\n' }, 'h.ini')).toThrow(/\[ghost:vars\] is for group 'ghost', which is not defined/);
    expect(() => load({ 'h.ini': '[web:hostz]\nw1\n' }, 'h.ini')).toThrow(/unknown type 'hostz'/);
  });
});
