import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attributeDiff, contentDiff, readFileState, readFileStates, resolveMode, setAttributes, writeFileAtomic } from '../../../../engine/modules/lib/fileops.js';
import { expandTemplate, pyRegex, pySubn } from '../../../../engine/modules/lib/pyregex.js';
import { localContext } from '../../../helpers/module-context.js';

export const HOSTILE_NAMES = ["-lead dash", "sp ace's \"q\"", 'dollar $(echo pwned) `tick`', 'new\nline', '日本語ファイル'];

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'uxsv-fileops-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readFileStates', () => {
  it('describes files, directories, links and missing paths in one call', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'f'), 'hello\n', { mode: 0o640 });
    symlinkSync('f', join(dir, 'l'));
    symlinkSync('missing', join(dir, 'dangling'));
    const [f, d, l, m, dangling] = await readFileStates(ctx, ['f', '', 'l', 'nope', 'dangling'].map((n) => join(dir, n)), { content: true });
    expect(f).toMatchObject({ exists: true, type: 'file', mode: '0640', size: 6, sha1: 'f572d396fae9206628714fb2ce00f72e94f2258f' });
    expect(f!.content!.toString()).toBe('hello\n');
    expect(d).toMatchObject({ exists: true, type: 'directory' });
    expect(l).toMatchObject({ exists: true, type: 'file', linkTarget: 'f' });
    expect(m).toEqual({ path: join(dir, 'nope'), exists: false });
    expect(dangling).toMatchObject({ exists: true, type: 'link', linkTarget: 'missing' });
    const [rawLink] = await readFileStates(ctx, [join(dir, 'l')], { follow: false });
    expect(rawLink).toMatchObject({ type: 'link', linkTarget: 'f' });
    expect(rawLink!.sha1).toBeUndefined();
  });

  it.each(HOSTILE_NAMES)('round-trips the hostile name %j', async (name) => {
    const ctx = localContext();
    const path = join(dir, name);
    const content = Buffer.from(`${name}\n$(rm -rf /) \`x\` 'q' \0 binary \xff`, 'latin1');
    await writeFileAtomic(ctx, path, content, { mode: '0600' });
    expect(readFileSync(path)).toEqual(content);
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    const state = await readFileState(ctx, path, { content: true });
    expect(state.content).toEqual(content);
    symlinkSync(name, join(dir, `link-${name}`));
    expect((await readFileState(ctx, join(dir, `link-${name}`), { follow: false })).linkTarget).toBe(name);
  });
});

describe('writeFileAtomic', () => {
  it('keeps the existing mode when none is given, and gives new files 0666 & ~umask', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'old'), 'x', { mode: 0o751 });
    await writeFileAtomic(ctx, join(dir, 'old'), 'y');
    expect(statSync(join(dir, 'old')).mode & 0o7777).toBe(0o751);
    await writeFileAtomic(ctx, join(dir, 'new'), 'y');
    expect(statSync(join(dir, 'new')).mode & 0o7777).toBe(0o666 & ~process.umask());
  });

  it('backs up the old file as path.<pid>.<timestamp>~', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'a b'), 'old');
    const { backup_file } = await writeFileAtomic(ctx, join(dir, 'a b'), 'new', { backup: true });
    expect(backup_file).toMatch(/\/a b\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(readFileSync(backup_file!, 'utf8')).toBe('old');
    expect(readFileSync(join(dir, 'a b'), 'utf8')).toBe('new');
  });

  it('leaves the original and no temp file when validation fails', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'conf'), 'good');
    await expect(writeFileAtomic(ctx, join(dir, 'conf'), 'bad', { validate: 'grep -q good %s' })).rejects.toThrow(/failed to validate: rc:1/);
    expect(readFileSync(join(dir, 'conf'), 'utf8')).toBe('good');
    expect(readdirSync(dir)).toEqual(['conf']);
    await writeFileAtomic(ctx, join(dir, 'conf'), 'still good', { validate: 'grep -q good %s' });
    expect(readFileSync(join(dir, 'conf'), 'utf8')).toBe('still good');
  });

  it('writes through a symbolic link to its target', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'target'), 'a');
    symlinkSync('target', join(dir, 'link'));
    await writeFileAtomic(ctx, join(dir, 'link'), 'b');
    expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('b');
  });
});

describe('resolveMode', () => {
  it('reads strings as octal and numbers as the mode value, like Ansible', () => {
    expect(resolveMode('0644', undefined, false)).toBe('0644');
    expect(resolveMode('755', undefined, false)).toBe('0755');
    expect(resolveMode(0o644, undefined, false)).toBe('0644'); // YAML 1.1: unquoted 0644 is 420
    expect(resolveMode(420, undefined, false)).toBe('0644');
    expect(resolveMode(644, undefined, false)).toBe('1204'); // Ansible's pitfall: unquoted 644 is decimal
    expect(resolveMode(493, undefined, false)).toBe('0755');
  });
  it('computes symbolic modes like Ansible', () => {
    expect(resolveMode('u+x', '0644', false)).toBe('0744');
    expect(resolveMode('u=rwx,g-w,o=r', '0666', false)).toBe('0744');
    expect(resolveMode('a+X', '0644', false)).toBe('0644');
    expect(resolveMode('a+X', '0644', true)).toBe('0755');
    expect(resolveMode('+x', '0600', false)).toBe('0711');
    expect(resolveMode('g=u', '0740', false)).toBe('0770');
    expect(resolveMode('u+s,o+t', '0755', false)).toBe('5755');
    expect(() => resolveMode('q+z', '0644', false)).toThrow(/bad symbolic/);
  });
});

describe('setAttributes', () => {
  it('changes mode recursively with a symbolic mode', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'f'), '', { mode: 0o600 });
    await setAttributes(ctx, dir, { mode: '+r' }, { recurse: true });
    expect(statSync(join(dir, 'f')).mode & 0o777).toBe(0o644);
  });
});

describe('diffs', () => {
  it('gives a unified content diff with Ansible headers', () => {
    const d = contentDiff('/etc/x', 'a\nb\n', 'a\nc\n');
    expect(d.prepared).toContain('--- before: /etc/x\n+++ after: /etc/x\n');
    expect(d.prepared).toContain('-b\n+c\n');
    expect(d).toMatchObject({ before: 'a\nb\n', after: 'a\nc\n' });
  });
  it('serialises attribute dicts', () => {
    const d = attributeDiff('/p', { mode: '0644', path: '/p' }, { mode: '0600', path: '/p' });
    expect(JSON.parse(d.before!)).toEqual({ mode: '0644', path: '/p' });
    expect(JSON.parse(d.after!)).toEqual({ mode: '0600', path: '/p' });
  });
});

describe('Python regex translation', () => {
  it('translates named groups, $ and dots', () => {
    expect(pyRegex('^(?P<k>\\w+)=(.*)$').exec('key=value\n')?.groups?.k).toBe('key');
    expect(pyRegex('^a.c$').test('a\rc\n')).toBe(true);
    expect(pyRegex('\\Aab\\Z').test('ab\n')).toBe(false);
    expect(pyRegex('(?i)^HELLO').test('hello')).toBe(true);
  });
  it('expands Python templates', () => {
    const m = pyRegex('^(?P<k>\\w+)=(\\w*)').exec('a=b')!;
    expect(expandTemplate('\\g<k>:\\2:\\g<1>\\n', m)).toBe('a:b:a\n');
    expect(pySubn(pyRegex('^#(\\w+)', { multiline: true }), '\\1', '#a\n#b\nc')).toEqual(['a\nb\nc', 2]);
  });
});
