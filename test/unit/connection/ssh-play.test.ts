/**
 * The engine over real SSH: an OpenSSH sshd on 127.0.0.1 (test/helpers/sshd.ts).
 * One handshake per host for the whole run, strict host keys, unreachable = exit 4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { project, type Project } from '../../helpers/engine.js';
import { runPlay } from '../../../engine/cli/play.js';

let sshd: TestSshd;
let p: Project;

beforeAll(async () => {
  sshd = await startSshd();
  p = project();
});
afterAll(async () => {
  await sshd?.stop();
  p?.cleanup();
});

function inventory(knownHosts: string, extraHost = ''): string {
  const hostVars = `ansible_host: 127.0.0.1\n          ansible_port: ${sshd.port}\n          ansible_user: root\n          ansible_ssh_private_key_file: ${sshd.clientKeyPath}`;
  return `all:\n  vars:\n    ansible_ssh_common_args: -o UserKnownHostsFile=${knownHosts}\n  hosts:\n    s1:\n          ${hostVars}\n    s2:\n          ${hostVars}\n${extraHost}`;
}

const PLAYBOOK = `- hosts: all
  tasks:
${Array.from({ length: 10 }, (_, i) => `    - name: step ${i}\n      command: echo ${i}`).join('\n')}
    - name: write
      copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.txt"
        content: "hello from {{ ansible_hostname }}\\n"
    - name: check
      shell: test -f "{{ out_dir }}/{{ inventory_hostname }}.txt"
`;

async function run(files: string[], inv: string, extra: string[] = []) {
  p.write('inventory.yml', inv);
  let output = '';
  let stderr = '';
  const outcome = await runPlay(files.map((f) => p.path(f)), { inventory: [p.path('inventory.yml')], extraVars: [`out_dir=${p.dir}`, ...extra] }, { write: (t) => void (output += t), writeError: (t) => void (stderr += t), isTty: false, env: { NO_COLOR: '1' } });
  return { ...outcome, output, stderr };
}

describe('engine over SSH', () => {
  it('runs a play over one SSH connection per host for the whole run', async () => {
    p.write('site.yml', PLAYBOOK);
    const r = await run(['site.yml'], inventory(sshd.knownHostsPath));
    expect(r.output).not.toMatch(/FAILED!|UNREACHABLE!/);
    expect(r.exitCode).toBe(0);
    expect(r.result!.stats.s1).toMatchObject({ failed: 0, unreachable: 0, changed: 12 });
    const perHost = Object.fromEntries(r.result!.connections.map((c) => [c.host, c.handshakes]));
    expect(perHost).toEqual({ s1: 1, s2: 1 });
    expect(p.read('s1.txt')).toMatch(/^hello from /);
  });

  it('refuses a changed host key, showing both fingerprints, and reports the host unreachable', async () => {
    const otherKey = path.join(p.dir, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const [type, blob] = execFileSync('cat', [`${otherKey}.pub`]).toString().split(/\s+/);
    const wrongKnownHosts = p.path('wrong_known_hosts');
    writeFileSync(wrongKnownHosts, `[127.0.0.1]:${sshd.port} ${type} ${blob}\n`);
    p.write('site.yml', '- hosts: s1\n  gather_facts: false\n  tasks:\n    - ping:\n');
    const r = await run(['site.yml'], inventory(wrongKnownHosts));
    expect(r.exitCode).toBe(4);
    expect(r.output).toMatch(/SHA256:\S+/);
    expect((r.output.match(/SHA256:/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('a host that does not answer is unreachable (exit 4) while the others finish', async () => {
    p.write('site.yml', '- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n    - command: "true"\n');
    const r = await run(['site.yml'], inventory(sshd.knownHostsPath, `    gone:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n`));
    expect(r.exitCode).toBe(4);
    expect(r.result!.stats.gone.unreachable).toBe(1);
    expect(r.result!.stats.s1).toMatchObject({ ok: 2, changed: 1 });
    expect(r.output).toMatch(/fatal: \[gone\]: UNREACHABLE! =>/);
  });

  // $PPID of a command is the sshd process of this connection: killing it drops the connection.
  const DROPPING = (when: string) => `- hosts: s1
  gather_facts: false
  tasks:
    - name: before
      command: echo before
    - name: drops the connection
      shell: |
        ${when}
        echo survived
    - name: after
      command: echo after
`;

  it('a dropped connection is reconnected and the task run again; the run tells so and succeeds', async () => {
    const marker = p.path('dropped-once');
    p.write('site.yml', DROPPING(`if [ ! -e ${marker} ]; then touch ${marker}; kill -9 $PPID; sleep 10; fi`));
    const r = await run(['site.yml'], inventory(sshd.knownHostsPath));
    expect(r.exitCode, r.output).toBe(0);
    expect(r.stderr.replace(/\s+/g, ' ')).toMatch(/\[WARNING\].*task 'drops the connection'.*connection lost.*reconnecting and running it again \(try 2 of 3\)/);
    expect(r.result!.stats.s1).toMatchObject({ ok: 3, unreachable: 0, failed: 0 });
    expect(r.result!.connections.find((c) => c.host === 's1')?.handshakes).toBe(2);
  });

  it('a connection that keeps dropping is given up after three tries: unreachable, exit 4', async () => {
    p.write('site.yml', DROPPING('kill -9 $PPID; sleep 10'));
    const r = await run(['site.yml'], inventory(sshd.knownHostsPath));
    expect(r.exitCode, r.output).toBe(4);
    expect(r.stderr.replace(/\s+/g, ' ').match(/reconnecting and running it again/g)).toHaveLength(2);
    expect(r.output).toMatch(/fatal: \[s1\]: UNREACHABLE!/);
    expect(r.result!.stats.s1).toMatchObject({ ok: 1, unreachable: 1 });
  });
});
