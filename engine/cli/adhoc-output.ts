/**
 * What `ansible` prints for an ad-hoc run: one block per host result, in the
 * forms of Ansible's `minimal` callback (the default) or, with -o, its
 * `oneline` callback; no banners and no recap. With -t DIR each host's
 * result is also written as JSON to DIR/HOST (Ansible's `tree` callback).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { censorEvent } from '../output/censor.js';
import { diffText } from '../output/diffs.js';
import { paint, type ColorName } from '../output/display.js';
import type { Reporter, RunEvent } from '../output/events.js';
import { pythonJson } from '../output/python.js';

/** Modules whose result is shown as `host | STATE | rc=N >>` and their output (Ansible's MODULE_NO_JSON). */
const COMMAND_LIKE = new Set(['command', 'shell', 'raw', 'win_command', 'win_shell']);
const DEBUG_KEYS = new Set(['msg', 'exception', 'warnings', 'deprecations']);

export interface AdHocOutputOptions {
  module: string;
  oneLine: boolean;
  /** -t DIR */
  treeDir?: string;
  verbosity: number;
  diff: boolean;
  /** Lines of context in --diff output (ansible.cfg [diff] context). */
  diffContext?: number;
  color: boolean;
  write(text: string): void;
  warn(text: string): void;
}

function shortName(module: string): string {
  return module.replace(/^ansible\.(builtin|legacy)\./, '');
}

/** Ansible's strip_internal_keys: `_ansible_*` keys go, at every level of mappings. */
function stripInternal(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('_ansible_')) continue;
    out[key] = v && typeof v === 'object' && !Array.isArray(v) ? stripInternal(v as Record<string, unknown>) : v;
  }
  return out;
}

export class AdHocReporter implements Reporter {
  /** The action of the result being printed (the -m module, or a task an include brought in). */
  private module: string;
  private readonly tasks = new Map<number, { action: string; args: Record<string, unknown> }>();

  constructor(private readonly options: AdHocOutputOptions) {
    this.module = shortName(options.module);
  }

  handle(raw: RunEvent): void {
    const event = censorEvent(raw);
    if (event.type === 'task_start') {
      const action = shortName(event.action ?? this.options.module);
      this.tasks.set(event.id, { action, args: event.args ?? {} });
      // A role include has no include event of its own: its result comes before the role's tasks.
      if (action === 'include_role' || action === 'import_role') this.includeResults(event.id, event.hosts);
    }
    else if (event.type === 'warning') this.options.warn(event.message);
    else if (event.type === 'deprecation') this.options.warn(`[DEPRECATION WARNING]: ${event.message}`);
    else if (event.type === 'include') this.includeResults(event.taskId, event.hosts);
    else if (event.type === 'host_result' && event.item === undefined) {
      this.module = this.tasks.get(event.taskId)?.action ?? shortName(this.options.module);
      this.hostResult(event.host, event.status, { ...event.result });
    }
  }

  /** An include's own result, as Ansible shows it before the included tasks' ({include, include_args} or {include_args}). */
  private includeResults(taskId: number, hosts: string[]): void {
    const task = this.tasks.get(taskId);
    if (!task) return;
    // include_tasks takes its file from the free-form argument or file= (Ansible moves both to `include`).
    const { _raw_params: raw, file, ...rest } = task.args;
    const included = raw ?? file;
    const result: Record<string, unknown> = task.action === 'include_role' || task.action === 'import_role' ? { changed: false, include_args: task.args } : { changed: false, ...(included !== undefined ? { include: included } : {}), include_args: rest };
    this.module = task.action;
    for (const host of hosts) this.hostResult(host, 'ok', { ...result });
  }

  async close(): Promise<void> {}

  private hostResult(host: string, status: string, result: Record<string, unknown>): void {
    for (const w of (result.warnings as string[] | undefined) ?? []) this.options.warn(String(w));
    delete result.warnings;
    delete result.deprecations;
    // As Ansible hands callbacks a clean copy: the status is in the event, not in the result.
    delete result.failed;
    delete result.skipped;
    if (this.module === 'debug') delete result.invocation;
    if (this.options.treeDir && status !== 'skipped') this.writeTree(host, result);
    const o = this.options;
    if (o.diff && result.diff) {
      const text = diffText(result.diff, { context: o.diffContext ?? 3, color: o.color });
      if (text) o.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    const line = (text: string, color: ColorName) => o.write(`${paint(text, color, o.color)}\n`);
    if (status === 'skipped') return line(`${host} | SKIPPED`, 'skip');
    if (status === 'unreachable') {
      if (o.oneLine) return line(`${host} | UNREACHABLE!: ${String(result.msg ?? '')}`, 'unreachable');
      return line(`${host} | UNREACHABLE! => ${this.dump(result, 4)}`, 'unreachable');
    }
    const failed = status === 'failed' || status === 'ignored';
    const state = failed ? 'FAILED' : result.changed ? 'CHANGED' : 'SUCCESS';
    const color: ColorName = failed ? 'error' : result.changed ? 'changed' : 'ok';
    // Ansible's oneline callback shows a failed command as JSON like any other failure.
    const commandLike = COMMAND_LIKE.has(this.module) && !(failed ? o.oneLine || 'module_stderr' in result : 'ansible_job_id' in result);
    if (commandLike) return line(this.commandMessage(host, result, state), color);
    if (!failed && this.module === 'debug') this.cleanDebug(result);
    const mark = failed ? 'FAILED!' : state;
    if (o.oneLine) return line(`${host} | ${mark} => ${this.dump(result, 0).replace(/\n/g, '')}`, color);
    return line(`${host} | ${mark} => ${this.dump(result, 4)}`, color);
  }

  /** `host | CHANGED | rc=0 >>` then stdout, stderr and msg; with -o all on one line. */
  private commandMessage(host: string, result: Record<string, unknown>, state: string): string {
    const rc = result.rc ?? -1;
    const text = (key: string) => (typeof result[key] === 'string' ? (result[key] as string) : '');
    if (this.options.oneLine) {
      const flat = (s: string) => s.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
      const stderr = text('stderr') ? ` (stderr) ${flat(text('stderr'))}` : '';
      return `${host} | ${state} | rc=${rc} | (stdout) ${flat(text('stdout'))}${stderr}`;
    }
    return `${host} | ${state} | rc=${rc} >>\n${text('stdout')}${text('stderr')}${text('msg')}`;
  }

  /** debug shows its message alone (or its variable). */
  private cleanDebug(result: Record<string, unknown>): void {
    if ('msg' in result) {
      for (const key of Object.keys(result)) if (!DEBUG_KEYS.has(key) && !key.startsWith('_')) delete result[key];
    } else {
      for (const key of ['changed', 'invocation', 'failed', 'skipped']) delete result[key];
    }
  }

  /** Ansible's _dump_results: sorted JSON without internal keys, invocation and diff (below -vvv). */
  private dump(result: Record<string, unknown>, indent: number | undefined): string {
    const shown = stripInternal(result);
    if (this.options.verbosity < 3) {
      delete shown.invocation;
      delete shown.diff;
    }
    delete shown.exception;
    return pythonJson(shown, { indent, sortKeys: true });
  }

  private writeTree(host: string, result: Record<string, unknown>): void {
    const dir = this.options.treeDir!;
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, host), this.dump(result, undefined));
    } catch (err) {
      this.options.warn(`Unable to write to ${host}'s file: ${(err as Error).message}`);
    }
  }
}
