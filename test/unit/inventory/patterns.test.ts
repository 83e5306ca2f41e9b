import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Inventory, isPattern, splitPattern } from '../../../engine/inventory/index.js';
import { UserError } from '../../../engine/errors.js';
import { tree, yaml } from './helpers.js';

const hosts = yaml`
  all:
    hosts:
      uxsv01:
      uxsv02:
      uxsv03:
      backup.example.jp:
    children:
      dns:
        hosts:
          uxsv01:
          uxsv02:
      web:
        hosts:
          uxsv02:
          uxsv03:
      mail:
        hosts:
          uxsv01:
      empty:
`;

let inv: Inventory;

describe('host patterns', () => {
  beforeAll(() => {
    // Loaded once: hosts and groups live in memory (the temp folder goes after the first test; there are no vars files).
    inv = Inventory.load([join(tree({ 'hosts.yml': hosts }), 'hosts.yml')]);
  });

  it('selects all hosts with all or *', () => {
    const everyone = ['uxsv01', 'uxsv02', 'uxsv03', 'backup.example.jp'];
    expect(inv.select('all')).toEqual(everyone);
    expect(inv.select('*')).toEqual(everyone);
  });

  it('selects a group or a host by name', () => {
    expect(inv.select('web')).toEqual(['uxsv02', 'uxsv03']);
    expect(inv.select('uxsv03')).toEqual(['uxsv03']);
  });

  it('unites with : or , taking terms in pattern order like Ansible', () => {
    expect(inv.select('mail:web')).toEqual(['uxsv01', 'uxsv02', 'uxsv03']);
    expect(inv.select('web:mail')).toEqual(['uxsv02', 'uxsv03', 'uxsv01']);
    expect(inv.select('web, dns')).toEqual(['uxsv02', 'uxsv03', 'uxsv01']);
  });

  it('excludes with :!', () => {
    expect(inv.select('all:!web')).toEqual(['uxsv01', 'backup.example.jp']);
    expect(inv.select('dns:!uxsv01')).toEqual(['uxsv02']);
  });

  it('treats a pattern of only exclusions as all minus them', () => {
    expect(inv.select('!dns')).toEqual(['uxsv03', 'backup.example.jp']);
  });

  it('intersects with :&, whatever the order of terms', () => {
    expect(inv.select('dns:&web')).toEqual(['uxsv02']);
    expect(inv.select('&web:dns:mail')).toEqual(['uxsv02']);
    expect(inv.select('dns:&web:!uxsv02')).toEqual([]);
  });

  it('matches shell wildcards against hosts and groups', () => {
    expect(inv.select('uxsv0*')).toEqual(['uxsv01', 'uxsv02', 'uxsv03']);
    expect(inv.select('uxsv0?:!uxsv02')).toEqual(['uxsv01', 'uxsv03']);
    expect(inv.select('*.example.jp')).toEqual(['backup.example.jp']);
    expect(inv.select('w*')).toEqual(['uxsv02', 'uxsv03']);
  });

  it('matches regular expressions after ~ (anchored at the start, like re.match)', () => {
    expect(inv.select('~uxsv0[13]')).toEqual(['uxsv01', 'uxsv03']);
    // one term matching two groups: each group's hosts in turn, groups in inventory order (as ansible --list-hosts prints)
    expect(inv.select('~(web|mail)')).toEqual(['uxsv02', 'uxsv03', 'uxsv01']);
    expect(inv.select('~example')).toEqual([]);
  });

  it('reports an invalid regular expression as a user error', () => {
    expect(() => inv.select('~uxsv(')).toThrow(UserError);
  });

  it('applies subscripts to a group, inclusive like Ansible', () => {
    expect(inv.select('web[0]')).toEqual(['uxsv02']);
    expect(inv.select('web[-1]')).toEqual(['uxsv03']);
    expect(inv.select('all[1:2]')).toEqual(['uxsv02', 'uxsv03']);
    expect(inv.select('all[2:]')).toEqual(['uxsv03', 'backup.example.jp']);
    expect(inv.select('web[5]')).toEqual([]);
    // as ansible --list-hosts: a slice needs its start (web[:1] is a glob matching nothing), [x-y] is the old [x:y]
    expect(inv.select('web[:1]')).toEqual([]);
    expect(inv.select('web[0-1]')).toEqual(['uxsv02', 'uxsv03']);
  });

  it('matches nothing for unknown names and says which terms matched nothing', () => {
    expect(inv.select('nosuch')).toEqual([]);
    expect(inv.select('web:nosuch')).toEqual(['uxsv02', 'uxsv03']);
    expect(inv.unmatchedPatterns('web:nosuch:!gone:empty:all')).toEqual(['nosuch', 'gone']);
    expect(inv.select('empty')).toEqual([]);
  });

  it('restricts by a limit pattern', () => {
    expect(inv.select('all', 'web')).toEqual(['uxsv02', 'uxsv03']);
    expect(inv.select('dns', 'all:!uxsv01')).toEqual(['uxsv02']);
    expect(inv.select('web', 'uxsv01')).toEqual([]);
    expect(inv.select('all', '')).toHaveLength(4);
  });

  it('reads a limit @file of names, one per line', () => {
    const dir = tree({ 'retry.txt': 'uxsv03\n\nuxsv01\n' });
    expect(inv.select('all', `@${join(dir, 'retry.txt')}`)).toEqual(['uxsv01', 'uxsv03']);
    expect(inv.select('all', `@${join(dir, 'retry.txt')},uxsv02`)).toEqual(['uxsv01', 'uxsv02', 'uxsv03']);
    expect(() => inv.select('all', `@${join(dir, 'missing.txt')}`)).toThrow(/Unable to find limit file/);
  });

  it('gives an implicit localhost only when named, never in all', () => {
    expect(inv.select('localhost')).toEqual(['localhost']);
    expect(inv.select('127.0.0.1:web')).toEqual(['127.0.0.1', 'uxsv02', 'uxsv03']);
    expect(inv.select('all')).not.toContain('localhost');
    expect(inv.hasHost('localhost')).toBe(false);
    expect(inv.hostVars('localhost')).toEqual({ ansible_connection: 'local' });
  });

  it("uses the inventory's own localhost entry for 127.0.0.1", () => {
    const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    localhost:\n      ansible_connection: ssh\n' });
    const withLocal = Inventory.load([join(dir, 'hosts.yml')]);
    expect(withLocal.select('127.0.0.1')).toEqual(['localhost']);
    expect(withLocal.select('all')).toEqual(['localhost']);
    expect(withLocal.hostVars('localhost')).toEqual({ ansible_connection: 'ssh' });
  });
});

describe('pattern syntax helpers', () => {
  it('splits on commas when present, else on colons outside brackets', () => {
    expect(splitPattern('a:!b:&c')).toEqual(['a', '!b', '&c']);
    expect(splitPattern('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(splitPattern('web[0:2]:db')).toEqual(['web[0:2]', 'db']);
    expect(splitPattern('fe80::1')).toEqual(['fe80::1']);
  });

  it('tells a plain name from a pattern', () => {
    expect(isPattern('uxsv01')).toBe(false);
    expect(isPattern('uxsv01.example.jp')).toBe(false);
    expect(isPattern('web:!uxsv01')).toBe(true);
    expect(isPattern('uxsv0*')).toBe(true);
  });
});
