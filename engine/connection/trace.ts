/**
 * A trace of every command a run sends (UXSV_EXEC_TRACE=FILE): one JSON line
 * per command with the host, when it ended (`at`, ms since the epoch, to
 * line it up with the output), when it started and how long it took (ms
 * since the run began), its rc, the size of its output and the start of the
 * command line (UXSV_EXEC_TRACE_CHARS, default 400). For finding where a
 * run's time goes (docs/performance.md). The file may hold command lines, so
 * it is made with mode 0600, and only when asked for.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';
import type { Connection, ExecOptions, ExecResult } from './types.js';

export const EXEC_TRACE_ENV = 'UXSV_EXEC_TRACE';
const started = performance.now();
const opened = new Set<string>();

function commandChars(): number {
  const n = Number(process.env.UXSV_EXEC_TRACE_CHARS ?? 400);
  return Number.isInteger(n) && n >= 0 ? n : 400;
}

/** `connection`, with every exec written to the trace file `path` (emptied at the first connection of the run). */
export function traced(connection: Connection, path: string): Connection {
  if (!opened.has(path)) {
    closeSync(openSync(path, 'w', 0o600));
    opened.add(path);
  }
  const chars = commandChars();
  const exec = connection.exec.bind(connection);
  connection.exec = async (command: string, options?: ExecOptions): Promise<ExecResult> => {
    const start = performance.now() - started;
    const result = await exec(command, options);
    const end = performance.now() - started;
    appendFileSync(path, `${JSON.stringify({
      host: connection.host,
      at: Date.now(),
      start: Math.round(start * 10) / 10,
      ms: Math.round((end - start) * 10) / 10,
      rc: result.rc,
      out: result.stdout.length,
      command: command.slice(0, chars),
    })}\n`);
    return result;
  };
  return connection;
}
