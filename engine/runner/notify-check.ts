/**
 * A notify that names no handler is a mistake in the playbook. Ansible finds
 * it only when the task notifies; when the play has no dynamic include (which
 * could bring more handlers), uxsv refuses it before anything runs.
 */
import { Templar } from '../template/index.js';
import { UserError } from '../errors.js';
import type { Node, Play } from '../loader/model.js';
import { asStringList } from './keywords.js';

export function checkNotifyTargets(play: Play): void {
  const nodes = [...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks, ...play.handlers];
  if (hasDynamicInclude(nodes)) return;
  const names = new Set<string>();
  for (const h of play.handlers) {
    if (h.name) names.add(h.name);
    if (h.name && h.scope.role) names.add(`${h.scope.role.name} : ${h.name}`);
    for (const l of h.handler?.listen ?? []) names.add(l);
  }
  if ([...names].some((n) => Templar.isTemplate(n))) return;
  const visit = (list: Node[]) => {
    for (const n of list) {
      if (n.kind === 'block') visit([...n.block, ...n.rescue, ...n.always]);
      if (n.kind !== 'task') continue;
      for (const target of asStringList(n.keywords.notify)) {
        if (Templar.isTemplate(target) || names.has(target)) continue;
        // Ansible's words first (scripts look for them), then where.
        throw new UserError(`${missingHandlerMessage(target)} (${n.origin.file}:${n.origin.line ?? 0}:${n.origin.col ?? 0})`);
      }
    }
  };
  visit(nodes);
}

/** Ansible's words for a notification that no handler takes. */
export function missingHandlerMessage(name: string): string {
  return `The requested handler '${name}' was not found in either the main handlers list nor in the listening handlers list`;
}

function hasDynamicInclude(nodes: Node[]): boolean {
  return nodes.some((n) => (n.kind === 'block' ? hasDynamicInclude([...n.block, ...n.rescue, ...n.always]) : n.kind === 'include_tasks' || n.kind === 'include_role'));
}
