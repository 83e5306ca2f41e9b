/** script, expect and git on this machine (temporary files and repositories only). */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { script } from '../../../../engine/modules/system/script.js';
import { expect as expectModule, responsesOf } from '../../../../engine/modules/system/expect.js';
import { git, remoteHead } from '../../../../engine/modules/system/git.js';

const dir = mkdtempSync(join(tmpdir(), "uxsv run'-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('script', () => {
  const files = join(dir, 'files');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'hello.sh'), '#!/bin/sh\necho "args: $*"; echo "cwd: $(pwd)"; echo err >&2; exit ${EXIT:-0}\n');

  it('sends the file, runs it with its arguments as shell text, removes it', async () => {
    const ctx = localContext({ filesDir: files });
    const res = await runModule(script, { _raw_params: 'hello.sh "a b" c', chdir: dir }, ctx);
    expect(res).toMatchObject({ changed: true, rc: 0, stdout: `args: a b c\ncwd: ${dir}\n`, stdout_lines: ['args: a b c', `cwd: ${dir}`], stderr: 'err\n' });
    const failed = await runModule(script, { _raw_params: 'hello.sh', executable: 'env EXIT=5 sh' }, ctx);
    expect(failed).toMatchObject({ failed: true, rc: 5, msg: 'non-zero return code' });
    expect(execFileSync('sh', ['-c', 'ls -d "${TMPDIR:-/tmp}"/uxsv-script.* 2>/dev/null || true']).toString()).toBe('');
  });

  it('skips by creates/removes, refuses a relative chdir, skips check mode like Ansible', async () => {
    const ctx = localContext({ filesDir: files });
    expect(await runModule(script, { _raw_params: 'hello.sh', creates: dir }, ctx)).toMatchObject({ changed: false, skipped: true, msg: `${dir} exists, matching creates option` });
    expect(await runModule(script, { _raw_params: 'hello.sh', removes: join(dir, 'nope') }, ctx)).toMatchObject({ skipped: true, msg: `${join(dir, 'nope')} does not exist, matching removes option` });
    expect((await runModule(script, { _raw_params: 'hello.sh', chdir: 'rel' }, ctx)).msg).toBe('chdir rel must be an absolute path for a Unix-aware remote node');
    expect(await runModule(script, { _raw_params: 'hello.sh' }, localContext({ filesDir: files, check: true }))).toMatchObject({ changed: false, skipped: true, msg: 'Check mode is not supported for this task.' });
    expect((await runModule(script, { _raw_params: 'hello.sh', creates: join(dir, 'nope') }, localContext({ filesDir: files, check: true }))).changed).toBe(true);
    expect((await runModule(script, { _raw_params: 'missing.sh' }, ctx)).failed).toBe(true);
  });
});

describe('expect', () => {
  const ask = join(dir, 'ask.sh');
  writeFileSync(ask, '#!/bin/sh\nprintf "name? "; read n; printf "age? "; read a; printf "again? "; read b; echo "hello $n ($a,$b)"; tty >/dev/null && echo tty; exit ${RC:-0}\n', { mode: 0o755 });

  it('answers prompts on a terminal, lists one answer per match', async () => {
    const res = await runModule(expectModule, { command: `"${ask}"`, responses: { 'name\\?': "Bob 'x' $(y)", '(age|again)\\?': ['1', '2'] } }, localContext());
    expect(res).toMatchObject({ changed: true, rc: 0, cmd: `"${ask}"` });
    expect(res.stdout).toBe("name? age? again? hello Bob 'x' $(y) (1,2)\r\ntty");
  });

  it('fails when answers run out, on timeout, on exit codes and on a missing program', async () => {
    const out = await runModule(expectModule, { command: `"${ask}"`, responses: { 'name\\?': 'a', '(age|again)\\?': ['1'] } }, localContext());
    expect(out).toMatchObject({ failed: true });
    expect(out.msg).toMatch(/^No remaining responses for '\(age\|again\)\\\?', output was '/);
    expect(await runModule(expectModule, { command: `"${ask}"`, responses: { nothing: 'x' }, timeout: 1 }, localContext())).toMatchObject({ failed: true, msg: 'command exceeded timeout' });
    expect(await runModule(expectModule, { command: 'uxsv-no-such-program', responses: {} }, localContext())).toMatchObject({ failed: true, msg: 'The command was not found or was not executable: uxsv-no-such-program.' });
    expect(await runModule(expectModule, { command: 'sh -c "exit 3"', responses: {} }, localContext())).toMatchObject({ failed: true, rc: 3, msg: 'non-zero return code' });
    expect(await runModule(expectModule, { command: 'true', responses: {}, creates: dir }, localContext())).toMatchObject({ changed: false, stdout: `skipped, since ${dir} exists` });
    expect((await runModule(expectModule, { command: 'true', responses: {} }, localContext({ check: true }))).skipped).toBe(true);
    expect(responsesOf({ a: 'x', b: ['1', 2] })).toEqual([{ pattern: 'a', answers: ['x'], list: false }, { pattern: 'b', answers: ['1', '2'], list: true }]);
  });
});

describe('git', () => {
  const origin = join(dir, 'origin');
  const sh = (cmd: string, cwd = origin) => execFileSync('sh', ['-c', cmd], { cwd, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } }).toString().trim();
  mkdirSync(origin, { recursive: true });
  sh('git init -q -b main . && echo one > f && git add f && git commit -qm one && git tag v1 && git checkout -q -b dev && echo dev > f && git commit -qam dev && git checkout -q main && echo two > f && git commit -qam two');

  it('clones, reports before/after, and changes nothing the second time', async () => {
    const dest = join(dir, "check out'");
    const main = sh('git rev-parse main');
    const check = await runModule(git, { repo: origin, dest }, localContext({ check: true }));
    expect(check).toMatchObject({ changed: true, before: null, after: main });
    const first = await runModule(git, { repo: origin, dest }, localContext());
    expect(first).toMatchObject({ changed: true, before: null, after: main });
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('two\n');
    expect(await runModule(git, { repo: origin, dest }, localContext())).toMatchObject({ changed: false, before: main, after: main, remote_url_changed: false });
  });

  it('moves to a branch, a tag and a new commit of the remote', async () => {
    const dest = join(dir, 'co2');
    await runModule(git, { repo: origin, dest }, localContext());
    expect(await runModule(git, { repo: origin, dest, version: 'dev' }, localContext())).toMatchObject({ changed: true, after: sh('git rev-parse dev') });
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('dev\n');
    expect(await runModule(git, { repo: origin, dest, version: 'v1' }, localContext())).toMatchObject({ changed: true, after: sh('git rev-parse v1') });
    sh('git checkout -q dev && echo dev2 > f && git commit -qam dev2 && git checkout -q main');
    const plan = await runModule(git, { repo: origin, dest, version: 'dev' }, localContext({ check: true }));
    expect(plan).toMatchObject({ changed: true, after: sh('git rev-parse dev') });
    expect((await runModule(git, { repo: origin, dest, version: 'dev' }, localContext())).after).toBe(sh('git rev-parse dev'));
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('dev2\n');
  });

  it('refuses local modifications unless force', async () => {
    const dest = join(dir, 'co3');
    await runModule(git, { repo: origin, dest }, localContext());
    writeFileSync(join(dest, 'f'), 'local\n');
    expect((await runModule(git, { repo: origin, dest }, localContext())).msg).toBe(`Local modifications exist in the destination: ${dest} (force=no).`);
    expect(await runModule(git, { repo: origin, dest, force: true }, localContext())).toMatchObject({ changed: true, msg: `Local modifications exist in the destination: ${dest}` });
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('two\n');
    expect((await runModule(git, { repo: origin, dest, update: false }, localContext())).changed).toBe(false);
  });

  it('makes shallow clones and archives', async () => {
    const dest = join(dir, 'shallow');
    expect((await runModule(git, { repo: `file://${origin}`, dest, depth: 1, version: 'main' }, localContext())).changed).toBe(true);
    expect(sh('git rev-list --count HEAD', dest)).toBe('1');
    const archive = join(dir, 'out.tar');
    expect((await runModule(git, { repo: origin, dest: join(dir, 'co4'), archive }, localContext())).changed).toBe(true);
    expect(execFileSync('tar', ['-tf', archive]).toString()).toContain('f');
  });

  it('names the remote sha of a version as Ansible\'s get_remote_head', () => {
    const refs = new Map([['HEAD', 'a1'], ['refs/heads/main', 'a1'], ['refs/heads/dev', 'b2'], ['refs/tags/v1', 'c3'], ['refs/tags/v1^{}', 'd4']]);
    const state = { gitFound: true, exists: true, localMods: false, refs, localBranch: false, headBranch: 'dev' };
    expect(remoteHead('HEAD', state, true)).toBe('a1');
    expect(remoteHead('HEAD', state, false)).toBe('b2');
    expect(remoteHead('v1', state, false)).toBe('d4');
    expect(remoteHead('0123abc', state, false)).toBe('0123abc');
  });
});
