/**
 * The roles follow the rules an Ansible user expects of them: dependencies in
 * meta/main.yml, every package installed in one place (base-install), one tag
 * rule, no handler that nothing notifies; and the playbooks read the same to
 * ansible-playbook and to uxsv (ansible.cfg at the repository root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { IMAGE_PACKAGES, SERVICE_PACKAGES } from '../../../lab/packages.js';
import { uxsvHere } from '../../helpers/engine.js';

type Task = Record<string, unknown>;

const ROLES = readdirSync('roles').filter((r) => existsSync(path.join('roles', r, 'tasks'))).sort();
const PACKAGE_MODULES = ['apt', 'package', 'dnf', 'yum'].flatMap((m) => [m, `ansible.builtin.${m}`]);
const BLOCK_KEYS = ['block', 'rescue', 'always'];

function yamlFile(file: string): unknown {
  return parse(readFileSync(file, 'utf8'));
}

function yamlFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f)) : [];
}

/** Every task of a task list with the tags it gets from its blocks, blocks themselves excluded. */
function tasksWithTags(list: unknown, inherited: string[] = []): Array<{ task: Task; tags: string[] }> {
  if (!Array.isArray(list)) return [];
  return list.flatMap((raw) => {
    const task = raw as Task;
    const own = task.tags === undefined ? [] : ([] as string[]).concat(task.tags as string | string[]);
    const tags = [...new Set([...inherited, ...own])];
    if (BLOCK_KEYS.some((k) => k in task)) return BLOCK_KEYS.flatMap((k) => tasksWithTags(task[k], tags));
    return [{ task, tags }];
  });
}

function roleTasks(role: string): Array<{ task: Task; tags: string[]; file: string }> {
  return yamlFiles(path.join('roles', role, 'tasks')).flatMap((file) => tasksWithTags(yamlFile(file)).map((t) => ({ ...t, file })));
}

function meta(role: string): { dependencies?: Array<string | { role: string }> } {
  return yamlFile(path.join('roles', role, 'meta', 'main.yml')) as { dependencies?: Array<string | { role: string }> };
}

const depNames = (role: string) => (meta(role).dependencies ?? []).map((d) => (typeof d === 'string' ? d : d.role));

describe('the roles', () => {
  it('are the nine of the cluster, each with meta/main.yml naming roles that exist', () => {
    expect(ROLES).toEqual(['alias', 'base-install', 'dhcp', 'disable-unneeded-services', 'dns', 'mail', 'mirror', 'ntp', 'web']);
    for (const role of ROLES) {
      expect(existsSync(path.join('roles', role, 'meta', 'main.yml')), role).toBe(true);
      for (const dep of depNames(role)) expect(ROLES, `${role} depends on ${dep}`).toContain(dep);
    }
    // The service roles need what base-install installs and makes.
    for (const role of ['dns', 'dhcp', 'web', 'mail', 'ntp', 'mirror']) expect(depNames(role), role).toEqual(['base-install']);
  });

  it('install packages in one place: base-install, whose list the offline lab image holds', () => {
    for (const role of ROLES) {
      for (const { task, file } of roleTasks(role)) {
        const installs = PACKAGE_MODULES.filter((m) => m in task);
        if (role !== 'base-install') expect(installs, `${file}: ${String(task.name)}`).toEqual([]);
      }
    }
    const packages = (yamlFile('roles/base-install/defaults/main.yml') as { base_packages: string[] }).base_packages;
    const image = new Set([...SERVICE_PACKAGES, ...IMAGE_PACKAGES]);
    expect(packages.filter((p) => !image.has(p))).toEqual([]);
  });

  it("tag every task with the role's name and nothing else, and say so in the README", () => {
    for (const role of ROLES) {
      const tasks = roleTasks(role);
      expect(tasks.length, role).toBeGreaterThan(0);
      for (const { task, tags, file } of tasks) expect(tags, `${file}: ${String(task.name)}`).toEqual([role]);
      const readme = readFileSync(path.join('roles', role, 'README.md'), 'utf8');
      expect(readme, role).toContain('## Dependencies and tags');
      expect(readme, role).toContain(`every task of this role carries the tag \`${role}\``);
    }
  });

  it('have no handler that nothing notifies', () => {
    const notified = new Set<string>();
    const collect = (list: unknown) => {
      for (const { task } of tasksWithTags(list)) for (const n of ([] as unknown[]).concat(task.notify ?? [])) notified.add(String(n));
    };
    for (const role of ROLES) for (const dir of ['tasks', 'handlers']) for (const file of yamlFiles(path.join('roles', role, dir))) collect(yamlFile(file));
    for (const file of yamlFiles('playbooks')) for (const play of (yamlFile(file) as Task[]) ?? []) for (const k of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) collect(play[k]);
    for (const role of ROLES) {
      for (const file of yamlFiles(path.join('roles', role, 'handlers'))) {
        for (const { task } of tasksWithTags(yamlFile(file))) {
          const names = [String(task.name), ...([] as unknown[]).concat(task.listen ?? []).map(String)];
          expect(names.some((n) => notified.has(n)), `${file}: handler '${String(task.name)}'`).toBe(true);
        }
      }
    }
  });
});

describe('the playbooks', () => {
  it('list each role once, base-install first, and its dependencies before it', async () => {
    const run = await uxsvHere(['play', '--list-tasks', 'playbooks/site.yml', '-i', 'inventory/lab']);
    expect(run.code, run.stderr).toBe(0);
    const converge = run.output.split(/\n\s*play #\d+/).find((play) => play.includes('Converge to'))!;
    const roleOrder = [...new Set([...converge.matchAll(/^\s+([a-z-]+) : /gm)].map((m) => m[1]))];
    expect(roleOrder).toEqual(['base-install', 'disable-unneeded-services', 'alias', 'dns', 'dhcp', 'web', 'mail', 'ntp', 'mirror']);
    expect(converge.match(/base-install : Install every service package/g)).toHaveLength(1);
    for (const role of roleOrder) for (const dep of depNames(role)) expect(roleOrder.indexOf(dep), `${dep} before ${role}`).toBeLessThan(roleOrder.indexOf(role));
  });

  it.skipIf(!existsSync('/usr/bin/ansible-playbook'))('read the same to ansible-playbook: its syntax check passes and it lists the same tasks and tags', async () => {
    const ansible = (args: string[]) => execFileSync('ansible-playbook', args, { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(ansible(['--syntax-check', 'playbooks/site.yml'])).toContain('playbook: playbooks/site.yml');
    // Play names are left out: uxsv does not render their templates in a listing. Each line once:
    // ansible-playbook lists a dependency again under every role that has it (it runs it once).
    const tasks = (text: string) => [...new Set(text.split('\n').filter((l) => /\tTAGS: /.test(l) && !/^\s*play #/.test(l)).map((l) => l.trim()))];
    const listed = await uxsvHere(['play', '--list-tasks', 'playbooks/site.yml']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(tasks(listed.output)).toEqual(tasks(ansible(['--list-tasks', 'playbooks/site.yml'])));
  });
});
