/**
 * `async`/`poll` and `async_status`. Modules here are driven from the
 * controller, step by step over the connection, so a job is the module's run
 * kept going in this process: `poll: 0` starts it and moves on, `async_status`
 * (with its `ansible_job_id`) asks how it went, `poll: N` waits for it. A job
 * past its `async` time limit fails as Ansible's do. Jobs live as long as the
 * run.
 */
import { randomBytes } from 'node:crypto';
import type { ModuleResult } from '../modules/types.js';

export interface AsyncJob {
  id: string;
  host: string;
  /** Where Ansible keeps the job's result; reported for compatibility, nothing is written there. */
  resultsFile: string;
  promise: Promise<ModuleResult>;
  result?: ModuleResult;
}

export class AsyncJobs {
  private readonly jobs = new Map<string, AsyncJob>();

  start(host: string, limitSec: number, run: () => Promise<ModuleResult>): AsyncJob {
    const id = `${randomBytes(5).readUIntBE(0, 5) % 1e12}`.padStart(12, '0') + `.${process.pid}`;
    const job: AsyncJob = { id, host, resultsFile: `~/.ansible_async/${id}`, promise: Promise.resolve({ changed: false }) };
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<ModuleResult>((resolve) => {
      timer = setTimeout(() => resolve({ changed: false, failed: true, msg: 'Timeout exceeded', child_pid: 0 }), limitSec * 1000);
      timer.unref();
    });
    job.promise = Promise.race([
      run().catch((err: unknown): ModuleResult => ({ changed: false, failed: true, msg: err instanceof Error ? err.message : String(err) })),
      limit,
    ]).then((result) => {
      clearTimeout(timer);
      job.result = result;
      return result;
    });
    this.jobs.set(id, job);
    return job;
  }

  async wait(job: AsyncJob, _limitMs: number): Promise<ModuleResult> {
    return job.promise;
  }

  /** async_status: the job's state now. */
  status(id: string, host: string): ModuleResult {
    const job = this.jobs.get(id);
    if (!job || job.host !== host) return { changed: false, failed: true, finished: 1, msg: `could not find job`, ansible_job_id: id, started: 1 };
    if (!job.result) return { changed: false, finished: 0, started: 1, ansible_job_id: id, results_file: job.resultsFile };
    return { ...job.result, finished: 1, started: 1, ansible_job_id: id, results_file: job.resultsFile };
  }

  /** async_status mode=cleanup. */
  cleanup(id: string): void {
    this.jobs.delete(id);
  }

  /** Waits for every job still running (the run ends only when they are done). */
  async settle(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.promise.catch(() => undefined)));
  }
}
