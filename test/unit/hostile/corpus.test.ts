/**
 * The hostile-input corpus (issue 7). Each folder of corpus/ is one case: a
 * small project (playbook, inventory, roles, vars files) and a case.yml
 * saying what uxsv must answer; a few big or binary files are generated here
 * (`generate:`), not committed. Every case runs through the real CLI entry
 * (`main`) in a temporary copy, and must give:
 *
 * - the exit code of the README's table: 1 for bad input found before the
 *   run (nothing ran: no report is even written), 2 for a problem Ansible
 *   finds only when a task runs on a host (a template rendered at run time,
 *   a dynamic include): the tasks before it ran, it failed on the host, and
 *   the host left the play (nothing after it ran there);
 * - a message naming the file and the line (file:line or file:line:col);
 * - no stack trace and no uncaught exception (an internal error);
 * - a bounded time, and a bounded message (no 100 kB line in a code frame).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { uxsv, type Project } from '../../helpers/engine.js';

const CORPUS = path.join(import.meta.dirname, 'corpus');

/** Per case, generously above what each takes (the slowest, 100000 keys, takes about a second). */
const TIME_LIMIT_MS = 10_000;

interface Case {
  exit: number;
  /** The file:line or file:line:col the message must name; a bare file name must be followed by :line. */
  where: string;
  /** What the message must say (substrings). */
  message: string | string[];
  args?: string[];
  generate?: keyof typeof generators;
  /** Exit 2: the task that fails, and the tasks that ran before it, in order. */
  failed?: string;
  ran?: string[];
}

const INVENTORY = 'all:\n  vars:\n    ansible_connection: local\n  hosts:\n    h1:\n';

/** A fixed-seed byte stream (a linear congruential generator), so a generated case is the same on every run. */
function randomBytes(length: number, seed = 7): Buffer {
  const out = Buffer.alloc(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = s >> 16;
  }
  return out;
}

const PLAYBOOK_WITH_VARS_FILE = '- hosts: all\n  gather_facts: false\n  vars_files: [big.yml]\n  tasks:\n    - ping:\n';

/** Files too big, too binary or too fragile (an editor would re-encode them) to commit. */
const generators = {
  'deep-nesting-flow': (dir: string) => writeFileSync(path.join(dir, 'site.yml'), `- hosts: all\n  vars:\n    a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n  tasks: []\n`),
  'deep-nesting-block': (dir: string) => {
    const lines = Array.from({ length: 150 }, (_, i) => `${' '.repeat(6 + 2 * i)}-\n`);
    writeFileSync(path.join(dir, 'site.yml'), `- hosts: all\n  vars:\n    a:\n${lines.join('')}  tasks: []\n`);
  },
  'random-bytes-playbook': (dir: string) => writeFileSync(path.join(dir, 'site.yml'), randomBytes(4096)),
  'latin1-playbook': (dir: string) => writeFileSync(path.join(dir, 'site.yml'), Buffer.from('- hosts: all\n  gather_facts: false\n  vars:\n    city: "Z\xfcrich"\n  tasks:\n    - debug: var=city\n', 'latin1')),
  'utf16-playbook': (dir: string) => writeFileSync(path.join(dir, 'site.yml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('- hosts: all\n  tasks: []\n', 'utf16le')])),
  'nul-vars-file': (dir: string) => writeFileSync(path.join(dir, 'vars.yml'), 'a: 1\nb: "x\0y"\n'),
  'huge-vars-file': (dir: string) => {
    writeFileSync(path.join(dir, 'big.yml'), `blob: "${'x'.repeat(50 * 1024 * 1024 - 9)}"\n`);
    writeFileSync(path.join(dir, 'site.yml'), PLAYBOOK_WITH_VARS_FILE);
  },
  'million-item-list': (dir: string) => writeFileSync(path.join(dir, 'big.yml'), `items:\n${'  - 1\n'.repeat(1_000_000)}`),
  'million-item-flow-list': (dir: string) => writeFileSync(path.join(dir, 'big.yml'), `items: [${'0,'.repeat(999_999)}0]\n`),
  'many-keys-duplicate': (dir: string) => writeFileSync(path.join(dir, 'big.yml'), `${Array.from({ length: 100_000 }, (_, i) => `k${i}: ${i}\n`).join('')}k0: again\n`),
  'binary-ini-inventory': (dir: string) => writeFileSync(path.join(dir, 'inventory.ini'), '[web]\nh1\0\x01 ansible_connection=local\n'),
  'latin1-template': (dir: string) => {
    mkdirSync(path.join(dir, 'templates'));
    writeFileSync(path.join(dir, 'templates', 'motd.j2'), Buffer.from('Welcome Z\xfcrich\n', 'latin1'));
  },
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `where` as a whole path (not inside ../x/site.yml) and not followed by a digit (site.yml:3 is not site.yml:30); a bare file name must be followed by :line. */
function wherePattern(where: string): RegExp {
  const start = `(?<![\\w./-])${escape(where)}`;
  return /:\d+(:\d+)?$/.test(where) ? new RegExp(`${start}(?![0-9])`) : new RegExp(`${start}:\\d+`);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary copy of the case's files (without case.yml), its generated files, and the default inventory. */
function setUp(name: string, c: Case): Project {
  const dir = mkdtempSync(path.join(tmpdir(), `uxsv-hostile-${name}-`));
  dirs.push(dir);
  cpSync(path.join(CORPUS, name), dir, { recursive: true, filter: (src) => path.basename(src) !== 'case.yml' });
  if (c.generate) generators[c.generate](dir);
  if (!existsSync(path.join(dir, 'inventory.yml'))) writeFileSync(path.join(dir, 'inventory.yml'), INVENTORY);
  return { dir, write: () => '', read: (rel) => readFileSync(path.join(dir, rel), 'utf8'), path: (rel) => path.join(dir, rel), cleanup: () => undefined };
}

const names = readdirSync(CORPUS).filter((n) => existsSync(path.join(CORPUS, n, 'case.yml'))).sort();

describe('hostile input corpus', () => {
  it('has its cases', () => {
    expect(names.length).toBeGreaterThan(60);
  });

  it.each(names)('%s', async (name) => {
    const c = parse(readFileSync(path.join(CORPUS, name, 'case.yml'), 'utf8')) as Case;
    expect([1, 2], 'a case expects exit 1 or 2').toContain(c.exit);
    const p = setUp(name, c);
    const args = c.args ?? ['play', 'site.yml', '-i', 'inventory.yml', '--report', 'report.json'];

    const started = Date.now();
    let run: Awaited<ReturnType<typeof uxsv>> | undefined;
    let thrown: unknown;
    try {
      run = await uxsv(p, args);
    } catch (err) {
      thrown = err;
    }
    const elapsed = Date.now() - started;
    expect(thrown, 'an uncaught exception is a crash (uxsv: internal error)').toBeUndefined();
    if (!run) return;
    const text = `${run.stderr}\n${run.output}`;

    expect(elapsed, 'bounded time').toBeLessThan(TIME_LIMIT_MS);
    expect(text, 'no stack trace').not.toMatch(/\n\s+at /);
    expect(text).not.toMatch(/internal error/);
    expect(run.stderr.length, 'a bounded message').toBeLessThan(4000);
    expect(run.code, text).toBe(c.exit);
    expect(text).toMatch(wherePattern(c.where));
    for (const m of [c.message].flat()) expect(text).toContain(m);

    const reportFile = p.path('report.json');
    if (c.exit === 1) {
      // Bad input: said on stderr, and nothing ran (the run, and with it the report, never started).
      expect(run.stderr).toMatch(/^ERROR! /);
      expect(existsSync(reportFile), 'nothing ran').toBe(false);
      expect(run.output).not.toContain('TASK [');
    } else {
      // A failure found while running, on the host: the tasks before ran, this one failed, none after it ran there.
      const entries = JSON.parse(readFileSync(reportFile, 'utf8')).hosts.h1 as Array<{ task: string; status: string; msg?: string }>;
      expect(entries.map((e) => e.task)).toEqual([...(c.ran ?? []), c.failed]);
      for (const e of entries.slice(0, -1)) expect(['ok', 'changed']).toContain(e.status);
      const last = entries[entries.length - 1];
      expect(last.status).toBe('failed');
      expect(last.msg).toMatch(wherePattern(c.where));
      for (const m of [c.message].flat()) expect(last.msg).toContain(m);
    }
  });
});
