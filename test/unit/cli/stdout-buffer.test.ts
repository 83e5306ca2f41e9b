import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const MODULE = resolve(import.meta.dirname, '../../../dist/engine/cli/stdout-buffer.js');

/** Runs `body` in a node process with the buffer's functions in scope; its standard output and error go to one pipe. */
function combined(body: string): string {
  const script = `import { writeStdout, writeStderr, flushStdout } from ${JSON.stringify(MODULE)};\nconst real = process.stdout.write.bind(process.stdout);\nlet calls = 0;\nprocess.stdout.write = (...a) => { calls++; return real(...a); };\nprocess.on('exit', () => { flushStdout(); process.stderr.write('calls=' + calls + '\\n'); });\n${body}`;
  return execFileSync('sh', ['-c', `"${process.execPath}" --input-type=module -e "$1" 2>&1`, 'sh', script]).toString();
}

describe('standard output in one piece per turn', () => {
  it('writes the lines of one turn with one call, and keeps them before what goes to standard error', () => {
    const out = combined("for (let i = 0; i < 100; i++) writeStdout(`line ${i}\\n`);\nwriteStderr('warning\\n');\nwriteStdout('after\\n');\nsetTimeout(() => writeStdout('later\\n'), 20);");
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i}`));
    expect(lines.slice(100)).toEqual(['warning', 'after', 'later', 'calls=3']);
  });

  it('flushes at once past 64 KiB', () => {
    const out = combined("const big = 'x'.repeat(1000) + '\\n';\nfor (let i = 0; i < 200; i++) writeStdout(big);");
    expect(out.split('\n').filter((l) => l.length === 1000)).toHaveLength(200);
    expect(Number(/calls=(\d+)/.exec(out)![1])).toBeGreaterThanOrEqual(3);
  });

  it('loses nothing when the process ends on its own', () => {
    const script = `import { writeStdout } from ${JSON.stringify(MODULE)};\nwriteStdout('one\\n'); writeStdout('two\\n');`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString()).toBe('one\ntwo\n');
  });
});
