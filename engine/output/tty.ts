/**
 * TTY output with listr2: each task is a listr2 task whose title shows the
 * state of every host (`TASK [x]  uxsv01 ok · uxsv02 changed · uxsv03 …`),
 * with what ansible-playbook would print besides the bare status lines
 * (failures, debug messages, diffs, retries, includes, result dumps at -v;
 * callback.ts makes them) listed under it; plays are headed by a line, and
 * the recap is printed at the end.
 *
 * listr2 pulls (a task is a promise) while the runner pushes events, so each
 * task gets its own small Listr whose task function awaits a promise that the
 * `task_end` event settles. Renders are chained, so one Listr owns the terminal
 * at a time, and close() settles whatever is still open (Ctrl-C, runner error)
 * before waiting for the chain: it always resolves.
 */
import type { ChalkInstance } from 'chalk';
import { maskSecrets } from '../vault/secrets.js';
import { AnsibleCallback, taskName, type OutputInfo } from './callback.js';
import { censorEvent } from './censor.js';
import { screenColumns } from './display.js';
import type { HostResultEvent, HostStatus, Reporter, RunEvent, TaskStartEvent } from './events.js';
import { outputSettings, type OutputSettings } from './options.js';
import { customStatsLines, formatRecap, StatsTracker } from './recap.js';
import { colorForStatus, makeChalk } from './style.js';
import type { ListrTaskView, Wrapper } from './tty-listr.js';

export interface TtyOptions {
  color: boolean;
  verbosity: number;
  diff: boolean;
  check: boolean;
  settings?: OutputSettings;
  /** Where to write; absent = the real process.stdout (and stderr), which listr2 then guards while it renders. */
  write?: (s: string) => void;
  terminalColumns?: number;
}

/** `TASK [role : name]`, or `RUNNING HANDLER [...]`, as the plain output's banners. */
function taskTitle(event: TaskStartEvent): string {
  return `${event.handler ? 'RUNNING HANDLER' : 'TASK'} [${taskName(event)}]`;
}

/** The play's title; the TTY always marks check mode (the plain output only with check_mode_markers). */
function playTitle(name: string, check: boolean): string {
  return `PLAY [${name}]${check ? ' [CHECK MODE]' : ''}`;
}

type Outcome = 'done' | 'interrupted';

interface HostState {
  /** Final status, once the host's (non-item) result arrived. */
  status?: HostStatus;
  /** Loop items seen so far. */
  items: number;
  /** The most telling status among the items, shown if the loop's summary never comes. */
  itemStatus?: HostStatus;
}

/** Which status a host shows when its items disagree: failures first, then changes. */
const STATUS_WEIGHT: Record<HostStatus, number> = { skipped: 0, ok: 1, changed: 2, ignored: 3, rescued: 4, failed: 5, unreachable: 6 };

/** One running task: the state the title is drawn from, and the bridge to its listr2 task. */
class TaskView implements ListrTaskView {
  readonly hosts = new Map<string, HostState>();
  readonly lines: string[] = [];
  finishedAs: Outcome | undefined;
  private wrapper: Wrapper | undefined;
  private settle!: (outcome: Outcome) => void;
  readonly finished = new Promise<Outcome>((resolve) => (this.settle = resolve));

  constructor(
    readonly start: TaskStartEvent,
    private readonly chalk: ChalkInstance,
  ) {
    for (const host of start.hosts) this.hosts.set(host, { items: 0 });
  }

  finish(outcome: Outcome): void {
    if (this.finishedAs) return;
    this.finishedAs = outcome;
    this.settle(outcome);
  }

  /** Called from the listr2 task function: from now on updates go straight to the screen. */
  attach(wrapper: Wrapper): void {
    this.wrapper = wrapper;
    wrapper.title = this.title();
    for (const line of this.lines) wrapper.output = line;
  }

  recordResult(event: HostResultEvent): void {
    const state = this.hosts.get(event.host) ?? { items: 0 };
    if (event.item !== undefined) {
      state.items += 1;
      if (!state.itemStatus || STATUS_WEIGHT[event.status] > STATUS_WEIGHT[state.itemStatus]) state.itemStatus = event.status;
    } else {
      state.status = event.status;
    }
    this.hosts.set(event.host, state);
    if (this.wrapper) this.wrapper.title = this.title();
  }

  addLine(line: string): void {
    this.lines.push(line);
    if (this.wrapper) this.wrapper.output = line;
  }

  title(): string {
    const cells = [...this.hosts].flatMap(([host, state]) => {
      const status = state.status ?? (this.finishedAs ? state.itemStatus : undefined);
      if (status) return [`${host} ${colorForStatus(this.chalk, status)(status)}`];
      // Hosts that never answered a finished task (run_once, ...) are left out.
      if (this.finishedAs === 'done') return [];
      return [`${host} ${this.chalk.dim(state.items > 0 ? `… ${state.items} items` : '…')}`];
    });
    return cells.length > 0 ? `${taskTitle(this.start)}  ${cells.join(' · ')}` : taskTitle(this.start);
  }

  private finalStatuses(): HostStatus[] {
    return [...this.hosts.values()].flatMap((state) => state.status ?? state.itemStatus ?? []);
  }

  get hasFailures(): boolean {
    return this.finalStatuses().some((status) => status === 'failed' || status === 'unreachable');
  }

  get allSkipped(): boolean {
    const statuses = this.finalStatuses();
    return statuses.length > 0 && statuses.every((status) => status === 'skipped');
  }
}

export class ListrReporter implements Reporter {
  private readonly chalk: ChalkInstance;
  private readonly write: (s: string) => void;
  private readonly views = new Map<number, TaskView>();
  private readonly stats = new StatsTracker();
  /** Makes the lines shown under tasks, as the plain output would print them. */
  private readonly callback: AnsibleCallback;
  private readonly settings: OutputSettings;
  private chain: Promise<void> = Promise.resolve();
  private check: boolean;
  private recapPrinted = false;
  private closed = false;
  private wroteAnything = false;

  constructor(private readonly options: TtyOptions) {
    this.chalk = makeChalk(options.color);
    this.check = options.check;
    this.write = options.write ?? ((s) => void process.stdout.write(s));
    this.settings = options.settings ?? outputSettings(process.env);
    this.callback = new AnsibleCallback({
      verbosity: options.verbosity,
      color: options.color,
      check: options.check,
      diff: options.diff,
      columns: screenColumns(options.terminalColumns ?? process.stdout.columns),
      settings: this.settings,
      write: (text, info) => this.showOutput(text, info),
    });
  }

  handle(raw: RunEvent): void {
    if (this.closed) return;
    const event = censorEvent(raw);
    switch (event.type) {
      case 'playbook_start':
        this.check ||= event.check;
        break;
      case 'play_start':
        this.enqueueLines([this.chalk.bold(playTitle(event.name, event.check ?? this.check))], true);
        break;
      case 'task_start':
        this.startTask(event);
        break;
      case 'host_result':
        this.recordResult(event);
        break;
      case 'task_end':
        this.views.get(event.id)?.finish('done');
        this.views.delete(event.id);
        break;
      case 'play_end':
        this.finishOpenTasks('done');
        break;
      case 'no_hosts_matched':
        this.enqueueLines([this.chalk.cyan(`no hosts matched ${event.pattern}`)]);
        return;
      case 'no_hosts_remaining':
        this.finishOpenTasks('done');
        this.enqueueLines([this.chalk.red('NO MORE HOSTS LEFT')], true);
        return;
      case 'recap':
        this.recapPrinted = true;
        this.finishOpenTasks('done');
        this.enqueueLines([formatRecap(event.stats, this.options.color)], true);
        if (event.custom && Object.keys(event.custom).length > 0 && this.settings.showCustomStats) {
          this.enqueueLines(['CUSTOM STATS:', ...customStatsLines(event.custom, this.options.verbosity)], true);
        }
        if (this.options.verbosity >= 3) this.enqueueLines([`run took ${(event.durationMs / 1000).toFixed(1)} s`]);
        return;
      default:
        break;
    }
    this.callback.handle(event);
  }

  /**
   * What the plain output would print, placed for the TTY: result dumps,
   * failures, diffs and notes under their task; warnings under the running
   * task; banners, bare status lines and the recap left out (the titles say it).
   */
  private showOutput(text: string, info: OutputInfo): void {
    if (info.kind === 'banner' || info.kind === 'task-path' || info.kind === 'recap') return;
    const view = info.taskId !== undefined ? this.views.get(info.taskId) : this.runningView();
    // A bare status only repeats the task's title, unless the task is not on screen.
    if (info.kind === 'status' && (view || info.taskId === undefined)) return;
    const lines = text.split('\n').filter((line) => line !== '');
    if (view) for (const line of lines) view.addLine(line);
    else this.enqueueLines(lines);
  }

  private runningView(): TaskView | undefined {
    return [...this.views.values()].find((view) => !view.finishedAs);
  }

  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    this.finishOpenTasks('interrupted');
    if (!this.recapPrinted && !this.stats.isEmpty) this.enqueueLines([formatRecap(this.stats.snapshot(), this.options.color)], true);
    await this.chain;
  }

  private startTask(event: TaskStartEvent): void {
    // Tasks run one after another: a task that starts ends any the runner forgot to close.
    this.finishOpenTasks('done');
    const view = new TaskView(event, this.chalk);
    this.views.set(event.id, view);
    this.enqueue(() => this.renderTask(view));
  }

  private recordResult(event: HostResultEvent): void {
    this.stats.record(event);
    this.views.get(event.taskId)?.recordResult(event);
  }

  private finishOpenTasks(outcome: Outcome): void {
    for (const view of this.views.values()) view.finish(outcome);
    this.views.clear();
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch((error: unknown) => {
      this.write(`${this.chalk.red(`output error: ${maskSecrets(error instanceof Error ? error.message : String(error))}`)}\n`);
    });
  }

  /** Plain lines between task renders; `separated` puts an empty line before them unless at the very top. */
  private enqueueLines(lines: string[], separated = false): void {
    this.enqueue(() => {
      const gap = separated && this.wroteAnything ? '\n' : '';
      this.wroteAnything = true;
      this.write(gap + lines.map((line) => `${line}\n`).join(''));
    });
  }

  private async renderTask(view: TaskView): Promise<void> {
    this.wroteAnything = true;
    try {
      // listr2 is loaded with the first task drawn: runs whose output is not a terminal never load it.
      const { runListrTask } = await import('./tty-listr.js');
      await runListrTask(view, { verbosity: this.options.verbosity, color: this.options.color, chalk: this.chalk, ...(this.options.write ? { write: this.options.write } : {}) });
    } catch {
      // listr2 itself broke (terminal gone...): the task's outcome still gets printed.
      this.write([view.title(), ...view.lines].map((line) => `${line}\n`).join(''));
    }
  }
}
