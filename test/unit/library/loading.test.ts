/**
 * Site modules (engine/modules/library.ts): found in library/ beside the
 * playbooks, in roles' library/ and on the configured module path, loaded
 * before the playbooks, run like any module; and this repository's own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../engine/errors.js';
import { libraryFolders, loadSiteModules } from '../../../engine/modules/library.js';
import { AnsibleConfig } from '../../../engine/config/index.js';
import { modules, modulesForRun, withSiteModules } from '../../../engine/modules/registry.js';
import { play, project, results, uxsv, type Project } from '../../helpers/engine.js';

let p: Project | undefined;
afterEach(() => p?.cleanup());

/** A controller-only site module `name` answering `{said: "<word> <who>"}`. */
function greeter(name: string, word: string, extra = ''): string {
  return `export default {
  name: ${JSON.stringify(name)},
  controllerOnly: true,
  schema: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'], additionalProperties: false },
  doc: { description: 'says hello', example: '- ${name}: {who: you}\\n' },
  async read() { return ${JSON.stringify(word)}; },
  plan(_ctx, args, word) { return { changed: false, result: { said: word + ' ' + args.who } }; },
  ${extra}
};
`;
}

const HELLO_PLAY = `
- hosts: h1
  gather_facts: false
  tasks:
    - name: greet
      hello: {who: world}
      register: greeting
    - name: show
      debug: {msg: "{{ greeting.said }}"}
`;

/** What the task \`show\` printed on h1. */
const shown = (run: Awaited<ReturnType<typeof play>>) => results(run, 'show').h1?.[0]?.msg;

describe('site modules in a run', () => {
  it('a playbook calls a module of the library/ beside it, with its arguments checked', async () => {
    p = project({ 'library/hello.mjs': greeter('hello', 'hello') });
    const run = await play(p, HELLO_PLAY);
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(results(run, 'greet').h1[0]).toMatchObject({ status: 'ok', changed: false });
    expect(shown(run)).toBe('hello world');

    const bad = await play(p, HELLO_PLAY.replace('{who: world}', '{whom: world}'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/site\.yml:6.*whom/s);
  });

  it("a role's library/ serves the role's tasks", async () => {
    p = project({
      'roles/greeting/library/hello.mjs': greeter('hello', 'hi'),
      'roles/greeting/tasks/main.yml': '- name: greet\n  hello: {who: role}\n  register: greeting\n- name: show\n  debug: {msg: "{{ greeting.said }}"}\n',
    });
    const run = await play(p, '- hosts: h1\n  gather_facts: false\n  roles: [greeting]\n');
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(shown(run)).toBe('hi role');
  });

  it('without its library a site module is an unknown module, and nothing runs', async () => {
    p = project({});
    const run = await play(p, HELLO_PLAY);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/hello/);
  });

  it('a site module named like a builtin takes the bare name; ansible.builtin.<name> stays the builtin', async () => {
    p = project({ 'library/ping.mjs': greeter('ping', 'pong').replace("required: ['who'], ", '').replace('args.who', "(args.who ?? 'site')") });
    const run = await play(p, `
- hosts: h1
  gather_facts: false
  tasks:
    - name: site ping
      ping:
      register: site
    - name: builtin ping
      ansible.builtin.ping:
      register: builtin
    - name: show
      debug: {msg: "{{ site.said }} / {{ builtin.ping }}"}
`);
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(shown(run)).toBe('pong site / pong');
  });
});

describe('finding and loading site modules', () => {
  it('looks beside the playbooks, then in the roles, then on the module path; the first name found wins', async () => {
    p = project({
      'playbooks/library/hello.mjs': greeter('hello', 'beside'),
      'playbooks/roles/r/library/hello.mjs': greeter('hello', 'role'),
      'playbooks/roles/r/library/only_in_role.mjs': greeter('only_in_role', 'role'),
      'shared/r2/library/hello.mjs': greeter('hello', 'roles path'),
      'modules/hello.mjs': greeter('hello', 'module path'),
      'modules/only_on_path.js': greeter('only_on_path', 'path'),
      'modules/README.md': 'not a module',
      'modules/legacy.py': '#!/usr/bin/python\n',
    });
    const search = { playbooks: [p.path('playbooks/site.yml')], rolesPath: [p.path('shared')], modulePath: [p.path('modules'), p.path('absent')] };
    expect(libraryFolders(search)).toEqual([p.path('playbooks/library'), p.path('playbooks/roles/r/library'), p.path('shared/r2/library'), p.path('modules')]);
    const loaded = await loadSiteModules(libraryFolders(search));
    expect(Object.fromEntries(loaded.map((m) => [m.name, m.file]))).toEqual({
      hello: p.path('playbooks/library/hello.mjs'),
      only_in_role: p.path('playbooks/roles/r/library/only_in_role.mjs'),
      only_on_path: p.path('modules/only_on_path.js'),
    });
  });

  it('refuses what is not a site module, naming the file', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['named.mjs', greeter('other', 'x'), /named 'other'.*file name \('named'\)/],
      ['empty.mjs', 'export const x = 1;\n', /must export a uxsv module as its default export/],
      ['broken.mjs', 'export default {;\n', /cannot load the site module broken/],
      ['throws.mjs', "throw new Error('no way');\n", /cannot load the site module throws: no way/],
      ['source.ts', 'export default {};\n', /the site module source is not built.*npm run build makes it/],
    ];
    for (const [file, text, message] of cases) {
      p = project({ [`library/${file}`]: text });
      const error = await loadSiteModules([p.path('library')]).then(() => undefined, (err: unknown) => err);
      expect(error, file).toBeInstanceOf(UserError);
      expect((error as UserError).message, file).toMatch(message);
      expect((error as UserError).position?.file, file).toBe(p.path(`library/${file}`));
      p.cleanup();
    }
    p = undefined;
  });

  it('takes the module path from ansible.cfg library, and --module-path before it', async () => {
    p = project({
      'ansible.cfg': '[defaults]\nlibrary = ./mods\n',
      'mods/hello.mjs': greeter('hello', 'from cfg'),
      'extra/hello.mjs': greeter('hello', 'from -M'),
      'inventory.yml': 'all: {hosts: {h1: {ansible_connection: local}}}\n',
      'site.yml': HELLO_PLAY,
    });
    const fromConfig = await uxsv(p, ['play', 'site.yml', '-i', 'inventory.yml', '--report', 'report.json']);
    expect(fromConfig.code, fromConfig.output + fromConfig.stderr).toBe(0);
    expect(shown({ ...fromConfig, report: JSON.parse(p.read('report.json')) })).toBe('from cfg world');
    const fromOption = await uxsv(p, ['play', 'site.yml', '-i', 'inventory.yml', '-M', 'extra', '--report', 'report.json']);
    expect(fromOption.code, fromOption.output + fromOption.stderr).toBe(0);
    expect(shown({ ...fromOption, report: JSON.parse(p.read('report.json')) })).toBe('from -M world');
  });

  it('adds site modules to a copy of the builtin registry', async () => {
    p = project({ 'library/hello.mjs': greeter('hello', 'x', "aliases: ['hi'],") });
    const site = await loadSiteModules([p.path('library')]);
    const registry = withSiteModules(site);
    expect(registry.get('hello')).toBe(site[0].module);
    expect(registry.get('hi')).toBe(site[0].module);
    expect(modules.has('hello')).toBe(false);
    expect(withSiteModules([])).toBe(modules);
  });
});

describe("this repository's site modules", () => {
  it('are the library/ of ansible.cfg, built, and none of them is a builtin', async () => {
    const registry = await modulesForRun(['playbooks/site.yml'], { rolesPath: ['roles'], modulePath: AnsibleConfig.load().get<string[]>('DEFAULT_MODULE_PATH') });
    for (const name of ['uxsv.placement', 'uxsv.ip_alias', 'uxsv.mirror_sync']) {
      expect(registry.get(name)?.name, name).toBe(name);
      expect(modules.has(name), name).toBe(false);
    }
    // synchronize is the builtin (ansible.posix.synchronize), not the mirror's site module.
    expect(registry.get('synchronize')).toBe(modules.get('ansible.posix.synchronize'));
  });
});
