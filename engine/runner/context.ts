/**
 * The ModuleContext a module gets for one task on one host (one loop item):
 * the host's connection with the task's become, environment and timeout
 * applied, the task's variables, templating, and file lookup on the
 * controller.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BecomeSpec, Connection } from '../connection/types.js';
import { UserError } from '../errors.js';
import type { TaskNode, Vars } from '../loader/model.js';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import type { Templar } from '../template/index.js';
import { location } from './keywords.js';

/** What an EXEC line shows in place of the module's command. */
const MODULE_COMMAND = '<module command>';

export interface ContextSettings {
  check: boolean;
  diff: boolean;
  timeoutMs: number;
  become?: BecomeSpec;
  environment: Record<string, string>;
  verbosity: number;
  /** no_log: the commands the task runs are not shown (EXEC lines at -vvv). */
  noLog?: boolean;
  /** ansible_search_path of the task. */
  searchPath: string[];
}

export interface ContextHost {
  templar: Templar;
  connection(host: string): Promise<Connection>;
  openedConnection(host: string): Connection;
  hostVars(host: string): Record<string, unknown>;
  loadVarsFile(file: string): Vars;
  asyncStatus(jid: string, mode: 'status' | 'cleanup', host: string): ModuleResult;
  /** A line of -v output (the commands run, from -vvv). */
  verbose?(level: number, message: string, host: string): void;
  native: boolean;
}

/** What the runner learns from the commands a module ran: output the connection had to cut, and whether it reached a host at all. */
export interface Observed {
  truncated?: { stdout: number; stderr: number };
  /** The module ran a command or used a connection (its own host's or another's): it may have changed a host. */
  touched?: boolean;
}

export function moduleContext(task: TaskNode, target: string, vars: Vars, settings: ContextSettings, host: ContextHost, observed: Observed = {}): ModuleContext {
  let conn: Connection | undefined;
  const getConn = async () => (conn ??= await host.connection(target));
  return {
    host: target,
    // The raw connection, for modules that need it after their first `run` (which opens it).
    get conn(): Connection {
      observed.touched = true;
      return conn ?? host.openedConnection(target);
    },
    async run(command, options = {}) {
      observed.touched = true;
      const c = await getConn();
      const { become: becomeOption, ...rest } = options;
      const become = becomeOption === false ? undefined : (becomeOption ?? settings.become);
      const execOptions = { timeoutMs: settings.timeoutMs, ...rest, env: { ...settings.environment, ...(rest.env ?? {}) }, become };
      // As Ansible's EXEC lines: how the host's shell is entered (become included), not the task's own
      // command, environment or arguments (the module's business, and possibly secret).
      if (settings.verbosity >= 3 && !settings.noLog && c.describe && host.verbose) host.verbose(3, `EXEC ${c.describe(MODULE_COMMAND, { become })}`, target);
      const result = await c.exec(command, execOptions);
      if (result.truncated) {
        const t = (observed.truncated ??= { stdout: 0, stderr: 0 });
        t.stdout += result.truncated.stdout ?? 0;
        t.stderr += result.truncated.stderr ?? 0;
      }
      return result;
    },
    become: settings.become,
    check: settings.check,
    diff: settings.diff,
    vars,
    renderTemplate: (text, source, options) => host.templar.render(text, vars, source, options),
    evaluate: (expr, source) => host.templar.evaluate(expr, vars, source),
    isTrue: (condition, source) => host.templar.isTrue(condition, vars, source),
    findFile: (kind, name) => findFile(task, settings.searchPath, kind, name),
    connectionFor: (other) => {
      observed.touched = true;
      return host.connection(other);
    },
    hostVars: (other) => host.hostVars(other),
    location: location(task),
    verbosity: settings.verbosity,
    timeoutMs: settings.timeoutMs,
    searchPath: settings.searchPath,
    loadVarsFile: (file) => host.loadVarsFile(file),
    asyncStatus: (jid, mode) => host.asyncStatus(jid, mode, target),
    native: host.native,
  };
}

/**
 * A controller file for `src:` (copy: 'files', template: 'templates',
 * include_vars: 'vars'), searched as Ansible does: for each folder of the
 * task's search path, `<dir>/<kind>/<name>`, then `<dir>/<name>` (a task
 * file in a role's tasks/ folder also tries the role's `<kind>/`).
 */
export function findFile(task: TaskNode, searchPath: string[], kind: 'files' | 'templates' | 'vars', name: string): string {
  if (path.isAbsolute(name)) {
    if (existsSync(name)) return name;
    throw new UserError(fileNotFound(name, []), { file: task.origin.file, line: task.origin.line });
  }
  const candidates = name ? searchCandidates(searchPath, kind, name) : [];
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw new UserError(fileNotFound(name, candidates), { file: task.origin.file, line: task.origin.line });
}

/** Ansible's words for a controller file that is not there (scripts and tests look for them). */
export function fileNotFound(name: string, searched: string[]): string {
  let message = name ? `Could not find or access '${name}'` : 'Could not find file';
  if (searched.length) message += `\nSearched in:\n\t${searched.join('\n\t')}`;
  return `${message} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`;
}

export function searchCandidates(searchPath: string[], kind: string, name: string): string[] {
  const candidates: string[] = [];
  for (const dir of searchPath) {
    if (path.basename(dir) === 'tasks') candidates.push(path.join(path.dirname(dir), kind, name));
    candidates.push(path.join(dir, kind, name), path.join(dir, name));
  }
  return [...new Set(candidates)];
}

export function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
