/**
 * The output layer: consumers of the runner's RunEvents (engine/output/events.ts).
 *   - createReporter: listr2 on a TTY, ansible-playbook's own output otherwise;
 *   - JsonReport: the `--report FILE` JSON, written atomically at close();
 *   - combineReporters: feed several at once;
 *   - censorEvent: what every reporter applies first (vault values masked, no_log enforced);
 *   - outputSettings: Ansible's output settings (display_skipped_hosts...) from its environment variables.
 */
import type { Reporter } from './events.js';
import { screenColumns } from './display.js';
import { outputSettings, type OutputSettings } from './options.js';
import { PlainReporter } from './plain.js';
import { ListrReporter } from './tty.js';

export type { HostStats, HostStatus, Reporter, RunEvent } from './events.js';
export { emptyStats } from './events.js';
export { censorEvent } from './censor.js';
export { combineReporters } from './combine.js';
export { NO_LOG_MESSAGE, VERBOSE_ALWAYS_KEY } from './results.js';
export { JsonReport, REPORT_VERSION, type ReportEntry, type ReportWarning, type RunReport } from './json-report.js';
export { formatRecap } from './recap.js';
export { shouldUseColor } from './style.js';
export { DEFAULT_SETTINGS, outputSettings, type OutputSettings } from './options.js';

export interface OutputOptions {
  tty: boolean;
  color: boolean;
  /** -v count. */
  verbosity: number;
  /** --diff */
  diff: boolean;
  /** --check (a playbook_start event with check: true also sets it). */
  check: boolean;
  /** Ansible's output settings (default: outputSettings(process.env), Ansible's defaults and environment variables). */
  settings?: OutputSettings;
  /** Default: process.stdout.write. */
  write?: (s: string) => void;
  /** Warnings, deprecations (and failures with display_failed_stderr), as Ansible does. Default: process.stderr.write. */
  writeError?: (s: string) => void;
  /** Terminal width; Ansible's screen width follows it (79 columns when not a terminal). */
  terminalColumns?: number;
}

export function createReporter(options: OutputOptions): Reporter {
  if (options.tty) return new ListrReporter(options);
  const write = options.write ?? ((s: string) => void process.stdout.write(s));
  const writeError = options.writeError ?? ((s: string) => void process.stderr.write(s));
  return new PlainReporter({
    ...options,
    settings: options.settings ?? outputSettings(process.env),
    columns: screenColumns(options.terminalColumns),
    write,
    writeError,
  });
}
