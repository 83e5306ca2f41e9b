/**
 * `key=value` task arguments through a whole run: Python escapes in a value
 * are decoded as Ansible's parse_kv decodes them, so `content="a\nb"` writes
 * a real line break (checked against ansible-playbook 2.14).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { play, project, type Project } from '../../helpers/engine.js';

let p: Project;
afterEach(() => p?.cleanup());

describe('escapes in key=value arguments', () => {
  it('copy content="a\\nb" writes a line break, quoted or not; a doubled backslash stays one backslash', async () => {
    p = project();
    const run = await play(p, `- hosts: h1
  gather_facts: false
  tasks:
    - copy: content="a\\nb\\tc" dest=${p.path('double.txt')}
    - copy: content='a\\nb' dest=${p.path('single.txt')}
    - copy: content=a\\nb dest=${p.path('bare.txt')}
    - copy: content="C:\\\\temp\\n" dest=${p.path('backslash.txt')}
`);
    expect(run.code, run.output + run.stderr).toBe(0);
    expect(p.read('double.txt')).toBe('a\nb\tc');
    expect(p.read('single.txt')).toBe('a\nb');
    expect(p.read('bare.txt')).toBe('a\nb');
    expect(p.read('backslash.txt')).toBe('C:\\temp\n');
  });
});
