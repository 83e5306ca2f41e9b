/**
 * What a task's keywords make of its run on a host: check and diff mode,
 * delegation, timeout, become, environment, and its arguments rendered and
 * checked. The executor uses it for the task it runs; read-ahead-plan.ts for
 * the tasks ahead.
 */
import { userInfo } from 'node:os';
import type { BecomeSpec } from '../connection/types.js';
import { UserError } from '../errors.js';
import { checkArgsRuntime, dropOmitted } from '../loader/args.js';
import type { TaskNode, Vars } from '../loader/model.js';
import { TemplateError, plainViews } from '../template/index.js';
import { untag } from '../template/trust.js';
import { toBool } from '../values.js';
import { environmentLayers, keyword, location, scopeChain } from './keywords.js';
import { moduleDefaults } from './module-defaults.js';
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
/** Ansible's _ACTION_WITH_CLEAN_FACTS: their values keep their own tags (results of the others are wrapped as unsafe). */
export const CLEAN_FACTS_ACTIONS = new Set(['set_fact', 'include_vars']);

/** A service task's defaults of the module it runs as here: systemd under systemd, else sysvinit (Ansible's service action). */
function serviceBackendDefaults(task: TaskNode, render: Render): Vars {
  const anyDefaults = task.keywords.module_defaults !== undefined || scopeChain(task.scope).some((s) => s.keywords.module_defaults !== undefined);
  if (task.module.name !== 'service' || !anyDefaults) return {};
  const manager = String(untag(render("{{ ansible_service_mgr | default('') }}", 'service manager')));
  return moduleDefaults(task, manager === 'systemd' ? 'systemd' : 'sysvinit');
}

export function moduleArgs(task: TaskNode, render: Render, where: string, warn: (message: string) => void): { args: Vars } | { failure: string } {
  let args: unknown;
  const defaults = { ...serviceBackendDefaults(task, render), ...moduleDefaults(task) };
  try {
    args = render(Object.keys(defaults).length && typeof task.args === 'object' ? { ...defaults, ...task.args } : task.args, 'arguments');
  } catch (err) {
    // Thrown on: like any error preparing the task, it ends the whole loop.
    const undefinedVariable = undefinedVariableMessage(err, task);
    throw undefinedVariable === undefined ? err : new Error(undefinedVariable);
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) throw new UserError(`arguments of ${task.moduleName} must render to a mapping`, { file: task.origin.file, line: task.origin.line });
  if (task.variableParams !== undefined) {
    const extra = untag(render(task.variableParams, 'arguments'));
    if (!extra || typeof extra !== 'object' || Array.isArray(extra)) return { failure: `invalid or malformed argument: '${String(extra)}'` };
    warn("Using a variable for a task's 'args' is unsafe in some situations (see https://docs.ansible.com/ansible/devel/reference_appendices/faq.html#argsplat-unsafe)");
    args = { ...(extra as Vars), ...(args as Vars) };
  }
  // hostvars (or a host's variables from it) taken whole are plain data from here on: arguments are copied and sent.
  const tagged = plainViews(args as Vars);
  const checked = checkArgsRuntime(task.module, dropOmitted(untag(tagged), OMIT_TOKEN));
  if ('problem' in checked) return { failure: `${where}: ${checked.problem.message}` };
  // set_fact and include_vars keep their values' tags: an unsafe value stays unsafe in the variable it becomes.
  const out = CLEAN_FACTS_ACTIONS.has(task.module.name) ? withTagsKept(checked.args, tagged, task.module) : checked.args;
  for (const key of task.module.rawListArgs ?? []) {
    const raw = typeof task.args === 'object' ? task.args[key] : undefined;
    if (Array.isArray(raw)) out[key] = raw;
  }
  return { args: out };
}

/**
 * The checked arguments, but the free-form values (those the module's
 * schema does not declare) as they were rendered, tags and all.
 */
function withTagsKept(checked: Vars, tagged: Vars, mod: { schema: unknown }): Vars {
  const declared = new Set(Object.keys((mod.schema as { properties?: Vars }).properties ?? {}));
  const out: Vars = { ...checked };
  for (const [k, v] of Object.entries(tagged)) if (!declared.has(k) && k in checked) out[k] = v;
  return out;
}

/**
 * Ansible's message for a task argument that needs an undefined variable
 * (scripts and tests look for "undefined variable"), with where the task is.
 */
function undefinedVariableMessage(err: unknown, task: TaskNode): string | undefined {
  if (!(err instanceof TemplateError) || err.details.pythonType !== 'UndefinedError' || err.details.reason === undefined) return undefined;
  const reason = err.details.reason;
  return `The task includes an option with an undefined variable. The error was: ${reason}. ${reason} (${location(task)})`;
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
  if (method !== 'sudo' && method !== 'ansible.builtin.sudo') {
    // Becoming the user one logs in as changes no user: Ansible skips it (or, with become_allow_same_user, sudo gives that same user).
    const login = String(untag(pick('ansible_user', 'remote_user', vars.ansible_ssh_user ?? defaults.remoteUser ?? userInfo().username)));
    if (user === login && !defaults.becomeAllowSameUser) return undefined;
    // Running as another user than the one asked for would be worse than not running: other methods are refused.
    if (user !== login) throw new UserError(`become_method '${method}' is not supported: uxsv becomes another user with sudo only`, { file: task.origin.file, line: task.origin.line });
  }
  const password = vars.ansible_become_password ?? vars.ansible_become_pass ?? defaults.becomePassword;
  return { user, ...(password !== undefined ? { password: String(untag(password)) } : {}), ...(defaults.becomeAllowSameUser ? { allowSameUser: true } : {}) } as BecomeSpec;
}
