import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { project, uxsv, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

describe('uxsv inventory (ansible-inventory)', () => {
  it('reads every -i in order and prints the --list JSON with a final newline', async () => {
    p = project({ 'a.yml': 'all:\n  hosts:\n    a1: {v: 1}\n', 'b.ini': '[g]\nb1\n' });
    const run = await uxsv(p, ['inventory', '-i', 'a.yml', '-i', 'b.ini', '--list']);
    expect(run.code).toBe(0);
    expect(run.output.endsWith('}\n')).toBe(true);
    const data = JSON.parse(run.output);
    expect(data.all.children).toEqual(['ungrouped', 'g']);
    expect(data.ungrouped.hosts).toEqual(['a1']);
    expect(data._meta.hostvars).toEqual({ a1: { v: 1 } });
  });

  it('writes --output to a file as Ansible does (no trailing newline), and --yaml', async () => {
    p = project({ 'h.ini': 'x1 port=1\n' });
    await uxsv(p, ['inventory', '-i', 'h.ini', '--list', '--output', 'out.json']);
    expect(JSON.parse(readFileSync(p.path('out.json'), 'utf8'))._meta.hostvars.x1.port).toBe(1);
    expect(readFileSync(p.path('out.json'), 'utf8').endsWith('}')).toBe(true);
    const yaml = await uxsv(p, ['inventory', '-i', 'h.ini', '--list', '--yaml']);
    expect(yaml.output).toBe('all:\n  children:\n    ungrouped:\n      hosts:\n        x1:\n          port: 1\n');
  });

  it('shows one host with --host, a graph with --graph, and refuses what ansible-inventory refuses', async () => {
    p = project({ 'h.ini': '[g]\nx1 port=1\n' });
    expect(JSON.parse((await uxsv(p, ['inventory', '-i', 'h.ini', '--host', 'x1'])).output)).toEqual({ port: 1 });
    expect((await uxsv(p, ['inventory', '-i', 'h.ini', '--graph', 'g'])).output).toBe('@g:\n  |--x1\n');
    const none = await uxsv(p, ['inventory', '-i', 'h.ini']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('No action selected, at least one of --host, --graph or --list needs to be specified.');
    const badHost = await uxsv(p, ['inventory', '-i', 'h.ini', '--host', 'nosuch']);
    expect(badHost.code).toBe(1);
    expect(badHost.stderr).toContain('You must pass a single valid host to --host parameter');
    const badGraph = await uxsv(p, ['inventory', '-i', 'h.ini', '--graph', 'nosuch']);
    expect(badGraph.stderr).toContain('Pattern must be valid group name when using --graph');
    const two = await uxsv(p, ['inventory', '-i', 'h.ini', '--list', '--graph']);
    expect(two.stderr).toContain('Conflicting options used');
  });

  it('takes the inventory of ansible.cfg when no -i is given', async () => {
    p = project({ 'ansible.cfg': '[defaults]\ninventory = hosts.ini\n', 'hosts.ini': '[g]\nfromcfg\n' });
    const run = await uxsv(p, ['inventory', '--list']);
    expect(JSON.parse(run.output).g.hosts).toEqual(['fromcfg']);
  });
});
