/**
 * The plain reporter against ansible-playbook itself: each case of
 * ansible/runs/ is a playbook that ansible-playbook 2.14 ran (generate.sh),
 * with what it printed on stdout and stderr and the events it reported, in
 * uxsv's vocabulary (ansible/callback/uxsv_events.py). Fed those events with
 * the same options, the reporter must print the same bytes.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../../engine/output/events.js';
import { createReporter, outputSettings, shouldUseColor } from '../../../engine/output/index.js';

const RUNS = join(import.meta.dirname, 'ansible', 'runs');

interface Case {
  name: string;
  events: RunEvent[];
  stdout: string;
  stderr: string;
  args: string[];
  env: Record<string, string>;
}

function loadCase(name: string): Case {
  const dir = join(RUNS, name);
  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
  const env = Object.fromEntries(
    read('env')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return {
    name,
    events: JSON.parse(read('events.json')) as RunEvent[],
    stdout: read('stdout.txt'),
    stderr: read('stderr.txt'),
    args: read('args').trim().split(/\s+/).filter(Boolean),
    env,
  };
}

function verbosityOf(args: string[]): number {
  return args.filter((arg) => /^-v+$/.test(arg)).reduce((sum, arg) => sum + arg.length - 1, 0);
}

export async function renderCase(c: Case): Promise<{ stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const reporter = createReporter({
    tty: false,
    // generate.sh runs with ANSIBLE_NOCOLOR=1, which a case's ANSIBLE_FORCE_COLOR overrides.
    color: shouldUseColor({ ANSIBLE_NOCOLOR: '1', ...c.env }, false),
    verbosity: verbosityOf(c.args),
    diff: c.args.includes('--diff'),
    check: c.args.includes('--check'),
    settings: outputSettings(c.env),
    write: (s) => void stdout.push(s),
    writeError: (s) => void stderr.push(s),
  });
  for (const event of c.events) reporter.handle(event);
  await reporter.close();
  return { stdout: stdout.join(''), stderr: stderr.join('') };
}

const cases = readdirSync(RUNS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(RUNS, entry.name, 'events.json')))
  .map((entry) => entry.name)
  .sort();

describe('plain output is what ansible-playbook printed for the same events', () => {
  test('there are recorded runs', () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  test.each(cases)('%s', async (name) => {
    const c = loadCase(name);
    const out = await renderCase(c);
    expect(out.stdout).toBe(c.stdout);
    expect(out.stderr).toBe(c.stderr);
  });
});
