/**
 * Turns events into Ansible-like text. Pure functions: the plain reporter
 * prints these lines as they come, the TTY reporter shows a subset of them
 * under the running task.
 */
import type { ChalkInstance } from 'chalk';
import { createTwoFilesPatch } from 'diff';
import type { FileDiff, ModuleResult } from '../modules/types.js';
import type { HostStatus, RunEvent } from './events.js';
import { colorForStatus } from './style.js';

export type HostResultEvent = Extract<RunEvent, { type: 'host_result' }>;
export type TaskStartEvent = Extract<RunEvent, { type: 'task_start' }>;

/** Ansible's wording, so operators recognise it. */
export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/**
 * Result key a module sets to have its result printed at every verbosity
 * (Ansible's convention, used by `debug`).
 */
export const VERBOSE_ALWAYS_KEY = '_ansible_verbose_always';

export interface LineFormat {
  chalk: ChalkInstance;
  verbosity: number;
  /** --diff: print each result's diff entries. */
  diff: boolean;
}

/** `TASK [role : name]`, or `RUNNING HANDLER [...]` for handlers, as Ansible does. */
export function taskTitle(event: TaskStartEvent): string {
  // The runner may already have prefixed the role (its task titles do).
  const name = event.role && !event.name.startsWith(`${event.role} : `) ? `${event.role} : ${event.name}` : event.name;
  return `${event.handler ? 'RUNNING HANDLER' : 'TASK'} [${name}]`;
}

export function playTitle(name: string, check: boolean): string {
  return `PLAY [${name}]${check ? ' [CHECK MODE]' : ''}`;
}

/** Failure-like statuses print their message; the others print only the status. */
export function isFailureLike(status: HostStatus): boolean {
  return status === 'failed' || status === 'unreachable' || status === 'rescued' || status === 'ignored';
}

/** The word at the start of a result line. Ignored and rescued failures are still failures when they happen. */
function statusLabel(status: HostStatus): string {
  switch (status) {
    case 'skipped':
      return 'skipping';
    case 'rescued':
    case 'ignored':
      return 'failed';
    default:
      return status;
  }
}

/** Lines of a host result: its diff (Ansible prints it first), the status line, then details. */
export function formatHostResult(event: HostResultEvent, format: LineFormat): string[] {
  const lines: string[] = [];
  if (format.diff && !event.noLog && event.result.changed) lines.push(...formatDiffs(event.result.diff, format.chalk));
  lines.push(...statusLines(event, format));
  if (event.status === 'ignored') lines.push(format.chalk.magenta('...ignoring'));
  if (event.status === 'rescued') lines.push(format.chalk.magenta('...rescued'));
  return lines;
}

/**
 * True when the result's lines would say no more than "ok/changed/skipping:
 * [host]": no diff to show, no message, not verbose. The TTY view's title
 * already says that much.
 */
export function isBareStatus(event: HostResultEvent, format: LineFormat): boolean {
  if (isFailureLike(event.status) || format.verbosity >= 1) return false;
  if (event.result[VERBOSE_ALWAYS_KEY] === true) return false;
  const showsDiff = format.diff && !event.noLog && event.result.changed && formatDiffs(event.result.diff, format.chalk).length > 0;
  return !showsDiff;
}

function hostLabel(event: HostResultEvent): string {
  return event.delegatedTo ? `[${event.host} -> ${event.delegatedTo}]` : `[${event.host}]`;
}

/** With no_log even the loop item is hidden, as Ansible shows `(item=None)`. */
function itemLabel(event: HostResultEvent): string {
  return `(item=${event.noLog ? 'None' : event.item})`;
}

function durationLabel(event: HostResultEvent, verbosity: number): string {
  return verbosity >= 3 ? ` (${Math.round(event.durationMs)} ms)` : '';
}

function statusLines(event: HostResultEvent, format: LineFormat): string[] {
  const paint = colorForStatus(format.chalk, event.status === 'ignored' || event.status === 'rescued' ? 'failed' : event.status);
  const head = `${statusLabel(event.status)}: ${hostLabel(event)}${durationLabel(event, format.verbosity)}`;
  const hasItem = event.item !== undefined;

  if (isFailureLike(event.status)) {
    const item = hasItem ? ` ${itemLabel(event)}` : '';
    if (format.verbosity >= 1) return [paint(`${head}${item} => ${resultJson(event)}`)];
    return [paint(`${head}${item}: ${failureMessage(event)}`), ...stderrLines(event).map((line) => paint(line))];
  }

  let line = head + (hasItem ? ` => ${itemLabel(event)}` : '');
  if (format.verbosity >= 1) line += ` => ${resultJson(event)}`;
  else if (event.result[VERBOSE_ALWAYS_KEY] === true) line += ` => ${verboseAlwaysJson(event)}`;
  return [paint(line)];
}

function failureMessage(event: HostResultEvent): string {
  if (event.noLog) return NO_LOG_MESSAGE;
  const { msg, rc } = event.result;
  const text = msg !== undefined && msg !== '' ? String(msg) : rc !== undefined ? 'non-zero return code' : 'failed';
  return rc !== undefined && event.status !== 'unreachable' ? `${text} (rc=${rc})` : text;
}

/** A failed command's stderr, one indented line each, so `grep -A` finds it with the failure. */
function stderrLines(event: HostResultEvent): string[] {
  if (event.noLog || typeof event.result.stderr !== 'string') return [];
  return event.result.stderr
    .replace(/\n+$/, '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `    stderr: ${line}`);
}

/**
 * The result as shown at -v: without Ansible's internal keys and without the
 * diff (shown separately with --diff, and often large). no_log results show
 * only the censorship notice.
 */
export function displayableResult(event: HostResultEvent): Record<string, unknown> {
  if (event.noLog) return { censored: NO_LOG_MESSAGE, changed: event.result.changed };
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.result)) {
    if (key.startsWith('_ansible_') || key === 'diff') continue;
    shown[key] = value;
  }
  return shown;
}

function resultJson(event: HostResultEvent): string {
  return JSON.stringify(displayableResult(event));
}

/** `debug` shows only its message (or its variable), like Ansible's `ok: [h] => {"msg": ...}`. */
function verboseAlwaysJson(event: HostResultEvent): string {
  const shown = displayableResult(event);
  if (event.noLog) return JSON.stringify(shown);
  if ('msg' in shown) return JSON.stringify({ msg: shown.msg });
  const { changed: _changed, failed: _failed, skipped: _skipped, ...rest } = shown;
  return JSON.stringify(rest);
}

/**
 * Each diff entry: a prepared unified diff as is, a unified diff of text
 * before/after, or `before:`/`after:` lines for attribute diffs (objects such
 * as mode or owner).
 */
export function formatDiffs(diffs: ModuleResult['diff'], chalk: ChalkInstance): string[] {
  if (!Array.isArray(diffs)) return [];
  return diffs.flatMap((entry) => colorDiffLines(diffEntryLines(entry), chalk));
}

function diffEntryLines(entry: FileDiff): string[] {
  if (typeof entry.prepared === 'string') return splitLines(entry.prepared);
  const before: unknown = entry.before;
  const after: unknown = entry.after;
  if (isAttributeDiff(before) || isAttributeDiff(after)) {
    return [`before: ${JSON.stringify(before ?? {})}`, `after: ${JSON.stringify(after ?? {})}`];
  }
  if (before === undefined && after === undefined) return [];
  const beforeHeader = entry.before_header !== undefined ? `before: ${entry.before_header}` : 'before';
  const afterHeader = entry.after_header !== undefined ? `after: ${entry.after_header}` : 'after';
  const patch = createTwoFilesPatch(beforeHeader, afterHeader, String(before ?? ''), String(after ?? ''));
  // jsdiff starts with a "=====" separator line that Ansible's diffs do not have.
  return splitLines(patch).filter((line) => !/^=+$/.test(line));
}

function isAttributeDiff(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function splitLines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

function colorDiffLines(lines: string[], chalk: ChalkInstance): string[] {
  return lines.map((line) => {
    if (line.startsWith('+++') || line.startsWith('---')) return chalk.bold(line);
    if (line.startsWith('+') || line.startsWith('after:')) return chalk.green(line);
    if (line.startsWith('-') || line.startsWith('before:')) return chalk.red(line);
    if (line.startsWith('@@')) return chalk.cyan(line);
    return line;
  });
}

/** `[WARNING]: ...` as Ansible prints it. */
export function formatWarning(message: string, host: string | undefined, chalk: ChalkInstance): string {
  return chalk.magenta(`[WARNING]: ${host ? `[${host}] ` : ''}${message}`);
}
