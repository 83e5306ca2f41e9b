/**
 * assemble, tempfile, stat's every key, unarchive, and the number of
 * commands each module costs on the host (reads in one round trip).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assemble } from '../../../../engine/modules/files/assemble.js';
import { copy } from '../../../../engine/modules/files/copy.js';
import { lineinfile } from '../../../../engine/modules/files/lineinfile.js';
import { stat } from '../../../../engine/modules/files/stat.js';
import { tempfile } from '../../../../engine/modules/files/tempfile.js';
import { unarchive } from '../../../../engine/modules/files/unarchive.js';
import { runModule } from '../../../../engine/modules/driver.js';
import type { Module, ModuleContext } from '../../../../engine/modules/types.js';
import { localContext, type LocalContextOptions } from '../../../helpers/module-context.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('assemble', () => {
  it('builds the file from the fragments on the host, with a delimiter, and is idempotent', async () => {
    const parts = join(dir, "parts 'x'");
    mkdirSync(parts);
    writeFileSync(join(parts, '10-b'), 'b\n');
    writeFileSync(join(parts, '01-a'), 'a');
    writeFileSync(join(parts, '.hidden'), 'h\n');
    mkdirSync(join(parts, 'sub'));
    const dest = join(dir, 'out');
    const r = await run(assemble, { src: parts, dest, delimiter: '### \\n', ignore_hidden: true, mode: '0600' });
    expect(r).toMatchObject({ changed: true, msg: 'OK', src: parts, dest, mode: '0600', checksum: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(readFileSync(dest, 'utf8')).toBe('a\n### \nb\n');
    expect((await run(assemble, { src: parts, dest, delimiter: '### \\n', ignore_hidden: true, mode: '0600' })).changed).toBe(false);
    expect(await run(assemble, { src: parts, dest }, { check: true })).toMatchObject({ skipped: true, msg: 'check mode is not supported for this task.' });
    expect(await run(assemble, { src: join(dir, 'none'), dest })).toMatchObject({ failed: true, msg: `Source (${join(dir, 'none')}) does not exist` });
  });

  it('reads nothing in check mode (skipped), and the content of dest only for the diff of local fragments', async () => {
    const parts = join(dir, 'parts');
    mkdirSync(parts);
    writeFileSync(join(parts, 'a'), 'new\n');
    const dest = join(dir, 'out');
    writeFileSync(dest, 'old\n');
    const recorded = (options: LocalContextOptions) => {
      const ctx = localContext(options);
      const commands: string[] = [];
      const exec = ctx.run;
      ctx.run = (command, o) => (commands.push(command), exec(command, o));
      return { ctx, commands };
    };
    const check = recorded({ check: true, diff: true });
    expect(await runModule(assemble, { src: parts, dest }, check.ctx)).toMatchObject({ skipped: true, msg: 'check mode is not supported for this task.' });
    expect(check.commands).toEqual([]);
    const onHost = recorded({ diff: true });
    const r = await runModule(assemble, { src: parts, dest }, onHost.ctx);
    expect(r).toMatchObject({ changed: true });
    expect(r.diff).toBeUndefined();
    expect(onHost.commands[0]).not.toMatch(/head -c/);
    writeFileSync(dest, 'old\n');
    const fromHere = await runModule(assemble, { src: parts, dest, remote_src: false }, recorded({ diff: true }).ctx);
    expect(fromHere.diff).toEqual([{ before_header: dest, before: 'old\n', after_header: parts, after: 'new\n' }]);
  });

  it('validates before replacing, and keeps a backup', async () => {
    const parts = join(dir, 'parts');
    mkdirSync(parts);
    writeFileSync(join(parts, 'a'), 'bad\n');
    const dest = join(dir, 'out');
    writeFileSync(dest, 'good\n');
    expect(await run(assemble, { src: parts, dest, validate: 'grep -q good %s' })).toMatchObject({ failed: true, msg: 'failed to validate: rc:1 error:' });
    expect(readFileSync(dest, 'utf8')).toBe('good\n');
    writeFileSync(join(parts, 'a'), 'good too\n');
    const r = await run(assemble, { src: parts, dest, backup: true });
    expect(readFileSync(r.backup_file as string, 'utf8')).toBe('good\n');
    expect(readdirSync(dir).filter((n) => n.startsWith('.uxsv'))).toEqual([]);
  });
});

describe('tempfile', () => {
  it('makes a private file or folder named prefix + random + suffix, and fails in a missing folder', async () => {
    const f = await run(tempfile, { path: dir, prefix: "pre 'x'.", suffix: '.end' });
    expect(f).toMatchObject({ changed: true, state: 'file', mode: '0600' });
    expect(String(f.path)).toMatch(new RegExp(`^${dir}/pre 'x'\\.[A-Za-z0-9]{8}\\.end$`));
    const d = await run(tempfile, { state: 'directory', path: dir });
    expect(d).toMatchObject({ state: 'directory', mode: '0700' });
    expect(statSync(d.path as string).isDirectory()).toBe(true);
    expect((await run(tempfile, { path: join(dir, 'missing') })).failed).toBe(true);
    expect(await run(tempfile, {}, { check: true })).toMatchObject({ skipped: true, msg: 'remote module (tempfile) does not support check mode' });
  });
});

describe('stat', () => {
  it('gives every key of Ansible\'s stat', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'hello\n', { mode: 0o4750 });
    chmodSync(f, 0o4750);
    utimesSync(f, new Date('2020-01-02T03:04:05.250Z'), new Date('2020-01-02T03:04:05.500Z'));
    const s = (await run(stat, { path: f, checksum_algorithm: 'sha256', get_md5: true })).stat as Record<string, unknown>;
    expect(s).toMatchObject({
      exists: true, path: f, mode: '4750', isreg: true, isdir: false, islnk: false, ischr: false, isblk: false, isfifo: false, issock: false,
      isuid: true, isgid: false, xusr: true, rgrp: true, xgrp: true, roth: false, size: 6, nlink: 1, uid: 0, gid: 0, pw_name: 'root', gr_name: 'root',
      readable: true, writeable: true, executable: true, mtime: 1577934245.5, atime: 1577934245.25, mimetype: 'text/plain', charset: 'us-ascii',
      checksum: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03', md5: 'b1946ac92492d2347c6235b4d2611184',
    });
    for (const key of ['inode', 'dev', 'ctime', 'blocks', 'block_size', 'device_type', 'version', 'attributes', 'attr_flags']) expect(s, key).toHaveProperty(key);
    symlinkSync('f', join(dir, 'l'));
    expect((await run(stat, { path: join(dir, 'l') })).stat).toMatchObject({ islnk: true, lnk_target: 'f', lnk_source: f, mimetype: 'inode/symlink' });
    expect((await run(stat, { path: '/dev/null', get_mime: false })).stat).toMatchObject({ ischr: true, device_type: 259 });
  });
});

describe('unarchive', () => {
  it('unpacks a local tar.gz once, lists files, and skips with creates', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a b.txt'), 'a\n');
    writeFileSync(join(src, 'sub', 'c'), 'c\n');
    execFileSync('tar', ['-czf', join(dir, 'x.tar.gz'), '-C', src, 'a b.txt', 'sub']);
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    const files = join(dir, 'files');
    mkdirSync(files);
    execFileSync('cp', [join(dir, 'x.tar.gz'), files]);
    const ctx = { filesDir: files };
    const first = await run(unarchive, { src: 'x.tar.gz', dest, list_files: true, mode: 'u+rwX,go+rX' }, ctx);
    expect(first).toMatchObject({ changed: true, handler: 'TgzArchive', files: ['a b.txt', 'sub/', 'sub/c'], extract_results: { rc: 0 } });
    expect(readFileSync(join(dest, 'sub', 'c'), 'utf8')).toBe('c\n');
    expect((await run(unarchive, { src: 'x.tar.gz', dest, mode: 'u+rwX,go+rX' }, ctx)).changed).toBe(false);
    expect(await run(unarchive, { src: 'x.tar.gz', dest, creates: join(dest, 'sub') }, ctx)).toMatchObject({ skipped: true, msg: `skipped, since ${join(dest, 'sub')} exists` });
    expect(await run(unarchive, { src: 'x.tar.gz', dest }, { ...ctx, check: true })).toMatchObject({ skipped: true });
    // The archive went to the host on stdin: nothing of it is left in a temporary folder.
    expect(readdirSync(dir).sort()).toEqual(['dest', 'files', 'src', 'x.tar.gz']);
  });

  it('refuses what no handler reads, with Ansible\'s reasons, and a missing dest', async () => {
    writeFileSync(join(dir, 'not-an-archive'), 'plain text\n');
    mkdirSync(join(dir, 'd'));
    const r = await run(unarchive, { src: join(dir, 'not-an-archive'), dest: join(dir, 'd'), remote_src: true });
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(/^Failed to find handler for ".*not-an-archive"\. Make sure the required command to extract the file is installed\.\n/);
    expect(r.msg).toMatch(/could not handle archive/);
    expect(await run(unarchive, { src: join(dir, 'not-an-archive'), dest: join(dir, 'none'), remote_src: true })).toMatchObject({ failed: true, msg: `dest '${join(dir, 'none')}' must be an existing dir` });
    expect(existsSync(join(dir, 'd'))).toBe(true);
  });
});

describe('round trips', () => {
  /** Runs a module counting the commands it sends to the host. */
  async function count(mod: Module<any, any>, args: Record<string, unknown>, options: { check?: boolean } = {}): Promise<number> {
    const ctx = localContext({ check: options.check });
    let commands = 0;
    const counting: ModuleContext = { ...ctx, run: (command, execOptions) => { commands++; return ctx.run(command, execOptions); } };
    const r = await runModule(mod, args, counting);
    expect(r.failed, r.msg as string).toBeFalsy();
    return commands;
  }

  it('reads in one command and writes in one', async () => {
    const dest = join(dir, 'f');
    expect(await count(copy, { content: 'x\n', dest, mode: '0600' }, { check: true })).toBe(1);
    expect(await count(copy, { content: 'x\n', dest, mode: '0600' })).toBe(2);
    expect(await count(copy, { content: 'x\n', dest, mode: '0600' })).toBe(1);
    expect(await count(copy, { content: 'x\n', dest, owner: 'root' })).toBe(1);
    expect(await count(lineinfile, { path: dest, line: 'y' })).toBe(2);
    expect(await count(stat, { path: dest })).toBe(1);
  });

  it('keeps the converge contract for assemble on the controller side', async () => {
    const files = join(dir, 'files');
    mkdirSync(join(files, 'parts'), { recursive: true });
    writeFileSync(join(files, 'parts', 'a'), 'a\n');
    const out = join(dir, 'out');
    mkdirSync(out);
    // Skipped in check mode, as Ansible's assemble: converge checks only the real runs here.
    const r = await run(assemble, { src: 'parts', dest: join(out, 'x'), remote_src: false }, { filesDir: files });
    expect(r).toMatchObject({ changed: true });
    expect((await run(assemble, { src: 'parts', dest: join(out, 'x'), remote_src: false }, { filesDir: files })).changed).toBe(false);

  });
});
