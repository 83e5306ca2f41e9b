/**
 * command, shell and raw on this machine: Ansible's result keys and
 * messages, argv/stdin/strip/chdir/creates/removes, check mode, and words
 * that a shell would misread.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { command, pythonDelta, pythonTimestamp, raw, shell } from '../../../../engine/modules/core/command.js';

const dir = mkdtempSync(join(tmpdir(), "uxsv cmd'-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('command', () => {
  it('runs without a shell and returns Ansible\'s keys', async () => {
    const res = await runModule(command, { _raw_params: "printf '%s|' a 'b c' '$(id)' ';' '>x'" }, localContext());
    expect(res).toMatchObject({ changed: true, rc: 0, stdout: 'a|b c|$(id)|;|>x|', stderr: '', msg: '', stdout_lines: ['a|b c|$(id)|;|>x|'], stderr_lines: [] });
    expect(res.cmd).toEqual(['printf', '%s|', 'a', 'b c', '$(id)', ';', '>x']);
    expect(res.start).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(res.delta).toMatch(/^0:00:0\d\.\d{6}$|^0:00:0\d$/);
    expect(existsSync('x')).toBe(false);
  });

  it('expands $VAR as Python does, even inside quotes, unless asked not to', async () => {
    const ctx = localContext();
    expect((await runModule(command, { _raw_params: "echo $HOME '$UXSV_NOT_SET'" }, ctx)).stdout).toBe(`${process.env.HOME ?? '/root'} $UXSV_NOT_SET`);
    expect((await runModule(command, { argv: ['echo', '$HOME'], expand_argument_vars: false }, ctx)).stdout).toBe('$HOME');
  });

  it('has no builtins and fails like Python on a missing program', async () => {
    expect(await runModule(command, { _raw_params: 'uxsv-no-such-program x' }, localContext())).toMatchObject({
      failed: true, rc: 2, msg: "[Errno 2] No such file or directory: b'uxsv-no-such-program'" });
    expect((await runModule(command, { _raw_params: 'cd /' }, localContext())).failed).toBe(true);
  });

  it('fails on a non-zero exit with Ansible\'s message, keeping the output', async () => {
    expect(await runModule(command, { argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }, localContext())).toMatchObject({
      failed: true, changed: true, rc: 3, msg: 'non-zero return code', stdout: 'out', stderr: 'err' });
  });

  it('checks its arguments as Ansible does', async () => {
    expect(await runModule(command, {}, localContext())).toMatchObject({ failed: true, rc: 256, msg: 'no command given' });
    expect(await runModule(command, { _raw_params: 'echo a', argv: ['echo'] }, localContext())).toMatchObject({ failed: true, rc: 256, msg: 'only command or argv can be given, not both' });
    const warned = await runModule(command, { _raw_params: 'true', executable: '/bogus' }, localContext());
    expect((warned.warnings as string[])[0]).toMatch(/no longer supported/);
  });

  it('passes stdin with or without the newline, and strips empty ends unless told not to', async () => {
    expect((await runModule(command, { _raw_params: 'od -c', stdin: 'x' }, localContext())).stdout).toContain('x  \\n');
    expect((await runModule(command, { _raw_params: 'od -c', stdin: 'x', stdin_add_newline: false }, localContext())).stdout).not.toContain('\\n');
    expect((await runModule(command, { argv: ['printf', 'hello \\n \\r\\n\\n'] }, localContext())).stdout).toBe('hello \n ');
    expect((await runModule(command, { argv: ['printf', 'hello \\n \\r\\n'], strip_empty_ends: false }, localContext())).stdout).toBe('hello \n \r\n');
  });

  it('enters chdir physically and fails on a missing one', async () => {
    mkdirSync(join(dir, 'real', 'site'), { recursive: true });
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect((await runModule(shell, { _raw_params: 'pwd', chdir: join(dir, 'link', 'site') }, localContext())).stdout).toBe(join(dir, 'real', 'site'));
    const missing = await runModule(command, { _raw_params: 'echo', chdir: join(dir, 'nope') }, localContext());
    expect(missing).toMatchObject({ failed: true });
    expect(missing.msg).toMatch(/^Unable to change directory before execution/);
  });

  it('skips by creates/removes globs, relative to chdir, with Ansible\'s messages', async () => {
    writeFileSync(join(dir, 'afile.txt'), '');
    const args = { _raw_params: 'touch ran', chdir: dir, creates: 'afile.*' };
    expect(await runModule(command, args, localContext())).toMatchObject({ changed: false, rc: 0, msg: "Did not run command since 'afile.*' exists", stdout: 'skipped, since afile.* exists' });
    expect((await runModule(command, args, localContext({ check: true }))).msg).toBe("Would not run command since 'afile.*' exists");
    expect((await runModule(command, { ...args, creates: undefined, removes: 'nothing-*' }, localContext())).msg).toBe("Did not run command since 'nothing-*' does not exist");
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('reports check mode as Ansible\'s command does', async () => {
    expect(await runModule(command, { _raw_params: 'touch x' }, localContext({ check: true }))).toMatchObject({ changed: false, skipped: true, msg: 'Command would have run if not in check mode' });
    const guarded = await runModule(command, { _raw_params: 'touch x', creates: join(dir, 'nope') }, localContext({ check: true }));
    expect(guarded).toMatchObject({ changed: true, msg: 'Command would have run if not in check mode' });
    expect(guarded.skipped).toBeUndefined();
  });

  it('formats times as Python\'s str(datetime) and str(timedelta)', () => {
    expect(pythonTimestamp(new Date(2024, 0, 2, 3, 4, 5, 6))).toBe('2024-01-02 03:04:05.006000');
    expect(pythonDelta(1234)).toBe('0:00:01.234000');
    expect(pythonDelta(3_600_000)).toBe('1:00:00');
  });
});

describe('shell', () => {
  it('runs the text with /bin/sh, or with executable, and returns cmd as given', async () => {
    const res = await runModule(shell, { _raw_params: 'echo $((1+2)) | tr 3 x' }, localContext());
    expect(res).toMatchObject({ changed: true, cmd: 'echo $((1+2)) | tr 3 x', stdout: 'x' });
    expect((await runModule(shell, { _raw_params: 'echo $0', executable: '/bin/bash' }, localContext())).stdout).toBe('/bin/bash');
    expect((await runModule(shell, { cmd: 'cat <<EOF\nOne\n  Two\nEOF\n' }, localContext())).stdout).toBe('One\n  Two');
  });
});

describe('raw', () => {
  it('runs the line as is, always changed, skipped in check mode', async () => {
    expect(await runModule(raw, { _raw_params: "echo 'foo,bar' | cut -d, -f2" }, localContext())).toMatchObject({ changed: true, rc: 0, stdout: 'bar\n', stdout_lines: ['bar'] });
    expect(await runModule(raw, { _raw_params: 'exit 4' }, localContext())).toMatchObject({ failed: true, rc: 4, msg: 'non-zero return code' });
    expect((await runModule(raw, { _raw_params: 'echo $0', executable: '/bin/bash' }, localContext())).stdout).toBe('/bin/bash\n');
    expect((await runModule(raw, { _raw_params: 'touch x' }, localContext({ check: true }))).skipped).toBe(true);
  });
});
