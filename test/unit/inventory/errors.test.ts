import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { UserError } from '../../../engine/errors.js';
import { tree, yaml } from './helpers.js';

/** Load an inventory text expected to fail; return the UserError. */
function failure(text: string, extra: Record<string, string> = {}, hostForVars?: string): UserError {
  const root = tree({ 'hosts.yml': text, ...extra });
  try {
    const inv = Inventory.load([join(root, 'hosts.yml')]);
    if (hostForVars) inv.hostVars(hostForVars);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    const e = err as UserError;
    expect(e.position?.file.startsWith(root)).toBe(true);
    return e;
  }
  throw new Error('expected the inventory to be refused');
}

describe('inventory schema errors', () => {
  it('names an unknown key in a group, with its line and column and a code frame', () => {
    const e = failure(yaml`
      all:
        children:
          web:
            hostz:
              www1:
    `);
    expect(e.message).toBe("unknown key 'hostz' in group 'web' (expected hosts, children, vars)");
    expect(e.position).toMatchObject({ line: 4, col: 7 });
    expect(e.position?.file).toMatch(/hosts\.yml$/);
    expect(e.frame).toContain('> 4 |       hostz:');
    expect(e.format()).toMatch(/hosts\.yml:4:7: unknown key 'hostz'/);
  });

  it('names an unknown key in a top-level group', () => {
    const e = failure('all:\n  host:\n    h1:\n');
    expect(e.message).toBe("unknown key 'host' in group 'all' (expected hosts, children, vars)");
    expect(e.position).toMatchObject({ line: 2, col: 3 });
  });

  it('refuses hosts written as a list', () => {
    const e = failure('all:\n  children:\n    web:\n      hosts:\n        - www1\n');
    expect(e.message).toBe("'hosts' of group 'web' must be a mapping of host names to their variables (or empty)");
    expect(e.position).toMatchObject({ line: 5, col: 9 });
  });

  it('refuses host variables that are not a mapping', () => {
    const e = failure('all:\n  hosts:\n    h1: 198.51.100.11\n');
    expect(e.message).toBe(`variables of host 'h1' must be a mapping (or empty), got the string "198.51.100.11"`);
    expect(e.position).toMatchObject({ line: 3, col: 9 });
  });

  it('refuses group vars that are not a mapping', () => {
    const e = failure('all:\n  vars:\n    - a\n');
    expect(e.message).toBe("'vars' of group 'all' must be a mapping of variable names to values (or empty)");
    expect(e.position).toMatchObject({ line: 3, col: 5 });
  });

  it('refuses a group that is not a mapping', () => {
    const e = failure('all:\n  children:\n    web: www1\n');
    expect(e.message).toBe(`group 'web' must be a mapping with hosts, children, vars (or empty), got the string "www1"`);
    expect(e.position).toMatchObject({ line: 3, col: 10 });
  });

  it('refuses an inventory that is not a mapping', () => {
    const e = failure('- all\n');
    expect(e.message).toMatch(/an inventory must be a mapping of group names/);
    expect(e.position).toMatchObject({ line: 1, col: 1 });
  });

  it('reads a .yml file holding a bare word as the ini plugin of Ansible does: a host name', () => {
    const root = tree({ 'hosts.yml': 'inventory_old.yml\n' });
    const inv = Inventory.load([join(root, 'hosts.yml')]);
    expect(inv.select('all')).toEqual(['inventory_old.yml']);
  });

  it('refuses group names that would break host patterns', () => {
    const e = failure('all:\n  children:\n    "web servers":\n      hosts:\n        h1:\n');
    expect(e.message).toMatch(/^invalid group name 'web servers'/);
    expect(e.position).toMatchObject({ line: 3, col: 5 });
  });

  it('refuses a non-integer ansible_group_priority', () => {
    const e = failure('all:\n  children:\n    web:\n      vars:\n        ansible_group_priority: high\n');
    expect(e.message).toBe("ansible_group_priority of group 'web' must be an integer");
    expect(e.position).toMatchObject({ line: 5, col: 33 });
  });

  it('points at a bad host range', () => {
    const e = failure('all:\n  hosts:\n    www[05:01]:\n');
    expect(e.message).toBe("host range '[05:01]' must have begin <= end");
    expect(e.position).toMatchObject({ line: 3, col: 5 });
  });

  it('reports YAML syntax errors with a position', () => {
    const e = failure('all:\n  hosts: [a\n');
    expect(e.message).toMatch(/^YAML syntax error/);
    expect(e.position?.line).toBeGreaterThan(0);
  });
});

describe('group cycles', () => {
  it('names the loop when a group is its own ancestor', () => {
    const e = failure(yaml`
      all:
        children:
          a:
            children:
              b:
                children:
                  c:
          c:
            children:
              a:
    `);
    expect(e.message).toBe("group 'c' would be its own ancestor: c -> a -> b -> c (children must not loop)");
    expect(e.position).toMatchObject({ line: 10, col: 9 });
  });

  it('refuses a group that lists itself as a child', () => {
    const e = failure('all:\n  children:\n    web:\n      children:\n        web:\n');
    expect(e.message).toBe("group 'web' would be its own ancestor: web -> web (children must not loop)");
    expect(e.position).toMatchObject({ line: 5, col: 9 });
  });

  it("refuses 'all' as a child", () => {
    const e = failure('web:\n  children:\n    all:\n');
    expect(e.message).toMatch(/group 'all' cannot be a child of 'web'/);
    expect(e.position).toMatchObject({ line: 3, col: 5 });
  });

  it('finds loops across several sources', () => {
    const root = tree({ 'a.yml': 'p:\n  children:\n    q:\n', 'b.yml': 'q:\n  children:\n    p:\n' });
    expect(() => Inventory.load([join(root, 'a.yml'), join(root, 'b.yml')])).toThrow("group 'q' would be its own ancestor: q -> p -> q");
  });
});

describe('vars file errors', () => {
  it('refuses a group_vars file that is not a mapping, naming the file and line', () => {
    const e = failure('all:\n  hosts:\n    h1:\n', { 'group_vars/all.yml': '# comment\n- a\n- b\n' }, 'h1');
    expect(e.message).toBe('group_vars file must be a mapping of variable names to values, got a list');
    expect(e.position).toMatchObject({ line: 2, col: 1 });
    expect(e.position?.file).toMatch(/group_vars\/all\.yml$/);
  });

  it('refuses a host_vars file holding a plain value', () => {
    const e = failure('all:\n  hosts:\n    h1:\n', { 'host_vars/h1': 'just text\n' }, 'h1');
    expect(e.message).toBe('host_vars file must be a mapping of variable names to values, got the string "just text"');
  });
});
