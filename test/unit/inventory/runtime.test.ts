import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { tree } from './helpers.js';

const INI = '[web]\nw1\nw2\n[db]\nd1 role=primary\n';

function load(text = INI): { inv: Inventory; file: string } {
  const root = tree({ 'hosts.ini': text, 'group_vars/web.yml': 'tier: front\n' });
  const file = join(root, 'hosts.ini');
  return { inv: Inventory.load([file]), file };
}

describe('inventory changes during a run (add_host, group_by, refresh_inventory)', () => {
  it('adds a new host to all (so to ungrouped) and its vars, seen at once by groups and patterns', () => {
    const { inv } = load();
    expect(inv.select('all')).toEqual(['w1', 'w2', 'd1']);
    inv.addHost('new1', [], { ansible_host: '192.0.2.9' });
    expect(inv.select('all')).toEqual(['new1', 'w1', 'w2', 'd1']);
    expect(inv.groupsVar().ungrouped).toEqual(['new1']);
    expect(inv.groupNamesOf('new1')).toEqual(['ungrouped']);
    expect(inv.hostVars('new1').ansible_host).toBe('192.0.2.9');
  });

  it('puts an added host in its groups (creating them under all), out of ungrouped, with group_vars files', () => {
    const { inv } = load();
    inv.addHost('new1', ['web', 'fresh'], { x: 1 });
    expect(inv.select('web')).toEqual(['w1', 'w2', 'new1']);
    expect(inv.select('fresh')).toEqual(['new1']);
    expect(inv.groupsVar().ungrouped).toEqual([]);
    expect(inv.groupNamesOf('new1')).toEqual(['fresh', 'web']);
    expect(inv.hostVars('new1')).toMatchObject({ x: 1, tier: 'front' });
  });

  it('merges vars over an existing host and keeps its groups', () => {
    const { inv } = load();
    inv.addHost('d1', ['web'], { role: 'replica' });
    expect(inv.hostVars('d1').role).toBe('replica');
    expect(inv.groupNamesOf('d1')).toEqual(['db', 'web']);
  });

  it('creates groups with parents and moves hosts into them (group_by)', () => {
    const { inv } = load();
    inv.addGroup('os_debian', ['linux']);
    inv.addHostToGroup('w1', 'os_debian');
    inv.addHostToGroup('d1', 'os_debian');
    expect(inv.select('linux')).toEqual(['w1', 'd1']);
    expect(inv.groupNamesOf('w1')).toEqual(['linux', 'os_debian', 'web']);
    expect(inv.select('os_debian:&web')).toEqual(['w1']);
    expect(inv.groupsVar().linux).toEqual(['w1', 'd1']);
  });

  it('lets the implicit localhost join a group without making it an inventory host', () => {
    const { inv } = load();
    inv.addGroup('linux');
    inv.addHostToGroup('localhost', 'linux');
    inv.addHostToGroup('w1', 'linux');
    expect(inv.select('linux')).toEqual(['localhost', 'w1']);
    expect(inv.select('all')).toEqual(['w1', 'w2', 'd1']);
    expect(inv.groupsVar().ungrouped).toEqual([]);
    expect(inv.hasHost('localhost')).toBe(false);
    expect(inv.hostVars('localhost').ansible_connection).toBe('local');
  });

  it('re-reads the sources on refresh and replays what the run added (hosts first), as Ansible 2.14 does', () => {
    const { inv, file } = load();
    inv.addGroup('os_debian', ['linux']);
    inv.addHostToGroup('d1', 'os_debian');
    inv.addHost('new1', ['web'], { x: 1 });
    writeFileSync(file, '[web]\nw1\nw2\n[db]\nd2\n');
    inv.refresh();
    expect(inv.select('db')).toEqual(['d2']);
    expect(inv.select('web')).toEqual(['w1', 'w2', 'new1']);
    expect(inv.hostVars('new1').x).toBe(1);
    expect(inv.groupNames()).toEqual(['all', 'ungrouped', 'web', 'db', 'os_debian', 'linux']);
    // d1 is gone from the sources: its group_by membership is dropped, not an error
    expect(inv.hasHost('d1')).toBe(false);
    expect(inv.select('linux')).toEqual([]);
    expect(inv.groupsVar().all).toEqual(['new1', 'w1', 'w2', 'd2']);
  });

  it('re-reads group_vars files on refresh', () => {
    const root = tree({ 'hosts.ini': INI, 'group_vars/web.yml': 'tier: front\n' });
    const inv = Inventory.load([join(root, 'hosts.ini')]);
    expect(inv.hostVars('w1').tier).toBe('front');
    writeFileSync(join(root, 'group_vars/web.yml'), 'tier: back\n');
    expect(inv.hostVars('w1').tier).toBe('front');
    inv.refresh();
    expect(inv.hostVars('w1').tier).toBe('back');
  });
});
