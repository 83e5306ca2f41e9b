import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../../engine/connection/local.js';
import { TIMEOUT_RC } from '../../../engine/connection/wrap.js';

const HOSTILE = [
  'two words',
  "it's",
  '"double"',
  '$(touch /tmp/uxsv-pwned)',
  '`touch /tmp/uxsv-pwned`',
  'line1\nline2',
  '日本語のテキスト',
  '-n',
  '--',
  '*',
  '\\backslash',
  ';|&<>',
];

describe('LocalConnection', () => {
  const conn = new LocalConnection('local-test');
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'uxsv-local-'));
  });
  afterAll(async () => {
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports rc, stdout and stderr without rejecting on failure', async () => {
    const result = await conn.exec('echo out; echo err >&2; exit 3');
    expect(result.rc).toBe(3);
    expect(result.stdout.toString()).toBe('out\n');
    expect(result.stderr.toString()).toBe('err\n');
    expect(result.timedOut).toBeUndefined();
  });

  it('passes every byte value through stdin and back', async () => {
    const bytes = Buffer.alloc(256 * 4);
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
    const result = await conn.exec('cat', { stdin: bytes });
    expect(result.rc).toBe(0);
    expect(Buffer.compare(result.stdout, bytes)).toBe(0);
  });

  it('exports hostile env values unchanged and never runs them', async () => {
    rmSync('/tmp/uxsv-pwned', { force: true });
    for (const value of HOSTILE) {
      const result = await conn.exec('printf %s "$V"', { env: { V: value } });
      expect(result.stdout.toString()).toBe(value);
    }
    expect(existsSync('/tmp/uxsv-pwned')).toBe(false);
  });

  it('rejects an invalid environment variable name', async () => {
    await expect(conn.exec('true', { env: { 'A=B; rm': 'x' } })).rejects.toThrow(/invalid environment variable name/);
    await expect(conn.exec('true', { env: { '1A': 'x' } })).rejects.toThrow(/invalid environment variable name/);
  });

  it('changes into hostile directory names', async () => {
    for (const name of HOSTILE.filter((n) => !n.includes('/'))) {
      const path = join(dir, name);
      await conn.exec(`mkdir -p -- "$D"`, { env: { D: path } });
      const result = await conn.exec('pwd', { cwd: path });
      expect(result.rc).toBe(0);
      expect(result.stdout.toString()).toBe(`${path}\n`);
    }
    const relative = await conn.exec('pwd', { cwd: '-n' });   // a leading dash is an operand, not an option
    expect(relative.rc).not.toBe(0);
    expect(existsSync('/tmp/uxsv-pwned')).toBe(false);
  });

  it('does not run the command when cd fails, even a compound command', async () => {
    const marker = join(dir, 'should-not-exist');
    const result = await conn.exec(`true; touch ${marker}`, { cwd: join(dir, 'missing') });
    expect(result.rc).not.toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it('times out promptly even when a child keeps stdout open', async () => {
    const started = Date.now();
    const result = await conn.exec("sh -c 'sleep 1000 & wait'", { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.rc).toBe(TIMEOUT_RC);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out promptly when a daemon left the process group holding stdout', async () => {
    const pidFile = join(dir, 'daemon.pid');
    const started = Date.now();
    const result = await conn.exec(`setsid sh -c 'echo $$ > ${pidFile}; exec sleep 30' & wait`, { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
  });

  it('kills the whole process group on timeout', async () => {
    const pidFile = join(dir, 'child.pid');
    await conn.exec(`sleep 1000 & echo $! > ${pidFile}; wait`, { timeoutMs: 300 });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
  });

  it('counts commands and no handshakes', async () => {
    const fresh = new LocalConnection();
    await fresh.exec('true');
    await fresh.exec('true');
    expect(fresh.stats).toEqual({ handshakes: 0, commands: 2, channels: 1, reused: 0 });   // both in one resident shell
  });

  it('does not use sudo to become the current user', async () => {
    const result = await conn.exec('id -un', { become: { user: 'root' } });
    expect(result.stdout.toString().trim()).toBe('root');
  });

  describe('putFile', () => {
    it('writes bytes exactly, applies the mode and leaves no temp file', async () => {
      const content = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
      const target = join(dir, 'put', "a file's name");
      await conn.exec(`mkdir -p -- "$D"`, { env: { D: join(dir, 'put') } });
      await conn.putFile(content, target, { mode: '0640' });
      expect(Buffer.compare(readFileSync(target), content)).toBe(0);
      expect(statSync(target).mode & 0o777).toBe(0o640);
      expect(readdirSync(join(dir, 'put'))).toEqual(["a file's name"]);
    });

    it('replaces an existing file and keeps its mode when none is given', async () => {
      const target = join(dir, 'existing');
      writeFileSync(target, 'old', { mode: 0o604 });
      await conn.putFile(Buffer.from('new'), target);
      expect(readFileSync(target, 'utf8')).toBe('new');
      expect(statSync(target).mode & 0o777).toBe(0o604);
    });

    it('gives a new file 0666 minus the umask when no mode is given', async () => {
      const target = join(dir, 'fresh');
      await conn.putFile(Buffer.from('x'), target);
      const umask = process.umask();
      expect(statSync(target).mode & 0o777).toBe(0o666 & ~umask);
    });

    it('fails without leaving anything when the folder is missing', async () => {
      const target = join(dir, 'nope', 'file');
      await expect(conn.putFile(Buffer.from('x'), target)).rejects.toThrow(/cannot write/);
      expect(existsSync(join(dir, 'nope'))).toBe(false);
    });

    it('removes the temp file when a later step fails', async () => {
      const target = join(dir, 'badmode');
      await expect(conn.putFile(Buffer.from('x'), target, { mode: 'not-a-mode' })).rejects.toThrow(/cannot write/);
      expect(readdirSync(dir).filter((n) => n.startsWith('.uxsv.'))).toEqual([]);
      expect(existsSync(target)).toBe(false);
    });
  });
});

/** Gone, or a zombie nobody reaped yet (in a container PID 1 may not reap orphans). */
function isAlive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}
