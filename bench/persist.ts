/**
 * The benchmark's cold and warm runs of kept connections (bench/run.ts).
 * Each run gets the multiplexer folder in UXSV_SSH_PERSIST_DIR: a cold run a
 * folder of its own (no multiplexer yet: the run starts one, which makes the
 * handshakes), warm runs one folder whose multiplexer an earlier run left.
 * The multiplexer's CPU time is counted with each run (it does the SSH work of
 * the connections it keeps), and every multiplexer started here is ended here.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The multiplexers that ran for `dir`, from its log, in the order they started. */
export function multiplexerPids(dir: string): number[] {
  let log = '';
  try {
    log = readFileSync(join(dir, 'mux.log'), 'utf8');
  } catch {
    return [];
  }
  return [...log.matchAll(/started, pid (\d+)/g)].map((m) => Number(m[1]));
}

/** CPU time (user + system) a live process used so far; 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const multiplexersCpuMs = (dir: string): number => multiplexerPids(dir).reduce((total, pid) => total + processCpuMs(pid), 0);

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Ends the multiplexers of `dir` (SIGTERM: they close their connections), waiting at most 5 s. */
export async function stopMultiplexers(dir: string): Promise<void> {
  const pids = multiplexerPids(dir).filter(isAlive);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  for (const end = Date.now() + 5000; pids.some(isAlive) && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
}

/** The environment of a run whose connections are kept in `dir`. */
export function persistEnv(dir: string): Record<string, string> {
  return { UXSV_SSH_PERSIST: '60', UXSV_SSH_PERSIST_DIR: dir };
}

/**
 * `runs` cold runs and `runs` warm runs of `once` (which runs the CLI with
 * the environment it is given), each with the multiplexer's CPU time.
 * `scratch` must be a private folder (the multiplexer folders go inside it).
 */
export async function coldAndWarm<R extends { muxCpuMs?: number }>(
  scratch: string,
  runs: number,
  once: (env: Record<string, string>) => Promise<R>,
): Promise<{ cold: R[]; warm: R[] }> {
  const cold: R[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = join(mkdtempSync(join(scratch, 'c-')), 'mux');
    try {
      const run = await once(persistEnv(dir));
      run.muxCpuMs = multiplexersCpuMs(dir);
      cold.push(run);
    } finally {
      await stopMultiplexers(dir);
    }
  }
  const warm: R[] = [];
  const dir = join(mkdtempSync(join(scratch, 'w-')), 'mux');
  try {
    await once(persistEnv(dir));   // leaves the multiplexer and its connections
    for (let i = 0; i < runs; i++) {
      const before = multiplexersCpuMs(dir);
      const run = await once(persistEnv(dir));
      run.muxCpuMs = multiplexersCpuMs(dir) - before;
      warm.push(run);
    }
  } finally {
    await stopMultiplexers(dir);
  }
  return { cold, warm };
}
