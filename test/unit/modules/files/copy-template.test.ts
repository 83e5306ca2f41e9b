import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copy } from '../../../../engine/modules/files/copy.js';
import { template } from '../../../../engine/modules/files/template.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let local: string;
let cleanup: () => void;
let cleanupLocal: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  ({ dir: local, cleanup: cleanupLocal } = tempDir());
});
afterEach(() => { cleanup(); cleanupLocal(); });

describe('copy', () => {
  it('writes inline content and returns checksum, size and mode', async () => {
    const dest = join(dir, 'motd');
    const r = await converge(copy, { content: 'hello\n', dest, mode: '0640' }, dir);
    expect(r).toMatchObject({ changed: true, dest, checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f', size: 6, mode: '0640' });
    expect(readFileSync(dest, 'utf8')).toBe('hello\n');
    expect(r.diff?.[0]).toMatchObject({ before: '', after: 'hello\n' });
  });

  it('copies a local file from the files folder, into a folder dest', async () => {
    writeFileSync(join(local, 'conf'), 'data');
    mkdirSync(join(dir, 'etc'));
    const r = await converge(copy, { src: 'conf', dest: join(dir, 'etc') }, dir, { filesDir: local });
    expect(r.dest).toBe(join(dir, 'etc', 'conf'));
    expect(readFileSync(join(dir, 'etc', 'conf'), 'utf8')).toBe('data');
    await converge(copy, { src: 'conf', dest: `${join(dir, 'new')}/` }, dir, { filesDir: local });
    expect(readFileSync(join(dir, 'new', 'conf'), 'utf8')).toBe('data');
  });

  it('copies a local folder recursively (regular files)', async () => {
    mkdirSync(join(local, 'site', 'css'), { recursive: true });
    writeFileSync(join(local, 'site', 'index.html'), 'i');
    writeFileSync(join(local, 'site', 'css', 'a.css'), 'c');
    await converge(copy, { src: join(local, 'site'), dest: dir }, dir);
    expect(readFileSync(join(dir, 'site', 'css', 'a.css'), 'utf8')).toBe('c');
    await converge(copy, { src: `${join(local, 'site')}/`, dest: join(dir, 'flat') }, dir);
    expect(readFileSync(join(dir, 'flat', 'index.html'), 'utf8')).toBe('i');
  });

  it('force: false keeps an existing file', async () => {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'mine');
    expect(await run(copy, { content: 'theirs', dest, force: false })).toMatchObject({ changed: false });
    expect(readFileSync(dest, 'utf8')).toBe('mine');
  });

  it('backup keeps the replaced file', async () => {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'old');
    const r = await run(copy, { content: 'new', dest, backup: true });
    expect(readFileSync(r.backup_file as string, 'utf8')).toBe('old');
  });

  it('a failed validation leaves the original and no temp file', async () => {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'good');
    const r = await run(copy, { content: 'bad', dest, validate: 'grep -q good %s' });
    expect(r).toMatchObject({ failed: true });
    expect(r.msg).toMatch(/failed to validate/);
    expect(readFileSync(dest, 'utf8')).toBe('good');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('applies a symbolic mode against the current mode', async () => {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'x', { mode: 0o600 });
    await converge(copy, { content: 'x', dest, mode: 'g+r' }, dir);
    expect(statSync(dest).mode & 0o777).toBe(0o640);
  });

  it('copies a file already on the host with remote_src', async () => {
    writeFileSync(join(dir, 'a'), 'remote');
    await converge(copy, { src: join(dir, 'a'), dest: join(dir, 'b'), remote_src: true }, dir);
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('remote');
  });

  it('fails when the dest folder does not exist', async () => {
    writeFileSync(join(local, 'c'), 'x');
    expect(await run(copy, { src: join(local, 'c'), dest: join(dir, 'no', 'c') })).toMatchObject({ failed: true });
  });

  it.each(['-dash', "q'uo\"te", '$(touch pwned) `x`', 'new\nline', '日本語'])('round-trips the name and content %j', async (name) => {
    const dest = join(dir, name);
    const content = `${name}\n$(touch pwned2) \`x\` '\n日本語テキスト\n`;
    await converge(copy, { content, dest }, dir);
    expect(readFileSync(dest, 'utf8')).toBe(content);
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
  });
});

describe('template', () => {
  it('renders with the task variables and is idempotent', async () => {
    writeFileSync(join(local, 'site.j2'), 'server {{ name }};\n{% for p in ports %}listen {{ p }};\n{% endfor %}');
    const dest = join(dir, 'site.conf');
    const r = await converge(template, { src: 'site.j2', dest, mode: '0644' }, dir, { templatesDir: local, vars: { name: 'alpha', ports: [80, 443] } });
    expect(r.changed).toBe(true);
    expect(readFileSync(dest, 'utf8')).toBe('server alpha;\nlisten 80;\nlisten 443;\n');
    const changedVars = await run(template, { src: 'site.j2', dest }, { templatesDir: local, vars: { name: 'beta', ports: [] }, check: true, diff: true });
    expect(changedVars.changed).toBe(true);
    expect(changedVars.diff?.[0]?.after).toContain('server beta;');
    expect(readFileSync(dest, 'utf8')).toContain('alpha');
  });
});
