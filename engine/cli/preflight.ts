/**
 * What can be checked before the first task runs, so that a mistake there is
 * "bad input, nothing ran" (exit 1) and not a run stopped halfway, after
 * earlier plays changed hosts: every play's `hosts:` pattern (play vars,
 * extra vars and groups are all known before the run), and for each of its
 * hosts the inventory's group_vars/ and host_vars/ files (read lazily by the
 * run, where a broken one looked like a failed task) and the play's
 * vars_files.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Inventory } from '../inventory/index.js';
import type { Loader } from '../loader/playbook.js';
import type { Play, Playbook, Vars } from '../loader/model.js';
import { errorAt } from '../loader/validate.js';
import { positionOf } from '../loader/yaml.js';
import { playPattern } from '../runner/play.js';
import { VariableStore } from '../runner/vars.js';
import { Templar, TemplateError, lazyVars } from '../template/index.js';

export function preflight(playbooks: Playbook[], inventory: Inventory, loader: Loader, options: { extraVars: Vars; limit?: string }): void {
  const templar = new Templar();
  const store = new VariableStore(inventory, options.extraVars, { check: false, diff: false, verbosity: 0 });
  const loadedFiles = new Set<string>();
  playbooks.flatMap((pb) => pb.plays).forEach((play, index) => {
    const hosts = inventory.select(playPattern(play, options.extraVars, inventory, templar), options.limit);
    for (const host of hosts) {
      // Only the play's hosts: another group's vault-encrypted group_vars need no password for this run.
      inventory.hostVars(host, play.baseDir);
      checkVarsFiles(play, host, index === 0, { templar, store, loader, loadedFiles });
    }
  });
}

/**
 * vars_files names as the run renders them when the play starts, before its
 * facts are gathered. In the first play nothing else can define a variable,
 * so the check is exact; in a later play an undefined variable may be a fact
 * or set_fact of an earlier play, and is left to the play's start.
 */
function checkVarsFiles(play: Play, host: string, firstPlay: boolean, c: { templar: Templar; store: VariableStore; loader: Loader; loadedFiles: Set<string> }): void {
  const { loaded, path: playPath } = play.origin;
  play.varsFiles.forEach((entry, i) => {
    const at = [...playPath, 'vars_files', i];
    const pos = loaded ? positionOf(loaded, at) : undefined;
    const where = `${play.origin.file}${pos ? `:${pos.line}` : play.origin.line ? `:${play.origin.line}` : ''} vars_files`;
    const vars = lazyVars({ ...c.store.hostLevelVars(host), ...play.vars }, c.templar, where);
    let rendered: string[];
    try {
      rendered = (Array.isArray(entry) ? entry : [entry]).map((name) => String(c.templar.renderValue(name, vars, where)));
    } catch (err) {
      if (err instanceof TemplateError && err.details.variable && !firstPlay) return;
      throw err;
    }
    const found = rendered.map((f) => path.resolve(play.baseDir, f)).find((f) => existsSync(f));
    if (!found) throw errorAt(loaded, at, `vars file not found: ${rendered.join(' or ')}`);
    if (c.loadedFiles.has(found)) return;
    c.loader.loadVarsFile(found);
    c.loadedFiles.add(found);
  });
}
