/**
 * The output layer: consumers of the runner's RunEvents (engine/output/events.ts).
 *   - createReporter: listr2 on a TTY, Ansible-like plain lines otherwise;
 *   - JsonReport: the `--report FILE` JSON, written atomically at close();
 *   - combineReporters: feed several at once;
 *   - censorEvent: what every reporter applies first (vault values masked, no_log enforced).
 */
import type { Reporter } from './events.js';
import { PlainReporter } from './plain.js';
import { ListrReporter } from './tty.js';

export type { HostStats, HostStatus, Reporter, RunEvent } from './events.js';
export { emptyStats } from './events.js';
export { censorEvent } from './censor.js';
export { combineReporters } from './combine.js';
export { NO_LOG_MESSAGE, VERBOSE_ALWAYS_KEY } from './format.js';
export { JsonReport, REPORT_VERSION, type ReportEntry, type ReportWarning, type RunReport } from './json-report.js';
export { formatRecap } from './recap.js';
export { shouldUseColor } from './style.js';

export interface OutputOptions {
  tty: boolean;
  color: boolean;
  /** -v count. */
  verbosity: number;
  /** --diff */
  diff: boolean;
  /** --check, for the [CHECK MODE] marker (a playbook_start event with check: true also sets it). */
  check: boolean;
  /** Default: process.stdout.write. */
  write?: (s: string) => void;
}

export function createReporter(options: OutputOptions): Reporter {
  if (options.tty) return new ListrReporter(options);
  const write = options.write ?? ((s: string) => void process.stdout.write(s));
  return new PlainReporter({ ...options, write });
}
