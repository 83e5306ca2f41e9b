/**
 * One test per precedence level we implement (engine/runner/vars.ts): each
 * level overrides the one below it, for the same variable `v`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, results, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

const INVENTORY = `
all:
  vars:
    ansible_connection: local
    v: inventory-all
  children:
    web:
      vars:
        v: inventory-group
      hosts:
        h1:
          v: inventory-host
        h2:
`;

async function valueOf(files: Record<string, string>, playbook: string, extra: string[] = [], inventory = INVENTORY): Promise<Record<string, string>> {
  p = project(files);
  const run = await play(p, playbook, extra, inventory);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const out: Record<string, string> = {};
  for (const [host, list] of Object.entries(results(run, 'show'))) out[host] = list[0]?.msg;
  return out;
}

const SHOW = `
    - name: show
      debug: msg="{{ v }}"`;

describe('variable precedence', () => {
  it('role defaults are the lowest level', async () => {
    const r = await valueOf(
      { 'roles/r/defaults/main.yml': 'v: role-default\nonly_default: d\n', 'roles/r/tasks/main.yml': '- name: show\n  debug: msg="{{ v }} {{ only_default }}"\n' },
      '- hosts: all\n  gather_facts: false\n  roles: [r]\n',
      [],
      'all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1:\n',
    );
    expect(r.h1).toBe('role-default d');
  });

  it('inventory all < group < host vars', async () => {
    const r = await valueOf({}, `- hosts: all\n  gather_facts: false\n  tasks:${SHOW}\n`);
    expect(r).toEqual({ h1: 'inventory-host', h2: 'inventory-group' });
  });

  it('group_vars/ and host_vars/ files beside the inventory override the inventory file', async () => {
    const r = await valueOf({ 'group_vars/web.yml': 'v: group-vars-file\n', 'host_vars/h1.yml': 'v: host-vars-file\n' }, `- hosts: all\n  gather_facts: false\n  tasks:${SHOW}\n`);
    expect(r).toEqual({ h1: 'host-vars-file', h2: 'group-vars-file' });
  });

  it('facts override inventory vars', async () => {
    const r = await valueOf({}, `- hosts: h1\n  gather_facts: true\n  tasks:\n    - name: show\n      debug: msg="{{ ansible_system }}"\n`, [], INVENTORY.replace('v: inventory-host', 'ansible_system: from-inventory'));
    expect(r.h1).toBe('Linux');
  });

  it('play vars override inventory host vars', async () => {
    const r = await valueOf({}, `- hosts: all\n  gather_facts: false\n  vars:\n    v: play\n  tasks:${SHOW}\n`);
    expect(r).toEqual({ h1: 'play', h2: 'play' });
  });

  it('vars_files override play vars', async () => {
    const r = await valueOf({ 'vars/x.yml': 'v: vars-file\n' }, `- hosts: all\n  gather_facts: false\n  vars:\n    v: play\n  vars_files: [vars/x.yml]\n  tasks:${SHOW}\n`);
    expect(r.h1).toBe('vars-file');
  });

  it('role vars override vars_files', async () => {
    const r = await valueOf(
      { 'vars/x.yml': 'v: vars-file\n', 'roles/r/vars/main.yml': 'v: role-vars\n', 'roles/r/tasks/main.yml': '- name: show\n  debug: msg="{{ v }}"\n' },
      `- hosts: all\n  gather_facts: false\n  vars_files: [vars/x.yml]\n  roles: [r]\n`,
    );
    expect(r.h1).toBe('role-vars');
  });

  it('block vars override role vars, task vars override block vars', async () => {
    const r = await valueOf(
      { 'roles/r/vars/main.yml': 'v: role-vars\n', 'roles/r/tasks/main.yml': '- block:\n    - name: show\n      debug: msg="{{ v }}"\n    - name: task\n      debug: msg="{{ v }}"\n      vars: {v: task-vars}\n  vars:\n    v: block-vars\n' },
      `- hosts: h1\n  gather_facts: false\n  roles: [r]\n`,
    );
    expect(r.h1).toBe('block-vars');
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  roles: [r]\n`, [], INVENTORY);
    expect(results(run, 'task').h1[0].msg).toBe('task-vars');
  });

  it('set_fact and register override task vars', async () => {
    p = project();
    const run = await play(p, `- hosts: h1\n  gather_facts: false\n  vars: {v: play}\n  tasks:\n    - set_fact: {v: fact}\n    - name: show\n      debug: msg="{{ v }}"\n      vars: {v: task-vars}\n    - command: echo registered\n      register: v\n    - name: reg\n      debug: msg="{{ v.stdout }}"\n`, [], INVENTORY);
    expect(run.code).toBe(0);
    expect(results(run, 'show').h1[0].msg).toBe('fact');
    expect(results(run, 'reg').h1[0].msg).toBe('registered');
  });

  it('role params override set_fact', async () => {
    const r = await valueOf({ 'roles/r/tasks/main.yml': '- name: show\n  debug: msg="{{ v }}"\n' }, `- hosts: h1\n  gather_facts: false\n  pre_tasks:\n    - set_fact: {v: fact}\n  roles:\n    - role: r\n      v: role-param\n`);
    expect(r.h1).toBe('role-param');
  });

  it('extra vars win over everything', async () => {
    const r = await valueOf({ 'roles/r/tasks/main.yml': '- name: show\n  debug: msg="{{ v }}"\n' }, `- hosts: all\n  gather_facts: false\n  pre_tasks:\n    - set_fact: {v: fact}\n  roles:\n    - role: r\n      v: role-param\n`, ['-e', 'v=extra']);
    expect(r).toEqual({ h1: 'extra', h2: 'extra' });
  });

  it('-e accepts @file and JSON, later wins', async () => {
    const r = await valueOf({ 'extra.yml': 'v: from-file\n' }, `- hosts: h1\n  gather_facts: false\n  tasks:${SHOW}\n`, ['-e', '@extra.yml', '-e', '{"w": 1}']);
    expect(r.h1).toBe('from-file');
    const r2 = await valueOf({}, `- hosts: h1\n  gather_facts: false\n  tasks:${SHOW}\n`, ['-e', 'v=first', '-e', '{"v": "json"}']);
    expect(r2.h1).toBe('json');
  });

  it('magic variables: inventory_hostname, groups, group_names, hostvars, ansible_play_hosts', async () => {
    p = project();
    const run = await play(
      p,
      `- hosts: web\n  gather_facts: false\n  tasks:\n    - name: show\n      debug:\n        msg: "{{ inventory_hostname }} {{ group_names | join(',') }} {{ groups.web | join(',') }} {{ hostvars['h1'].v }} {{ ansible_play_hosts | length }}"\n`,
      [],
      INVENTORY,
    );
    expect(run.code).toBe(0);
    expect(results(run, 'show').h2[0].msg).toBe('h2 web h1,h2 inventory-host 2');
  });

  it('lazy templating: a variable may refer to another', async () => {
    const r = await valueOf({}, `- hosts: h1\n  gather_facts: false\n  vars:\n    a: "{{ b }}-a"\n    b: "{{ c }}-b"\n    c: c\n    v: "{{ a }}"\n  tasks:${SHOW}\n`);
    expect(r.h1).toBe('c-b-a');
  });
});

describe('the layers below task vars, kept per host and scope (vars.ts scopeLayers)', () => {
  it('follow facts, the inventory and public roles as they change in the middle of a play', async () => {
    p = project({
      'group_vars/zgroup.yml': 'v: zgroup-file\n',
      'roles/r/defaults/main.yml': 'from_role: role-default\n',
      'roles/r/tasks/main.yml': '- name: in role\n  debug: msg=r\n',
    });
    const show = `
    - name: show
      debug: msg="{{ v }} {{ ansible_system | default('no facts') }} {{ from_role | default('no role') }}"`;
    const run = await play(
      p,
      `- hosts: h2
  gather_facts: false
  tasks:${show}
    - setup: {gather_subset: ['!all']}${show}
    - group_by: {key: zgroup}${show}
    - include_role: {name: r, public: true}${show}
`,
      [],
      INVENTORY,
    );
    expect(run.stderr).toBe('');
    expect(results(run, 'show').h2?.map((r) => r.msg)).toEqual([
      'inventory-group no facts no role',
      'inventory-group Linux no role',
      'zgroup-file Linux no role',
      'zgroup-file Linux role-default',
    ]);
  });
});
