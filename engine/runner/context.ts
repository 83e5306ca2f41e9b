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
import type { ModuleContext } from '../modules/types.js';
import type { Templar } from '../template/index.js';
import { location } from './keywords.js';

export interface ContextSettings {
  check: boolean;
  diff: boolean;
  timeoutMs: number;
  become?: BecomeSpec;
  environment: Record<string, string>;
  verbosity: number;
  /** ansible_search_path of the task. */
  searchPath: string[];
}

export interface ContextHost {
  templar: Templar;
  connection(host: string): Promise<Connection>;
  openedConnection(host: string): Connection;
  hostVars(host: string): Record<string, unknown>;
  loadVarsFile(file: string): Vars;
}

export function moduleContext(task: TaskNode, target: string, vars: Vars, settings: ContextSettings, host: ContextHost): ModuleContext {
  let conn: Connection | undefined;
  const getConn = async () => (conn ??= await host.connection(target));
  return {
    host: target,
    // The raw connection, for modules that need it after their first `run` (which opens it).
    get conn(): Connection {
      return conn ?? host.openedConnection(target);
    },
    async run(command, options = {}) {
      const c = await getConn();
      const { become: becomeOption, ...rest } = options;
      const become = becomeOption === false ? undefined : (becomeOption ?? settings.become);
      return c.exec(command, { timeoutMs: settings.timeoutMs, ...rest, env: { ...settings.environment, ...(rest.env ?? {}) }, become });
    },
    become: settings.become,
    check: settings.check,
    diff: settings.diff,
    vars,
    renderTemplate: (text, source, options) => host.templar.render(text, vars, source, options),
    evaluate: (expr, source) => host.templar.evaluate(expr, vars, source),
    isTrue: (condition, source) => host.templar.isTrue(condition, vars, source),
    findFile: (kind, name) => findFile(task, settings.searchPath, kind, name),
    connectionFor: (other) => host.connection(other),
    hostVars: (other) => host.hostVars(other),
    location: location(task),
    verbosity: settings.verbosity,
    timeoutMs: settings.timeoutMs,
    searchPath: settings.searchPath,
    loadVarsFile: (file) => host.loadVarsFile(file),
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
    throw new UserError(`${kind === 'templates' ? 'template' : 'file'} not found: ${name}`, { file: task.origin.file, line: task.origin.line });
  }
  const candidates = searchCandidates(searchPath, kind, name);
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  throw new UserError(`could not find ${kind === 'templates' ? 'template' : kind === 'vars' ? 'vars file' : 'file'} '${name}' (looked in ${candidates.join(', ')})`, { file: task.origin.file, line: task.origin.line });
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
