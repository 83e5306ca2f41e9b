/**
 * Ansible warns when a play's variables use a name it reserves: a keyword of
 * plays, roles, blocks or tasks, or a function of the templates (`range`,
 * `lipsum`, ...): such a variable hides the keyword or the function.
 */
import type { Vars } from '../loader/model.js';

const KEYWORDS = [
  'action', 'always', 'any_errors_fatal', 'args', 'async', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'block',
  'changed_when', 'check_mode', 'collections', 'connection', 'debugger', 'delay', 'delegate_facts', 'delegate_to', 'diff', 'environment',
  'fact_path', 'failed_when', 'force_handlers', 'gather_facts', 'gather_subset', 'gather_timeout', 'handlers', 'hosts', 'ignore_errors',
  'ignore_unreachable', 'local_action', 'loop', 'loop_control', 'max_fail_percentage', 'module_defaults', 'name', 'no_log', 'notify', 'order',
  'poll', 'port', 'post_tasks', 'pre_tasks', 'register', 'remote_user', 'rescue', 'retries', 'roles', 'run_once', 'serial', 'strategy', 'tags',
  'tasks', 'throttle', 'timeout', 'until', 'vars_files', 'vars_prompt', 'when', 'with_',
];
const TEMPLATE_GLOBALS = ['range', 'lipsum', 'dict', 'cycler', 'joiner', 'namespace', 'lookup', 'query', 'q', 'now', 'undef'];

const RESERVED = new Set([...KEYWORDS, ...TEMPLATE_GLOBALS]);

/** The reserved names among these variables, in order. */
export function reservedNames(vars: Vars): string[] {
  return Object.keys(vars).filter((name) => name !== 'vars' && RESERVED.has(name));
}
