/**
 * module_defaults: argument values for a module, set on the play, a block, a
 * role or the task, as Ansible applies them. Every level's mapping (or list
 * of mappings) applies from the play down, a later one overriding an earlier
 * one per argument; an entry names the module by its short name, its fully
 * qualified name (`ansible.builtin.file`) or `ansible.legacy.`. The task's own
 * arguments win over every default. Action groups (`group/...`) belong to
 * collections' runtime metadata, which uxsv does not load: they apply to
 * nothing.
 */
import type { TaskNode, Vars } from '../loader/model.js';
import { asArray, scopeChain } from './keywords.js';

/** The names an entry may give the task's module (and, for service, the module it hands the task to). */
function namesOf(task: TaskNode, backend?: string): Set<string> {
  const names = new Set<string>(backend !== undefined ? [backend] : [task.module.name, ...(task.module.aliases ?? [])]);
  if (task.writtenAs && backend === undefined) names.add(task.writtenAs);
  for (const name of [...names]) {
    const short = name.replace(/^ansible\.(builtin|legacy)\./, '');
    if (!short.includes('.')) names.add(short).add(`ansible.builtin.${short}`).add(`ansible.legacy.${short}`);
  }
  return names;
}

/**
 * The defaults for the task's module, as written (rendered with the task's
 * arguments). `backend`: the module a service task runs as on this host
 * (systemd, sysvinit): Ansible's service action applies that module's
 * defaults under the service task's arguments.
 */
export function moduleDefaults(task: TaskNode, backend?: string): Vars {
  const layers = [...scopeChain(task.scope).map((s) => s.keywords.module_defaults), task.keywords.module_defaults];
  const names = namesOf(task, backend);
  const out: Vars = {};
  for (const layer of layers) {
    for (const entry of asArray(layer)) {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) continue;
      for (const [name, values] of Object.entries(entry as Vars)) {
        if (names.has(name) && values && typeof values === 'object' && !Array.isArray(values)) Object.assign(out, values);
      }
    }
  }
  return out;
}
