/**
 * The engine's compiled code kept between runs (engine/cli/compile-cache.ts),
 * with the bundled command (npm run build): the first run of a command makes
 * its cache, the next uses it; a cache folder or file others could write is
 * never used; a damaged cache is rejected by V8 and made again; the runs give
 * the same output either way.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pexecFile = promisify(execFile);
const CLI = resolve('dist/uxsv.mjs');
let scratch: string;
let playbook: string;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('build first (npm run build)');
  scratch = mkdtempSync(join(tmpdir(), 'uxsv-cc-'));
  playbook = join(scratch, 'pb.yml');
  writeFileSync(playbook, '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: { msg: hello }\n');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function uxsv(dir: string, args: string[], extra: Record<string, string> = {}): Promise<{ stdout: string; cache: string; validators: string }> {
  const env = { ...process.env, UXSV_COMPILE_CACHE_DIR: dir, UXSV_COMPILE_CACHE_TRACE: '1', NO_COLOR: '1', ...extra };
  delete (env as Record<string, string | undefined>).UXSV_COMPILE_CACHE;
  Object.assign(env, extra);
  const { stdout, stderr } = await pexecFile(process.execPath, [CLI, ...args], { env, cwd: scratch });
  return { stdout, cache: /compile cache: (.*)/.exec(stderr)?.[1] ?? '', validators: /validator cache: (.*)/.exec(stderr)?.[1] ?? '' };
}

/** The engine's cached code in `dir` (it also holds the validators' code, and parsed playbooks, yaml-*). */
const codeFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('engine-') && !n.includes('-validator-'));
const validatorFiles = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('engine-') && n.includes('-validator-'));

const play = (dir: string, extra?: Record<string, string>) => uxsv(dir, ['play', '-i', 'localhost,', '-c', 'local', playbook], extra);

describe('the compile cache', () => {
  it('the first run of a command makes its cache in a private folder, the next uses it, with the same output', async () => {
    const dir = join(scratch, 'private');
    const first = await play(dir);
    const second = await play(dir);
    expect(first.cache).toBe('made');
    expect(second.cache).toBe('used');
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout).toContain('"msg": "hello"');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = codeFiles(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^engine-[0-9a-f]{16}-\d+-\d+-v\d+\.\d+\.\d+-\w+-play\.bin$/);
    expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    // Another command has a cache of its own.
    expect((await uxsv(dir, ['play', '--syntax-check', playbook])).cache).toBe('used');
    expect((await uxsv(dir, ['inventory', '-i', 'localhost,', '--list'])).cache).toBe('made');
    expect(codeFiles(dir)).toHaveLength(2);
    // The playbook was parsed once: the folder keeps its parse too (engine/loader/yaml-cache.ts).
    expect(readdirSync(dir).filter((n) => n.startsWith('yaml-'))).toHaveLength(1);
  });

  it('never uses a folder or a file other users could write, nor a link', async () => {
    const open = join(scratch, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const run = await play(open);
    expect(run.cache).toMatch(/^refused: .*open to other users/);
    expect(run.stdout).toContain('"msg": "hello"');
    expect(readdirSync(open)).toEqual([]);

    const dir = join(scratch, 'files');
    await play(dir);
    const [name] = codeFiles(dir);
    chmodSync(join(dir, name!), 0o666);
    expect((await play(dir)).cache).toMatch(/^refused: .*open to other users/);
    rmSync(join(dir, name!));
    writeFileSync(join(scratch, 'elsewhere.bin'), 'x');
    symlinkSync(join(scratch, 'elsewhere.bin'), join(dir, name!));
    const linked = await play(dir);
    expect(linked.cache).not.toBe('used');
    expect(linked.stdout).toContain('"msg": "hello"');
  });

  it('a damaged cache is rejected and made again; UXSV_COMPILE_CACHE=0 turns it off', async () => {
    const dir = join(scratch, 'damaged');
    await play(dir);
    const [name] = codeFiles(dir);
    writeFileSync(join(dir, name!), Buffer.alloc(4096, 7), { mode: 0o600 });
    const run = await play(dir);
    expect(run.cache).toBe('rejected');
    expect(run.stdout).toContain('"msg": "hello"');
    expect((await play(dir)).cache).toBe('used');
    const off = join(scratch, 'off');
    expect((await play(off, { UXSV_COMPILE_CACHE: '0' })).cache).toBe('off');
    expect(existsSync(off)).toBe(false);
  });

  it('a cache of another build is removed when this build writes its own', async () => {
    const dir = join(scratch, 'builds');
    mkdirSync(dir, { mode: 0o700 });
    const old = join(dir, 'engine-0000000000000000-1-1-v20.0.0-x64-play.bin');
    writeFileSync(old, 'old', { mode: 0o600 });
    expect((await play(dir)).cache).toBe('made');
    expect(existsSync(old)).toBe(false);
  });

  it("keeps the generated validators' compiled code too, private, and never uses a damaged or open entry", async () => {
    const dir = join(scratch, 'validators');
    const first = await play(dir);
    expect(first.validators).toMatch(/^0 used, [1-9]\d* made, 0 rejected, 0 refused$/);
    const made = Number(/(\d+) made/.exec(first.validators)![1]);
    const files = validatorFiles(dir);
    expect(files).toHaveLength(made);
    for (const name of files) {
      expect(name).toMatch(/^engine-[0-9a-f]{16}-\d+-\d+-v\d+\.\d+\.\d+-\w+-validator-[0-9a-f]{32}\.bin$/);
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    }
    const second = await play(dir);
    expect(second.validators).toBe(`${made} used, 0 made, 0 rejected, 0 refused`);
    expect(second.stdout).toBe(first.stdout);
    writeFileSync(join(dir, files[0]!), Buffer.alloc(4096, 7), { mode: 0o600 });
    chmodSync(join(dir, files[1] ?? files[0]!), 0o644);
    const third = await play(dir);
    expect(third.validators).toBe(files.length > 1 ? `${made - 2} used, 0 made, 1 rejected, 1 refused` : `0 used, 0 made, 0 rejected, 1 refused`);
    expect(third.stdout).toBe(first.stdout);
    expect((await play(dir, { UXSV_COMPILE_CACHE: '0' })).validators).toBe('');
  });

  it('a long run that collected its heap many times still writes all the code it compiled', async () => {
    // What the engine compiled at its start (its outer function, the set-up
    // of its modules) has not run for a while at the end of a long run; V8
    // would drop it then, and every later run would compile it again.
    const compileCache = resolve('dist/engine/cli/compile-cache.js');
    const engine = resolve('dist/uxsv-engine.cjs');
    const program = `
      const { loadEngine } = await import(${JSON.stringify(compileCache)});
      const [dir, rounds] = [process.argv[1], Number(process.argv[2])];
      loadEngine(${JSON.stringify(engine)}, 'test', { UXSV_COMPILE_CACHE_DIR: dir });
      let garbage = [];
      for (let r = 0; r < rounds; r++) { garbage = []; for (let i = 0; i < 200000; i++) garbage.push({ a: i, b: [i] }); }`;
    const cacheSize = async (name: string, rounds: number) => {
      const dir = join(scratch, name);
      await pexecFile(process.execPath, ['--input-type=module', '-e', program, dir, String(rounds)]);
      const [file] = readdirSync(dir);
      return statSync(join(dir, file!)).size;
    };
    const short = await cacheSize('short-run', 0);
    const long = await cacheSize('long-run', 50);
    expect(short).toBeGreaterThan(100_000);
    expect(long).toBeGreaterThan(short * 0.9);
  }, 30_000);
});
