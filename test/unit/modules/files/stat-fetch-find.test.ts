import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetch } from '../../../../engine/modules/files/fetch.js';
import { find } from '../../../../engine/modules/files/find.js';
import { slurp } from '../../../../engine/modules/files/slurp.js';
import { stat } from '../../../../engine/modules/files/stat.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

describe('stat', () => {
  it('describes a file, a link and a missing path', async () => {
    writeFileSync(join(dir, 'f'), 'hello\n', { mode: 0o640 });
    symlinkSync('f', join(dir, 'l'));
    const f = await run(stat, { path: join(dir, 'f') });
    expect(f.changed).toBe(false);
    expect(f.stat).toMatchObject({ exists: true, isreg: true, isdir: false, mode: '0640', size: 6, checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f', pw_name: 'root' });
    expect((await run(stat, { path: join(dir, 'l') })).stat).toMatchObject({ islnk: true, lnk_target: 'f', lnk_source: join(dir, 'f') });
    expect((await run(stat, { path: join(dir, 'l'), follow: true })).stat).toMatchObject({ isreg: true });
    expect((await run(stat, { path: join(dir, 'no') })).stat).toEqual({ exists: false });
  });
});

describe('slurp', () => {
  it('returns base64 content of any bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 10, 0xe6, 0x97, 0xa5]);
    writeFileSync(join(dir, "a 'b'"), bytes);
    const r = await run(slurp, { src: join(dir, "a 'b'") });
    expect(r).toMatchObject({ changed: false, encoding: 'base64' });
    expect(Buffer.from(r.content as string, 'base64')).toEqual(bytes);
    expect(await run(slurp, { src: join(dir, 'no') })).toMatchObject({ failed: true, msg: `file not found: ${join(dir, 'no')}` });
  });
});

describe('fetch', () => {
  it('copies into dest/<host>/<path>, then is unchanged', async () => {
    writeFileSync(join(dir, 'remote.conf'), 'content');
    const local = join(dir, 'backups');
    const args = { src: join(dir, 'remote.conf'), dest: local };
    // Ansible's fetch does not support check mode: skipped.
    expect(await run(fetch, args, { host: 'alpha', check: true })).toMatchObject({ skipped: true, changed: false });
    expect(existsSync(local)).toBe(false);
    const r = await run(fetch, args, { host: 'alpha' });
    expect(r).toMatchObject({ changed: true, dest: join(local, 'alpha', dir, 'remote.conf'), remote_checksum: '040f06fd774092478d450774f5ba30c5da78acc8', remote_md5sum: null });
    expect(readFileSync(r.dest as string, 'utf8')).toBe('content');
    expect(await run(fetch, args, { host: 'alpha' })).toMatchObject({ changed: false, file: join(dir, 'remote.conf'), checksum: '040f06fd774092478d450774f5ba30c5da78acc8' });
  });

  it('flat: yes writes to dest itself; missing files fail unless fail_on_missing: no', async () => {
    writeFileSync(join(dir, 'x'), 'y');
    await run(fetch, { src: join(dir, 'x'), dest: `${join(dir, 'out')}/`, flat: true });
    expect(readFileSync(join(dir, 'out', 'x'), 'utf8')).toBe('y');
    expect(await run(fetch, { src: join(dir, 'nope'), dest: dir })).toMatchObject({ failed: true });
    expect(await run(fetch, { src: join(dir, 'nope'), dest: dir, fail_on_missing: false })).toMatchObject({ changed: false });
  });
});

describe('find', () => {
  beforeEach(() => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.log'), 'x'.repeat(2048));
    writeFileSync(join(dir, 'b.txt'), 'needle here\n');
    writeFileSync(join(dir, '.hidden.log'), '');
    writeFileSync(join(dir, 'sub', 'c.log'), 'old');
    writeFileSync(join(dir, 'new\nline.log'), '');
    utimesSync(join(dir, 'sub', 'c.log'), new Date('2000-01-01'), new Date('2000-01-01'));
  });
  // Results come in os.walk's order (the folder's listing order): compared sorted.
  const paths = (r: Record<string, unknown>) => (r.files as Array<{ path: string }>).map((f) => f.path.slice(dir.length + 1)).sort();

  it('matches globs on the base name, not hidden, not recursing by default', async () => {
    const r = await run(find, { paths: dir, patterns: '*.log' });
    expect(paths(r)).toEqual(['a.log', 'new\nline.log']);
    expect(r.matched).toBe(2);
  });
  it('recurses, shows hidden files, filters types, regexes and excludes', async () => {
    expect(paths(await run(find, { paths: [dir], patterns: ['*.log'], recurse: true, hidden: true }))).toEqual(['.hidden.log', 'a.log', 'new\nline.log', 'sub/c.log']);
    expect(paths(await run(find, { paths: dir, file_type: 'directory' }))).toEqual(['sub']);
    expect(paths(await run(find, { paths: dir, patterns: '^[ab]\\.', use_regex: true }))).toEqual(['a.log', 'b.txt']);
    expect(paths(await run(find, { paths: dir, patterns: '*', excludes: '*.log' }))).toEqual(['b.txt']);
  });
  it('filters by age, size and contents', async () => {
    expect(paths(await run(find, { paths: dir, recurse: true, age: '1w' }))).toEqual(['sub/c.log']);
    expect(paths(await run(find, { paths: dir, size: '1k' }))).toEqual(['a.log']);
    expect(paths(await run(find, { paths: dir, contains: 'needle' }))).toEqual(['b.txt']);
  });
  it('skips paths that are not folders', async () => {
    const r = await run(find, { paths: [join(dir, 'missing'), dir], patterns: 'b*' });
    expect(paths(r)).toEqual(['b.txt']);
    expect(Object.keys(r.skipped_paths as object)).toEqual([join(dir, 'missing')]);
  });
});
