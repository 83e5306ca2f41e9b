/**
 * Nothing half-written, even when the engine dies: a real engine process
 * (`node dist/uxsv.mjs play`) is killed with SIGKILL in the middle of copying
 * a large file, on the local connection and over a real sshd. The
 * destination must hold the old content or the new, never a part, and the
 * host must remove its temporary file by itself within seconds (its stdin
 * ends early: the size/sha1 check fails and the temp file goes).
 *
 * Also the resident shell's path for small files, where `head -c` hands the
 * command its stdin: a stream cut short must not be renamed into place.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScript } from '../../../../engine/modules/lib/fileops.js';
import { withArchive } from '../../../../engine/modules/files/unarchive.js';
import { startSshd, type TestSshd } from '../../../helpers/sshd.js';

const CLI = resolve('dist/uxsv.mjs');
const BIG = 192 * 1024 * 1024;

let dir: string;
let bigFile: string;
let bigSha1: string;

/** A large file of incompressible bytes, written in 1 MiB blocks. */
function makeBigFile(path: string, size: number): string {
  const hash = createHash('sha1');
  const fd = openSync(path, 'w');
  const block = randomBytes(1024 * 1024);
  for (let written = 0; written < size; written += block.length) {
    block.writeUInt32LE(written, 0);   // no two blocks alike
    writeSync(fd, block);
    hash.update(block);
  }
  closeSync(fd);
  return hash.digest('hex');
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('build first (npm run build)');
  dir = mkdtempSync(join(tmpdir(), 'uxsv-kill-'));
  bigFile = join(dir, 'big.bin');
  bigSha1 = makeBigFile(bigFile, BIG);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function temps(folder: string): string[] {
  return readdirSync(folder).filter((n) => n.startsWith('.uxsv.'));
}

function sha1Of(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

/**
 * Starts `uxsv play` copying the big file to dest, waits until a temp file
 * beside dest holds part of it, and kills the engine with SIGKILL. Returns
 * false when the copy finished before a partial temp file was seen.
 */
async function killMidCopy(project: string, inventory: string, destDir: string): Promise<boolean> {
  const playbook = join(project, 'copy.yml');
  writeFileSync(playbook, [
    '- hosts: target',
    '  gather_facts: false',
    '  tasks:',
    '    - name: big copy',
    '      copy:',
    `        src: ${JSON.stringify(bigFile)}`,
    `        dest: ${JSON.stringify(join(destDir, 'data.bin'))}`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn(process.execPath, [CLI, 'play', '-i', inventory, playbook], {
    cwd: project, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let killed = false;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const partial = temps(destDir).some((name) => {
      try {
        const size = statSync(join(destDir, name)).size;
        return size > 0 && size < BIG;
      } catch {
        return false;
      }
    });
    if (partial) {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
    await sleep(2);
  }
  if (!killed) child.kill('SIGKILL');
  await exited;
  return killed;
}

/** The host cleans up by itself: poll (bounded) until no temp file is left. */
async function waitForNoTemps(folder: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (temps(folder).length === 0) return [];
    await sleep(50);
  }
  return temps(folder);
}

async function provesAtomicity(name: string, inventoryText: string): Promise<void> {
  const project = join(dir, name);
  mkdirSync(project);
  const inventory = join(project, 'inventory.yml');
  writeFileSync(inventory, inventoryText);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const destDir = join(project, `dest-${attempt}`);
    mkdirSync(destDir);
    writeFileSync(join(destDir, 'data.bin'), 'old content\n');
    const killed = await killMidCopy(project, inventory, destDir);
    // Old or new, never part.
    const isOld = readFileSync(join(destDir, 'data.bin')).equals(Buffer.from('old content\n'));
    const isNew = !isOld && sha1Of(join(destDir, 'data.bin')) === bigSha1;
    expect(isOld || isNew, 'the destination holds part of the new content').toBe(true);
    expect(await waitForNoTemps(destDir, 5_000)).toEqual([]);
    if (killed) {
      // Killed mid-transfer: the file must still be the old one.
      expect(readFileSync(join(destDir, 'data.bin'), 'utf8')).toBe('old content\n');
      return;
    }
  }
  throw new Error('the copy always finished before it could be interrupted');
}

describe('a killed engine leaves no half-written file', () => {
  it('on the local connection', async () => {
    await provesAtomicity('local', 'all:\n  hosts:\n    target: {ansible_connection: local}\n');
  }, 120_000);

  describe('over ssh', () => {
    let sshd: TestSshd;
    beforeAll(async () => { sshd = await startSshd(); });
    afterAll(async () => { await sshd?.stop(); });

    it('through a real sshd', async () => {
      await provesAtomicity('ssh', [
        'all:',
        '  hosts:',
        '    target:',
        '      ansible_host: 127.0.0.1',
        `      ansible_port: ${sshd.port}`,
        '      ansible_user: root',
        `      ansible_ssh_private_key_file: ${sshd.clientKeyPath}`,
        `      ansible_ssh_common_args: -o UserKnownHostsFile=${sshd.knownHostsPath}`,
        '',
      ].join('\n'));
    }, 120_000);
  });
});

describe('a stream cut short is never renamed into place', () => {
  /** Runs the write script the way the resident shell does: its stdin through `head -c <announced size>`. */
  function runCut(dest: string, content: Buffer, sent: number): Promise<number> {
    const script = writeScript(dest, content);
    const child = spawn('/bin/sh', ['-c', `head -c ${content.length} | /bin/sh -c "$1"`, 'sh', script], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(content.subarray(0, sent));
    return new Promise((r) => child.once('exit', (code) => r(code ?? -1)));
  }

  it('keeps the old file and removes the temp file when the input ends early', async () => {
    const folder = join(dir, 'cut');
    mkdirSync(folder);
    const dest = join(folder, "hostile 'name' $(x)");
    writeFileSync(dest, 'old\n');
    const content = randomBytes(300_000);
    expect(await runCut(dest, content, 123_456)).not.toBe(0);
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
    expect(temps(folder)).toEqual([]);
    expect(await runCut(dest, content, content.length)).toBe(0);
    expect(readFileSync(dest)).toEqual(content);
    expect(temps(folder)).toEqual([]);
  });

  it('refuses content of the right size but the wrong bytes', async () => {
    const folder = join(dir, 'wrong');
    mkdirSync(folder);
    const dest = join(folder, 'f');
    writeFileSync(dest, 'old\n');
    const script = writeScript(dest, Buffer.from('right'));
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end('wrong');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/incomplete: sha1/);
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
    expect(temps(folder)).toEqual([]);
  });

  it('removes the temp file when the session hangs up mid-transfer', async () => {
    const folder = join(dir, 'hup');
    mkdirSync(folder);
    const dest = join(folder, 'f');
    writeFileSync(dest, 'old\n');
    const content = randomBytes(100_000);
    // Its own process group, as a session on a terminal: a hang-up reaches the shell and what it runs.
    const child = spawn('/bin/sh', ['-c', writeScript(dest, content)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.stdin.write(content.subarray(0, 50_000));
    const deadline = Date.now() + 5_000;
    while (temps(folder).length === 0 && Date.now() < deadline) await sleep(5);
    expect(temps(folder)).toHaveLength(1);
    const exited = new Promise((r) => child.once('exit', r));
    // A dying session both hangs up and closes the input (a hang-up landing between fork and exec is lost).
    process.kill(-child.pid!, 'SIGHUP');
    child.stdin.end();
    await exited;
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
    expect(temps(folder)).toEqual([]);
  });

  it('never unpacks an archive that arrived cut short, and keeps no copy of it', async () => {
    const folder = join(dir, 'archive');
    mkdirSync(folder);
    const archive = randomBytes(200_000);
    const { script } = withArchive(archive, undefined, `touch ${JSON.stringify(join(folder, 'unpacked'))}`);
    const child = spawn('/bin/sh', ['-c', `export TMPDIR=${JSON.stringify(folder)}; head -c ${archive.length} | /bin/sh -c "$1"`, 'sh', script], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(archive.subarray(0, 70_000));
    expect(await new Promise((r) => child.once('exit', r))).toBe(98);
    expect(stderr).toMatch(/the archive arrived incomplete/);
    expect(readdirSync(folder)).toEqual([]);
  });
});
