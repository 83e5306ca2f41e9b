/**
 * ansible-playbook's default output, driven by uxsv's events: banners (put
 * off until a task has something to show when ok or skipped results are
 * hidden), result lines and dumps, loop items, diffs, retries, includes,
 * warnings and deprecations (each text once), the recap and custom stats.
 * Every display() of Ansible is one `write` here, with what kind of text it
 * is, so the plain reporter prints it all and the TTY view picks from it.
 * Events come in censored (censor.ts).
 */
import { basename } from 'node:path';
import { bannerText, deprecationText, paint, warningText, type ColorName, type Deprecation } from './display.js';
import { diffText } from './diffs.js';
import type { HostResultEvent, HostStats, RunEvent, TaskStartEvent } from './events.js';
import type { OutputSettings } from './options.js';
import { customStatsLines, LoopTracker, recapLines } from './recap.js';
import {
  dumpResult,
  exceptionText,
  hostLabel,
  isIncludeAction,
  isTruthy,
  isVerbose,
  itemLabel,
  shownResult,
  trimDebugResult,
  type ShownResult,
} from './results.js';
import { pythonStr } from './python.js';

/** What a piece of output is, for reporters that show only some of it. */
export type OutputKind = 'banner' | 'task-path' | 'status' | 'result' | 'detail' | 'diff' | 'warning' | 'verbose' | 'recap';

export interface OutputInfo {
  stderr: boolean;
  kind: OutputKind;
  /** The task a result, diff or detail line belongs to. */
  taskId?: number;
}

export interface CallbackOptions {
  verbosity: number;
  color: boolean;
  /** --check and --diff of the run (events may say otherwise per play and task). */
  check: boolean;
  diff: boolean;
  /** Screen width as Ansible computes it (display.ts screenColumns). */
  columns: number;
  settings: OutputSettings;
  write(text: string, info: OutputInfo): void;
}

type RetryEvent = Extract<RunEvent, { type: 'retry' }>;
type IncludeEvent = Extract<RunEvent, { type: 'include' }>;
type AsyncEvent = Extract<RunEvent, { type: 'async' }>;

export class AnsibleCallback {
  private readonly tasks = new Map<number, TaskStartEvent>();
  private readonly prefixes = new Map<number, string>();
  private readonly loops = new LoopTracker();
  private readonly warned = new Set<string>();
  private readonly deprecated = new Set<string>();
  /** The task whose banner was printed last, and the name of the task started last. */
  private lastBanner: number | undefined;
  private lastTaskName: string | undefined;
  private runCheck: boolean;
  private playCheck: boolean;
  /** Under the free strategies hosts run different tasks at once: banners wait for results and name their own task. */
  private hostsRunFree = false;

  constructor(private readonly options: CallbackOptions) {
    this.runCheck = options.check;
    this.playCheck = options.check;
  }

  handle(event: RunEvent): void {
    switch (event.type) {
      case 'playbook_start':
        this.runCheck ||= event.check;
        if (this.options.verbosity > 1) this.banner(`PLAYBOOK: ${basename(event.file)}`);
        if (this.runCheck && this.options.settings.checkModeMarkers) this.banner('DRY RUN');
        return;
      case 'play_start':
        this.playStart(event.name, event.check, event.strategy);
        return;
      case 'task_start':
        this.taskStart(event);
        return;
      case 'host_result':
        this.hostResult(event);
        return;
      case 'retry':
        this.retry(event);
        return;
      case 'include':
        this.include(event);
        return;
      case 'async':
        this.async(event);
        return;
      case 'handler_notified':
        if (this.options.verbosity > 1) this.display(`NOTIFIED HANDLER ${event.handler} for ${event.host}`, { color: 'verbose', kind: 'verbose' });
        return;
      case 'verbose':
        if (this.options.verbosity >= event.level) {
          this.display(event.host !== undefined ? `<${event.host}> ${event.message}` : event.message, { color: 'verbose', kind: 'verbose' });
        }
        return;
      case 'no_hosts_matched':
        this.display('skipping: no hosts matched', { color: 'skip', kind: 'status' });
        return;
      case 'no_hosts_remaining':
        this.banner('NO MORE HOSTS LEFT');
        return;
      case 'warning':
        this.warning(event.host !== undefined ? `[${event.host}] ${event.message}` : event.message);
        return;
      case 'deprecation':
        this.deprecation(event);
        return;
      case 'recap':
        this.recap(event.stats, event.custom);
        return;
      case 'task_end':
      case 'play_end':
        return;
    }
  }

  /** A recap from the results counted so far (the run stopped before its own). */
  recap(stats: Record<string, HostStats>, custom?: Record<string, Record<string, unknown>>): void {
    this.banner('PLAY RECAP', 'recap');
    for (const line of recapLines(stats, this.options.color)) this.display(line, { kind: 'recap' });
    this.display('', { kind: 'recap' });
    if (custom && Object.keys(custom).length > 0 && this.options.settings.showCustomStats) {
      this.banner('CUSTOM STATS: ', 'recap');
      for (const line of customStatsLines(custom, this.options.verbosity)) this.display(line, { kind: 'recap' });
      this.display('', { kind: 'recap' });
    }
    if (this.runCheck && this.options.settings.checkModeMarkers) this.banner('DRY RUN', 'recap');
  }

  private playStart(name: string, check: boolean | undefined, strategy: string | undefined): void {
    this.playCheck = check ?? this.runCheck;
    this.hostsRunFree = strategy !== undefined && /^(ansible\.(builtin|legacy)\.)?(free|host_pinned)$/.test(strategy);
    const marker = this.playCheck && this.options.settings.checkModeMarkers ? ' [CHECK MODE]' : '';
    const title = name.trim();
    this.banner(title === '' ? `PLAY${marker}` : `PLAY [${title}]${marker}`);
  }

  private taskStart(event: TaskStartEvent): void {
    this.tasks.set(event.id, event);
    this.prefixes.set(event.id, event.handler ? 'RUNNING HANDLER' : 'TASK');
    if (this.hostsRunFree) {
      this.lastTaskName = undefined;
      return;
    }
    this.lastTaskName = taskName(event);
    const { displaySkippedHosts, displayOkHosts } = this.options.settings;
    if (displaySkippedHosts && displayOkHosts) this.taskBanner(event.id);
  }

  /** `TASK [name]`: at the start, or before the task's first shown output when ok or skipped results are hidden. */
  private taskBanner(taskId: number): void {
    const task = this.tasks.get(taskId);
    const name = this.lastTaskName ?? (task ? taskName(task) : '');
    const check = (task?.check ?? this.playCheck) && this.options.settings.checkModeMarkers ? ' [CHECK MODE]' : '';
    const args = task?.args && !task.noLog && this.options.settings.displayArgsToStdout ? ` ${argsText(task.args)}` : '';
    this.banner(`${this.prefixes.get(taskId) ?? 'TASK'} [${name}${args}]${check}`);
    if (this.options.verbosity >= 2) this.taskPath(taskId);
    this.lastBanner = taskId;
  }

  private ensureBanner(taskId: number): void {
    if (this.lastBanner !== taskId) this.taskBanner(taskId);
  }

  private taskPath(taskId: number): void {
    const location = this.tasks.get(taskId)?.location;
    if (location) this.display(`task path: ${location}`, { color: 'debug', kind: 'task-path', taskId });
  }

  private hostResult(event: HostResultEvent): void {
    const task = this.tasks.get(event.taskId);
    const action = task?.action;
    const shown = shownResult(event.result, event.noLog, action);
    // A loop's closing result: printed only as far as it says more than its items did. A
    // no_log one has no `results` left, so Ansible prints it like any result.
    const isLoop = this.loops.isSummaryOfReportedItems(event) || (event.item === undefined && Array.isArray(event.result.results) && event.status === 'skipped');
    const isSummary = isLoop && 'results' in shown;
    if (event.item !== undefined) return this.itemResult(event, shown, action);
    switch (event.status) {
      case 'ok':
      case 'changed':
        return this.ok(event, shown, action, isSummary);
      case 'skipped':
        return this.skipped(event, shown, action, isSummary);
      case 'unreachable':
        return this.unreachable(event, shown, false);
      case 'ignored':
        if (event.result.unreachable === true) return this.unreachable(event, shown, true);
        return this.failed(event, shown, action, isSummary, true);
      case 'failed':
      case 'rescued':
        return this.failed(event, shown, action, isSummary, false);
    }
  }

  private ok(event: HostResultEvent, shown: ShownResult, action: string | undefined, isSummary: boolean): void {
    if (isIncludeAction(action)) {
      this.ensureBanner(event.taskId);
      return;
    }
    const changed = event.status === 'changed';
    if (!changed && !this.options.settings.displayOkHosts) return;
    this.diff(event, shown);
    this.ensureBanner(event.taskId);
    this.resultWarnings(shown);
    if (isSummary) return;
    trimDebugResult(shown, action);
    const line = `${changed ? 'changed' : 'ok'}: [${hostLabel(event.host, event.delegatedTo, shown)}]`;
    this.statusLine(line, shown, changed ? 'changed' : 'ok', event.taskId);
  }

  private skipped(event: HostResultEvent, shown: ShownResult, action: string | undefined, isSummary: boolean): void {
    if (!this.options.settings.displaySkippedHosts) return;
    trimDebugResult(shown, action);
    this.ensureBanner(event.taskId);
    if (isSummary) delete shown.results;
    this.statusLine(`skipping: [${event.host}]`, shown, 'skip', event.taskId);
  }

  private failed(event: HostResultEvent, shown: ShownResult, action: string | undefined, isSummary: boolean, ignoring: boolean): void {
    const stderr = this.options.settings.displayFailedStderr;
    trimDebugResult(shown, action);
    this.ensureBanner(event.taskId);
    this.exception(shown, event.taskId);
    this.resultWarnings(shown);
    if (!isSummary) {
      if (this.options.verbosity < 2 && this.options.settings.showTaskPathOnFailure) this.taskPath(event.taskId);
      const line = `fatal: [${hostLabel(event.host, event.delegatedTo, shown)}]: FAILED! => ${this.dump(shown)}`;
      this.display(line, { color: 'error', stderr, kind: 'result', taskId: event.taskId });
    }
    if (ignoring) this.display('...ignoring', { color: 'skip', kind: 'detail', taskId: event.taskId });
  }

  private unreachable(event: HostResultEvent, shown: ShownResult, ignoring: boolean): void {
    this.ensureBanner(event.taskId);
    const line = `fatal: [${hostLabel(event.host, event.delegatedTo, shown)}]: UNREACHABLE! => ${this.dump(shown)}`;
    this.display(line, { color: 'unreachable', stderr: this.options.settings.displayFailedStderr, kind: 'result', taskId: event.taskId });
    if (ignoring) this.display('...ignoring', { color: 'skip', kind: 'detail', taskId: event.taskId });
  }

  private itemResult(event: HostResultEvent, shown: ShownResult, action: string | undefined): void {
    const label = itemLabel(event.item, event.noLog);
    const host = hostLabel(event.host, event.delegatedTo, shown);
    switch (event.status) {
      case 'ok':
      case 'changed': {
        if (isIncludeAction(action)) return;
        const changed = event.status === 'changed';
        if (!changed && !this.options.settings.displayOkHosts) return;
        this.diff(event, shown);
        this.ensureBanner(event.taskId);
        trimDebugResult(shown, action);
        this.statusLine(`${changed ? 'changed' : 'ok'}: [${host}] => (item=${label})`, shown, changed ? 'changed' : 'ok', event.taskId);
        return;
      }
      case 'skipped':
        if (!this.options.settings.displaySkippedHosts) return;
        this.ensureBanner(event.taskId);
        trimDebugResult(shown, action);
        this.statusLine(`skipping: [${event.host}] => (item=${label}) `, shown, 'skip', event.taskId);
        return;
      default: {
        this.ensureBanner(event.taskId);
        trimDebugResult(shown, action);
        this.exception(shown, event.taskId);
        this.resultWarnings(shown);
        const line = `failed: [${host}] (item=${label}) => ${this.dump(shown)}`;
        this.display(line, { color: 'error', stderr: this.options.settings.displayFailedStderr, kind: 'result', taskId: event.taskId });
      }
    }
  }

  /** `STATUS: [host]`, with the result dumped when verbose. */
  private statusLine(line: string, shown: ShownResult, color: ColorName, taskId: number): void {
    if (isVerbose(shown, this.options.verbosity)) {
      this.display(`${line} => ${this.dump(shown)}`, { color, kind: 'result', taskId });
    } else {
      this.display(line, { color, kind: 'status', taskId });
    }
  }

  /**
   * A changed result's diff, before its line, with --diff or the task's
   * `diff: true` (as in Ansible, a task's `diff: false` does not hide a diff
   * its module returned anyway under --diff).
   */
  private diff(event: HostResultEvent, shown: ShownResult): void {
    const diffMode = this.options.diff || this.tasks.get(event.taskId)?.diff === true;
    if (!diffMode || event.status !== 'changed' || !isTruthy(shown.diff)) return;
    const text = diffText(shown.diff, { context: this.options.settings.diffContext, color: this.options.color });
    if (text === '') return;
    this.ensureBanner(event.taskId);
    this.display(text, { kind: 'diff', taskId: event.taskId });
  }

  private exception(shown: ShownResult, taskId: number): void {
    const text = exceptionText(shown, this.options.verbosity);
    if (text === undefined) return;
    if (this.options.verbosity >= 3) delete shown.exception;
    this.display(text, { color: 'error', stderr: this.options.settings.displayFailedStderr, kind: 'detail', taskId });
  }

  /** The warnings and deprecations a result carries, shown once each and then taken out of its dump. */
  private resultWarnings(shown: ShownResult): void {
    if (!this.options.settings.actionWarnings) return;
    if (Array.isArray(shown.warnings) && shown.warnings.length > 0) {
      for (const warning of shown.warnings) this.warning(pythonStr(warning));
      delete shown.warnings;
    }
    if (Array.isArray(shown.deprecations) && shown.deprecations.length > 0) {
      for (const entry of shown.deprecations) this.deprecation(deprecationOf(entry));
      delete shown.deprecations;
    }
  }

  private retry(event: RetryEvent): void {
    const shown = shownResult(event.result, event.noLog);
    let line = `FAILED - RETRYING: [${hostLabel(event.host, event.delegatedTo, shown)}]: ${event.task} (${event.retriesLeft} retries left).`;
    if (isVerbose(shown, this.options.verbosity, 2)) line += `Result was: ${this.dump(shown)}`;
    this.display(line, { color: 'debug', kind: 'detail', taskId: event.taskId });
  }

  private async(event: AsyncEvent): void {
    const jid = pythonStr(event.jid ?? null);
    const line =
      event.state === 'poll'
        ? `ASYNC POLL on ${event.host}: jid=${jid} started=${pythonStr(event.started ?? null)} finished=${pythonStr(event.finished ?? null)}`
        : `ASYNC ${event.state === 'ok' ? 'OK' : 'FAILED'} on ${event.host}: jid=${jid}`;
    this.display(line, { color: 'debug', kind: 'detail', taskId: event.taskId });
  }

  private include(event: IncludeEvent): void {
    let line = `included: ${event.file} for ${event.hosts.join(', ')}`;
    if (isTruthy(event.item)) line += ` => (item=${pythonStr(event.item)})`;
    this.display(line, { color: 'skip', kind: 'detail', taskId: event.taskId });
  }

  private warning(message: string): void {
    const text = warningText(message, this.options.columns);
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.display(text, { color: 'warn', stderr: true, kind: 'warning' });
  }

  private deprecation(deprecation: Deprecation): void {
    if (!this.options.settings.deprecationWarnings) return;
    const text = deprecationText(deprecation, this.options.columns);
    if (this.deprecated.has(text)) return;
    this.deprecated.add(text);
    this.display(text, { color: 'deprecate', stderr: true, kind: 'warning' });
  }

  private dump(shown: ShownResult): string {
    return dumpResult(shown, { verbosity: this.options.verbosity, pretty: this.options.settings.prettyResults });
  }

  private banner(title: string, kind: OutputKind = 'banner'): void {
    this.display(bannerText(title, this.options.columns), { kind });
  }

  /** Ansible's display(): the text coloured line by line, one line end added unless it has one. */
  private display(text: string, info: { color?: ColorName; stderr?: boolean; kind: OutputKind; taskId?: number }): void {
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    const out = `${paint(body, info.color, this.options.color)}\n`;
    this.options.write(out, { stderr: info.stderr ?? false, kind: info.kind, ...(info.taskId !== undefined && { taskId: info.taskId }) });
  }
}

/** The banner name of a task: `role : name`, or the action when it has no name. */
export function taskName(event: TaskStartEvent): string {
  const name = (event.name || event.action || '').trim();
  return event.role && !name.startsWith(`${event.role} : `) ? `${event.role} : ${name}` : name;
}

/** `key=value, key=value` of a task's arguments, values as Python's str(). */
function argsText(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(([key, value]) => `${key}=${pythonStr(value)}`)
    .join(', ');
}

function deprecationOf(entry: unknown): Deprecation {
  if (!entry || typeof entry !== 'object') return { message: pythonStr(entry) };
  const d = entry as Record<string, unknown>;
  const text = (value: unknown) => (value === undefined || value === null || value === '' ? undefined : pythonStr(value));
  return {
    message: pythonStr(d.msg ?? ''),
    ...(text(d.version) !== undefined && { version: text(d.version) }),
    ...(text(d.date) !== undefined && { date: text(d.date) }),
    ...(text(d.collection_name) !== undefined && { collectionName: text(d.collection_name) }),
  };
}
