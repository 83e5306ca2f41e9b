import { realpathSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { errorOf, evaluator, fixture, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

// Expected values: Ansible 2.14 (lookup_pipe, lookup_lines and the same commands in debug tasks).
describe('pipe and lines', () => {
  const root = fixture({ 'data.txt': 'one\ntwo\n' });
  const { evaluate } = evaluator(root);

  it('pipe: the output of /bin/sh, run in the playbook folder, trailing whitespace removed', () => {
    expect(evaluate("lookup('pipe', 'pwd; printf \"a  \\\\n\\\\n\"')")).toBe(`${realpathSync(root)}\na`);
    expect(evaluate("lookup('pipe', 'cat data.txt', 'echo $0')")).toBe('one\ntwo,/bin/sh');
    expect(evaluate("lookup('pipe', 'read x; echo \"[$x]\"')")).toBe('[]');
    process.env.UXSV_LOOKUP_OUT = '/some/dir';
    try {
      expect(evaluate("lookup('pipe', 'echo $UXSV_LOOKUP_OUT')")).toBe('/some/dir');
    } finally {
      delete process.env.UXSV_LOOKUP_OUT;
    }
  });

  it('lines: each output line (\\n, \\r\\n or \\r ends one)', () => {
    expect(evaluate("query('lines', 'printf \"a\\\\r\\\\nb\\\\rc\\\\n\\\\nd\"')")).toEqual(['a', 'b', 'c', '', 'd']);
    expect(evaluate("query('lines', 'for i in $(seq 1 3); do echo \"l$i\"; done')")).toEqual(['l1', 'l2', 'l3']);
  });

  it('a failing command is an error naming it and its exit code', () => {
    expect(errorOf(() => evaluate("lookup('pipe', 'exit 3')")).message).toContain('lookup_plugin.pipe(exit 3) returned 3');
    expect(errorOf(() => evaluate("query('lines', 'exit 4')")).message).toContain('lookup_plugin.lines(exit 4) returned 4');
  });
});
