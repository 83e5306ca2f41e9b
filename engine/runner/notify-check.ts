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
        throw new UserError(`notify: no handler named or listening to '${target}'`, { file: n.origin.file, line: n.origin.line, col: n.origin.col });
      }
    }
  };
  visit(nodes);
}

function hasDynamicInclude(nodes: Node[]): boolean {
  return nodes.some((n) => (n.kind === 'block' ? hasDynamicInclude([...n.block, ...n.rescue, ...n.always]) : n.kind === 'include_tasks' || n.kind === 'include_role'));
}
