#!/usr/bin/env node
/**
 * The bundled command's entry (dist/uxsv.mjs). It loads only what the
 * command line needs: the engine (main.ts, with its chunks) for a command,
 * the multiplexer alone for `__mux`, nothing for `--version`. The bundle is
 * split at these imports (scripts/bundle.mjs), so each path compiles only its
 * own code.
 */
import { UXSV_VERSION } from './version.js';

const args = process.argv.slice(2);
if (args[0] === '__mux') {
  // The same bundle serves as the SSH multiplexer that keeps connections between runs (engine/connection/mux).
  const { runMultiplexer } = await import('../connection/mux/server.js');
  await runMultiplexer(args.slice(1));
} else if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${UXSV_VERSION}\n`);
} else {
  const { runCli } = await import('./main.js');
  runCli();
}
