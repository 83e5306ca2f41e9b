/**
 * Playbooks and task files parsed once and read back from the cache
 * (engine/loader/yaml-cache.ts): the same runs, the same error positions,
 * `!unsafe` kept; extra vars and data JSON would not give back the same are
 * never kept, variable files only when every user can read them anyway; an
 * entry others could write is not used.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configureYamlCache } from '../../../engine/loader/yaml-cache.js';
import { play, project, type Project } from '../../helpers/engine.js';

let p: Project;
let dir: string;
const scratch = mkdtempSync(join(tmpdir(), 'uxsv-yc-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeEach(() => {
  dir = mkdtempSync(join(scratch, 'cache-'));
  configureYamlCache({ dir, build: 'test-build' });
});
afterEach(() => {
  configureYamlCache(undefined);
  p?.cleanup();
});

const entries = () => readdirSync(dir).filter((n) => n.startsWith('yaml-'));
const kept = () => entries().map((n) => readFileSync(join(dir, n), 'utf8')).join('\n');

const PLAYBOOK = `- hosts: all
  gather_facts: false
  vars_files: [secrets.yml]
  vars:
    raw: !unsafe '{{ never rendered }}'
  tasks:
    - name: greet
      debug: { msg: "hello {{ raw }}" }
    - include_tasks: more.yml
`;

describe('the parse cache', () => {
  it('a playbook and its task files are parsed once: the next run reads them back and runs the same', async () => {
    p = project({ 'more.yml': '- name: more\n  debug: { msg: "from a task file" }\n', 'secrets.yml': 'password: s3cret-value\n' });
    const first = await play(p, PLAYBOOK);
    expect(first.code).toBe(0);
    expect(first.output).toContain('hello {{ never rendered }}');
    expect(entries()).toHaveLength(2); // site.yml and more.yml, not the vars file
    const second = await play(p, PLAYBOOK);
    expect(second.output).toBe(first.output);
    expect(entries()).toHaveLength(2);
    // Variable files and extra vars hold secrets: never written to the cache.
    await play(p, PLAYBOOK, ['-e', 'extra_secret=other-s3cret']);
    expect(kept()).not.toContain('s3cret');
    for (const name of entries()) expect(readdirSync(dir, { withFileTypes: true }).find((d) => d.name === name)?.isFile()).toBe(true);
  });

  it('what is read back is what runs, and only from a private entry', async () => {
    p = project({ 'more.yml': '- debug: { msg: "from a task file" }\n', 'secrets.yml': 'password: x\n' });
    await play(p, PLAYBOOK);
    const entry = entries().map((n) => join(dir, n)).find((f) => readFileSync(f, 'utf8').includes('from a task file'))!;
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('from a task file', 'from the cache'), { mode: 0o600 });
    expect((await play(p, PLAYBOOK)).output).toContain('from the cache');
    chmodSync(entry, 0o644);
    expect((await play(p, PLAYBOOK)).output).toContain('from a task file');
    writeFileSync(entry, '{ not json', { mode: 0o600 });
    expect((await play(p, PLAYBOOK)).output).toContain('from a task file');
  });

  it('a file read back from the cache gives the same positions: of its tasks, and of an error found loading it', async () => {
    p = project({ 'more.yml': '- name: fine\n  debug: { msg: ok }\n\n- name: undefined\n  debug: { msg: "{{ nope }}" }\n', 'secrets.yml': 'password: x\n' });
    for (let run = 0; run < 2; run++) expect((await play(p, PLAYBOOK)).output).toMatch(/'nope' is undefined.*\(more\.yml:4\)/);
    p.write('more.yml', '- name: fine\n  debug: { msg: ok }\n- name: typo\n  debgu: { msg: x }\n');
    const first = await play(p, PLAYBOOK);
    const second = await play(p, PLAYBOOK);
    expect(first.code).not.toBe(0);
    expect(first.output + first.stderr).toContain('more.yml:4:3');
    expect(second.output + second.stderr).toBe(first.output + first.stderr);
  });

  it('data JSON would not give back the same is parsed every run', async () => {
    p = project({ 'secrets.yml': 'password: x\n', 'more.yml': '- debug: { msg: ok }\n' });
    const shared = `- hosts: all
  gather_facts: false
  vars:
    base: &base { a: 1 }
    again: *base
    far: .inf
  tasks:
    - debug: { msg: "{{ again.a }} {{ far }}" }
`;
    const first = await play(p, shared);
    expect(first.code).toBe(0);
    expect(entries()).toHaveLength(0);
    expect((await play(p, shared)).output).toBe(first.output);
  });

  it('a variable file or inventory is kept only when every user can read it anyway (never one closed to others, or in a closed folder)', async () => {
    p = project({ 'more.yml': '- debug: { msg: ok }\n', 'secrets.yml': 'password: closed-s3cret\n', 'group_vars/all.yml': 'open_value: readable-by-all\n' });
    chmodSync(p.dir, 0o700);
    chmodSync(p.path('secrets.yml'), 0o600);
    chmodSync(p.path('group_vars/all.yml'), 0o644);
    await play(p, PLAYBOOK);
    // In a folder closed to others: nothing but the playbook and the task file.
    expect(entries()).toHaveLength(2);
    chmodSync(p.dir, 0o755);
    const first = await play(p, PLAYBOOK);
    expect(kept()).toContain('readable-by-all');
    expect(kept()).not.toContain('closed-s3cret');
    const count = entries().length;
    expect(count).toBeGreaterThan(2);
    const second = await play(p, PLAYBOOK);
    expect(second.output).toBe(first.output);
    expect(entries()).toHaveLength(count);
  });
});
