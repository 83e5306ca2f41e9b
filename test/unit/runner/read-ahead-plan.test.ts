/**
 * Planning reads ahead (engine/runner/read-ahead-plan.ts): a plan is kept
 * with the variables it read, and used again (nothing rendered) while they
 * are the same, also after the cache was forgotten; a changed variable is
 * planned again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Inventory } from '../../../engine/inventory/index.js';
import type { TaskNode, Vars } from '../../../engine/loader/model.js';
import { Loader } from '../../../engine/loader/playbook.js';
import { modules } from '../../../engine/modules/registry.js';
import type { RunOptions } from '../../../engine/runner/options.js';
import { plannedReads, preparedAhead, type PlanMemo } from '../../../engine/runner/read-ahead-plan.js';
import { VariableStore } from '../../../engine/runner/vars.js';
import { Templar } from '../../../engine/template/templar.js';

const scratch = mkdtempSync(join(tmpdir(), 'uxsv-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

class CountingTemplar extends Templar {
  renders = 0;
  override renderValue(value: unknown, vars: Record<string, unknown>, source: string): unknown {
    this.renders++;
    return super.renderValue(value, vars, source);
  }
}

function setup(tasks: string) {
  const loader = new Loader({ modules });
  const play = loader.loadPlaybookText(`- hosts: localhost\n  gather_facts: false\n  vars:\n    dir: /srv/a\n  tasks:\n${tasks}`, 'plan.yml', scratch).plays[0]!;
  const store = new VariableStore(Inventory.empty(), {}, { check: false, diff: false, verbosity: 0 });
  const templar = new CountingTemplar();
  const memo = new WeakMap<object, PlanMemo>();
  const deps = { store, templar, options: { check: false, diff: false } as RunOptions, play: { play, varsFiles: new Map<string, Vars>(), playHosts: ['localhost'], batchHosts: ['localhost'] }, memo };
  const plan = () => {
    const before = templar.renders;
    const paths = plannedReads(deps, 'localhost', play.tasks as TaskNode[]).flatMap((r) => r.requests.map(([, params]) => (params as Array<{ path: string }>)[0]!.path));
    return { paths, renders: templar.renders - before };
  };
  const varsOf = (task: TaskNode) => store.taskVars('localhost', deps.play, task.scope, task.keywords.vars as Vars | undefined, { ansible_search_path: [scratch] });
  return { plan, store, memo, tasks: play.tasks as TaskNode[], varsOf };
}

describe('planning reads ahead', () => {
  it('uses a plan again while the variables it read are the same, and plans again when one changed', () => {
    const { plan, store } = setup(
      '    - stat: { path: "{{ dir }}/one" }\n' +
      '    - stat: { path: "/srv/{{ other }}/two" }\n' +
      '    - file: { path: "{{ item }}", state: directory }\n      loop: ["{{ dir }}/x", "{{ dir }}/y"]\n',
    );
    const first = plan();
    // `other` is not known yet: that task reads for itself.
    expect(first.paths).toEqual(['/srv/a/one', '/srv/a/x', '/srv/a/y']);
    expect(first.renders).toBeGreaterThan(0);
    // As after the cache was forgotten: the same variables, nothing rendered for the tasks planned before.
    const again = plan();
    expect(again.paths).toEqual(first.paths);
    const unplanned = plan().renders;
    expect(unplanned).toBeLessThan(first.renders);
    // A registered result or set_fact changes a variable a plan read: that plan is made again, with the new value.
    store.setRuntime('localhost', { dir: '/srv/b', other: 'o' });
    const changed = plan();
    expect(changed.paths).toEqual(['/srv/b/one', '/srv/o/two', '/srv/b/x', '/srv/b/y']);
    expect(changed.renders).toBeGreaterThan(unplanned);
    // A variable no plan read changes nothing.
    store.setRuntime('localhost', { unrelated: 1 });
    expect(plan()).toEqual({ paths: changed.paths, renders: 0 });
  });

  it("gives a task's run the keywords and arguments it rendered, while the variables they read are the same", () => {
    const { plan, store, memo, tasks, varsOf } = setup(
      '    - stat: { path: "{{ dir }}/one" }\n      become: "{{ elevated }}"\n      vars: { elevated: true }\n' +
      '    - file: { path: "{{ item }}", state: directory }\n      loop: ["{{ dir }}/x"]\n',
    );
    plan();
    const [stat, loop] = tasks as [TaskNode, TaskNode];
    const prepared = preparedAhead(memo, stat, varsOf(stat));
    expect(prepared?.args).toMatchObject({ path: '/srv/a/one' });
    expect(prepared?.settings.become).toMatchObject({ user: 'root' });
    // The run's own copy: changing it changes nothing kept.
    prepared!.args.path = '/elsewhere';
    expect(preparedAhead(memo, stat, varsOf(stat))?.args.path).toBe('/srv/a/one');
    // A loop's items are rendered by the run.
    expect(preparedAhead(memo, loop, varsOf(loop))).toBeUndefined();
    // A variable it read has changed since: the run renders them itself.
    store.setRuntime('localhost', { dir: '/srv/b' });
    expect(preparedAhead(memo, stat, varsOf(stat))).toBeUndefined();
  });
});
