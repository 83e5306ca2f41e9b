/**
 * The resident shell (engine/connection/resident.ts): every command of a
 * connection runs in one long-lived /bin/sh, locally and over a real sshd,
 * with the same results as a process per command.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../../engine/connection/local.js';
import { SshConnection } from '../../../engine/connection/ssh.js';
import type { Connection } from '../../../engine/connection/types.js';
import { TIMEOUT_RC } from '../../../engine/connection/wrap.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const text = (b: Buffer): string => b.toString();

let sshd: TestSshd;
let scratch: string;
const opened: Connection[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  scratch = mkdtempSync(join(tmpdir(), 'uxsv-resident-'));
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await sshd?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const transports: Array<[string, () => Connection]> = [
  ['local', () => new LocalConnection('here')],
  ['ssh', () => new SshConnection({
    host: 'testhost', connection: 'ssh', address: '127.0.0.1', port: sshd.port, user: 'root',
    privateKeyFile: sshd.clientKeyPath, timeoutSec: 5, knownHostsFile: sshd.knownHostsPath, acceptNewHostKeys: false,
  })],
];

describe.each(transports)('resident shell over %s', (_name, make) => {
  const connect = (): Connection => {
    const conn = make();
    opened.push(conn);
    return conn;
  };

  it('runs a hundred commands in one shell, each with its own rc, stdout and stderr', async () => {
    const conn = connect();
    for (let i = 0; i < 100; i++) {
      const result = await conn.exec(`printf 'out %s' ${i}; printf 'err %s\\n' ${i} >&2; exit ${i % 7}`);
      expect(result).toEqual({ rc: i % 7, stdout: Buffer.from(`out ${i}`), stderr: Buffer.from(`err ${i}\n`) });
    }
    expect(conn.stats.channels).toBe(1);
    expect(conn.stats.commands).toBe(100);
  });

  it('keeps nothing from one command to the next: cd, exports, variables, set -e, exit', async () => {
    const conn = connect();
    const home = text((await conn.exec('pwd')).stdout);
    await conn.exec('cd / && export UXSV_LEAK=1 && leak=2 && set -e && umask 0 && exit 5');
    const after = await conn.exec('pwd; echo "${UXSV_LEAK-unset} ${leak-unset}"; umask; false; echo still');
    expect(text(after.stdout)).toBe(`${home}unset unset\n${text((await conn.exec('umask')).stdout)}still\n`);
    expect(conn.stats.channels).toBe(1);
  });

  it('passes every byte through stdin and stdout, NUL and no trailing newline included', async () => {
    const conn = connect();
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const result = await conn.exec('cat; printf x', { stdin: Buffer.concat([bytes, bytes]) });
    expect(Buffer.compare(result.stdout, Buffer.concat([bytes, bytes, Buffer.from('x')]))).toBe(0);
    // The next command gets no stdin at all, not what is left of this one.
    expect(text((await conn.exec('cat')).stdout)).toBe('');
  });

  it('hands a command that does not read its stdin nothing that confuses the next one', async () => {
    const conn = connect();
    // More than a pipe holds, and lines that would be commands if the shell read them.
    const stdin = '1 0\necho injected\n'.repeat(100_000);
    const result = await conn.exec('exit 3', { stdin });
    expect(result.rc).toBe(3);
    const half = await conn.exec('head -c 5', { stdin });
    expect(text(half.stdout)).toBe('1 0\ne');
    const next = await conn.exec('echo next');
    expect(text(next.stdout)).toBe('next\n');
    expect(conn.stats.channels).toBe(1);
  });

  it('carries large output intact (4 MiB)', async () => {
    const conn = connect();
    const result = await conn.exec('head -c 4194304 /dev/zero | tr "\\0" a; echo');
    expect(result.stdout.length).toBe(4 * 1024 * 1024 + 1);
    expect(result.stdout.subarray(0, 4).toString()).toBe('aaaa');
  });

  it('is not fooled by output that looks like the end of a command', async () => {
    const conn = connect();
    const result = await conn.exec("printf '\\nuxsv-0000 1 0\\nready 1\\n'; echo done");
    expect(text(result.stdout)).toBe('\nuxsv-0000 1 0\nready 1\ndone\n');
  });

  it('applies env and cwd with hostile values inside the command only', async () => {
    const conn = connect();
    const value = "a'b\"c $(touch x) `id` \\ \n end";
    const result = await conn.exec('printf %s "$V"; pwd', { env: { V: value }, cwd: '/' });
    expect(text(result.stdout)).toBe(`${value}/\n`);
    expect(text((await conn.exec('printf %s "${V-unset}"')).stdout)).toBe('unset');
  });

  it('a timeout answers promptly, kills the command and what it started, and the next command gets a new shell', async () => {
    const conn = connect();
    const pidFile = join(scratch, `${_name}-child.pid`);
    await conn.exec('true');
    const started = Date.now();
    const result = await conn.exec(`sleep 1000 & echo $! > ${pidFile}; echo partial; wait`, { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.rc).toBe(TIMEOUT_RC);
    // Answered without waiting for the command (1000 s), however busy the machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
    const after = await conn.exec('echo after');
    expect(text(after.stdout)).toBe('after\n');
  });

  it('runs an inline test in the shell itself, any other command in a subshell of its own', async () => {
    const conn = connect();
    // /proc/self is whoever reads it: the resident shell itself, or a forked subshell.
    const probe = 'read -r __probe_pid __probe_rest < /proc/self/stat; echo "$__probe_pid $$"';
    const [inlinePid, shellPid] = text((await conn.exec(probe, { inline: true })).stdout).trim().split(' ');
    expect(inlinePid).toBe(shellPid);
    const [forkedPid, samePid] = text((await conn.exec(probe)).stdout).trim().split(' ');
    expect(samePid).toBe(shellPid);
    expect(forkedPid).not.toBe(shellPid);
    // With env or cwd it cannot stay inline: they would stick to the shell.
    const [withEnvPid] = text((await conn.exec(probe, { inline: true, env: { A: '1' } })).stdout).trim().split(' ');
    expect(withEnvPid).not.toBe(shellPid);
    expect(text((await conn.exec('printf %s "${A-unset}"')).stdout)).toBe('unset');
  });

  it('keeps its token off the command line, which every user of the host can read', async () => {
    const conn = connect();
    const cmdline = (await conn.exec('tr "\\0" " " < /proc/$$/cmdline')).stdout.toString();
    expect(cmdline).toContain('read -r __uxsv_token');
    expect(cmdline).not.toMatch(/uxsv-[0-9a-f]{16,}/);
  });

  it('ends with the connection, leaving no process behind', async () => {
    const conn = connect();
    const shellPid = Number(text((await conn.exec('echo $$')).stdout));   // $$ is the resident shell's pid
    expect(isAlive(shellPid)).toBe(true);
    await conn.close();
    for (let i = 0; i < 30 && isAlive(shellPid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(shellPid)).toBe(false);
  });
});

describe('UXSV_RESIDENT_SHELL=0', () => {
  it('runs every command as a process of its own', async () => {
    process.env['UXSV_RESIDENT_SHELL'] = '0';
    try {
      const conn = new LocalConnection('here');
      for (let i = 0; i < 3; i++) expect(text((await conn.exec('echo hi')).stdout)).toBe('hi\n');
      expect(conn.stats.channels).toBe(3);
    } finally {
      delete process.env['UXSV_RESIDENT_SHELL'];
    }
  });
});
