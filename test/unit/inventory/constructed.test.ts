import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { safeGroupName } from '../../../engine/inventory/constructed.js';
import { tree } from './helpers.js';

// Expectations are what ansible-inventory 2.14 prints for the same two sources.
const HOSTS = `all:
  hosts:
    web1: {os: debian, ver: 12, tags: {role: web, env: prod}, roles: [a, b]}
    web2: {os: rhel, ver: 9, tags: {role: web, env: ''}, roles: []}
    db1: {os: debian, ver: 11, tags: {role: db}}
  children:
    dbs:
      hosts:
        db1:
      vars:
        tier: data
`;

const CONSTRUCTED = `plugin: constructed
compose:
  major: ver + 1
  same: ver
  label: "inventory_hostname ~ '-' ~ os"
  bad: nosuchvar.x
groups:
  modern: ver >= 12
  datastore: "'dbs' in group_names"
  tiered: tier is defined
keyed_groups:
  - key: os
    prefix: os
  - key: tags
    prefix: tag
    separator: "-"
    default_value: none
  - key: roles
    parent_group: has_roles
`;

function load(constructed: string, options: Parameters<typeof Inventory.load>[1] = {}): Inventory {
  const root = tree({ 'hosts.yml': HOSTS, 'c.yml': constructed });
  return Inventory.load([join(root, 'hosts.yml'), join(root, 'c.yml')], options);
}

describe('the constructed inventory plugin', () => {
  it('composes variables as Ansible 2.14 templates them (a bare variable keeps its type, other results are text)', () => {
    const inv = load(CONSTRUCTED);
    expect(inv.hostVars('web1')).toMatchObject({ major: '13', same: 12, label: 'web1-debian' });
    // a failing expression is skipped without strict
    expect(inv.hostVars('web1').bad).toBeUndefined();
  });

  it('adds hosts to groups whose condition holds and to keyed groups (made safe names), under parent groups', () => {
    const inv = load(CONSTRUCTED);
    expect(inv.select('modern')).toEqual(['web1']);
    expect(inv.select('datastore')).toEqual(['db1']);
    expect(inv.select('tiered')).toEqual(['db1']);
    expect(inv.select('os_debian')).toEqual(['web1', 'db1']);
    expect(inv.select('tag_role_web')).toEqual(['web1', 'web2']);
    expect(inv.select('tag_env_none')).toEqual(['web2']);
    expect(inv.select('has_roles')).toEqual(['web1']);
    expect(inv.groupNamesOf('web1')).toEqual(['_a', '_b', 'has_roles', 'modern', 'os_debian', 'tag_env_prod', 'tag_role_web']);
  });

  it('fails on an expression error with strict, naming the file, variable and host', () => {
    expect(() => load('plugin: constructed\nstrict: true\ncompose:\n  bad: nosuchvar.x\n')).toThrow(/failed to parse .*c.yml: Could not set bad for host web1: .*'nosuchvar' is undefined/);
  });

  it('sees -e variables only with use_extra_vars', () => {
    const text = "plugin: ansible.builtin.constructed\nuse_extra_vars: true\ncompose:\n  example: \"'hello' + from_extras\"\n";
    expect(load(text, { extraVars: { from_extras: 'hey' } }).hostVars('web1').example).toBe('hellohey');
    expect(load(text.replace('use_extra_vars: true', 'use_extra_vars: false'), { extraVars: { from_extras: 'hey' } }).hostVars('web1').example).toBeUndefined();
  });

  it('is a source only when the plugin is enabled, as enable_plugins says', () => {
    const inv = load('plugin: constructed\ngroups:\n  everyone: true\n', { enabledPlugins: ['yaml'], missingSourceIsError: false });
    expect(inv.hasGroup('everyone')).toBe(false);
    expect(inv.parsedSources).toBe(1);
    expect(inv.warnings[0]).toMatch(/constructed inventory plugin is not enabled/);
    expect(() => load('plugin: constructed\n', { enabledPlugins: ['constructed'] })).toThrow(/no enabled inventory plugin .* reads .*hosts.yml: it needs yaml/);
  });

  it("makes group names safe as Ansible's inventory plugins do", () => {
    expect(safeGroupName('tag-role.web')).toBe('tag_role_web');
    expect(safeGroupName('1st')).toBe('_st');
    expect(safeGroupName('příbor_2')).toBe('příbor_2');
  });
});
