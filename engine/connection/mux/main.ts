/**
 * The multiplexer as a program of its own (`node dist/engine/connection/mux/main.js DIR`),
 * for the unbundled build; the bundled command runs it as `uxsv __mux DIR`.
 */
import { runMultiplexer } from './server.js';

await runMultiplexer(process.argv.slice(2));
