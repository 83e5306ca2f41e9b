/**
 * Loads playbooks, task files and roles into the model (model.ts). Static
 * things (import_playbook, import_tasks, import_role, roles:) are expanded
 * here; dynamic includes are kept as IncludeNodes for the runner. Everything
 * is validated before any host is touched.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { Module } from '../modules/types.js';
import type { BlockNode, HandlerNode, IncludeNode, MetaNode, Node, Origin, Play, Playbook, RoleScope, Scope, TaskNode, Vars } from './model.js';
import { blockKeywords, blockSchema, importPlaybookSchema, playSchema, roleMetaSchema, taskKeywords, taskKeywordsSchema, varsFileSchema } from './schemas.js';
import { errorAt, validateAt } from './validate.js';
import { parseYaml, positionOf, readYamlFile, type DataPath, type LoadedYaml } from './yaml.js';
import { parseKeyValue, splitArgs } from './kv.js';
import { roleArgumentSpecs, roleValidationTask } from './role-argspec.js';
import { checkArgsStatic } from './args.js';
import { findLookup } from '../lookups/index.js';
import { Templar } from '../template/index.js';
import { lazyVars } from '../template/lazy.js';
import { untag } from '../template/trust.js';
import { toBool } from '../values.js';

export interface LoaderOptions {
  modules: Map<string, Module<any, any>>;
  /** Extra role folders (ANSIBLE_ROLES_PATH, ansible.cfg roles_path). */
  rolesPath?: string[];
  /** Receives deprecation warnings (the old `include`). */
  deprecation?: (message: string, version: string) => void;
  /** -e values: static import names are rendered with them at load time. */
  extraVars?: Vars;
}

/** Ansible's words for a block used as a handler. */
export const BLOCK_AS_HANDLER = 'Using a block as a handler is not supported.';

/**
 * A block inside a block of a handlers list (the play's or an included
 * file's): the top-level blocks are the list's own implicit blocks, a block
 * within one is what Ansible refuses as a handler.
 */
export function nestedHandlerBlock(nodes: Node[]): BlockNode | undefined {
  for (const top of nodes) {
    if (top.kind !== 'block') continue;
    const nested = [...top.block, ...top.rescue, ...top.always].find((n): n is BlockNode => n.kind === 'block');
    if (nested) return nested;
  }
  return undefined;
}

const INCLUDE_ACTIONS = new Set(['include_tasks', 'import_tasks', 'include_role', 'import_role', 'import_playbook', 'include']);
const INCLUDE_ARG_KEYS = new Set(['file', 'name', 'tasks_from', 'vars_from', 'defaults_from', 'handlers_from', 'apply', 'allow_duplicates', 'public', 'rolespec_validate']);
const META_ACTIONS = new Set(['flush_handlers', 'noop', 'end_play', 'end_host', 'clear_facts', 'refresh_inventory', 'reset_connection', 'clear_host_errors', 'end_batch']);

function shortName(action: string): string {
  return action.startsWith('ansible.builtin.') ? action.slice('ansible.builtin.'.length) : action.startsWith('ansible.legacy.') ? action.slice('ansible.legacy.'.length) : action;
}

const isVars = (v: unknown): v is Vars => typeof v === 'object' && v !== null && !Array.isArray(v);

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A file as messages show it: relative to the working folder, or absolute when outside it (not ../../dev/zero). */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** `with_<lookup>` loops are keywords for every lookup plugin. */
/** Stands for the module of a task whose module name is a template, until the task runs. */
const TEMPLATED_MODULE: Module = {
  name: '(templated)',
  schema: { type: 'object' },
  doc: { description: 'chosen when the task runs', example: '' },
  async read() {
    throw new Error('internal: a templated module name was not resolved');
  },
  plan() {
    throw new Error('internal: a templated module name was not resolved');
  },
};

/** The modules that take words that are not key=value (Ansible's RAW_PARAM_MODULES). */
const RAW_PARAM_MODULES = ['command', 'shell', 'raw', 'script', 'win_command', 'win_shell', 'include_vars', 'include_tasks', 'include_role', 'import_tasks', 'import_role', 'add_host', 'group_by', 'set_fact', 'meta'];

const ROLE_PARTS = ['tasks', 'meta', 'handlers', 'defaults', 'vars', 'files', 'templates', 'library'];

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The roles a scope is inside, outermost first (the dependency chain of a role imported there). */
function roleChainOf(scope: Scope): RoleScope[] {
  const out: RoleScope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) if (s.kind === 'role' && s.role && !out.includes(s.role)) out.unshift(s.role);
  return out;
}

/** `loop`, and `with_<name>` for every lookup plugin `name`. */
function isLoopKeyword(key: string): boolean {
  return key === 'loop' || (key.startsWith('with_') && findLookup(key.slice('with_'.length)) !== undefined);
}

function isTaskKeyword(key: string): boolean {
  return key in taskKeywords || isLoopKeyword(key);
}

/** `vars:` as a mapping, or (as Ansible also accepts) a list of mappings merged in order. */
function mergedVars(value: unknown, loaded: LoadedYaml, p: DataPath): Vars {
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) {
    const out: Vars = {};
    value.forEach((item, i) => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) throw errorAt(loaded, [...p, i], `'vars' must be a mapping or a list of mappings`);
      Object.assign(out, item);
    });
    return out;
  }
  return value as Vars;
}

export class Loader {
  private nextId = 1;
  /** Files being loaded, to refuse circular imports. */
  private stack: string[] = [];

  constructor(private readonly options: LoaderOptions) {}

  origin(loaded: LoadedYaml, p: DataPath): Origin {
    const pos = positionOf(loaded, p);
    return { file: loaded.file, line: pos?.line, col: pos?.col, loaded, path: p };
  }

  private enter(file: string, loaded: LoadedYaml | undefined, p: DataPath): void {
    const real = path.resolve(file);
    if (this.stack.includes(real)) {
      const chain = [...this.stack.slice(this.stack.indexOf(real)), real].map(shownPath).join(' -> ');
      throw errorAt(loaded, p, `circular include: ${chain}`);
    }
    this.stack.push(real);
  }

  private leave(): void {
    this.stack.pop();
  }

  // ---------- playbooks ----------

  loadPlaybook(file: string, from?: { loaded: LoadedYaml; path: DataPath }): Playbook {
    if (!existsSync(file)) {
      if (from) throw errorAt(from.loaded, from.path, `playbook not found: ${file}`);
      throw new UserError(`playbook not found: ${file}`);
    }
    this.enter(file, from?.loaded, from?.path ?? []);
    try {
      return this.playbookFrom(readYamlFile(file, shownPath(file), { keep: true }), file, path.dirname(path.resolve(file)));
    } finally {
      this.leave();
    }
  }

  /**
   * A playbook given as YAML text rather than a file (the ad-hoc command's
   * one-task play): `name` stands for the file in messages, and relative
   * paths resolve against `baseDir`.
   */
  loadPlaybookText(text: string, name: string, baseDir: string): Playbook {
    return this.playbookFrom(parseYaml(text, name), name, path.resolve(baseDir));
  }

  private playbookFrom(loaded: LoadedYaml, file: string, baseDir: string): Playbook {
    const data = loaded.data;
    if (data === null || data === undefined) throw errorAt(loaded, [], 'the playbook is empty (a playbook is a list of plays)');
    if (!Array.isArray(data)) throw errorAt(loaded, [], 'a playbook must be a list of plays');
    const plays: Play[] = [];
    data.forEach((entry, i) => {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw errorAt(loaded, [i], `play ${i + 1} must be a mapping`);
      const keys = Object.keys(entry);
      const importKey = keys.find((k) => shortName(k) === 'import_playbook' || (shortName(k) === 'include' && !('hosts' in (entry as Vars))));
      if (importKey) {
        validateAt(importPlaybookSchema, entry, loaded, [i], 'import_playbook');
        const target = path.resolve(baseDir, String((entry as Vars)[importKey]));
        // vars on import_playbook apply to every imported play, over the play's own vars (already while it loads).
        const importVars = ((entry as Vars).vars as Vars | undefined) ?? {};
        const outerImportVars = this.importVars;
        this.importVars = { ...outerImportVars, ...importVars };
        let imported: Play[];
        try {
          imported = this.loadPlaybook(target, { loaded, path: [i, importKey] }).plays;
        } finally {
          this.importVars = outerImportVars;
        }
        const importTags = asList((entry as Vars).tags);
        const importWhen = (entry as Vars).when;
        for (const play of imported) {
          play.vars = { ...play.vars, ...importVars };
          // As in Ansible, a condition on the import applies to every task of the imported plays (fact gathering too).
          if (importWhen !== undefined) play.scope.keywords.when = [...(Array.isArray(importWhen) ? importWhen : [importWhen]), ...(play.scope.keywords.when === undefined ? [] : Array.isArray(play.scope.keywords.when) ? play.scope.keywords.when : [play.scope.keywords.when])];
          play.tags.push(...importTags);
        }
        plays.push(...imported);
        return;
      }
      plays.push(this.loadPlay(entry as Vars, loaded, [i], baseDir));
    });
    return { file, plays };
  }

  /** Above zero while loading the tasks of a block that has a rescue: their failures are handled. */
  private failureHandled = 0;
  /** The folder of the playbook whose play is being loaded (roles are looked for there too). */
  private playDir?: string;
  /** The first instance of each role (folder and params) loaded, whose variables a deduplicated dependency shares. */
  private readonly roleInstances = new Map<string, RoleScope>();
  /** The roles (name and params) of the play being loaded, for the once-per-play rule. */
  private playRoleKeys?: Set<string>;
  /** Roles and handlers that import_role brings into the play being loaded. */
  private imported?: { roles: RoleScope[]; handlers: HandlerNode[] };

  /**
   * Runs `load` (a dynamic include's loading, at run time) and returns what
   * import_role brought along inside it: roles and handlers the play must
   * also know.
   */
  collectImports<T>(load: () => T): { value: T; roles: RoleScope[]; handlers: HandlerNode[] } {
    const outer = this.imported;
    this.imported = { roles: [], handlers: [] };
    try {
      const value = load();
      return { value, ...this.imported };
    } finally {
      this.imported = outer;
    }
  }

  private loadPlay(raw: Vars, loaded: LoadedYaml, p: DataPath, baseDir: string): Play {
    this.playDir = baseDir;
    this.imported = { roles: [], handlers: [] };
    if (Array.isArray(raw.vars)) raw = { ...raw, vars: mergedVars(raw.vars, loaded, [...p, 'vars']) };
    validateAt(playSchema, raw, loaded, p, 'play');
    // serial is checked here, not as the play starts: a typo must stop the run before any play of it ran.
    ((Array.isArray(raw.serial) ? raw.serial : raw.serial === undefined || raw.serial === null ? [] : [raw.serial]) as unknown[]).forEach((s, i) => {
      const text = String(s).trim();
      if (!/^\d+(\.\d+)?%?$/.test(text) && !/\{\{|\{%/.test(text)) throw errorAt(loaded, [...p, 'serial', ...(Array.isArray(raw.serial) ? [i] : [])], `serial must be a number or a percentage, got '${text}'`);
    });
    const hosts = Array.isArray(raw.hosts) ? (raw.hosts as string[]).join(',') : String(raw.hosts);
    const keywords: Vars = {};
    for (const k of Object.keys(raw)) if (!['hosts', 'vars', 'vars_files', 'roles', 'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'gather_facts', 'serial', 'name'].includes(k)) keywords[k] = raw[k];
    const scope: Scope = { kind: 'play', keywords, baseDir };
    this.playVars = isVars(raw.vars) ? raw.vars : {};
    const tags = asList(raw.tags);
    const play: Play = {
      name: raw.name ? String(raw.name) : hosts,
      hosts,
      keywords,
      vars: (raw.vars as Vars | null | undefined) ?? {},
      varsFiles: (raw.vars_files as Array<string | string[]>) ?? [],
      gatherFacts: raw.gather_facts,
      serial: raw.serial,
      preTasks: this.taskList(raw.pre_tasks, loaded, [...p, 'pre_tasks'], scope, tags),
      roles: [],
      roleTasks: [],
      tasks: [],
      postTasks: [],
      handlers: [],
      scope,
      origin: this.origin(loaded, p),
      baseDir,
      tags,
      roleKeys: new Set(),
    };
    const seen = play.roleKeys;
    this.playRoleKeys = seen;
    ((raw.roles as unknown[]) ?? []).forEach((ref, i) => {
      const role = this.loadRoleRef(ref, loaded, [...p, 'roles', i], scope, baseDir, tags, seen);
      play.roles.push(...role.scopes);
      play.roleTasks.push(...role.tasks);
      play.handlers.push(...role.handlers);
    });
    play.tasks = this.taskList(raw.tasks, loaded, [...p, 'tasks'], scope, tags);
    play.postTasks = this.taskList(raw.post_tasks, loaded, [...p, 'post_tasks'], scope, tags);
    play.handlers.push(...this.handlerList(raw.handlers, loaded, [...p, 'handlers'], scope, tags));
    // import_role in the play's tasks: its role is the play's (vars, defaults) and so are its handlers.
    play.roles.push(...this.imported.roles.filter((r) => !play.roles.includes(r)));
    play.handlers.push(...this.imported.handlers);
    this.imported = undefined;
    return play;
  }

  // ---------- tasks ----------

  taskList(list: unknown, loaded: LoadedYaml, p: DataPath, scope: Scope, tags: string[]): Node[] {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw errorAt(loaded, p, p.length ? `'${String(p[p.length - 1])}' must be a list of tasks` : 'this file must be a list of tasks');
    const nodes: Node[] = [];
    list.forEach((raw, i) => nodes.push(...this.task(raw, loaded, [...p, i], scope, tags)));
    return nodes;
  }

  private handlerList(list: unknown, loaded: LoadedYaml, p: DataPath, scope: Scope, tags: string[]): HandlerNode[] {
    const nodes = this.taskList(list, loaded, p, scope, tags);
    const handlers: HandlerNode[] = [];
    const nested = nestedHandlerBlock(nodes);
    if (nested) throw errorAt(nested.origin.loaded, nested.origin.path, BLOCK_AS_HANDLER);
    const flatten = (n: Node) => {
      if (n.kind === 'task') handlers.push(n);
      else if (n.kind === 'block') [...n.block, ...n.rescue, ...n.always].forEach(flatten);
      else if (n.kind === 'include_role') throw errorAt(n.origin.loaded, n.origin.path, "Using 'include_role' as a handler is not supported.");
      // A meta task may be a handler (flush_handlers fails when it runs as one, as in Ansible).
      else if (n.kind === 'include_tasks' || n.kind === 'meta') handlers.push(n); else throw errorAt(n.origin.loaded, n.origin.path, `${n.kind} cannot be used as a handler`);
    };
    nodes.forEach(flatten);
    for (const h of handlers) h.handler = { listen: asList(h.keywords.listen) };
    return handlers;
  }

  /** One task entry; import_tasks and import_role expand to several nodes. */
  private task(raw: unknown, loaded: LoadedYaml, p: DataPath, scope: Scope, inherited: string[]): Node[] {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw errorAt(loaded, p, 'a task must be a mapping');
    const entry = raw as Vars;
    if ('block' in entry) return [this.block(entry, loaded, p, scope, inherited)];
    for (const k of ['rescue', 'always']) if (k in entry) throw errorAt(loaded, [...p, k], `'${k}' is only allowed in a block (with 'block:')`, true);

    const actionKeys = Object.keys(entry).filter((k) => !isTaskKeyword(k));
    let action: string;
    let rawArgs: unknown;
    if (entry.action !== undefined || entry.local_action !== undefined) {
      if (actionKeys.length) throw errorAt(loaded, [...p, actionKeys[0]], `conflicting action statements: action and ${actionKeys[0]}`, true);
      const a = (entry.action ?? entry.local_action) as unknown;
      if (typeof a === 'string') {
        // The first word is the module (a `{{ template }}` stays one word), the rest its arguments.
        const [first, ...rest] = splitArgs(a.trim());
        action = (first ?? '').trim();
        rawArgs = rest.join(' ');
      } else {
        const { module: m, ...rest } = a as Vars;
        action = String(m);
        rawArgs = rest;
      }
    } else {
      if (actionKeys.length === 0) throw errorAt(loaded, p, `no module/action found in task${entry.name ? ` '${String(entry.name)}'` : ''}`);
      if (actionKeys.length > 1) {
        const unknown = actionKeys.find((k) => !this.options.modules.has(k) && !INCLUDE_ACTIONS.has(shortName(k)) && shortName(k) !== 'meta');
        if (unknown) throw errorAt(loaded, [...p, unknown], this.unknownKeyMessage(unknown), true);
        throw errorAt(loaded, [...p, actionKeys[1]], `conflicting action statements: ${actionKeys.join(', ')}`, true);
      }
      action = actionKeys[0];
      rawArgs = entry[action];
    }
    const keywords: Vars = {};
    for (const k of Object.keys(entry)) if (isTaskKeyword(k) && k !== 'action' && k !== 'local_action') keywords[k] = entry[k];
    if (entry.local_action !== undefined) keywords.delegate_to = 'localhost';
    if (Array.isArray(keywords.vars)) keywords.vars = mergedVars(keywords.vars, loaded, [...p, 'vars']);
    validateAt(taskKeywordsSchema, keywords, loaded, p, 'task');
    if (keywords.register !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(keywords.register))) {
      throw errorAt(loaded, [...p, 'register'], `Invalid variable name in 'register' specified: '${String(keywords.register)}'`);
    }
    if (Object.keys(keywords).filter(isLoopKeyword).length > 1) throw errorAt(loaded, p, `a task can have only one loop (${Object.keys(keywords).filter(isLoopKeyword).join(', ')})`);
    const tags = [...inherited, ...asList(keywords.tags)];
    const origin = this.origin(loaded, p);
    const short = shortName(action);

    if (short === 'meta') {
      const what = String(rawArgs ?? '').trim();
      if (!META_ACTIONS.has(what)) throw errorAt(loaded, [...p, action], `unknown meta action '${what}' (expected one of: ${[...META_ACTIONS].join(', ')})`);
      const node: MetaNode = { kind: 'meta', id: this.nextId++, action: what as MetaNode['action'], keywords, scope, origin, tags, ...(entry.name === null || entry.name === undefined ? {} : { name: String(entry.name) }) };
      return [node];
    }
    if (INCLUDE_ACTIONS.has(short)) return this.include(short, rawArgs, keywords, loaded, p, action, scope, tags, origin);

    if (!this.options.modules.has(action) && /\{\{|\{%/.test(action)) {
      // The module name is a template (`action: {module: "{{ name }}"}`): it is chosen per host when the task runs.
      let templatedArgs: Vars;
      if (typeof rawArgs === 'string') templatedArgs = parseKeyValue(rawArgs, { file: loaded.file, line: origin.line, col: origin.col }, undefined, { rawParams: true });
      else if (rawArgs === null || rawArgs === undefined) templatedArgs = {};
      else if (typeof rawArgs === 'object' && !Array.isArray(rawArgs)) templatedArgs = { ...(rawArgs as Vars) };
      else throw errorAt(loaded, [...p, action], `arguments of ${action} must be a mapping or a key=value string`);
      if (keywords.args !== undefined) {
        if (typeof keywords.args !== 'object' || keywords.args === null || Array.isArray(keywords.args)) throw errorAt(loaded, [...p, 'args'], `'args' must be a mapping`);
        templatedArgs = { ...(keywords.args as Vars), ...templatedArgs };
      }
      const templated: TaskNode = { kind: 'task', id: this.nextId++, name: entry.name === null || entry.name === undefined ? undefined : String(entry.name), moduleName: action, module: TEMPLATED_MODULE, args: templatedArgs, keywords, scope, origin, tags, templatedAction: action };
      return [templated];
    }
    const mod = this.options.modules.get(action);
    if (!mod) throw errorAt(loaded, [...p, action], this.unknownKeyMessage(action), true);
    let args: Vars | string;
    if (rawArgs === null || rawArgs === undefined) args = {};
    else if (typeof rawArgs === 'string') {
      if (/^\s*\{\{[^}]*\}\}\s*$/.test(rawArgs) && !mod.freeForm) args = rawArgs; // whole-args template, checked at run time
      else args = parseKeyValue(rawArgs, { file: loaded.file, line: origin.line, col: origin.col }, mod.freeForm ? this.freeFormKeys(mod) : undefined, { rawParams: true });
    } else if (typeof rawArgs === 'object' && !Array.isArray(rawArgs)) args = { ...(rawArgs as Vars) };
    else throw errorAt(loaded, [...p, action], `arguments of ${action} must be a mapping or a key=value string`);
    if (keywords.args && typeof args === 'object') {
      if (typeof keywords.args !== 'object') throw errorAt(loaded, [...p, 'args'], `'args' must be a mapping`);
      args = { ...(keywords.args as Vars), ...args };
    }
    let variableParams: string | undefined;
    if (typeof args === 'object' && !mod.freeForm && !mod.rawParams && typeof args._raw_params === 'string') {
      // Words that are not key=value: a template there gives more arguments when the task runs (Ansible's _variable_params).
      const { _raw_params: raw, ...rest } = args;
      if (!/\{\{|\{%/.test(raw)) throw errorAt(loaded, [...p, action], `this task '${action}' has extra params, which is only allowed in the following modules: ${RAW_PARAM_MODULES.join(', ')}`);
      variableParams = raw;
      args = rest;
    }
    let argProblem: string | undefined;
    if (typeof args === 'object') {
      const problem = checkArgsStatic(mod, args, { fromText: typeof rawArgs === 'string' });
      if (problem) {
        const argPath = typeof rawArgs === 'object' && rawArgs !== null ? [...p, action, ...problem.path] : [...p, action];
        const error = errorAt(loaded, argPath, problem.message, problem.atKey && typeof rawArgs === 'object');
        // A task whose failure is handled (a rescue around it, ignore_errors, failed_when) fails when it runs, as in Ansible;
        // any other is refused before the run starts.
        if (this.failureHandled > 0 || keywords.ignore_errors !== undefined || keywords.failed_when !== undefined) argProblem = error.format();
        else throw error;
      }
    }
    const node: TaskNode = { kind: 'task', id: this.nextId++, name: entry.name === null || entry.name === undefined ? undefined : String(entry.name), moduleName: mod.name, ...(action !== mod.name ? { writtenAs: action } : {}), module: mod, args, keywords, scope, origin, tags, ...(argProblem ? { argProblem } : {}), ...(variableParams ? { variableParams } : {}) };
    return [node];
  }

  private freeFormKeys(mod: Module): Set<string> {
    return new Set(Object.keys((mod.schema as Record<string, any>).properties ?? {}).filter((k) => k !== '_raw_params' && k !== 'cmd'));
  }

  private unknownKeyMessage(key: string): string {
    const candidates = [...this.options.modules.keys(), ...Object.keys(taskKeywords), ...INCLUDE_ACTIONS, 'meta', 'block'];
    const best = candidates.map((c) => ({ c, d: distance(key, c) })).sort((a, b) => a.d - b.d)[0];
    const hint = best && best.d <= 2 ? ` (did you mean '${best.c}'?)` : '';
    return `unknown module or keyword '${key}'${hint}`;
  }

  private block(entry: Vars, loaded: LoadedYaml, p: DataPath, parent: Scope, inherited: string[]): BlockNode {
    if (Array.isArray(entry.vars)) entry = { ...entry, vars: mergedVars(entry.vars, loaded, [...p, 'vars']) };
    validateAt(blockSchema, entry, loaded, p, 'block');
    const keywords: Vars = {};
    for (const k of Object.keys(entry)) if (k in blockKeywords && !['block', 'rescue', 'always'].includes(k)) keywords[k] = entry[k];
    const scope: Scope = { parent, kind: 'block', keywords, role: parent.role, baseDir: parent.baseDir };
    const tags = [...inherited, ...asList(keywords.tags)];
    const handled = Array.isArray(entry.rescue) && entry.rescue.length > 0;
    if (handled) this.failureHandled++;
    let body: Node[];
    try {
      body = this.taskList(entry.block, loaded, [...p, 'block'], scope, tags);
    } finally {
      if (handled) this.failureHandled--;
    }
    return {
      kind: 'block',
      id: this.nextId++,
      name: entry.name === null || entry.name === undefined ? undefined : String(entry.name),
      block: body,
      rescue: this.taskList(entry.rescue, loaded, [...p, 'rescue'], scope, tags),
      always: this.taskList(entry.always, loaded, [...p, 'always'], scope, tags),
      scope,
      origin: this.origin(loaded, p),
      tags,
    };
  }

  private include(kind: string, rawArgs: unknown, keywords: Vars, loaded: LoadedYaml, p: DataPath, action: string, scope: Scope, tags: string[], origin: Origin): Node[] {
    let args: Vars;
    if (typeof rawArgs === 'string') {
      // `import_role: name=a`, `include_tasks: file=a.yml`, and the old `include: a.yml x=1` (a file and parameters), as Ansible parses them.
      args = parseKeyValue(rawArgs, { file: loaded.file, line: origin.line, col: origin.col }, undefined, { rawParams: true });
      if (args._raw_params !== undefined) {
        const raw = String(args._raw_params).trim();
        delete args._raw_params;
        if (kind.endsWith('_role')) args.name ??= raw;
        else args.file ??= raw;
      }
    } else if (rawArgs && typeof rawArgs === 'object') args = { ...(rawArgs as Vars) };
    else throw errorAt(loaded, [...p, action], `${kind} needs a file or a name`);
    if (kind === 'import_playbook') throw errorAt(loaded, [...p, action], 'import_playbook is only allowed at the top level of a playbook', true);
    if (kind === 'include_tasks' || kind === 'import_tasks' || kind === 'include') {
      if (args._raw_params && !args.file) args.file = args._raw_params;
      if (typeof args.file !== 'string') throw errorAt(loaded, [...p, action], `${kind} needs 'file'`);
    } else if (typeof args.name !== 'string') throw errorAt(loaded, [...p, action], `${kind} needs 'name'`);

    const isTemplated = /\{\{|\{%/.test(String(args.file ?? args.name));
    const loopKey = Object.keys(keywords).find(isLoopKeyword);
    let inDynamic = false;
    for (let s: Scope | undefined = scope; s; s = s.parent) if (s.dynamic) inDynamic = true;
    // The old `include` is static when it can be: a plain file name, no loop, no dynamic include above it.
    const dynamic = kind === 'include_tasks' || kind === 'include_role' || (kind === 'include' && (isTemplated || loopKey !== undefined || inDynamic));
    if (kind === 'include') this.options.deprecation?.('"include" is deprecated, use include_tasks/import_tasks instead.', '2.16');
    if (!dynamic && loopKey) throw errorAt(loaded, [...p, loopKey], `You cannot use loops on '${kind}' statements. You should use '${kind.replace('import', 'include')}' instead.`, true);
    if (!dynamic && isTemplated) {
      // A static import's name is rendered now, as Ansible does, with what is known before any host: play, role, block and extra vars.
      const key = args.file !== undefined ? 'file' : 'name';
      args[key] = this.renderAtLoad(String(args[key]), scope, loaded, [...p, action]);
    }
    if (dynamic) {
      const node: IncludeNode = { kind: kind === 'include_role' ? 'include_role' : 'include_tasks', id: this.nextId++, name: keywords.name === null || keywords.name === undefined ? undefined : String(keywords.name), args, keywords, scope, origin, tags };
      return [node];
    }
    // Static import: the keywords of the import apply to every imported task, like a block; its other arguments are their variables.
    const params = Object.fromEntries(Object.entries(args).filter(([k]) => !INCLUDE_ARG_KEYS.has(k)));
    const importKeywords = Object.keys(params).length ? { ...keywords, vars: { ...((keywords.vars as Vars | undefined) ?? {}), ...params } } : keywords;
    const importScope: Scope = { parent: scope, kind: 'include', keywords: importKeywords, role: scope.role, baseDir: scope.baseDir };
    if (kind === 'import_tasks' || kind === 'include') {
      const file = this.resolveTaskFile(String(args.file), scope, loaded.file);
      if (!file) throw errorAt(loaded, [...p, action], `task file not found: ${String(args.file)} (looked in ${this.taskFileCandidates(String(args.file), scope, loaded.file).join(', ')})`);
      return this.loadTaskFile(file, importScope, tags, { loaded, path: [...p, action] });
    }
    // import_role runs the role again even if the play has it; its dependencies still run once per play.
    const role = this.loadRoleRef({ role: args.name, ...(args.vars ? { vars: args.vars } : {}) }, loaded, [...p, action], importScope, scope.baseDir, tags, this.playRoleKeys ?? new Set(), args, roleChainOf(scope), false);
    this.imported?.roles.push(...role.scopes);
    this.imported?.handlers.push(...role.handlers);
    return role.tasks;
  }

  /**
   * Renders a static import's file or role name with the variables known at
   * load time: role defaults, play vars, role vars, block and import vars
   * (outermost first), then extra vars. Host variables are not known yet;
   * a name that needs them is an error here, as in Ansible.
   */
  private renderAtLoad(text: string, scope: Scope, loaded: LoadedYaml, p: DataPath): string {
    const chain: Scope[] = [];
    for (let s: Scope | undefined = scope; s; s = s.parent) chain.unshift(s);
    const role = scope.role;
    const vars: Vars = { ...(role?.defaults ?? {}) };
    for (const s of chain) {
      if (s.kind === 'play') Object.assign(vars, this.playVars, this.importVars);
      if (s.kind === 'role' && s.role) Object.assign(vars, s.role.vars, s.role.params);
      if ((s.kind === 'block' || s.kind === 'include') && isVars(s.keywords.vars)) Object.assign(vars, s.keywords.vars);
    }
    Object.assign(vars, this.options.extraVars ?? {});
    try {
      return String(untag(this.templar.renderValue(text, lazyVars(vars, this.templar, loaded.file), `${loaded.file} import name`)));
    } catch (err) {
      throw errorAt(loaded, p, (err as Error).message);
    }
  }

  /** The vars of the play being loaded. */
  private playVars: Vars = {};
  /** The vars of the import_playbook statements around the playbook being loaded. */
  private importVars: Vars = {};

  private templarInstance?: Templar;
  private get templar(): Templar {
    return (this.templarInstance ??= new Templar());
  }

  /**
   * Where an include or import of `file` is looked for, as Ansible does:
   * next to the file that includes it, then (in a role) the role's tasks/
   * (handlers/ for a handler) and the role itself, then the playbook's
   * folder.
   */
  taskFileCandidates(file: string, scope: Scope, fromFile?: string, handler = false): string[] {
    if (path.isAbsolute(file)) return [file];
    const out: string[] = [];
    if (fromFile) out.push(path.join(path.dirname(path.resolve(fromFile)), file));
    if (scope.role) {
      // A role's handler may include from handlers/ or from tasks/.
      if (handler) out.push(path.join(scope.role.path, 'handlers', file));
      out.push(path.join(scope.role.path, 'tasks', file), path.join(scope.role.path, file));
    }
    out.push(path.join(scope.baseDir, file));
    for (let s: Scope | undefined = scope; s; s = s.parent) if (s.kind === 'play') out.push(path.join(s.baseDir, file));
    return [...new Set(out)];
  }

  resolveTaskFile(file: string, scope: Scope, fromFile?: string, handler = false): string | undefined {
    return this.taskFileCandidates(file, scope, fromFile, handler).find((f) => existsSync(f) && statSync(f).isFile());
  }

  loadTaskFile(file: string, scope: Scope, tags: string[], from?: { loaded: LoadedYaml; path: DataPath }): Node[] {
    this.enter(file, from?.loaded, from?.path ?? []);
    try {
      const loaded = readYamlFile(file, shownPath(file), { keep: true });
      if (loaded.data === null || loaded.data === undefined) return [];
      const fileScope: Scope = { ...scope, baseDir: scope.role ? scope.baseDir : path.dirname(file) };
      return this.taskList(loaded.data, loaded, [], fileScope, tags);
    } finally {
      this.leave();
    }
  }

  // ---------- roles ----------

  /** Where a role is looked for: the playbook's roles/, roles_path, the folder of the role that depends on it, the playbook's folder. */
  rolesSearchPath(baseDir: string): string[] {
    const out = [path.join(baseDir, 'roles')];
    if (this.playDir) out.push(path.join(this.playDir, 'roles'));
    out.push(...(this.options.rolesPath ?? []), baseDir, path.dirname(baseDir));
    if (this.playDir) out.push(this.playDir);
    out.push(path.join(process.cwd(), 'roles'));
    return [...new Set(out)];
  }

  findRole(name: string, baseDir: string): string | undefined {
    if (name.includes('/') && existsSync(path.resolve(baseDir, name))) return path.resolve(baseDir, name);
    return this.rolesSearchPath(baseDir)
      .map((dir) => path.join(dir, name))
      .find((dir) => isDirectory(dir) && ROLE_PARTS.some((part) => existsSync(path.join(dir, part))));
  }

  /**
   * A role's defaults or vars: `main.yml` (or `.yaml`, `.json`, no
   * extension), or a folder `main/` whose files are merged in name order,
   * as Ansible reads them.
   */
  private readVarsDir(roleDir: string, sub: string, file = 'main'): Vars {
    for (const name of [`${file}.yml`, `${file}.yaml`, `${file}.json`, file]) {
      const f = path.join(roleDir, sub, name);
      if (existsSync(f) && statSync(f).isFile()) return this.loadVarsFile(f);
    }
    const folder = path.join(roleDir, sub, file);
    if (!isDirectory(folder)) return {};
    const merged: Vars = {};
    const files = readdirSync(folder, { recursive: true, withFileTypes: false }) as string[];
    for (const rel of files.sort()) {
      const f = path.join(folder, rel);
      if (/\.(ya?ml|json)$/.test(rel) && statSync(f).isFile()) Object.assign(merged, this.loadVarsFile(f));
    }
    return merged;
  }

  loadVarsFile(file: string, from?: { loaded: LoadedYaml; path: DataPath }): Vars {
    if (!existsSync(file)) {
      if (from) throw errorAt(from.loaded, from.path, `vars file not found: ${file}`);
      throw new UserError(`vars file not found: ${file}`);
    }
    const loaded = readYamlFile(file, shownPath(file), { keep: 'public' });
    // As in Ansible, a vars file may also be a list of mappings, merged in order.
    if (Array.isArray(loaded.data)) {
      const merged: Vars = {};
      loaded.data.forEach((item, i) => {
        if (!item || typeof item !== 'object' || Array.isArray(item)) throw errorAt(loaded, [i], 'variable files must contain either a dictionary of variables, or a list of dictionaries');
        validateAt(varsFileSchema, item, loaded, [i], 'vars file');
        Object.assign(merged, item);
      });
      return merged;
    }
    validateAt(varsFileSchema, loaded.data, loaded, [], 'vars file');
    return (loaded.data as Vars) ?? {};
  }

  /**
   * A role reference (`- dns`, `- role: dns` with params) with its
   * dependencies first. Returns the role tasks wrapped in their scopes.
   */
  loadRoleRef(ref: unknown, loaded: LoadedYaml, p: DataPath, parent: Scope, baseDir: string, inherited: string[], seen: Set<string>, includeArgs?: Vars, dependents: RoleScope[] = [], oncePerPlay = true, metaChain: string[] = []): { scopes: RoleScope[]; tasks: Node[]; handlers: HandlerNode[]; role?: RoleScope } {
    const chain = dependents.map((r) => r.name);
    const entry: Vars = typeof ref === 'string' ? { role: ref } : { ...(ref as Vars) };
    const name = String(entry.role ?? entry.name ?? '');
    if (!name) throw errorAt(loaded, p, 'a role entry needs a name (role: NAME)');
    if (metaChain.includes(name)) throw errorAt(loaded, p, `circular role dependency: ${[...metaChain, name].join(' -> ')}`);
    const dir = this.findRole(name, baseDir);
    if (!dir) throw errorAt(loaded, p, `role '${name}' not found (looked in ${this.rolesSearchPath(baseDir).join(', ')})`);

    const keywordNames = new Set(Object.keys(blockKeywords));
    const keywords: Vars = {};
    const params: Vars = {};
    // The keys written beside `role:` (not its `vars:`): what the role's argument validation is given.
    const ownParams: Vars = {};
    for (const [k, v] of Object.entries(entry)) {
      if (k === 'role' || k === 'name') continue;
      if (k === 'vars' && v && typeof v === 'object') Object.assign(params, v as Vars);
      else if (keywordNames.has(k)) keywords[k] = v;
      else params[k] = ownParams[k] = v;
    }
    for (const option of ['tasks_from', 'vars_from', 'defaults_from', 'handlers_from']) {
      const from = includeArgs?.[option];
      if (from === undefined) continue;
      const sub = option.split('_')[0];
      const target = path.resolve(dir, sub, String(from));
      if (!target.startsWith(path.join(dir, sub) + path.sep)) throw errorAt(loaded, p, `Failed loading '${String(from)}' for role (${name}) as it is not inside the expected role path: '${path.join(dir, sub)}'`);
    }
    const tasksFrom = String(includeArgs?.tasks_from ?? 'main');
    const defaults = this.readVarsDir(dir, 'defaults', String(includeArgs?.defaults_from ?? 'main'));
    const vars = this.readVarsDir(dir, 'vars', String(includeArgs?.vars_from ?? 'main'));
    const meta = this.roleMeta(dir);
    const role: RoleScope = { name, path: dir, defaults, vars, params, parents: chain, dependency: chain.length > 0, allowDuplicates: meta.allow_duplicates, dependencies: [], dependents };
    const key = `${dir}\0${JSON.stringify(params)}\0${tasksFrom}`;
    const tags = [...inherited, ...asList(keywords.tags)];
    const scopes: RoleScope[] = [];
    const tasks: Node[] = [];
    const handlers: HandlerNode[] = [];

    for (const [i, dep] of meta.dependencies.entries()) {
      const depResult = this.loadRoleRef(dep, meta.loaded!, ['dependencies', i], parent, dir, tags, seen, undefined, [...dependents, role], true, [...metaChain, name]);
      scopes.push(...depResult.scopes);
      tasks.push(...depResult.tasks);
      handlers.push(...depResult.handlers);
      if (depResult.role) role.dependencies.push(depResult.role);
    }
    // Like Ansible, a role with the same parameters runs once per play unless allow_duplicates.
    const existing = this.roleInstances.get(key);
    if (oncePerPlay && seen.has(key) && !meta.allow_duplicates) return { scopes, tasks, handlers, role: existing };
    seen.add(key);
    if (!existing) this.roleInstances.set(key, role);

    const scope: Scope = { parent, kind: 'role', keywords, role, baseDir: dir };
    scopes.push(role);
    const taskFile = [`${tasksFrom}.yml`, `${tasksFrom}.yaml`, tasksFrom].map((f) => path.join(dir, 'tasks', f)).find((f) => existsSync(f));
    if (!taskFile && includeArgs?.tasks_from) throw errorAt(loaded, p, `role '${name}' has no tasks file '${tasksFrom}'`);
    if (includeArgs?.rolespec_validate === undefined || toBool(includeArgs.rolespec_validate, false)) {
      const validation = roleValidationTask(role, tasksFrom, ownParams, roleArgumentSpecs(dir, meta, shownPath));
      if (validation) tasks.push(...this.task(validation.entry, validation.loaded, validation.path, scope, tags));
    }
    if (taskFile) tasks.push(...this.loadTaskFile(taskFile, scope, tags, { loaded, path: p }));
    const handlersFrom = String(includeArgs?.handlers_from ?? 'main');
    const handlerFile = [`${handlersFrom}.yml`, `${handlersFrom}.yaml`, handlersFrom].map((f) => path.join(dir, 'handlers', f)).find((f) => existsSync(f));
    if (handlerFile) {
      const hl = readYamlFile(handlerFile, shownPath(handlerFile), { keep: true });
      handlers.push(...this.handlerList(hl.data, hl, [], scope, tags));
    }
    return { scopes, tasks, handlers, role };
  }

  private roleMeta(dir: string): { dependencies: unknown[]; allow_duplicates?: boolean; loaded?: LoadedYaml } {
    const file = ['main.yml', 'main.yaml', 'main'].map((f) => path.join(dir, 'meta', f)).find((f) => existsSync(f));
    if (!file) return { dependencies: [] };
    const loaded = readYamlFile(file, shownPath(file), { keep: true });
    validateAt(roleMetaSchema, loaded.data, loaded, [], 'role meta');
    const data = (loaded.data as Vars) ?? {};
    return { dependencies: (data.dependencies as unknown[]) ?? [], allow_duplicates: data.allow_duplicates as boolean | undefined, loaded };
  }
}

/** roles_path from ANSIBLE_ROLES_PATH and an ansible.cfg in the working folder. */
export function configuredRolesPath(cwd = process.cwd()): string[] {
  const out: string[] = [];
  if (process.env.ANSIBLE_ROLES_PATH) out.push(...process.env.ANSIBLE_ROLES_PATH.split(':').filter(Boolean));
  const cfg = path.join(cwd, 'ansible.cfg');
  if (existsSync(cfg)) {
    const m = /^\s*roles_path\s*=\s*(.+)$/m.exec(readFileSync(cfg, 'utf8'));
    if (m) out.push(...m[1].split(':').map((s) => path.resolve(cwd, s.trim())));
  }
  return out;
}
