/**
 * Dynamic includes (include_tasks, include_role): after an include ran, the
 * files it asked for are loaded — once for each distinct file, arguments and
 * loop item, for all the hosts that asked for the same — and their tasks go
 * into each of those hosts' place in the play (the iterator). As in Ansible,
 * the include's own keywords apply only to the include; `apply:` and `vars`
 * (and the loop item) carry over to the included tasks.
 */
import path from 'node:path';
import { ParserError, UserError } from '../errors.js';
import type { BlockNode, HandlerNode, IncludeNode, MetaNode, Node, RoleScope, Scope, TaskNode, Vars } from '../loader/model.js';
import { BLOCK_AS_HANDLER, nestedHandlerBlock } from '../loader/playbook.js';
import { untag } from '../template/trust.js';
import type { IncludeRequest, TaskOutcome } from './executor.js';
import { filterSelected, type PlayRun } from './play-run.js';
import { tasksOf, type RunnableNode } from './iterator.js';
import { asStringList, location, taskTitle } from './keywords.js';
import { roleChain } from './vars.js';

/** Dynamic includes nested deeper than this fail (a file that includes itself with no condition to end it). */
export const MAX_INCLUDE_DEPTH = 100;

interface IncludedFile {
  node: IncludeNode;
  request: IncludeRequest;
  hosts: string[];
}

export async function loadIncludes(play: PlayRun, outcomes: TaskOutcome[]): Promise<void> {
  const groups = new Map<string, IncludedFile>();
  for (const o of outcomes) {
    if (o.task.kind === 'task' || !o.includes?.length) continue;
    if (o.status === 'failed' || o.status === 'skipped' || o.status === 'unreachable') continue;
    for (const request of o.includes) {
      const key = `${o.task.id}\0${JSON.stringify(untag(request.args))}\0${JSON.stringify(untag(request.itemVars))}`;
      const group = groups.get(key);
      if (group) group.hosts.push(o.host);
      else groups.set(key, { node: o.task, request, hosts: [o.host] });
    }
  }
  // Each host gets its blocks in include order (loop items in order), inserted at once.
  const perHost = new Map<string, BlockNode[]>();
  const ordered: RunnableNode[] = [];
  for (const included of groups.values()) {
    let blocks: BlockNode[];
    try {
      blocks = load(play, included);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      failInclude(play, included, err);
      if (err instanceof ParserError) throw err;
      // The include failed on these hosts: any_errors_fatal and max_fail_percentage count it.
      for (const o of outcomes) if (o.task === included.node && included.hosts.includes(o.host)) o.status = 'failed';
      continue;
    }
    if (included.node.kind === 'include_tasks') {
      const item = Object.keys(included.request.itemVars).length ? included.request.itemVars[String(included.request.itemVars.ansible_loop_var ?? 'item')] : undefined;
      play.run.emit({ type: 'include', taskId: included.node.id, file: included.request.file ?? '', hosts: included.hosts, ...(item !== undefined ? { item: untag(item) } : {}) });
    }
    const kept = filterSelected(blocks, (n) => play.selected(n)) as BlockNode[];
    if (included.node.handler) {
      // Tasks included by a handler run as handlers where that handler ran.
      for (const t of kept.flatMap(tasksOf)) if (t.kind === 'task') for (const host of included.hosts) play.notifyHandler(t, host);
    }
    for (const host of included.hosts) perHost.set(host, [...(perHost.get(host) ?? []), ...kept]);
    ordered.push(...kept.flatMap(tasksOf));
  }
  for (const [host, blocks] of perHost) play.iterator.insert(host, blocks, []);
  play.iterator.addToOrder(ordered);
}

/** The include could not be done on these hosts (missing file, syntax error): it fails there. */
function failInclude(play: PlayRun, included: IncludedFile, err: UserError): void {
  for (const host of included.hosts) {
    const record = play.run.host(host);
    record.stats.failed++;
    play.iterator.markFailed(host);
    play.run.emit({
      type: 'host_result', taskId: included.node.id, task: taskTitle(included.node), host, status: 'failed',
      result: { changed: false, failed: true, msg: err.format() }, durationMs: 0, noLog: false,
    });
  }
}

function load(play: PlayRun, included: IncludedFile): BlockNode[] {
  const { node, request } = included;
  let depth = 0;
  for (let s: Scope | undefined = node.scope; s; s = s.parent) if (s.kind === 'include' && s.dynamic) depth++;
  if (depth >= MAX_INCLUDE_DEPTH) {
    throw new UserError(`${node.kind} '${String(request.file ?? request.args.name)}' is nested more than ${MAX_INCLUDE_DEPTH} levels deep: an include of itself (directly or through others) needs a condition that ends it`, { file: node.origin.file, line: node.origin.line, col: node.origin.col });
  }
  const applied = (request.args.apply as Vars | undefined) ?? {};
  const params: Vars = { ...((node.keywords.vars as Vars | undefined) ?? {}), ...request.itemVars };
  for (const [k, v] of Object.entries(request.args)) if (!INCLUDE_OPTIONS.has(k)) params[k] = v;
  const scope: Scope = { parent: node.scope, kind: 'include', keywords: { ...applied, vars: params }, role: node.scope.role, baseDir: node.scope.baseDir, dynamic: true };
  // The include's own tags stay on the include; the play's, blocks' and roles' around it reach the included tasks, with `apply`'s.
  const tags = [...inheritedTags(node.scope), ...asStringList(applied.tags)];
  const loader = play.run.loader;
  let nodes: Node[];
  if (node.kind === 'include_tasks') {
    const file = String(request.file);
    const found = loader.resolveTaskFile(file, node.scope, node.origin.file, node.handler !== undefined);
    if (!found) throw new UserError(`Could not find or access '${file}' on the Ansible Controller (looked in ${loader.taskFileCandidates(file, node.scope, node.origin.file, node.handler !== undefined).join(', ')})`, { file: node.origin.file, line: node.origin.line });
    request.file = found;
    const loadedTasks = loader.collectImports(() => loader.loadTaskFile(found, { ...scope, baseDir: node.scope.role ? node.scope.baseDir : path.dirname(found) }, tags));
    nodes = loadedTasks.value;
    adopt(play, loadedTasks.roles, loadedTasks.handlers);
    if (node.handler) markHandlers(nodes);
  } else {
    const args = request.args;
    // include_role runs the role again even if the play has it; its dependencies run once per play.
    const loadedRole = loader.collectImports(() => loader.loadRoleRef({ role: args.name, ...(args.vars ? { vars: args.vars } : {}) }, node.origin.loaded!, node.origin.path, scope, node.scope.baseDir, tags, play.play.roleKeys, args, roleChain(node.scope), false));
    const role = loadedRole.value;
    adopt(play, loadedRole.roles, loadedRole.handlers);
    if (args.public === true || args.public === 'yes' || args.public === 'true') play.play.roles.push(...role.scopes.filter((r) => !play.play.roles.includes(r)));
    play.handlers.push(...role.handlers);
    nodes = role.tasks;
  }
  return [{ kind: 'block', id: node.id, block: nodes, rescue: [], always: [], scope, origin: node.origin, tags: [] }];
}

/** What import_role brought inside an include: its handlers are the play's, its roles' variables visible. */
function adopt(play: PlayRun, roles: RoleScope[], handlers: HandlerNode[]): void {
  play.play.roles.push(...roles.filter((r) => !play.play.roles.includes(r)));
  play.handlers.push(...handlers);
}

/** Tasks included from a handler are handlers themselves. */
function markHandlers(nodes: Node[]): void {
  // As in the play's handlers: a block at the file's top is its implicit block, one inside it is refused.
  const nested = nestedHandlerBlock(nodes);
  if (nested) throw new ParserError(BLOCK_AS_HANDLER, { file: nested.origin.file, line: nested.origin.line });
  for (const t of nodes.flatMap(tasksOf)) if (t.kind === 'task' || t.kind === 'meta') (t as TaskNode | MetaNode).handler = { listen: [] };
}

function inheritedTags(scope: Scope): string[] {
  const out: string[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) out.push(...asStringList(s.keywords.tags).flatMap((t) => t.split(',').map((x) => x.trim())));
  return [...new Set(out)];
}

const INCLUDE_OPTIONS = new Set(['file', '_raw_params', 'name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'apply', 'allow_duplicates', 'public', 'rolespec_validate', 'vars']);

export function includeLocation(node: IncludeNode): string {
  return location(node);
}
