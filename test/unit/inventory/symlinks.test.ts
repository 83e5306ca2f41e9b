/**
 * Symbolic links in group_vars/ and host_vars/ (inventory/production/group_vars/all/
 * links the files it shares with the lab): followed, in name order like any
 * file; a link to nothing, or a loop, is an error naming the link.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { UserError } from '../../../engine/errors.js';
import { tree } from './helpers.js';

const HOSTS = 'all:\n  hosts:\n    h1:\n';

function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}

describe('symbolic links in group_vars/ and host_vars/', () => {
  it('follows relative links to files and to folders, merging in name order', () => {
    const root = tree({
      'shared/all/a.yml': 'from_shared_a: 1\norder: shared-a\n',
      'shared/all/c.yml': 'from_shared_c: 3\norder: shared-c\n',
      'shared/h1.yml': 'host_var: linked\n',
      'inv/hosts.yml': HOSTS,
      'inv/group_vars/all/b.yml': 'own: 2\norder: own-b\n',
    });
    symlinkSync('../../../shared/all/a.yml', join(root, 'inv/group_vars/all/a.yml'));
    symlinkSync('../../../shared/all/c.yml', join(root, 'inv/group_vars/all/c.yml'));
    mkdirSync(join(root, 'inv/host_vars'));
    symlinkSync('../../shared/h1.yml', join(root, 'inv/host_vars/h1.yml'));
    const vars = Inventory.load([join(root, 'inv')]).hostVars('h1');
    expect(vars).toMatchObject({ from_shared_a: 1, own: 2, from_shared_c: 3, order: 'shared-c', host_var: 'linked' });

    // A whole linked folder (inventory/lab/group_vars -> ../group_vars).
    const lab = tree({ 'group_vars/all/x.yml': 'x: 1\n', 'lab/hosts.yml': HOSTS });
    symlinkSync('../group_vars', join(lab, 'lab/group_vars'));
    expect(Inventory.load([join(lab, 'lab')]).hostVars('h1').x).toBe(1);
  });

  it('refuses a link to a missing file, and a loop, naming the link and its target', () => {
    const root = tree({ 'inv/hosts.yml': HOSTS, 'inv/group_vars/all/own.yml': 'own: 1\n' });
    const link = join(root, 'inv/group_vars/all/placement.yml');
    symlinkSync('../../../group_vars/all/placement.yml', link);
    const missing = thrown(() => Inventory.load([join(root, 'inv')]).hostVars('h1'));
    expect(missing.format()).toBe(`${link}: this vars file is a symbolic link to ../../../group_vars/all/placement.yml, which does not exist`);

    const loop = tree({ 'inv/hosts.yml': HOSTS });
    mkdirSync(join(loop, 'inv/host_vars/h1'), { recursive: true });
    symlinkSync('b.yml', join(loop, 'inv/host_vars/h1/a.yml'));
    symlinkSync('a.yml', join(loop, 'inv/host_vars/h1/b.yml'));
    expect(thrown(() => Inventory.load([join(loop, 'inv')]).hostVars('h1')).message).toMatch(/symbolic link to b\.yml, which leads to a loop of symbolic links/);
  });
});
