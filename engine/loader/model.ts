/**
 * What the loader produces and the runner walks. Keyword values stay raw
 * (templates unrendered): they are rendered per host at run time.
 */
import type { LoadedYaml, DataPath } from './yaml.js';
import type { Module } from '../modules/types.js';

export type Vars = Record<string, unknown>;

/** Where something was written, for messages. */
export interface Origin {
  file: string;
  line?: number;
  col?: number;
  loaded?: LoadedYaml;
  path: DataPath;
}

export interface RoleScope {
  name: string;
  path: string;
  defaults: Vars;
  vars: Vars;
  /** Parameters given where the role was used (`- role: x` + keys, or `vars:`). */
  params: Vars;
  /** The roles that pulled this one in as a dependency, outermost first (empty for a role the play names). */
  parents: string[];
  /** Pulled in through another role's meta/main.yml dependencies. */
  dependency?: boolean;
  /** meta/main.yml allow_duplicates. */
  allowDuplicates?: boolean;
  /** Its meta/main.yml dependencies, as loaded (a dependency run earlier in the play is that same instance). */
  dependencies: RoleScope[];
  /** The roles that pulled this one in (dependencies, or a role whose task imports it), outermost first: Ansible's dependency chain. */
  dependents: RoleScope[];
}

/** Keywords that a task inherits from enclosing blocks, roles and the play. */
export interface Scope {
  parent?: Scope;
  kind: 'play' | 'role' | 'block' | 'include';
  keywords: Vars;
  role?: RoleScope;
  /** Folder for relative lookups (role dir or playbook dir). */
  baseDir: string;
  /** Made by a dynamic include (include_tasks, include_role): its `vars` are include params (precedence 21), not task vars. */
  dynamic?: boolean;
}

export interface TaskNode {
  kind: 'task';
  id: number;
  name?: string;
  moduleName: string;
  /** The action as the task wrote it, when it differs from moduleName: an unnamed task's title, as Ansible's. */
  writtenAs?: string;
  module: Module<any, any>;
  /** Arguments before templating. */
  args: Vars | string;
  keywords: Vars;
  scope: Scope;
  origin: Origin;
  /** Own tags plus every enclosing tag (static, for --tags). */
  tags: string[];
  handler?: { listen: string[] };
  /** Words of a key=value argument string that are a template: they must render to a mapping of more arguments. */
  variableParams?: string;
  /** The module name as written when it is a template: rendered per host when the task runs. */
  templatedAction?: string;
  /** The arguments are wrong for the module, and the failure is handled (rescue, ignore_errors): the task fails with this when it runs. */
  argProblem?: string;
}

export interface BlockNode {
  kind: 'block';
  id: number;
  name?: string;
  block: Node[];
  rescue: Node[];
  always: Node[];
  scope: Scope;
  origin: Origin;
  tags: string[];
}

/** include_tasks / include_role: resolved at run time, per host. */
export interface IncludeNode {
  kind: 'include_tasks' | 'include_role';
  id: number;
  name?: string;
  /** include_tasks: file (may be templated); include_role: {name, tasks_from, ...}. */
  args: Vars;
  keywords: Vars;
  scope: Scope;
  origin: Origin;
  tags: string[];
  /** Set for an include in the handlers section: what it includes are handlers. */
  handler?: { listen: string[] };
}

export interface MetaNode {
  kind: 'meta';
  id: number;
  name?: string;
  action: 'flush_handlers' | 'noop' | 'end_play' | 'end_host' | 'clear_facts' | 'refresh_inventory' | 'reset_connection' | 'clear_host_errors' | 'end_batch' | 'end_role' | 'role_complete';
  /** Added by uxsv, not written in the playbook (the handler flushes between the play's parts): no output. */
  implicit?: boolean;
  /** Set when the meta task is a handler (`meta: noop` may be one). */
  handler?: { listen: string[] };
  keywords: Vars;
  scope: Scope;
  origin: Origin;
  tags: string[];
}

export type Node = TaskNode | BlockNode | IncludeNode | MetaNode;

/** What the handlers section holds: tasks, and includes whose tasks become handlers. */
export type HandlerNode = TaskNode | IncludeNode | MetaNode;

export interface Play {
  name: string;
  hosts: string;
  keywords: Vars;
  vars: Vars;
  varsFiles: Array<string | string[]>;
  gatherFacts: unknown;
  serial?: unknown;
  preTasks: Node[];
  /** Role tasks (deps first), then tasks. */
  roles: RoleScope[];
  roleTasks: Node[];
  tasks: Node[];
  postTasks: Node[];
  handlers: HandlerNode[];
  scope: Scope;
  origin: Origin;
  /** Folder of the playbook file. */
  baseDir: string;
  tags: string[];
  /** The roles (folder and params) the play has loaded: a role's dependencies run once per play. */
  roleKeys: Set<string>;
}

export interface Playbook {
  file: string;
  plays: Play[];
}
