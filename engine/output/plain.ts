/**
 * Plain output for non-TTY runs (cron, CI, pipes): Ansible-like, one line per
 * event as it happens, stable and greppable.
 */
import type { ChalkInstance } from 'chalk';
import { censorEvent } from './censor.js';
import type { Reporter, RunEvent } from './events.js';
import { formatHostResult, formatWarning, isFailureLike, playTitle, taskTitle, type HostResultEvent } from './format.js';
import { formatRecap, LoopTracker, StatsTracker } from './recap.js';
import { banner, makeChalk } from './style.js';

export interface PlainOptions {
  color: boolean;
  verbosity: number;
  diff: boolean;
  check: boolean;
  write: (s: string) => void;
}

export class PlainReporter implements Reporter {
  private readonly chalk: ChalkInstance;
  private readonly loops = new LoopTracker();
  private readonly stats = new StatsTracker();
  private check: boolean;
  private recapPrinted = false;
  private wroteAnything = false;

  constructor(private readonly options: PlainOptions) {
    this.chalk = makeChalk(options.color);
    this.check = options.check;
  }

  handle(raw: RunEvent): void {
    const event = censorEvent(raw);
    switch (event.type) {
      case 'playbook_start':
        this.check ||= event.check;
        if (this.options.verbosity >= 1) this.printBanner(`PLAYBOOK: ${event.file}`);
        return;
      case 'play_start':
        this.printBanner(playTitle(event.name, this.check));
        return;
      case 'task_start':
        this.printBanner(taskTitle(event));
        if (this.options.verbosity >= 2) this.print(`task path: ${event.location}`);
        return;
      case 'host_result':
        this.printHostResult(event);
        return;
      case 'warning':
        this.print(formatWarning(event.message, event.host, this.chalk));
        return;
      case 'recap':
        this.printRecap(formatRecap(event.stats, this.options.color), event.durationMs);
        return;
      case 'no_hosts_matched':
        this.print('skipping: no hosts matched');
        return;
      case 'no_hosts_remaining':
        this.printBanner('NO MORE HOSTS LEFT');
        return;
      case 'include':
        this.print(`included: ${event.file} for ${event.hosts.join(', ')}${event.item !== undefined ? ` => (item=${event.item})` : ''}`);
        return;
      case 'retry':
        this.print(`FAILED - RETRYING: [${event.host}]: ${event.task} (${event.retriesLeft} retries left).`);
        return;
      case 'deprecation':
        this.print(`[DEPRECATION WARNING]: ${event.message}`);
        return;
      case 'task_end':
      case 'play_end':
        return;
    }
  }

  /** A run that stopped before the runner's recap (Ctrl-C, error) still gets one, from what was seen. */
  async close(): Promise<void> {
    if (!this.recapPrinted && !this.stats.isEmpty) this.printRecap(formatRecap(this.stats.snapshot(), this.options.color));
  }

  private printHostResult(event: HostResultEvent): void {
    this.stats.record(event);
    const isRepeat = this.loops.isSummaryOfReportedItems(event);
    // A loop's summary only repeats its items, except that it carries the
    // task's overall failure (and the "...ignoring" that goes with it).
    if (isRepeat && !isFailureLike(event.status)) return;
    for (const line of formatHostResult(event, { chalk: this.chalk, verbosity: this.options.verbosity, diff: this.options.diff })) {
      this.print(line);
    }
  }

  private printRecap(recap: string, durationMs?: number): void {
    this.recapPrinted = true;
    this.separate();
    for (const line of recap.split('\n')) this.print(line);
    if (durationMs !== undefined && this.options.verbosity >= 3) this.print(`run took ${(durationMs / 1000).toFixed(1)} s`);
  }

  /** Banners get an empty line before them, as in Ansible, except at the very top. */
  private printBanner(title: string): void {
    this.separate();
    this.print(banner(title));
  }

  private separate(): void {
    if (this.wroteAnything) this.options.write('\n');
  }

  private print(line: string): void {
    this.wroteAnything = true;
    this.options.write(`${line}\n`);
  }
}
