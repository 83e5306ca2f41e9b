/** The lab's process runner (lab/run.ts): an argv and no shell, input, a time limit that kills, failures as errors. */
import { describe, expect, it } from 'vitest';
import { CommandError, run, waitFor } from '../../../lab/run.js';

describe('lab/run', () => {
  it('runs an argv without a shell and gives back both streams', async () => {
    expect(await run(['printf', '%s|', 'a b', '$(id)', '; echo no'])).toEqual({ code: 0, stdout: 'a b|$(id)|; echo no|', stderr: '' });
    expect(await run(['sh', '-c', 'echo out; echo err >&2'])).toEqual({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    expect((await run(['cat'], { input: 'given\n' })).stdout).toBe('given\n');
  });

  it('a non-zero exit is a CommandError naming the command, unless allowed', async () => {
    const error = await run(['sh', '-c', 'echo broken >&2; exit 3']).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).message).toBe('sh -c echo broken >&2; exit 3 exited 3: broken');
    expect(await run(['sh', '-c', 'exit 3'], { allowFail: true })).toMatchObject({ code: 3 });
    await expect(run(['/nonexistent/command'])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('kills a command that outlives its time limit, with everything it wrote so far', async () => {
    const result = await run(['sh', '-c', 'echo started; exec sleep 30'], { timeoutMs: 300, allowFail: true });
    expect(result.code).toBe(128);
    expect(result.stdout).toBe('started\n');
    expect(result.stderr).toContain('(killed after 300 ms)');
  });

  it('waitFor stops at the first value, or after its attempts', async () => {
    let calls = 0;
    expect(await waitFor(async () => (++calls === 3 ? 'ready' : undefined), { timeoutMs: 10_000, intervalMs: 1 })).toBe('ready');
    expect(calls).toBe(3);
    calls = 0;
    expect(await waitFor(async () => void calls++, { timeoutMs: 10_000, intervalMs: 1, attempts: 4 })).toBeUndefined();
    expect(calls).toBe(4);
  });
});
