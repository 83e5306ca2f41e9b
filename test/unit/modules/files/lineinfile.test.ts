import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lineinfile } from '../../../../engine/modules/files/lineinfile.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const file = () => join(dir, 'conf');
const content = () => readFileSync(file(), 'utf8');

describe('lineinfile present', () => {
  it('replaces the last regexp match, or the first with firstmatch', async () => {
    writeFileSync(file(), 'a=1\nb=2\na=3\n');
    const r = await converge(lineinfile, { path: file(), regexp: '^a=', line: 'a=9' }, dir);
    expect(r).toMatchObject({ changed: true, msg: 'line replaced' });
    expect(content()).toBe('a=1\nb=2\na=9\n');
    writeFileSync(file(), 'a=1\nb=2\na=3\n');
    await converge(lineinfile, { path: file(), regexp: '^a=', line: 'a=9', firstmatch: true }, dir);
    expect(content()).toBe('a=9\nb=2\na=3\n');
  });

  it('warns that an empty regexp or search_string matches every line', async () => {
    writeFileSync(file(), 'a\nb\n');
    const r = await converge(lineinfile, { path: file(), regexp: '', line: 'c' }, dir);
    expect(content()).toBe('a\nc\n');
    expect(r.warnings).toEqual([expect.stringMatching(/^The regular expression is an empty string, which will match every line .* use '\^' to match every line/)]);
    const literal = await converge(lineinfile, { path: file(), search_string: '', line: 'd' }, dir);
    expect(literal.warnings).toEqual([expect.stringMatching(/^The search string is an empty string/)]);
    const plain = await converge(lineinfile, { path: file(), regexp: '^d', line: 'd' }, dir);
    expect(plain.warnings).toBeUndefined();
  });

  it('appends at EOF when nothing matches, adding the missing newline first', async () => {
    writeFileSync(file(), 'x=1');
    const r = await converge(lineinfile, { path: file(), regexp: '^y=', line: 'y=2' }, dir);
    expect(r.msg).toBe('line added');
    expect(content()).toBe('x=1\ny=2\n');
  });

  it('does nothing when the line is already present and the regexp matches nothing', async () => {
    writeFileSync(file(), 'keep\nline\n');
    const r = await run(lineinfile, { path: file(), regexp: '^nomatch', line: 'keep' });
    expect(r.changed).toBe(false);
  });

  it('inserts after the last insertafter match, before the insertbefore match, at BOF', async () => {
    writeFileSync(file(), '[a]\nx\n[a]\ny\n');
    await converge(lineinfile, { path: file(), line: 'new', insertafter: '^\\[a\\]' }, dir);
    expect(content()).toBe('[a]\nx\n[a]\nnew\ny\n');
    writeFileSync(file(), '[a]\nx\n[a]\ny\n');
    await converge(lineinfile, { path: file(), line: 'new', insertafter: '^\\[a\\]', firstmatch: true }, dir);
    expect(content()).toBe('[a]\nnew\nx\n[a]\ny\n');
    writeFileSync(file(), 'a\nb\n');
    await converge(lineinfile, { path: file(), line: 'new', insertbefore: '^b' }, dir);
    expect(content()).toBe('a\nnew\nb\n');
    await converge(lineinfile, { path: file(), line: 'top', insertbefore: 'BOF' }, dir);
    expect(content()).toBe('top\na\nnew\nb\n');
  });

  it('appends at EOF when insertafter does not match', async () => {
    writeFileSync(file(), 'a\n');
    await converge(lineinfile, { path: file(), line: 'z', insertafter: '^nothing' }, dir);
    expect(content()).toBe('a\nz\n');
  });

  it('expands backrefs, and changes nothing when the backrefs regexp does not match', async () => {
    writeFileSync(file(), 'ListenAddress 1.2.3.4\n');
    await run(lineinfile, { path: file(), regexp: '^(?P<k>ListenAddress) (.*)$', line: '# \\2\n\\g<k> 1.2.3.4', backrefs: true });
    expect(content()).toBe('# 1.2.3.4\nListenAddress 1.2.3.4\n');
    writeFileSync(file(), 'ListenAddress 1.2.3.4\n');
    await converge(lineinfile, { path: file(), regexp: '^(ListenAddress) .*$', line: '\\1 0.0.0.0', backrefs: true }, dir);
    expect(content()).toBe('ListenAddress 0.0.0.0\n');
    const r = await run(lineinfile, { path: file(), regexp: '^Port (\\d+)', line: 'Port \\1', backrefs: true });
    expect(r.changed).toBe(false);
    expect(content()).toBe('ListenAddress 0.0.0.0\n');
  });

  it('matches search_string literally', async () => {
    writeFileSync(file(), 'path=/a.b(c)\nother\n');
    await converge(lineinfile, { path: file(), search_string: '/a.b(c)', line: 'path=/new' }, dir);
    expect(content()).toBe('path=/new\nother\n');
  });

  it('fails on a missing file without create, creates it (and folders) with create', async () => {
    const missing = join(dir, 'sub', 'new.conf');
    const r = await run(lineinfile, { path: missing, line: 'x' });
    expect(r).toMatchObject({ failed: true, msg: `Destination ${missing} does not exist !` });
    await converge(lineinfile, { path: missing, line: 'x', create: true, mode: '0600' }, dir);
    expect(readFileSync(missing, 'utf8')).toBe('x\n');
    expect(statSync(missing).mode & 0o777).toBe(0o600);
  });

  it('gives a content diff with "(content)" headers', async () => {
    writeFileSync(file(), 'a\n');
    const r = await run(lineinfile, { path: file(), line: 'b' }, { diff: true, check: true });
    expect(r.diff?.[0]).toMatchObject({ before: 'a\n', after: 'a\nb\n', before_header: `${file()} (content)` });
    expect(r.diff?.[1]).toEqual({ before_header: `${file()} (file attributes)`, after_header: `${file()} (file attributes)` });
  });

  it('changes only attributes when the line is there', async () => {
    writeFileSync(file(), 'a\n', { mode: 0o644 });
    const r = await converge(lineinfile, { path: file(), line: 'a', mode: '0640' }, dir);
    expect(r.msg).toBe('ownership, perms or SE linux context changed');
    expect(statSync(file()).mode & 0o777).toBe(0o640);
  });

  it('keeps a backup and validates', async () => {
    writeFileSync(file(), 'a\n');
    const r = await run(lineinfile, { path: file(), line: 'b', backup: true });
    expect(readFileSync(r.backup as string, 'utf8')).toBe('a\n');
    const bad = await run(lineinfile, { path: file(), line: 'c', validate: 'false %s' });
    expect(bad).toMatchObject({ failed: true });
    expect(bad.msg).toMatch(/failed to validate/);
    expect(content()).toBe('a\nb\n');
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('lineinfile absent', () => {
  it('removes every matching line and counts them', async () => {
    writeFileSync(file(), 'a\n#x\nb\n#y\n');
    const r = await converge(lineinfile, { path: file(), regexp: '^#', state: 'absent' }, dir);
    expect(r).toMatchObject({ msg: '2 line(s) removed', found: 2 });
    expect(content()).toBe('a\nb\n');
  });
  it('removes an exact line, and reports a missing file unchanged', async () => {
    writeFileSync(file(), 'a\nb\n');
    await converge(lineinfile, { path: file(), line: 'b', state: 'absent' }, dir);
    expect(content()).toBe('a\n');
    const r = await run(lineinfile, { path: join(dir, 'nope'), line: 'b', state: 'absent' });
    expect(r).toMatchObject({ changed: false, msg: 'file not present' });
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });
});

describe('lineinfile with hostile names and content', () => {
  it.each(["-dash", "a b'c\"", '$(touch pwned)`x`', 'new\nline', '日本語.conf'])('edits %j byte for byte', async (name) => {
    const path = join(dir, name);
    writeFileSync(path, 'ключ=1\n設定=古い\n');
    await converge(lineinfile, { path, regexp: '^設定=', line: "設定=新しい $(x) `y` 'z'" }, dir);
    expect(readFileSync(path, 'utf8')).toBe("ключ=1\n設定=新しい $(x) `y` 'z'\n");
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });
});
