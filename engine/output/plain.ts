/**
 * Plain output where stdout is not a terminal (cron, CI, pipes, scripts that
 * grep it): ansible-playbook's default output, byte for byte, as events come
 * (callback.ts); warnings, deprecations and, when asked, failures on stderr.
 */
import { AnsibleCallback } from './callback.js';
import { censorEvent } from './censor.js';
import type { Reporter, RunEvent } from './events.js';
import type { OutputSettings } from './options.js';
import { StatsTracker } from './recap.js';

export interface PlainOptions {
  color: boolean;
  verbosity: number;
  diff: boolean;
  check: boolean;
  settings: OutputSettings;
  /** Screen width (display.ts screenColumns). */
  columns: number;
  write: (s: string) => void;
  writeError: (s: string) => void;
}

export class PlainReporter implements Reporter {
  private readonly callback: AnsibleCallback;
  private readonly stats = new StatsTracker();
  private recapPrinted = false;

  constructor(options: PlainOptions) {
    this.callback = new AnsibleCallback({
      verbosity: options.verbosity,
      color: options.color,
      check: options.check,
      diff: options.diff,
      columns: options.columns,
      settings: options.settings,
      write: (text, info) => (info.stderr ? options.writeError(text) : options.write(text)),
    });
  }

  handle(raw: RunEvent): void {
    const event = censorEvent(raw);
    if (event.type === 'host_result') this.stats.record(event);
    if (event.type === 'recap') this.recapPrinted = true;
    this.callback.handle(event);
  }

  /** A run that stopped before the runner's recap (Ctrl-C, error) still gets one, from what was seen. */
  async close(): Promise<void> {
    if (this.recapPrinted || this.stats.isEmpty) return;
    this.recapPrinted = true;
    this.callback.recap(this.stats.snapshot());
  }
}
