import { existsSync, linkSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { file } from '../../../../engine/modules/files/file.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const modeOf = (p: string) => statSync(p).mode & 0o7777;

describe('file', () => {
  it.each([['0600', 0o600], [0o600, 0o600], ['600', 0o600], ['u=rw,g=r,o=', 0o640], ['go-r', 0o600]])('sets mode %j', async (mode, expected) => {
    const p = join(dir, 'f');
    writeFileSync(p, '', { mode: 0o644 });
    const r = await converge(file, { path: p, mode }, dir);
    expect(r.changed).toBe(true);
    expect(modeOf(p)).toBe(expected);
    // Ansible's file module returns its diff as one dict, diff mode or not.
    expect(r.diff).toMatchObject({ before: { mode: '0644', path: p }, after: { path: p } });
  });

  it('fails when state=file and the path is missing', async () => {
    const p = join(dir, 'missing');
    expect(await run(file, { path: p })).toMatchObject({ failed: true, msg: `file (${p}) is absent, cannot continue` });
  });

  it('creates a directory tree and applies modes recursively', async () => {
    const top = join(dir, 'a b');
    await converge(file, { path: join(top, 'c'), state: 'directory', mode: '0750' }, dir);
    expect(modeOf(join(top, 'c'))).toBe(0o750);
    writeFileSync(join(top, 'c', 'f'), '', { mode: 0o600 });
    await converge(file, { path: top, state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' }, dir);
    expect(modeOf(join(top, 'c', 'f'))).toBe(0o640);
    expect(modeOf(join(top, 'c'))).toBe(0o750);
  });

  it('refuses to turn a file into a directory', async () => {
    const p = join(dir, 'f');
    writeFileSync(p, '');
    expect(await run(file, { path: p, state: 'directory' })).toMatchObject({ failed: true, msg: `${p} already exists as a file` });
  });

  it('makes symbolic links, retargets them, and refuses to replace a file without force', async () => {
    writeFileSync(join(dir, 'target'), 'x');
    const link = join(dir, 'link');
    await converge(file, { path: link, src: 'target', state: 'link' }, dir);
    expect(readlinkSync(link)).toBe('target');
    writeFileSync(join(dir, 'other'), 'y');
    await converge(file, { path: link, src: join(dir, 'other'), state: 'link' }, dir);
    expect(readlinkSync(link)).toBe(join(dir, 'other'));
    const missing = await run(file, { path: join(dir, 'l2'), src: 'nope', state: 'link' });
    expect(missing.failed).toBe(true);
    await converge(file, { path: join(dir, 'l2'), src: 'nope', state: 'link', force: true }, dir);
    expect(lstatSync(join(dir, 'l2')).isSymbolicLink()).toBe(true);
    const refused = await run(file, { path: join(dir, 'target'), src: 'other', state: 'link' });
    expect(refused).toMatchObject({ failed: true });
  });

  it('makes hard links', async () => {
    writeFileSync(join(dir, 'src'), 'x');
    await converge(file, { path: join(dir, 'hard'), src: join(dir, 'src'), state: 'hard' }, dir);
    expect(statSync(join(dir, 'hard')).ino).toBe(statSync(join(dir, 'src')).ino);
    linkSync(join(dir, 'src'), join(dir, 'hard2'));
    expect((await run(file, { path: join(dir, 'hard2'), src: join(dir, 'src'), state: 'hard' })).changed).toBe(false);
  });

  it('touch always reports changed and creates the file', async () => {
    const p = join(dir, 't');
    for (const check of [true, false, false]) {
      const r = await run(file, { path: p, state: 'touch', mode: '0640' }, { check });
      expect(r.changed).toBe(true);
    }
    expect(modeOf(p)).toBe(0o640);
  });

  it('removes a whole tree with state=absent', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'x', 'y'), { recursive: true });
    writeFileSync(join(tree, 'x', 'y', 'f'), '');
    symlinkSync('/etc', join(tree, 'etc-link'));
    const r = await converge(file, { path: tree, state: 'absent' }, dir);
    // As os.walk lists them: a link to a folder counts as a folder (not entered).
    const content = (r.diff as { before: { path_content: { directories: string[]; files: string[] } } }).before.path_content;
    expect(content.directories.slice().sort()).toEqual([join(tree, 'etc-link'), join(tree, 'x'), join(tree, 'x', 'y')]);
    expect(content.files).toEqual([join(tree, 'x', 'y', 'f')]);
    expect(r.diff).toMatchObject({ before: { path: tree, state: 'directory' }, after: { path: tree, state: 'absent' } });
    expect(existsSync(tree)).toBe(false);
    expect(existsSync('/etc/passwd')).toBe(true);
  });

  it.each(['-dash', "q'uo\"te", '$(touch pwned) `x`', 'new\nline', '日本語'])('handles the name %j', async (name) => {
    const p = join(dir, name);
    await converge(file, { path: p, state: 'directory', mode: '0700' }, dir);
    expect(modeOf(p)).toBe(0o700);
    expect(await run(file, { path: join(p, name), state: 'touch', mode: '0600' })).toMatchObject({ changed: true });
    expect(modeOf(join(p, name))).toBe(0o600);
    await converge(file, { path: p, state: 'absent' }, dir);
    expect(existsSync(p)).toBe(false);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
