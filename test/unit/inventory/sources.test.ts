import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import { tree } from './helpers.js';

describe('inventory sources as Ansible reads them', () => {
  it("takes a comma-separated host list, with ports, as ungrouped hosts", () => {
    const inv = Inventory.load(['web1, web2:2222,']);
    expect(inv.hostNames()).toEqual(['web1', 'web2']);
    expect(inv.groupsVar().ungrouped).toEqual(['web1', 'web2']);
    expect(inv.hostVars('web2').ansible_port).toBe(2222);
  });

  it('keeps hosts listed before any INI section in ungrouped, until another group takes them', () => {
    const root = tree({ hosts: 'loose1\nboth\n[g]\nboth\n' });
    const inv = Inventory.load([join(root, 'hosts')]);
    expect(inv.groupsVar().ungrouped).toEqual(['loose1']);
    expect(inv.groupNamesOf('both')).toEqual(['g']);
  });

  it('reads a file with another extension as INI, and one without extension as INI unless it is a YAML mapping', () => {
    const root = tree({
      'a.hosts_field': '[web]\n42\n',
      plain: 'h1\nh2\n',
      yamlish: 'all:\n  hosts:\n    y1:\n',
    });
    expect(Inventory.load([join(root, 'a.hosts_field')]).select('web')).toEqual(['42']);
    expect(Inventory.load([join(root, 'plain')]).hostNames()).toEqual(['h1', 'h2']);
    expect(Inventory.load([join(root, 'yamlish')]).hostNames()).toEqual(['y1']);
  });

  it("reads a folder's files in name order, skipping Ansible's ignored extensions and its vars folders", () => {
    const root = tree({
      'inv/01-hosts.yml': 'all:\n  hosts:\n    a1:\n',
      'inv/02-more': '[web]\nw1\n',
      'inv/notes.md': 'not an inventory\n',
      'inv/old.ini': '[x]\nignored\n',
      'inv/backup~': '[x]\nignored2\n',
      'inv/.hidden': '[x]\nignored3\n',
      'inv/sub/03.yaml': 'all:\n  hosts:\n    s1:\n',
      'inv/group_vars/web.yml': 'tier: front\n',
    });
    const inv = Inventory.load([join(root, 'inv')]);
    expect(inv.hostNames()).toEqual(['a1', 'w1', 's1']);
    expect(inv.hostVars('w1').tier).toBe('front');
  });

  it('uses the ignore settings it is given', () => {
    const root = tree({ 'inv/hosts.ini': '[x]\nh\n', 'inv/skip-me.yml': 'all:\n  hosts:\n    s:\n' });
    const inv = Inventory.load([join(root, 'inv')], { ignoreExtensions: ['.md'], ignorePatterns: ['^skip-'] });
    expect(inv.hostNames()).toEqual(['h']);
  });

  it('only warns about a missing source when asked to (ansible.cfg default inventory)', () => {
    expect(() => Inventory.load(['/nonexistent/hosts'])).toThrow(/inventory source not found/);
    const inv = Inventory.load(['/nonexistent/hosts'], { missingSourceIsError: false });
    expect(inv.warnings).toEqual(['Unable to parse /nonexistent/hosts as an inventory source']);
    expect(inv.hostNames()).toEqual([]);
  });

  it('warns about a name that is both a host and a group', () => {
    const root = tree({ hosts: '[web]\nweb\n' });
    expect(Inventory.load([join(root, 'hosts')]).warnings).toEqual(['Found both group and host with same name: web']);
  });

  it("refuses a limit file that is a folder, in Ansible's words", () => {
    const root = tree({ 'hosts': 'h1\n', 'dir/x': '' });
    const inv = Inventory.load([join(root, 'hosts')]);
    expect(() => inv.select('all', `@${join(root, 'dir')}`)).toThrow(/Limit starting with "@" must be a file, not a directory/);
  });
});

describe('inventory sources: vault and group names', () => {
  it('reads a vault-encrypted inventory file with the run’s vault password', async () => {
    const { encrypt, setActiveVaultSecrets, VaultSecrets } = await import('../../../engine/vault/index.js');
    const root = tree({});
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(root, 'hosts'), encrypt('[secret]\nhidden1 ansible_host=192.0.2.7\n', 'pw'));
    setActiveVaultSecrets(undefined);
    expect(() => Inventory.load([join(root, 'hosts')])).toThrow(/vault-encrypted and no vault password was given/);
    setActiveVaultSecrets(new VaultSecrets(['pw']));
    try {
      const inv = Inventory.load([join(root, 'hosts')]);
      expect(inv.select('secret')).toEqual(['hidden1']);
      expect(inv.hostVars('hidden1').ansible_host).toBe('192.0.2.7');
    } finally {
      setActiveVaultSecrets(undefined);
    }
  });

  it("warns once, as Ansible does, about group names that are not valid variable names", () => {
    const root = tree({ hosts: '[web-servers]\nh1\n[1st]\nh2\n[příbor]\nh3\n' });
    expect(Inventory.load([join(root, 'hosts')]).warnings).toEqual(['Invalid characters were found in group names but not replaced, use -vvvv to see details']);
    const fine = tree({ hosts: '[web_servers]\nh1\n[příbor]\nh3\n' });
    expect(Inventory.load([join(fine, 'hosts')]).warnings).toEqual([]);
  });
});

describe('host lists with ranges (advanced_host_list)', () => {
  it('expands ranges only when asked, keeps a range without end as written, and refuses a bad range', () => {
    expect(Inventory.load(['web[1:2],db']).hostNames()).toEqual(['web[1:2]', 'db']);
    expect(Inventory.load(['web[1:3:2],db:2222'], { hostListRanges: true }).hostNames()).toEqual(['web1', 'web3', 'db']);
    const open = Inventory.load(['local[3:],'], { hostListRanges: true });
    expect(open.hostNames()).toEqual(['local[3:]']);
    expect(open.verboseNotes).toEqual(['Unable to parse address from hostname, leaving unchanged: host range must specify end value']);
    const bad = Inventory.load(['local[1:j],'], { hostListRanges: true });
    expect(bad.parsedSources).toBe(0);
    expect(bad.warnings[0]).toMatch(/^Failed to parse local\[1:j\], with advanced_host_list plugin: /);
  });
});

describe('inventory plugin configurations', () => {
  it('names the plugin it cannot run, as an error or (Ansible’s default) a skipped source', () => {
    const root = tree({ 'aws_ec2.yml': 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n', hosts: 'h1\n' });
    expect(() => Inventory.load([join(root, 'aws_ec2.yml')])).toThrow(/configures the inventory plugin 'amazon.aws.aws_ec2', which uxsv does not have/);
    const inv = Inventory.load([join(root, 'hosts'), join(root, 'aws_ec2.yml')], { missingSourceIsError: false });
    expect(inv.hostNames()).toEqual(['h1']);
    expect(inv.parsedSources).toBe(1);
    expect(inv.warnings[0]).toMatch(/^Unable to parse .*aws_ec2.yml as an inventory source: .*'amazon.aws.aws_ec2'/);
  });
});
