/** What the engine file (dist/uxsv-engine.cjs, scripts/bundle.mjs) exports: the command line. */
export { runCli } from './main.js';
