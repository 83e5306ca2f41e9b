import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockinfile } from '../../../../engine/modules/files/blockinfile.js';
import { replace } from '../../../../engine/modules/files/replace.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const file = () => join(dir, 'hosts');
const content = () => readFileSync(file(), 'utf8');
const BLOCK = '# BEGIN ANSIBLE MANAGED BLOCK\n1 a\n2 b\n# END ANSIBLE MANAGED BLOCK\n';

describe('blockinfile', () => {
  it('inserts at EOF (adding a missing newline) and is idempotent', async () => {
    writeFileSync(file(), 'top');
    const r = await converge(blockinfile, { path: file(), block: '1 a\n2 b' }, dir);
    expect(r.msg).toBe('Block inserted');
    expect(content()).toBe(`top\n${BLOCK}`);
  });

  it('inserts at BOF and after the last insertafter match', async () => {
    writeFileSync(file(), 'x\n[s]\ny\n[s]\nz\n');
    await converge(blockinfile, { path: file(), block: '1 a\n2 b', insertbefore: 'BOF' }, dir);
    expect(content()).toBe(`${BLOCK}x\n[s]\ny\n[s]\nz\n`);
    writeFileSync(file(), 'x\n[s]\ny\n[s]\nz\n');
    await converge(blockinfile, { path: file(), block: '1 a\n2 b', insertafter: '^\\[s\\]' }, dir);
    expect(content()).toBe(`x\n[s]\ny\n[s]\n${BLOCK}z\n`);
  });

  it('updates a changed block in place and removes it', async () => {
    writeFileSync(file(), `x\n${BLOCK}y\n`);
    const r = await converge(blockinfile, { path: file(), block: '3 c' }, dir, {});
    expect(r.diff?.[0]).toMatchObject({ before_header: `${file()} (content)`, after: expect.stringContaining('3 c\n') });
    expect(content()).toBe('x\n# BEGIN ANSIBLE MANAGED BLOCK\n3 c\n# END ANSIBLE MANAGED BLOCK\ny\n');
    const removed = await converge(blockinfile, { path: file(), state: 'absent' }, dir);
    expect(removed.msg).toBe('Block removed');
    expect(content()).toBe('x\ny\n');
  });

  it('uses custom markers', async () => {
    writeFileSync(file(), '');
    await converge(blockinfile, { path: file(), block: 'v', marker: '<!-- {mark} peers -->', marker_begin: 'START', marker_end: 'STOP' }, dir);
    expect(content()).toBe('<!-- START peers -->\nv\n<!-- STOP peers -->\n');
  });

  it('fails on a missing file unless create, then reports File created', async () => {
    const missing = join(dir, 'new');
    expect(await run(blockinfile, { path: missing, block: 'v' })).toMatchObject({ failed: true, msg: `Path ${missing} does not exist !` });
    const r = await converge(blockinfile, { path: missing, block: 'v', create: true }, dir);
    expect(r.msg).toBe('File created');
  });
});

describe('replace', () => {
  it('replaces every match with MULTILINE semantics and backrefs', async () => {
    writeFileSync(file(), 'relay = a\n#keep\nrelay = b\n');
    const r = await converge(replace, { path: file(), regexp: '^relay = (\\w)$', replace: '# relay \\1' }, dir);
    expect(r.msg).toBe('2 replacements made');
    expect(content()).toBe('# relay a\n#keep\n# relay b\n');
    expect(r.diff).toMatchObject({ before_header: file(), after: expect.stringContaining('# relay a\n') });
  });

  it('reports no change when nothing matches', async () => {
    writeFileSync(file(), 'a\n');
    expect(await run(replace, { path: file(), regexp: 'zzz', replace: 'y' })).toMatchObject({ changed: false });
  });

  it('limits the replacement to the text between after and before', async () => {
    writeFileSync(file(), 'x=1\n<s>\nx=1\n</s>\nx=1\n');
    await converge(replace, { path: file(), regexp: 'x=1', replace: 'x=2', after: '<s>', before: '</s>' }, dir);
    expect(content()).toBe('x=1\n<s>\nx=2\n</s>\nx=1\n');
    writeFileSync(file(), 'x=1\n<s>\nx=1\n');
    await converge(replace, { path: file(), regexp: 'x=1', replace: 'x=3', after: '<s>' }, dir);
    expect(content()).toBe('x=1\n<s>\nx=3\n');
    writeFileSync(file(), 'x=1\n<s>\nx=1\n');
    await converge(replace, { path: file(), regexp: 'x=1', replace: 'x=4', before: '<s>' }, dir);
    expect(content()).toBe('x=4\n<s>\nx=1\n');
  });

  it('does nothing when the after/before bounds do not match', async () => {
    writeFileSync(file(), 'x=1\n');
    const r = await run(replace, { path: file(), regexp: 'x', replace: 'y', after: 'nope' });
    expect(r.changed).toBe(false);
    expect(r.msg).toMatch(/Pattern for before\/after params did not match/);
  });

  it('fails on a missing file', async () => {
    expect(await run(replace, { path: join(dir, 'no'), regexp: 'x' })).toMatchObject({ failed: true, msg: `Path ${join(dir, 'no')} does not exist !` });
  });
});
