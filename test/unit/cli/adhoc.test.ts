import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { adHocPlaybookText } from '../../../engine/cli/adhoc.js';
import { project, uxsv, type Project } from '../../helpers/engine.js';

const INVENTORY = `all:
  hosts:
    h1: {ansible_connection: local}
    h2: {ansible_connection: local}
  children:
    web:
      hosts:
        h2:
`;

let p: Project;
afterEach(() => p?.cleanup());

function setup(): Project {
  p = project({ 'inventory.yml': INVENTORY });
  return p;
}

describe('uxsv ad-hoc (ansible)', () => {
  it('runs command by default and prints `host | CHANGED | rc=0 >>` and its output', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'web', '-i', 'inventory.yml', '-a', 'echo hello world']);
    expect(run.code).toBe(0);
    expect(run.output).toBe('h2 | CHANGED | rc=0 >>\nhello world\n');
  });

  it('prints a failed command with FAILED, its output and message, and exits 2', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'shell', '-a', 'echo out; echo err >&2; exit 3']);
    expect(run.code).toBe(2);
    expect(run.output).toBe('h1 | FAILED | rc=3 >>\nouterrnon-zero return code\n');
  });

  it('prints other modules as `host | SUCCESS => {...}` (sorted JSON indented by 4), debug with its message alone', async () => {
    setup();
    const ping = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'ping']);
    expect(ping.output).toBe('h1 | SUCCESS => {\n    "changed": false,\n    "ping": "pong"\n}\n');
    const debug = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'debug', '-a', 'msg={{ inventory_hostname }}-x']);
    expect(debug.output).toBe('h1 | SUCCESS => {\n    "msg": "h1-x"\n}\n');
  });

  it('takes -a as a JSON mapping', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-a', '{"cmd": "echo from json"}']);
    expect(run.output).toBe('h1 | CHANGED | rc=0 >>\nfrom json\n');
  });

  it('prints FAILED! with the JSON result (without the failed key) for a module failure', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'file', '-a', `path=${p.dir}/missing/x state=file`]);
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/^h1 \| FAILED! => \{\n {4}"changed": false,\n {4}"msg": ".*is absent, cannot continue"/);
    expect(run.output).not.toMatch(/"failed"/);
  });

  it('prints one line per host with -o', async () => {
    setup();
    const cmd = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-o', '-m', 'shell', '-a', 'printf "a\\nb"']);
    expect(cmd.output).toBe('h1 | CHANGED | rc=0 | (stdout) a\\nb\n');
    const ping = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-o', '-m', 'ping']);
    expect(ping.output).toBe('h1 | SUCCESS => {"changed": false,"ping": "pong"}\n');
    const failed = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-o', '-m', 'shell', '-a', 'exit 1']);
    expect(failed.output).toMatch(/^h1 \| FAILED! => \{"changed": true,"cmd": "exit 1",.*"rc": 1,/);
  });

  it('prints UNREACHABLE! and exits 4 when a host cannot be reached', async () => {
    p = project({ 'inventory.yml': 'all:\n  hosts:\n    gone: {ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh}\n' });
    const run = await uxsv(p, ['ad-hoc', 'gone', '-i', 'inventory.yml', '-m', 'ping', '-T', '3']);
    expect(run.code).toBe(4);
    expect(run.output).toMatch(/^gone \| UNREACHABLE! => \{\n {4}"changed": false,\n {4}"msg": ".+",\n {4}"unreachable": true\n\}\n$/);
    const one = await uxsv(p, ['ad-hoc', 'gone', '-i', 'inventory.yml', '-m', 'ping', '-o']);
    expect(one.output).toMatch(/^gone \| UNREACHABLE!: .+\n$/);
  });

  it('writes each host result as JSON to the -t folder', async () => {
    setup();
    await uxsv(p, ['ad-hoc', 'all', '-i', 'inventory.yml', '-m', 'ping', '-t', 'tree']);
    expect(readFileSync(p.path('tree/h1'), 'utf8')).toBe('{"changed": false, "ping": "pong"}');
    expect(existsSync(p.path('tree/h2'))).toBe(true);
  });

  it('lists the hosts of the pattern and --limit with --list-hosts, running nothing', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'all', '-i', 'inventory.yml', '--list-hosts', '-l', 'h2', '-a', `touch ${p.dir}/ran`]);
    expect(run.output).toBe('  hosts (1):\n    h2\n');
    expect(existsSync(p.path('ran'))).toBe(false);
  });

  it('warns and does nothing when the pattern matches nothing; refuses a --limit that leaves no host', async () => {
    setup();
    const none = await uxsv(p, ['ad-hoc', 'nosuch', '-i', 'inventory.yml', '-m', 'ping']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('[WARNING]: Could not match supplied host pattern, ignoring: nosuch');
    expect(none.stderr).toContain('[WARNING]: No hosts matched, nothing to do');
    const limited = await uxsv(p, ['ad-hoc', 'all', '-i', 'inventory.yml', '-m', 'ping', '-l', 'nosuch']);
    expect(limited.code).toBe(1);
    expect(limited.stderr).toContain('Specified inventory, host pattern and/or --limit leaves us with no hosts to target.');
  });

  it('requires -a for command-like modules', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No argument passed to command module');
  });

  it('changes nothing with -C and shows the diff with -D', async () => {
    setup();
    const run = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'copy', '-a', `content=new dest=${p.dir}/f.txt`, '-C', '-D']);
    expect(run.code).toBe(0);
    expect(existsSync(p.path('f.txt'))).toBe(false);
    expect(run.output).toMatch(/^--- before[^]*\n\+new\n[^]*\nh1 \| CHANGED => \{/);
  });

  it('runs include_role and include_tasks, printing the include first and each included task by its own action', async () => {
    setup();
    p.write('roles/role1/tasks/main.yml', '- debug: msg="In role1"\n');
    p.write('inc.yml', '- debug: msg=inc\n');
    const role = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'include_role', '-a', 'name=role1']);
    expect(role.code).toBe(0);
    expect(role.output).toBe('h1 | SUCCESS => {\n    "changed": false,\n    "include_args": {\n        "name": "role1"\n    }\n}\nh1 | SUCCESS => {\n    "msg": "In role1"\n}\n');
    const tasks = await uxsv(p, ['ad-hoc', 'h1', '-i', 'inventory.yml', '-m', 'include_tasks', '-a', 'inc.yml']);
    expect(tasks.output).toBe('h1 | SUCCESS => {\n    "changed": false,\n    "include": "inc.yml",\n    "include_args": {}\n}\nh1 | SUCCESS => {\n    "msg": "inc"\n}\n');
  });

  it('builds a one-task play without fact gathering, with -B/-P as async and poll keywords', () => {
    const play = YAML.parse(adHocPlaybookText('web:&db', 'shell', 'echo {{ x }}', { async: 10, poll: 2 }));
    expect(play).toEqual([{ name: 'Ansible Ad-Hoc', hosts: 'web:&db', gather_facts: false, tasks: [{ name: 'shell', shell: 'echo {{ x }}', async: 10, poll: 2 }] }]);
    expect(YAML.parse(adHocPlaybookText('all', 'ping', undefined, {}))[0].tasks[0].ping).toBeNull();
    expect(YAML.parse(adHocPlaybookText('all', 'shell', 'echo "a: b" # not a comment\n', {}))[0].tasks[0].shell).toBe('echo "a: b" # not a comment');
    expect(YAML.parse(adHocPlaybookText('all', 'file', '{"path": "/x"}', {}))[0].tasks[0].file).toEqual({ path: '/x' });
  });
});
