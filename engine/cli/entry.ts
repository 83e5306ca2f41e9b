#!/usr/bin/env node
/**
 * The bundled command's entry (dist/uxsv.mjs). It loads only what the
 * command line needs: the engine (dist/uxsv-engine.cjs, through the compile
 * cache) for a command, the multiplexer alone for `__mux`, nothing for
 * `--version` (scripts/bundle.mjs).
 */
import { engineFileBeside, loadEngine, type Engine } from './compile-cache.js';
import { UXSV_VERSION } from './version.js';

/** The unbundled build's engine (tsc output), when there is no engine file beside this one. */
const UNBUNDLED_MAIN = './main.js';

const args = process.argv.slice(2);
if (args[0] === '__mux') {
  // The same bundle serves as the SSH multiplexer that keeps connections between runs (engine/connection/mux).
  const { runMultiplexer } = await import('../connection/mux/server.js');
  await runMultiplexer(args.slice(1));
} else if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${UXSV_VERSION}\n`);
} else {
  // The bundle's engine with its compiled code kept between runs (compile-cache.ts).
  const bundled = loadEngine(engineFileBeside(import.meta.url), args[0] ?? '');
  if (bundled) bundled.engine.runCli(bundled.cache ? { cache: bundled.cache } : {});
  else ((await import(UNBUNDLED_MAIN)) as Engine).runCli();
}
