/**
 * debconf: its answers fact (one Perl program for several packages, each
 * package's part as debconf-show prints it), read ahead and cached by the
 * runner, and check mode. Plays run on a local connection against a debconf
 * database of their own (DEBCONF_SYSTEMRC), never this machine's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFacts, runFactBatch, type FactRequest } from '../../../../engine/facts/index.js';
import { debconfFact, parseDebconfShow, shownFor } from '../../../../engine/facts/debconf.js';
import { debconf } from '../../../../engine/modules/system/debconf.js';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { play, project, results, type Project } from '../../../helpers/engine.js';

const ONE_HOST = 'all:\n  hosts:\n    h1:\n      ansible_connection: local\n';

/** A debconf database of its own under p: a config for DEBCONF_SYSTEMRC, seeded with `seed` (debconf-set-selections lines). */
function debconfDb(p: Project, seed: string): Record<string, string> {
  const rc = p.write('debconf/debconf.conf', [
    'Config: configdb', 'Templates: templatedb', '',
    'Name: configdb', 'Driver: File', `Filename: ${p.path('debconf/config.dat')}`, '',
    'Name: templatedb', 'Driver: File', `Filename: ${p.path('debconf/templates.dat')}`, '',
  ].join('\n'));
  const env = { DEBCONF_SYSTEMRC: rc };
  execFileSync('debconf-set-selections', [], { input: seed, env: { ...process.env, ...env } });
  return env;
}

function show(env: Record<string, string>, pkg: string): Record<string, string> {
  return parseDebconfShow(execFileSync('debconf-show', ['--', pkg], { env: { ...process.env, ...env } }).toString());
}

const SEED = [
  'uxsv-a uxsv-a/mode select alpha',
  'uxsv-a uxsv-a/level string 1',
  'uxsv-a uxsv-a/secret password s3',
  'uxsv-b shared/flag boolean true',
  'uxsv-c uxsv-c/name string hello world',
].join('\n') + '\n';

describe('the debconf answers fact', () => {
  it('finds each package\'s part by its name, whatever the answers hold', () => {
    const part = (name: string, shown: string) => Buffer.from(`${Buffer.byteLength(name)} ${Buffer.byteLength(shown)}\n${name}${shown}`);
    const out = Buffer.concat([part('a', '* a/q: 3 4\n1 9\nb* b/q: fake\n'), part('b', '* b/q: réel\n')]);
    expect(shownFor(out, 'a')?.toString()).toBe('* a/q: 3 4\n1 9\nb* b/q: fake\n');
    expect(parseDebconfShow(shownFor(out, 'b')!.toString())).toEqual({ 'b/q': 'réel' });
    expect(shownFor(out, 'c')).toBeUndefined();
    expect(shownFor(out.subarray(0, 20), 'b')).toBeUndefined();
    expect(() => debconfFact.parse({ rc: 0, stdout: out.subarray(0, 20), stderr: '' }, { pkg: 'b' })).toThrow(/answers of b: the output was cut off/);
    expect(() => debconfFact.parse({ rc: 2, stdout: Buffer.alloc(0), stderr: 'Can\'t locate Debconf/Db.pm' }, { pkg: 'b' })).toThrow(/Debconf\/Db.pm/);
  });

  it('merges the packages of several reads into one program, each quoted once', () => {
    const merged = debconfFact.merge!([{ pkg: 'a' }, { pkg: "x'$(touch /tmp/uxsv-pwned)" }, { pkg: 'a' }]);
    expect(merged).toEqual({ pkg: 'a', pkgs: ['a', "x'$(touch /tmp/uxsv-pwned)"] });
    expect(debconfFact.command(merged)).toMatch(/ -- a 'x'\\''\$\(touch \/tmp\/uxsv-pwned\)'$/);
  });

  it('gives packages of this machine the answers debconf-show gives them, from one program', async () => {
    // A few, each compared with a debconf-show of its own (~0.1 s each).
    const owners = execFileSync('debconf-show', ['--listowners']).toString().split('\n').filter(Boolean).sort().slice(0, 6);
    const hostile = ['-x', "it's", 'a b\nc', '$(touch /tmp/uxsv-pwned)', ''];
    const requests: FactRequest[] = [...owners, ...hostile].map((pkg) => [debconfFact, { pkg }]);
    const commands: string[] = [];
    const ctx = localContext();
    const { outputs } = await runFactBatch((script) => (commands.push(script), ctx.run(script)), requests);
    expect(commands.join('\n').match(/Debconf::Db->load/g)).toHaveLength(1);
    requests.forEach(([fact, params], i) => {
      const expected = parseDebconfShow(execFileSync('debconf-show', ['--', params.pkg]).toString());
      expect(fact.parse(outputs[i]!, params).selections, params.pkg).toEqual(expected);
    });
    expect(existsSync('/tmp/uxsv-pwned')).toBe(false);
  });

  it('runs with only what a fresh Debian host has: perl-base and debconf (no PerlIO.pm)', () => {
    const command = debconfFact.command({ pkg: 'debconf', pkgs: ['debconf', 'tzdata'] });
    expect(command.startsWith('perl -e ')).toBe(true);
    // The same program with @INC cut to perl-base's folder and debconf's.
    const limited = `perl -e 'BEGIN { @INC = ("/usr/share/perl5", "/usr/lib/x86_64-linux-gnu/perl-base") }' -e ${command.slice('perl -e '.length)}`;
    const stdout = execFileSync('sh', ['-c', limited]);
    expect(parseDebconfShow(shownFor(stdout, 'debconf')!.toString())).toEqual(parseDebconfShow(execFileSync('debconf-show', ['--', 'debconf']).toString()));
  });

  it('reads through a context, for one package or several', async () => {
    const [tz, none] = await readFacts(localContext(), [[debconfFact, { pkg: 'tzdata' }], [debconfFact, { pkg: 'uxsv-no-such-package' }]] as const);
    expect(tz.selections).toEqual(parseDebconfShow(execFileSync('debconf-show', ['tzdata']).toString()));
    expect(none.selections).toEqual({});
    expect((await runModule(debconf, { name: 'tzdata' }, localContext())).current).toEqual(tz.selections);
  });
});

describe('debconf in plays', () => {
  let p: Project;
  let trace: string;
  beforeEach(() => {
    p = project();
    trace = p.path('trace.jsonl');
    process.env.UXSV_EXEC_TRACE = trace;
    process.env.UXSV_EXEC_TRACE_CHARS = '100000';
  });
  afterEach(() => {
    delete process.env.UXSV_EXEC_TRACE;
    delete process.env.UXSV_EXEC_TRACE_CHARS;
    p.cleanup();
  });
  afterAll(() => rmSync('/tmp/uxsv-pwned', { force: true }));

  /** The packages of each debconf program the run started, in order. */
  function debconfReads(): string[][] {
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line).command as string)
      .flatMap((command) => [...command.matchAll(/Debconf::Db->load[^']*' -- ((?:[\w-]+ ?)+)/g)].map((m) => m[1]!.trim().split(' ')));
  }

  function tasks(env: Record<string, string>, list: string): string {
    return `- hosts: all\n  gather_facts: false\n  environment: { DEBCONF_SYSTEMRC: "${env.DEBCONF_SYSTEMRC}" }\n  tasks:\n${list}`;
  }

  const SAME = [
    '    - name: warm', '      stat: { path: /nonexistent-uxsv }',
    '    - name: mode', '      debconf: { name: uxsv-a, question: uxsv-a/mode, vtype: select, value: alpha }',
    '    - name: level', '      debconf: { name: uxsv-a, question: uxsv-a/level, vtype: string, value: "1" }',
    '    - name: flag', '      debconf: { name: uxsv-b, question: shared/flag, vtype: boolean, value: "yes" }',
    '    - name: name', '      debconf: { name: uxsv-c, question: uxsv-c/name, vtype: string, value: hello world }',
  ].join('\n') + '\n';

  it('reads a package once for its tasks, and the packages of the tasks ahead in one program', async () => {
    const env = debconfDb(p, SEED);
    const run = await play(p, tasks(env, SAME), [], ONE_HOST);
    expect(run.code).toBe(0);
    for (const task of ['mode', 'level', 'flag', 'name']) expect(results(run, task).h1?.[0], task).toMatchObject({ changed: false });
    const reads = debconfReads();
    // uxsv-a once for both of its tasks, and a package of a task ahead read with it.
    expect(reads.flat().filter((pkg) => pkg === 'uxsv-a')).toHaveLength(1);
    expect(reads.find((pkgs) => pkgs.includes('uxsv-a'))!.length).toBeGreaterThan(1);
    expect(reads.length).toBeLessThan(3);
    expect(reads.flat().sort()).toEqual(['uxsv-a', 'uxsv-b', 'uxsv-c']);
  });

  it('reads again after a change, and sees it', async () => {
    const env = debconfDb(p, SEED);
    const list = [
      '    - name: set', '      debconf: { name: uxsv-a, question: uxsv-a/mode, vtype: select, value: beta }',
      '      register: set',
      '    - name: again', '      debconf: { name: uxsv-a, question: uxsv-a/mode, vtype: select, value: beta }',
      '    - name: show', '      debug: { msg: "{{ [set.previous, set.current] | to_json }}" }',
    ].join('\n') + '\n';
    const run = await play(p, tasks(env, list), [], ONE_HOST);
    expect(run.code).toBe(0);
    expect(results(run, 'set').h1?.[0]).toMatchObject({ changed: true });
    expect(JSON.parse(results(run, 'show').h1?.[0]?.msg)).toEqual([{ 'uxsv-a/mode': 'alpha' }, { 'uxsv-a/mode': 'beta' }]);
    expect(results(run, 'again').h1?.[0]).toMatchObject({ changed: false });
    expect(debconfReads().flat().filter((pkg) => pkg === 'uxsv-a')).toHaveLength(2);
    expect(show(env, 'uxsv-a')['uxsv-a/mode']).toBe('beta');
  });

  it('in check mode reports the change with its diff and changes nothing, as Ansible does', async () => {
    const env = debconfDb(p, SEED);
    const list = [
      '    - name: set', '      debconf: { name: uxsv-a, question: uxsv-a/mode, vtype: select, value: beta }',
      '      register: set',
      '    - name: again', '      debconf: { name: uxsv-a, question: uxsv-a/mode, vtype: select, value: beta }',
      '    - name: secret', '      debconf: { name: uxsv-a, question: uxsv-a/secret, vtype: password, value: s3 }',
      '    - name: show', '      debug: { msg: "{{ [set.previous, set.current] | to_json }}" }',
    ].join('\n') + '\n';
    const before = readFileSync(p.path('debconf/config.dat'));
    const run = await play(p, tasks(env, list), ['--check', '--diff'], ONE_HOST);
    expect(run.code).toBe(0);
    expect(results(run, 'set').h1?.[0]).toMatchObject({ changed: true });
    expect(JSON.parse(results(run, 'show').h1?.[0]?.msg)).toEqual([{ 'uxsv-a/mode': 'alpha' }, { 'uxsv-a/mode': 'beta' }]);
    expect(results(run, 'again').h1?.[0]).toMatchObject({ changed: true });
    // debconf-show hides passwords: always a change.
    expect(results(run, 'secret').h1?.[0]).toMatchObject({ changed: true });
    expect(run.output).toContain('-    "uxsv-a/mode": "alpha"\n+    "uxsv-a/mode": "beta"');
    expect(readFileSync(p.path('debconf/config.dat')).equals(before)).toBe(true);
    // Nothing changed, so the package was read once for its three tasks.
    expect(debconfReads().flat().filter((pkg) => pkg === 'uxsv-a')).toHaveLength(1);
  });
});
