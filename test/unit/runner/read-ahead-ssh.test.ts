/**
 * Reading ahead over real SSH (test/helpers/sshd.ts): a 30-task run with
 * nothing to change costs a few commands per host instead of one per task
 * (commands skipped by `creates` included), and gives the same results as
 * without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { project, type Project } from '../../helpers/engine.js';
import { runPlay } from '../../../engine/cli/play.js';

let sshd: TestSshd;
let p: Project;

beforeAll(async () => {
  sshd = await startSshd();
  p = project({ 'templates/t.j2': 'on {{ inventory_hostname }}\n' });
});
afterAll(async () => {
  await sshd?.stop();
  p?.cleanup();
});

function inventory(): string {
  const hostVars = `ansible_host: 127.0.0.1\n      ansible_port: ${sshd.port}\n      ansible_user: root\n      ansible_ssh_private_key_file: ${sshd.clientKeyPath}\n      uxsv_ssh_persist: 0`;
  return `all:\n  vars:\n    ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}\n  hosts:\n    s1:\n      ${hostVars}\n    s2:\n      ${hostVars}\n`;
}

/** 30 tasks: file, copy, template, lineinfile, stat and command with creates, five of each, in a folder per host. */
function playbook(out = 'out'): string {
  const dir = `${p.dir}/${out}/{{ inventory_hostname }}`;
  const tasks: string[] = [`    - file: { path: "${dir}", state: directory }`];
  for (let i = 1; i < 30; i++) {
    const f = `${dir}/f${i}`;
    tasks.push([
      `    - file: { path: "${dir}/d${i}", state: directory }`,
      `    - copy: { dest: "${f}", content: "${i}\\n" }`,
      `    - template: { src: t.j2, dest: "${f}" }`,
      `    - lineinfile: { path: "${dir}/lines", line: "line ${i}", create: true }`,
      `    - stat: { path: "${dir}/lines" }`,
      `    - command: touch ${dir}/c${i}\n      args: { creates: "${dir}/c${i}" }`,
    ][i % 6]!);
  }
  return `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`;
}

async function run(readAhead: boolean) {
  const before = process.env.UXSV_READ_AHEAD;
  process.env.UXSV_READ_AHEAD = readAhead ? '1' : '0';
  try {
    const outcome = await runPlay([p.path('site.yml')], { inventory: [p.path('inventory.yml')] }, { write: () => undefined, writeError: () => undefined, isTty: false, env: { NO_COLOR: '1' } });
    return { code: outcome.exitCode, stats: outcome.result!.stats, commands: Object.fromEntries(outcome.result!.connections.map((c) => [c.host, c.commands])) };
  } finally {
    if (before === undefined) delete process.env.UXSV_READ_AHEAD;
    else process.env.UXSV_READ_AHEAD = before;
  }
}

describe('reading ahead over SSH', () => {
  it('a 30-task run with nothing to change costs a few commands per host', async () => {
    p.write('inventory.yml', inventory());
    p.write('site.yml', playbook());
    const first = await run(true);
    expect(first.code).toBe(0);
    const off = await run(false);
    const on = await run(true);
    expect(off.stats).toEqual(on.stats);
    for (const h of ['s1', 's2']) expect(on.stats[h]).toMatchObject({ ok: 30, changed: 0, failed: 0 });
    // Each host: the run lock's commands, and one per task without reading ahead.
    for (const h of ['s1', 's2']) {
      expect(off.commands[h]).toBeGreaterThanOrEqual(30);
      expect(on.commands[h]).toBeLessThanOrEqual(8);
    }
    console.log(`commands per host, 30 tasks, nothing to change: without reading ahead ${JSON.stringify(off.commands)}, with ${JSON.stringify(on.commands)}`);
  });

  it('a run that changes everything costs no more commands than without it', async () => {
    p.write('inventory.yml', inventory());
    p.write('site.yml', playbook('fresh-on'));
    const on = await run(true);
    p.write('site.yml', playbook('fresh-off'));
    const off = await run(false);
    expect(on.stats).toEqual(off.stats);
    for (const h of ['s1', 's2']) expect(on.commands[h]).toBeLessThanOrEqual(off.commands[h]!);
    console.log(`commands per host, 30 tasks, everything changed: without reading ahead ${JSON.stringify(off.commands)}, with ${JSON.stringify(on.commands)}`);
  });
});
