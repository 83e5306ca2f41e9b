/**
 * The multiplexer program for tests: engine/connection/mux/main.ts bundled
 * from the current sources (as scripts/bundle.mjs bundles the command), so
 * tests start the real multiplexer as a process of its own.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Bundles `entry` (relative to the repository) into `dir`; returns the file. */
export async function bundleProgram(entry: string, dir: string, name: string): Promise<string> {
  const outfile = join(dir, name);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['cpu-features', '*.node'],
    banner: {
      js: [
        "import { createRequire as __uxsvCreateRequire } from 'node:module';",
        "import { fileURLToPath as __uxsvFileURLToPath } from 'node:url';",
        "import { dirname as __uxsvDirname } from 'node:path';",
        'const require = __uxsvCreateRequire(import.meta.url);',
        'const __filename = __uxsvFileURLToPath(import.meta.url);',
        'const __dirname = __uxsvDirname(__filename);',
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  return outfile;
}

export const bundleMultiplexer = (dir: string, name = 'mux.mjs'): Promise<string> =>
  bundleProgram('engine/connection/mux/main.ts', dir, name);

/** The multiplexers that ran for `dir`, from their log, in the order they started. */
export function multiplexerPids(dir: string): number[] {
  let log = '';
  try {
    log = readFileSync(join(dir, 'mux.log'), 'utf8');
  } catch {
    return [];
  }
  return [...log.matchAll(/started, pid (\d+)/g)].map((m) => Number(m[1]));
}

/** Ends the multiplexers a test started (by their pids, from their log). */
export function stopMultiplexers(dir: string): void {
  for (const pid of multiplexerPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
