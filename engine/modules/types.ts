/**
 * The module contract. A module is declarative:
 *   1. `schema`: JSON Schema of its arguments, checked with ajv at load time
 *      (before any host is touched) and again after templating at run time;
 *   2. `read`: the current state, in as few remote round trips as possible;
 *   3. `plan`: pure computation of the change and its diff from args + state;
 *   4. `plan().apply`: the only step that changes the host. Check mode stops
 *      before it, so check mode and diff mode come for free.
 */
import type { Connection, BecomeSpec, ExecOptions, ExecResult } from '../connection/types.js';
import type { Fact } from '../facts/types.js';
import type { FactRequest } from '../facts/index.js';

/**
 * The Jinja2 environment options of the template module and the template
 * lookup (Ansible's names): delimiters, whitespace control, newlines.
 */
export interface TemplateOptions {
  variable_start_string?: string;
  variable_end_string?: string;
  block_start_string?: string;
  block_end_string?: string;
  comment_start_string?: string;
  comment_end_string?: string;
  trim_blocks?: boolean;
  lstrip_blocks?: boolean;
  newline_sequence?: string;
  /** Keep a trailing newline of the template (the template module does). */
  keep_trailing_newline?: boolean;
  /** Native types (`jinja2_native`): the result is a Python-like value, not text. */
  native?: boolean;
  /** Variables added over the task's own for this render (template lookup's template_vars). */
  extraVars?: Record<string, unknown>;
}

export type JSONSchema = Record<string, unknown>;

/** One diff entry, as in Ansible's `diff` return value. */
export interface FileDiff {
  before_header?: string;
  after_header?: string;
  before?: string;
  after?: string;
  /** A ready unified diff (from the `diff` package) for file content. */
  prepared?: string;
}

/** What a task produced on one host (Ansible's result dict). */
export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  stdout_lines?: string[];
  stderr_lines?: string[];
  diff?: FileDiff[];
  [key: string]: unknown;
}

export interface Plan {
  /** Whether a real run would change something (exactly: check mode reports this). */
  changed: boolean;
  diff?: FileDiff[];
  /** Result values known without applying (path, state, mode, ...). */
  result?: Record<string, unknown>;
  /** Set when the module fails before applying (bad state, missing file...). */
  failed?: boolean;
  msg?: string;
  /** Makes the change. Absent when nothing is to be done. Returns extra result values. */
  apply?: () => Promise<Record<string, unknown> | void>;
  /**
   * For modules that cannot predict their effect (command/shell without
   * creates/removes): in check mode the task is reported skipped.
   */
  skipInCheckMode?: boolean;
}

/** What the runner gives a module for one host and one task (one loop item). */
export interface ModuleContext {
  /** inventory_hostname of the host the task runs against (delegate_to target if delegated). */
  host: string;
  /** The connection to that host; `exec` already applies the task's become/environment when called via `run`. */
  conn: Connection;
  /** Runs a command with the task's become, environment and timeout applied. Prefer this over conn.exec. */
  run(command: string, options?: Omit<ExecOptions, 'become'> & { become?: BecomeSpec | false }): Promise<ExecResult>;
  /** Task-level become (undefined = none). */
  become?: BecomeSpec;
  check: boolean;
  diff: boolean;
  /** All variables visible to the task on this host (facts, hostvars, ...). */
  vars: Record<string, unknown>;
  /** Render a Jinja2 template text with the task's variables; `source` names it in errors. */
  renderTemplate(text: string, source: string, options?: TemplateOptions): string;
  /**
   * Read a fact of this host (engine/facts), from the runner's cache when it
   * was read ahead. Modules call `readFact(ctx, fact, params)`, which falls
   * back to `run` when this is absent.
   */
  fact?<P, V>(fact: Fact<P, V>, params: P): Promise<V>;
  /**
   * Find a local file for `src` (copy: 'files', template: 'templates'),
   * looked up like Ansible: role's folder, then the playbook's, then as given.
   * Throws a clear error naming the candidates when not found.
   */
  findFile(kind: 'files' | 'templates' | 'vars', name: string): string;
  /** The task's `ansible_search_path` (role folders, the task file's folder, the playbook's folder). */
  searchPath?: string[];
  /** Templates render with native types (jinja2_native): set_fact keeps 'yes'/'no' strings as they are. */
  native?: boolean;
  /** async_status: the state of a job started with `async` in this run. */
  asyncStatus?(jid: string, mode: 'status' | 'cleanup'): ModuleResult;
  /** Reads a vars file on the controller (YAML or JSON, vault-encrypted or not), with the loader's checks. */
  loadVarsFile?(file: string): Record<string, unknown>;
  /** Connection to another inventory host (synchronize between hosts). */
  connectionFor(host: string): Promise<Connection>;
  /** Variables of another inventory host (hostvars[host]). */
  hostVars(host: string): Record<string, unknown>;
  /** Where the task is in its file, for messages. */
  location: string;
  /** -v level. */
  verbosity: number;
  /** Ms budget for the task (task `timeout` keyword, or the default). */
  timeoutMs?: number;
  /** Evaluate a bare Jinja2 expression with the task's variables (debug `var`, assert `that`). */
  evaluate?(expr: string, source: string): unknown;
  /** A conditional as in `when:` (Python truthiness). */
  isTrue?(condition: unknown, source: string): boolean;
}

/**
 * What a module may look at to tell, before its task runs, the facts its
 * `read` will ask for: no connection, no variables, nothing that runs.
 */
export type ReadAheadContext = Pick<ModuleContext, 'host' | 'check' | 'diff' | 'become' | 'findFile' | 'searchPath' | 'location'>;

export interface ModuleDoc {
  description: string;
  /** Return values: name -> meaning. */
  returns?: Record<string, string>;
  /** A YAML task example. */
  example: string;
}

export interface Module<Args = Record<string, any>, State = unknown> {
  name: string;
  /** Other names (e.g. 'ansible.builtin.copy' is added automatically). */
  aliases?: string[];
  schema: JSONSchema;
  /** For command/shell/raw: the arg that takes the free-form text (`_raw_params`). */
  freeForm?: boolean;
  /** Runs on the controller only (debug, set_fact, assert, fail, meta); no connection is opened for it. */
  controllerOnly?: boolean;
  /**
   * Arguments the module evaluates itself when they are lists (assert's
   * `that`): each item reaches it as written, not rendered first, as
   * Ansible's untemplated_args.
   */
  rawListArgs?: string[];
  /** Takes words that are not key=value as `_raw_params` and judges them itself when it runs (add_host, group_by, set_fact). */
  rawParams?: boolean;
  /** Runs once for the play's hosts, not once per host (add_host), as if run_once were set. */
  bypassHostLoop?: boolean;
  doc: ModuleDoc;
  read(ctx: ModuleContext, args: Args): Promise<State>;
  /**
   * The facts `read` asks for first with these arguments (the same requests,
   * made by the same code), so the runner can read them for many tasks ahead
   * in one round trip and hand them to `read` from its cache while nothing
   * has changed (engine/runner/read-ahead.ts). Undefined when it cannot tell
   * (the read then runs as usual). Declaring it also promises that the
   * module changes a host only through `ctx.run` and reports every change
   * in `changed`: a task of any other module ends what was read ahead.
   */
  readAhead?(ctx: ReadAheadContext, args: Args): FactRequest[] | undefined;
  plan(ctx: ModuleContext, args: Args, state: State): Plan | Promise<Plan>;
}
