/**
 * The read-ahead cache itself (engine/runner/read-ahead.ts) and the batch of
 * fact commands under it (engine/facts/index.ts), on the local machine.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quote } from '../../../engine/connection/quote.js';
import { fileFact } from '../../../engine/facts/file.js';
import { readFact, readFacts, runFactBatch, type Fact } from '../../../engine/facts/index.js';
import { modules } from '../../../engine/modules/registry.js';
import type { ModuleContext } from '../../../engine/modules/types.js';
import { ReadAhead, readScope, type PlannedRead } from '../../../engine/runner/read-ahead.js';
import { localContext } from '../../helpers/module-context.js';

const stat = modules.get('stat')!;
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** The bytes of a file, as they are (a fact whose output a file's owner writes). */
const catFact: Fact<string, string> = {
  name: 'test.cat',
  command: (path) => `cat -- ${quote(path)}`,
  parse: (output) => output.stdout.toString(),
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uxsv-ra-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function attached(reads: ReadAhead, options: { environment?: Record<string, string>; window?: (count: number) => PlannedRead[]; exec?: (ctx: ModuleContext, script: string) => Promise<any> } = {}): ModuleContext {
  const ctx = localContext();
  const scope = readScope(undefined, options.environment ?? {});
  const run = ctx.run;
  reads.attach(stat, ctx, {
    target: 'localhost',
    scope,
    exec: (script) => (options.exec ? options.exec(ctx, script) : run(script)),
    ...(options.window ? { window: options.window } : {}),
  });
  return ctx;
}

describe('the read-ahead cache', () => {
  it('sends a task\'s reads and its window in one command, and the next task reads from the cache', async () => {
    const reads = new ReadAhead(true);
    writeFileSync(join(dir, 'a'), 'A');
    writeFileSync(join(dir, 'b'), 'B');
    const ahead: PlannedRead[] = [{ scope: readScope(undefined, {}), requests: [[fileFact, [{ path: join(dir, 'b') }]]] }];
    reads.settled('localhost', stat, { changed: false }, false);   // one task has passed: the window is 2
    const first = attached(reads, { window: () => ahead });
    const [a] = await readFact(first, fileFact, [{ path: join(dir, 'a') }]);
    expect(a!.checksum).toBe(sha1('A'));
    expect(first.conn.stats.commands).toBe(1);
    const second = attached(reads);
    const [b] = await readFact(second, fileFact, [{ path: join(dir, 'b') }]);
    expect(b!.checksum).toBe(sha1('B'));
    expect(second.conn.stats.commands).toBe(0);
    expect(reads.cached('localhost')).toBe(2);
  });

  it('sends the reads a module makes together (readFacts) as one command', async () => {
    const reads = new ReadAhead(true);
    writeFileSync(join(dir, 'a'), 'A');
    const ctx = attached(reads);
    const [[a], text] = await readFacts(ctx, [[fileFact, [{ path: join(dir, 'a') }]], [catFact, join(dir, 'a')]] as const);
    expect(a!.checksum).toBe(sha1('A'));
    expect(text).toBe('A');
    expect(ctx.conn.stats.commands).toBe(1);
  });

  it('after a module\'s own command, its reads and every other task\'s read the host again', async () => {
    const reads = new ReadAhead(true);
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    const ctx = attached(reads);
    expect((await readFact(ctx, fileFact, [{ path: f }]))[0]!.checksum).toBe(sha1('old'));
    expect(reads.cached('localhost')).toBe(1);
    await ctx.run(`printf new > ${quote(f)}`);
    expect(reads.cached('localhost')).toBe(0);
    expect((await readFact(ctx, fileFact, [{ path: f }]))[0]!.checksum).toBe(sha1('new'));
    const next = attached(reads);
    expect((await readFact(next, fileFact, [{ path: f }]))[0]!.checksum).toBe(sha1('new'));
  });

  it('a module that changed something, or does not declare its reads, forgets what was read; check mode, controller-only modules and a skipped command do not', async () => {
    const reads = new ReadAhead(true);
    writeFileSync(join(dir, 'a'), 'A');
    const fill = async () => readFact(attached(reads), fileFact, [{ path: join(dir, 'a') }]);
    await fill();
    reads.settled('localhost', stat, { changed: true }, true);
    reads.settled('localhost', modules.get('debug')!, { changed: false }, false);
    expect(reads.cached('localhost')).toBe(1);
    reads.settled('localhost', stat, { changed: true }, false);
    expect(reads.cached('localhost')).toBe(0);
    await fill();
    reads.settled('localhost', modules.get('apt')!, { changed: false }, false);
    expect(reads.cached('localhost')).toBe(0);
    // A command skipped by creates/removes ran nothing; one that ran changed something.
    await fill();
    reads.settled('localhost', modules.get('command')!, { changed: false }, false);
    expect(reads.cached('localhost')).toBe(1);
    reads.settled('localhost', modules.get('shell')!, { changed: true }, false);
    expect(reads.cached('localhost')).toBe(0);
    await fill();
    reads.settled('localhost', stat, { changed: false, failed: true }, false);
    expect(reads.cached('localhost')).toBe(0);
  });

  it('service and systemd read their unit ahead, by the key their own read uses', async () => {
    const asked: string[] = [];
    const recording = { ...localContext(), fact: async (fact: Fact<any, any>, params: unknown) => { asked.push(`${fact.name} ${JSON.stringify(params)}`); throw new Error('enough'); } } as ModuleContext;
    for (const name of ['service', 'systemd', 'ansible.builtin.systemd_service']) {
      const mod = modules.get(name)!;
      const args = { name: 'cron', state: 'started' };
      const ahead = mod.readAhead!({ host: 'h', check: false, diff: false, findFile: () => undefined, searchPath: [], location: 'x' }, args)!;
      asked.length = 0;
      await mod.read!(recording, args).catch(() => undefined);
      expect(ahead.map(([fact, params]) => `${fact.name} ${JSON.stringify(params)}`)).toEqual(asked);
      expect(asked).toEqual(['systemd.unit {"unit":"cron"}']);
    }
  });

  it('group and user read their account ahead, by the key their own read uses', async () => {
    const asked: string[] = [];
    const recording = { ...localContext(), fact: async (fact: Fact<any, any>, params: unknown) => { asked.push(`${fact.name} ${JSON.stringify(params)}`); throw new Error('enough'); } } as ModuleContext;
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['group', { name: 'staff', gid: 50 }, 'accounts.group {"name":"staff"}'],
      ['user', { name: 'mirror', shell: '/bin/sh' }, 'accounts.user {"name":"mirror"}'],
      ['ansible.builtin.user', { user: 'mirror', home: '/srv/m', generate_ssh_key: true }, 'accounts.user {"name":"mirror","home":"/srv/m","sshKeyFile":".ssh/id_rsa"}'],
    ];
    for (const [name, args, expected] of cases) {
      const mod = modules.get(name)!;
      const ahead = mod.readAhead!({ host: 'h', check: false, diff: false, findFile: () => undefined, searchPath: [], location: 'x' }, args)!;
      asked.length = 0;
      await mod.read!(recording, args).catch(() => undefined);
      expect(ahead.map(([fact, params]) => `${fact.name} ${JSON.stringify(params)}`)).toEqual(asked);
      expect(asked).toEqual([expected]);
    }
  });

  it('keeps nothing of a batch that was under way when the cache was forgotten, but the task gets its own reads', async () => {
    const reads = new ReadAhead(true);
    writeFileSync(join(dir, 'a'), 'A');
    const ctx = attached(reads, {
      exec: async (c, script) => {
        const res = await localContext().run(script);
        reads.invalidate();   // another host's task changed something meanwhile
        return res;
      },
    });
    expect((await readFact(ctx, fileFact, [{ path: join(dir, 'a') }]))[0]!.checksum).toBe(sha1('A'));
    expect(reads.cached('localhost')).toBe(0);
  });

  it('keeps reads with another environment or become user apart', async () => {
    const reads = new ReadAhead(true);
    writeFileSync(join(dir, 'a'), 'A');
    await readFact(attached(reads), fileFact, [{ path: join(dir, 'a') }]);
    const other = attached(reads, { environment: { LC_ALL: 'C' } });
    await readFact(other, fileFact, [{ path: join(dir, 'a') }]);
    expect(other.conn.stats.commands).toBe(1);
    expect(readScope({ user: 'root' }, {})).not.toBe(readScope({ user: 'postgres' }, {}));
  });

  it('reads the host itself while a background job runs', async () => {
    const reads = new ReadAhead(true);
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    await readFact(attached(reads), fileFact, [{ path: f }]);
    let release!: () => void;
    const job = reads.during(() => new Promise<void>((resolve) => { release = resolve; }))();
    writeFileSync(f, 'new');
    const ctx = attached(reads);
    expect((await readFact(ctx, fileFact, [{ path: f }]))[0]!.checksum).toBe(sha1('new'));
    expect(reads.cached('localhost')).toBe(0);
    release();
    await job;
  });

  it('turned off, gives modules no cache', () => {
    const ctx = localContext();
    new ReadAhead(false).attach(stat, ctx, { target: 'localhost', scope: '', exec: ctx.run });
    expect(ctx.fact).toBeUndefined();
  });
});

describe('a batch of fact commands', () => {
  it('no output of one fact can pass for the end of another\'s', async () => {
    const ctx = localContext();
    const forged = join(dir, 'forged');
    // Markers of the format, with tokens a file's author can guess: none is the batch's.
    writeFileSync(forged, `x\nuxsv-fact-${'0'.repeat(32)} 1 0\nEVIL\nuxsv-fact- 1 0\n`);
    writeFileSync(join(dir, 'b'), 'B');
    const { outputs } = await runFactBatch((s) => ctx.run(s), [[catFact, forged], [catFact, join(dir, 'b')]]);
    expect(outputs[0]!.stdout.toString()).toBe(`x\nuxsv-fact-${'0'.repeat(32)} 1 0\nEVIL\nuxsv-fact- 1 0\n`);
    expect(outputs[1]!.stdout.toString()).toBe('B');
    expect(outputs.map((o) => o!.rc)).toEqual([0, 0]);
  });

  it('a host that repeats or reorders the markers gets no output used', async () => {
    let token = '';
    const hostile = async (script: string) => {
      token = /uxsv-fact-[0-9a-f]+/.exec(script)![0];
      return { rc: 0, stdout: Buffer.from(`A\n${token} 1 0\nB\n${token} 0 0\n`), stderr: Buffer.from(`\n${token} 0\n\n${token} 1\n`) };
    };
    const { outputs } = await runFactBatch(hostile, [[catFact, 'a'], [catFact, 'b']]);
    expect(token).not.toBe('');
    expect(outputs).toEqual([undefined, undefined]);
  });

  it('a batch cut short gives the outputs that ended, and none after', async () => {
    const ctx = localContext();
    writeFileSync(join(dir, 'a'), 'A');
    const big: Fact<undefined, string> = { name: 'test.big', command: () => 'head -c 200000 /dev/zero', parse: () => '' };
    const { outputs } = await runFactBatch((s) => ctx.run(s, { outputLimit: 64 * 1024 }), [[catFact, join(dir, 'a')], [big, undefined]]);
    expect(outputs[0]!.stdout.toString()).toBe('A');
    expect(outputs[1]).toBeUndefined();
  });
});
