/**
 * The engine's code, compiled once and kept: V8's code cache. Compiling the
 * engine (3 MB of JavaScript) was a third of the start-up of every run, and
 * Node 20 keeps no compiled code between processes. The bundle gives the
 * engine as one CommonJS file, dist/uxsv-engine.cjs (scripts/bundle.mjs);
 * it is compiled here with vm.Script, and at the end of the first run of
 * each command (play, check, status, ...) the code V8 compiled during that
 * run is written to the cache, so the next run of the command deserialises
 * it instead of parsing and compiling.
 *
 * The cache holds code the engine runs, so it is trusted only in a private
 * folder: owned by this user, not a link, not readable or writable by
 * others (else it is not used and a note says why). It is keyed by the
 * bundle's hash (written beside it at build time), its size and time, the
 * Node version and the architecture; V8 itself rejects a cache made by
 * another V8 or with other flags (then it is made again).
 *
 * The same folder keeps parsed playbooks and task files (engine/loader/
 * yaml-cache.ts). UXSV_COMPILE_CACHE=0 turns both off; UXSV_COMPILE_CACHE_DIR sets the folder
 * (default $XDG_CACHE_HOME/uxsv, else ~/.cache/uxsv); UXSV_COMPILE_CACHE_TRACE=1
 * prints what happened on standard error.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { compileWithKeptCode, keepsNewCode, writePrivateFile, type KeptCode, type PrivateCache } from '../private-files.js';

/** What the engine file exports. */
export interface Engine {
  runCli(options?: { cache?: PrivateCache }): void;
}

/** The name the build gives the engine file, beside the entry (dist/uxsv.mjs). */
export const ENGINE_FILE = 'uxsv-engine.cjs';

type Outcome = KeptCode | 'off';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.UXSV_COMPILE_CACHE_DIR) return env.UXSV_COMPILE_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'uxsv');
}

/** Why `dir` cannot hold code this user runs, or undefined when it can (made if missing). */
export function unsafeDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return `${dir} is not a folder`;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to another user`;
    if (st.mode & 0o077) return `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)}; it must be 700)`;
    return undefined;
  } catch (err) {
    return `${dir}: ${(err as Error).message}`;
  }
}

/** The cache files of this build start with this: engine-<hash>-<size>-<time>-<node>-<arch>-. */
function buildPrefix(engineFile: string): string {
  const st = statSync(engineFile);
  let hash = 'nohash';
  try {
    hash = readFileSync(`${engineFile}.sha256`, 'utf8').trim().slice(0, 16);
  } catch {
    // built without it: the size and time still tell builds apart
  }
  return `engine-${hash}-${st.size}-${Math.round(st.mtimeMs)}-${process.version}-${process.arch}-`;
}

/** Cache files of other builds (or Node versions) go when a new one is written: the folder keeps one build's. */
function pruneOthers(dir: string, prefix: string): void {
  try {
    for (const name of readdirSync(dir)) if (name.startsWith('engine-') && !name.startsWith(prefix)) unlinkSync(join(dir, name));
  } catch {
    // another run pruned them first
  }
}

/**
 * Loads the engine from `engineFile` with the code cache of `command`, or
 * returns undefined when there is no engine file (the unbundled build).
 * `cache` is the private folder and the build's name when the cache is on
 * and the folder is safe to use.
 */
export function loadEngine(engineFile: string, command: string, env: NodeJS.ProcessEnv = process.env): { engine: Engine; cache?: PrivateCache } | undefined {
  if (!existsSync(engineFile)) return undefined;
  // The file is the engine as one function (scripts/bundle.mjs): its text is compiled as it is, without a copy.
  const source = readFileSync(engineFile, 'utf8');
  let outcome: Outcome = 'off';
  let cache: PrivateCache | undefined;
  let script: vm.Script | undefined;
  if (env.UXSV_COMPILE_CACHE !== '0') {
    const dir = cacheDir(env);
    const problem = unsafeDir(dir);
    if (problem) outcome = `refused: ${problem}`;
    else {
      const safeCommand = command.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 32) || 'none';
      cache = { dir, build: buildPrefix(engineFile) };
      // V8 drops the compiled code of functions that have not run for a while
      // once the heap has been collected a few times (bytecode flushing). A
      // long run would then write a cache without the engine's outer function
      // and module set-up, which every later run compiles again from source
      // (70 ms); with flushing off the cache holds all the code the run compiled.
      v8.setFlagsFromString('--no-flush-bytecode');
      const cacheFile = join(dir, `${cache.build}${safeCommand}.bin`);
      const compiled = compileWithKeptCode(source, engineFile, cacheFile);
      ({ script, kept: outcome } = compiled);
      if (keepsNewCode(compiled.kept)) {
        const prefix = cache.build;
        // At the end of the run: the cache then holds every function this command compiled.
        process.once('exit', () => {
          writePrivateFile(cacheFile, compiled.script.createCachedData());
          pruneOthers(dir, prefix);
        });
      }
    }
  }
  script ??= new vm.Script(source, { filename: engineFile });
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  const load = script.runInThisContext() as (...args: unknown[]) => void;
  load(mod.exports, createRequire(engineFile), mod, engineFile, dirname(engineFile), (specifier: string) => import(specifier));
  if (env.UXSV_COMPILE_CACHE_TRACE === '1') process.stderr.write(`compile cache: ${outcome}\n`);
  return { engine: mod.exports as unknown as Engine, ...(cache ? { cache } : {}) };
}

/** The engine file beside the entry module at `entryUrl`. */
export function engineFileBeside(entryUrl: string): string {
  return join(dirname(fileURLToPath(entryUrl)), ENGINE_FILE);
}
