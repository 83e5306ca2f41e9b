/**
 * What a task's keywords make of its run on a host: check and diff mode,
 * delegation, timeout, become, environment, and its arguments rendered and
 * checked. The executor uses it for the task it runs; read-ahead-plan.ts for
 * the tasks ahead.
 */
import type { BecomeSpec } from '../connection/types.js';
import { UserError } from '../errors.js';
import { checkArgsRuntime, dropOmitted } from '../loader/args.js';
import type { TaskNode, Vars } from '../loader/model.js';
import { untag } from '../template/trust.js';
import { toBool } from '../values.js';
import { environmentLayers, keyword } from './keywords.js';
import type { PlayDefaults, RunOptions } from './options.js';
import { OMIT_TOKEN } from './vars.js';

export type Render = (value: unknown, what: string) => unknown;

export interface TaskSettings {
  check: boolean;
  diff: boolean;
  delegateTo?: string;
  /** The task's `timeout` keyword (0: none). */
  timeoutSec: number;
  timeoutMs: number;
  become?: BecomeSpec;
  environment: Record<string, string>;
}

export function taskSettings(task: TaskNode, vars: Vars, render: Render, options: RunOptions): TaskSettings {
  const checkKeyword = keyword(task, 'check_mode');
  const check = checkKeyword === undefined ? options.check : toBool(render(checkKeyword, 'check_mode'), false);
  const diffKeyword = keyword(task, 'diff');
  const diff = diffKeyword === undefined ? options.diff : toBool(render(diffKeyword, 'diff'), false);
  const delegateRaw = keyword(task, 'delegate_to');
  const delegateTo = delegateRaw !== undefined && delegateRaw !== null ? String(untag(render(delegateRaw, 'delegate_to'))) : undefined;
  const timeoutRaw = keyword(task, 'timeout');
  const timeoutSec = timeoutRaw !== undefined ? Number(render(timeoutRaw, 'timeout')) : 0;
  const timeoutMs = 1000 * (timeoutSec > 0 ? timeoutSec : options.taskTimeoutSec);
  const become = becomeFor(task, vars, render, options.defaults);
  const environment: Record<string, string> = {};
  for (const layer of environmentLayers(task)) {
    const rendered = untag(render(layer, 'environment'));
    for (const d of Array.isArray(rendered) ? rendered : [rendered]) if (d && typeof d === 'object') for (const [k, v] of Object.entries(d as Vars)) environment[k] = String(v);
  }
  return { check, diff, ...(delegateTo !== undefined ? { delegateTo } : {}), timeoutSec, timeoutMs, become, environment };
}

/**
 * The module's arguments, rendered, with omitted values dropped, checked
 * against its schema: the arguments, or a failed result's message. `warn`
 * hears the warning about `args` given as a variable.
 */
export function moduleArgs(task: TaskNode, render: Render, where: string, warn: (message: string) => void): { args: Vars } | { failure: string } {
  let args = render(task.args, 'arguments');
  if (!args || typeof args !== 'object' || Array.isArray(args)) throw new UserError(`arguments of ${task.moduleName} must render to a mapping`, { file: task.origin.file, line: task.origin.line });
  if (task.variableParams !== undefined) {
    const extra = untag(render(task.variableParams, 'arguments'));
    if (!extra || typeof extra !== 'object' || Array.isArray(extra)) return { failure: `invalid or malformed argument: '${String(extra)}'` };
    warn("Using a variable for a task's 'args' is unsafe in some situations (see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)");
    args = { ...(extra as Vars), ...(args as Vars) };
  }
  args = dropOmitted(untag(args as Vars), OMIT_TOKEN);
  const checked = checkArgsRuntime(task.module, args as Vars);
  if ('problem' in checked) return { failure: `${where}: ${checked.problem.message}` };
  return { args: checked.args };
}

/**
 * Privilege escalation for the task. As in Ansible, the connection variables
 * (ansible_become, ansible_become_user, ...) win over the keywords, which win
 * over the command line's defaults.
 */
export function becomeFor(task: TaskNode, vars: Vars, render: Render, defaults: PlayDefaults = {}): BecomeSpec | undefined {
  const pick = (varName: string, keywordName: string, fallback: unknown): unknown => {
    if (vars[varName] !== undefined) return vars[varName];
    const kw = keyword(task, keywordName);
    if (kw !== undefined) return render(kw, keywordName);
    return fallback;
  };
  if (!toBool(pick('ansible_become', 'become', defaults.become ?? false), false)) return undefined;
  const user = String(untag(pick('ansible_become_user', 'become_user', defaults.becomeUser ?? 'root')));
  const method = String(untag(pick('ansible_become_method', 'become_method', defaults.becomeMethod ?? 'sudo')));
  const password = vars.ansible_become_password ?? vars.ansible_become_pass ?? defaults.becomePassword;
  return { user, ...(method !== 'sudo' ? { method } : {}), ...(password !== undefined ? { password: String(untag(password)) } : {}) } as BecomeSpec;
}
