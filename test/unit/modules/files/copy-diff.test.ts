/**
 * The content diffs of copy and template, and what they cost: the read of
 * the destination carries no content, and in diff mode the content of the
 * destinations that differ is read with one more command for all of them
 * (copy-local.ts readDiffContent). The diffs are the ones Ansible shows:
 * the file a path leads to as before, up to the diff size limit.
 * Real files, the real local connection; the commands are those the module
 * sent.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quote } from '../../../../engine/connection/quote.js';
import type { ModuleResult } from '../../../../engine/modules/types.js';
import type { Module } from '../../../../engine/modules/types.js';
import { copy } from '../../../../engine/modules/files/copy.js';
import { template } from '../../../../engine/modules/files/template.js';
import { localContext, runModule, type LocalContextOptions } from '../../../helpers/module-context.js';
import { play, project } from '../../../helpers/engine.js';
import { snapshot, tempDir } from './harness.js';

let dir: string;
let local: string;
let cleanup: () => void;
let cleanupLocal: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  ({ dir: local, cleanup: cleanupLocal } = tempDir());
});
afterEach(() => { cleanup(); cleanupLocal(); });

/** A check-mode diff run of a module, with the commands it sent. Nothing on disk may change. */
async function checkDiff(mod: Module<any, any>, args: Record<string, unknown>, options: LocalContextOptions = {}): Promise<{ r: ModuleResult; commands: string[] }> {
  const ctx = localContext({ ...options, check: true, diff: true });
  const commands: string[] = [];
  const run = ctx.run;
  ctx.run = (command, execOptions) => {
    commands.push(command);
    return run(command, execOptions);
  };
  const before = snapshot(dir);
  const r = await runModule(mod, args, ctx);
  expect(r.failed, r.msg).toBeFalsy();
  expect(snapshot(dir)).toEqual(before);
  return { r, commands };
}

/** The commands that transfer a file's content (the file fact's `head -c LIMIT | base64`). */
const contentReads = (commands: string[]) => commands.filter((c) => /head -c \d+ </.test(c));
const me = { owner: String(process.getuid?.() ?? 0), group: String(process.getgid?.() ?? 0) };

describe('copy and template diffs', () => {
  it('reads no content when the destination holds the same bytes (owner and group given)', async () => {
    const dest = join(dir, 'same');
    writeFileSync(dest, 'same\n');
    const { r, commands } = await checkDiff(copy, { content: 'same\n', dest, owner: 'root', group: 'root' });
    expect(r.changed).toBe(process.getuid?.() !== 0);
    expect(commands).toHaveLength(1);
    expect(contentReads(commands)).toEqual([]);
    expect(commands[0]).not.toContain('base64');
  });

  it('reads the content of a destination that differs, with one more command, and shows it as before', async () => {
    const dest = join(dir, 'conf');
    writeFileSync(dest, 'old line\nkept\n');
    const { r, commands } = await checkDiff(copy, { content: 'new line\nkept\n', dest, ...me });
    expect(r.changed).toBe(true);
    expect(r.diff).toEqual([{ before_header: dest, before: 'old line\nkept\n', after_header: dest, after: 'new line\nkept\n' }]);
    expect(commands).toHaveLength(2);
    expect(contentReads(commands)).toEqual([commands[1]]);
    expect(commands[1]).toContain('head -c 104449 <');
  });

  it('a file larger than the diff limit is shown as larger, and one whose start holds a NUL as binary', async () => {
    const at = join(dir, 'at-limit');
    const over = join(dir, 'over');
    const bin = join(dir, 'bin');
    writeFileSync(at, 'a'.repeat(104448));
    writeFileSync(over, 'b'.repeat(104449));
    writeFileSync(bin, Buffer.concat([Buffer.from('x\0y'), Buffer.alloc(200000, 0x41)]));
    const atLimit = await checkDiff(copy, { content: 'short\n', dest: at });
    expect(atLimit.r.diff).toEqual([{ before_header: at, before: 'a'.repeat(104448), after_header: at, after: 'short\n' }]);
    const overLimit = await checkDiff(copy, { content: 'short\n', dest: over });
    expect(overLimit.r.diff).toEqual([{ dst_larger: 104448, after_header: over, after: 'short\n' }]);
    const binary = await checkDiff(copy, { content: 'short\n', dest: bin });
    expect(binary.r.diff).toEqual([{ dst_binary: 1, after_header: bin, after: 'short\n' }]);
    for (const run of [atLimit, overLimit, binary]) {
      expect(run.commands).toHaveLength(2);
      expect(contentReads(run.commands)).toEqual([run.commands[1]]);
    }
  });

  it('shows the file a link leads to: replaced without follow (even with the same bytes), written through with follow', async () => {
    const target = join(dir, 'target');
    const link = join(dir, 'link');
    writeFileSync(target, 'behind the link\n');
    symlinkSync('target', link);
    const replaced = await checkDiff(copy, { content: 'new\n', dest: link });
    expect(replaced.r.diff).toEqual([{ before_header: link, before: 'behind the link\n', after_header: link, after: 'new\n' }]);
    const through = await checkDiff(copy, { content: 'new\n', dest: link, follow: true });
    expect(through.r.diff).toEqual([{ before_header: link, before: 'behind the link\n', after_header: link, after: 'new\n' }]);
    // Without follow a link is replaced by the file even when its target holds the same bytes, and the diff says so.
    const same = await checkDiff(copy, { content: 'behind the link\n', dest: link });
    expect(same.r).toMatchObject({ changed: true, diff: [{ before_header: link, before: 'behind the link\n', after_header: link, after: 'behind the link\n' }] });
    const sameFollowed = await checkDiff(copy, { content: 'behind the link\n', dest: link, follow: true });
    expect(sameFollowed.r.changed).toBe(false);
    for (const run of [replaced, through, same]) {
      expect(run.commands).toHaveLength(2);
      expect(contentReads(run.commands)).toEqual([run.commands[1]]);
    }
    expect(contentReads(sameFollowed.commands)).toEqual([]);
    // A dangling link shows as a new file: nothing to read.
    symlinkSync('nowhere', join(dir, 'dangling'));
    const dangling = await checkDiff(copy, { content: 'x\n', dest: join(dir, 'dangling') });
    expect(dangling.r.diff).toEqual([{ before: '', after_header: join(dir, 'dangling'), after: 'x\n' }]);
    expect(contentReads(dangling.commands)).toEqual([]);
  });

  it('a folder copy reads the content of only the files that differ, all in one more command', async () => {
    mkdirSync(join(local, 'site', 'sub'), { recursive: true });
    mkdirSync(join(dir, 'site', 'sub'), { recursive: true });
    const files: Record<string, [local: string, remote?: string]> = {
      'a.txt': ['same a\n', 'same a\n'],
      'b.txt': ['new b\n', 'old b\n'],
      'sub/c.txt': ['same c\n', 'same c\n'],
      'sub/d.txt': ['new d\n', 'old d\n'],
      'sub/e.txt': ['only here\n'],
    };
    for (const [rel, [mine, theirs]] of Object.entries(files)) {
      writeFileSync(join(local, 'site', rel), mine);
      if (theirs !== undefined) writeFileSync(join(dir, 'site', rel), theirs);
    }
    const { r, commands } = await checkDiff(copy, { src: join(local, 'site'), dest: dir });
    expect(r.changed).toBe(true);
    const byHeader = Object.fromEntries((r.diff ?? []).map((d) => [d.after_header, d]));
    expect(Object.keys(byHeader).sort()).toEqual(['b.txt', 'sub/d.txt', 'sub/e.txt'].map((rel) => join(local, 'site', rel)));
    expect(byHeader[join(local, 'site', 'b.txt')]).toEqual({ before_header: join(dir, 'site', 'b.txt'), before: 'old b\n', after_header: join(local, 'site', 'b.txt'), after: 'new b\n' });
    expect(byHeader[join(local, 'site', 'sub/d.txt')]).toEqual({ before_header: join(dir, 'site', 'sub/d.txt'), before: 'old d\n', after_header: join(local, 'site', 'sub/d.txt'), after: 'new d\n' });
    expect(byHeader[join(local, 'site', 'sub/e.txt')]).toEqual({ before: '', after_header: join(local, 'site', 'sub/e.txt'), after: 'only here\n' });
    expect(commands).toHaveLength(2);
    const [read] = contentReads(commands);
    expect(read).toBe(commands[1]);
    expect(read!.match(/head -c \d+ </g)).toHaveLength(2);
    for (const rel of ['b.txt', 'sub/d.txt']) expect(read).toContain(join(dir, 'site', rel));
    for (const rel of ['a.txt', 'sub/c.txt', 'sub/e.txt']) expect(read).not.toContain(join(dir, 'site', rel));
  });

  it('reads no content when nothing differs, and none outside diff mode', async () => {
    mkdirSync(join(local, 'site'));
    writeFileSync(join(local, 'site', 'a'), 'a\n');
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'a'), 'a\n');
    const same = await checkDiff(copy, { src: join(local, 'site'), dest: dir });
    expect(same.r.changed).toBe(false);
    expect(same.commands).toHaveLength(1);
    expect(contentReads(same.commands)).toEqual([]);
    const ctx = localContext({ check: true, diff: false });
    const commands: string[] = [];
    const run = ctx.run;
    ctx.run = (command, o) => (commands.push(command), run(command, o));
    const r = await runModule(copy, { content: 'other\n', dest: join(dir, 'site', 'a') }, ctx);
    expect(r).toMatchObject({ changed: true });
    expect(r.diff).toBeUndefined();
    expect(commands).toHaveLength(1);
    expect(contentReads(commands)).toEqual([]);
  });

  it('template: the same, with hostile names, owner and group', async () => {
    const name = "t $(touch pwned) 'q'\nl -x";
    writeFileSync(join(local, 'site.j2'), 'server {{ name }};\n');
    const dest = join(dir, name);
    writeFileSync(dest, 'server alpha;\n');
    const same = await checkDiff(template, { src: 'site.j2', dest, ...me }, { templatesDir: local, vars: { name: 'alpha' } });
    const differs = await checkDiff(template, { src: 'site.j2', dest, ...me }, { templatesDir: local, vars: { name: 'beta' } });
    expect(same.r.changed).toBe(false);
    expect(differs.r.diff).toEqual([{ before_header: dest, before: 'server alpha;\n', after_header: join(local, 'site.j2'), after: 'server beta;\n' }]);
    expect(same.commands).toHaveLength(1);
    expect(contentReads(same.commands)).toEqual([]);
    expect(differs.commands).toHaveLength(2);
    expect(contentReads(differs.commands)).toEqual([differs.commands[1]]);
    expect(readFileSync(dest, 'utf8')).toBe('server alpha;\n');
    expect(snapshot(dir)[join(dir, 'pwned')]).toBeUndefined();
  });
});

describe('a drift check (check and diff mode) of files that are as they should be', () => {
  it('reads ahead no content, and looks each owner and group up once per read', async () => {
    const p = project({ 'templates/t.j2': 'x={{ inventory_hostname }}\n', 'files/f': 'f\n' });
    const trace = (name: string) => join(p.dir, `${name}.trace`);
    const previous = { trace: process.env.UXSV_EXEC_TRACE, chars: process.env.UXSV_EXEC_TRACE_CHARS };
    try {
      const user = userInfo().username;
      const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
      const out = `${p.dir}/out`;
      // Owner and group in three combinations: three different identity reads, one name each for the host.
      const owners = [`owner: "${user}"`, `group: "${group}"`, `owner: "${user}", group: "${group}"`];
      const tasks = Array.from({ length: 9 }, (_, i) => {
        const who = owners[i % 3];
        return i % 2 === 0
          ? `    - template: { src: t.j2, dest: "${out}/t${i}", ${who} }`
          : `    - copy: { src: f, dest: "${out}/f${i}", ${who} }`;
      });
      const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n    - file: { path: "${out}", state: directory }\n${tasks.join('\n')}\n`;
      const inventory = 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n';
      process.env.UXSV_EXEC_TRACE_CHARS = '100000';
      process.env.UXSV_EXEC_TRACE = trace('first');
      expect((await play(p, pb, [], inventory)).report.recap.h1).toMatchObject({ failed: 0 });
      process.env.UXSV_EXEC_TRACE = trace('check');
      const check = await play(p, pb, ['--check', '--diff'], inventory);
      expect(check.report.recap.h1).toMatchObject({ changed: 0, failed: 0 });
      const commands = readFileSync(trace('check'), 'utf8').trim().split('\n').map((line) => JSON.parse(line).command as string);
      expect(commands.length).toBeLessThanOrEqual(4);
      for (const command of commands) {
        expect(command).not.toMatch(/head -c|base64/);
        expect(command).not.toMatch(/\| *(cut|head)/);
        for (const name of [user, group]) {
          expect(command.split(`getent passwd -- ${quote(name)}\n`).length).toBeLessThanOrEqual(2);
          expect(command.split(`getent group -- ${quote(name)}\n`).length).toBeLessThanOrEqual(2);
        }
      }
      expect(commands.join('\n')).toContain(`getent passwd -- ${quote(user)}`);
    } finally {
      for (const [key, value] of [['UXSV_EXEC_TRACE', previous.trace], ['UXSV_EXEC_TRACE_CHARS', previous.chars]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      p.cleanup();
    }
  });
});
