/**
 * The Templar: Ansible 2.14's templating on our Jinja2 engine (jinja/).
 *
 * - render(): the template module: the output as text (Ansible's
 *   ansible_concat), with the module's Jinja options (delimiters,
 *   trim_blocks, lstrip_blocks, newline_sequence, keep_trailing_newline).
 * - renderValue(): a value in a playbook, walked through lists and dicts;
 *   each string renders as Ansible's ansible_eval_concat decides (one
 *   variable keeps its value; text that looks like a list, dict or boolean
 *   is read back as one; the rest is text), or, with the `native` option,
 *   as jinja2_native does. Inside `{{ }}`, backslashes in string literals
 *   are literal, as Ansible makes them.
 * - evaluate(): one bare expression's value; isTrue(): a conditional as
 *   Ansible evaluates `when:`.
 *
 * A template's trailing newlines are kept as Ansible keeps them. Unsafe
 * values (trust.ts) are never templated; a render that touched unsafe data
 * gives unsafe output, and printed secrets make the output secret.
 * Compiled templates are cached by (options, text).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { templateFilter, templateTest, unsafeLookup, type TemplateFunction } from './bridge.js';
import { now } from './datetime.js';
import { TemplateError } from './errors.js';
import { filters } from './filters.js';
import { templateGlobals } from './globals.js';
import {
  ANSIBLE_SYNTAX, CompiledTemplate, Cycler, RenderError, TemplateNotFound, TemplateSyntaxError, compileTemplate,
  joiner, literalEval, namespace, syntaxKey, type ConcatMode, type Environment, type RenderState, type SyntaxOptions,
} from './jinja/index.js';
import { FloatValue, Undefined, UndefinedVariableError, isDict, isString, pyStr, truthy } from './python.js';
import { VARS_KEY } from './runtime.js';
import { tests } from './tests.js';
import { traced, type RenderTrace } from './trace.js';
import { SECRET, TaggedText, UNSAFE, carryTags, isUnsafe, keepOwnTags, untag, withTags } from './trust.js';
import type { LookupHost } from '../lookups/types.js';
import type { TemplateOptions } from '../modules/types.js';

export interface TemplarOptions {
  /** Directories searched, in order, for `{% include %}` and `lookup('file')`. */
  searchPaths?: string[];
  /** What the run offers lookups (inventory_hostnames, warnings, vault, config). */
  lookupHost?: LookupHost;
  /** jinja2_native (ANSIBLE_JINJA2_NATIVE): values keep their Python types. */
  native?: boolean;
  /** Jinja2 extensions (ansible.cfg jinja2_extensions): `jinja2.ext.do`, `jinja2.ext.loopcontrols`. */
  extensions?: string[];
}

/** Template options plus what the template lookup and module may add. */
export interface RenderOptions extends TemplateOptions {
  /** Folders searched first for `{% include %}`/`{% import %}`/`{% extends %}` (each also with `templates/`). */
  searchPaths?: string[];
  /** The same, as the template lookup names it. */
  searchPath?: string[];
  /** Read the output back as data when it looks like a list or dict (the template lookup's convert_data). */
  convertData?: boolean;
}

interface CacheGroup {
  templates: Map<string, CompiledTemplate>;
  env: Environment;
}

interface RenderSettings {
  mode: ConcatMode;
  syntax: SyntaxOptions;
  escapeBackslashes: boolean;
  searchPaths: string[];
}

const TEMPLATE_MARKUP = /\{\{|\{%|\{#/;
/** A whole tag, as Ansible's is_template looks for one (a begin and its end). */
const COMPLETE_TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/;
const SINGLE_VARIABLE = /^\{\{\s*(\w*)\s*\}\}$/;
const CACHE_LIMIT = 5000;
const VALUE_SETTINGS = { syntax: ANSIBLE_SYNTAX, escapeBackslashes: true };
/** A bare expression reads string literals as conditionals do (inside `{% if %}`): with Python's escapes. */
const EXPRESSION_SETTINGS = { syntax: ANSIBLE_SYNTAX, escapeBackslashes: false };

function isReadableFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Ansible's _count_newlines_from_end. */
function trailingNewlines(text: string): number {
  let n = 0;
  while (n < text.length && text[text.length - 1 - n] === '\n') n++;
  return n;
}

export class Templar {
  private readonly cache = new Map<string, CacheGroup>();
  private readonly plainGroups = new WeakMap<SyntaxOptions, CacheGroup[]>();
  /** The environment as filters, tests and global functions see it (their `this.env`). */
  private readonly callEnv: { globals: Record<string, unknown>; getFilter(name: string): TemplateFunction; getTest(name: string): TemplateFunction };
  private readonly searchPaths: string[];
  private readonly lookupHost: LookupHost | undefined;
  private readonly native: boolean;
  private readonly extensions: ReadonlySet<string>;
  private readonly filters = new Map<string, TemplateFunction>();
  private readonly tests = new Map<string, TemplateFunction>();
  private readonly globals: Record<string, unknown>;

  constructor(options: TemplarOptions = {}) {
    this.searchPaths = options.searchPaths ?? [];
    this.lookupHost = options.lookupHost;
    // Unless the caller says, Ansible's environment settings apply (ansible.cfg is the caller's to read).
    this.native = options.native ?? envBoolean(process.env.ANSIBLE_JINJA2_NATIVE);
    this.extensions = new Set(options.extensions ?? (process.env.ANSIBLE_JINJA2_EXTENSIONS ?? '').split(',').map((e) => e.trim()).filter(Boolean));
    for (const [name, fn] of Object.entries(filters)) this.filters.set(name, templateFilter(name, fn as TemplateFunction));
    for (const [name, fn] of Object.entries(tests)) this.tests.set(name, templateTest(name, fn as TemplateFunction));
    const lookups = templateGlobals({
      searchPaths: this.searchPaths,
      host: options.lookupHost,
      render: (text, vars, source, renderOptions) => this.render(text, vars, source, renderOptions),
    });
    this.globals = {
      namespace,
      cycler: (...items: unknown[]) => new Cycler(items),
      joiner,
      now,
      // Ansible's undef(): an undefined value with a hint, for role defaults that must be overridden.
      undef: (hint?: unknown) => new Undefined('undef', hint === undefined || hint === null || hint === '' || hint instanceof Undefined ? 'Mandatory variable has not been overridden' : pyStr(hint)),
    };
    this.callEnv = {
      globals: this.globals,
      getFilter: (name: string) => lookupPlugin(this.filters, name, 'filter'),
      getTest: (name: string) => lookupPlugin(this.tests, name, 'test'),
    };
    for (const [name, value] of Object.entries(lookups)) {
      this.globals[name] = ['lookup', 'query', 'q'].includes(name) && typeof value === 'function'
        ? unsafeLookup(value as TemplateFunction)
        : value;
    }
  }

  /** True when the text contains template markup ({{, {%, {#). */
  static isTemplate(text: string): boolean {
    return TEMPLATE_MARKUP.test(text);
  }

  /**
   * Render a template text as the template module does: text out. An
   * undefined variable is a TemplateError naming `source` and the variable.
   * `options`: the template module's Jinja settings.
   */
  render(text: string, vars: Record<string, unknown>, source: string, options?: RenderOptions): string {
    return String(this.renderData(text, vars, source, { ...options, convertData: false }));
  }

  /**
   * Render a template text, keeping what the output is: with `native`, a
   * Python-like value (jinja2_native); with `convertData`, text read back as
   * data when it looks like a list or dict (the template lookup); else text.
   */
  renderData(text: string, vars: Record<string, unknown>, source: string, options: RenderOptions = {}): unknown {
    if (isUnsafe(text)) return String(text);
    const syntax = syntaxOf(options);
    const mode: ConcatMode = options.native ? 'native' : options.convertData ? 'eval' : 'text';
    const plain = String(text);
    if (!hasMarkup(plain, syntax) && syntax.newlineSequence === '\n' && !plain.startsWith(OVERRIDE_HEADER)) return plain;
    const renderVars = options.extraVars ? overlayVars(vars, options.extraVars) : vars;
    return this.run(plain, renderVars, source, { mode, syntax, escapeBackslashes: false, searchPaths: options.searchPaths ?? options.searchPath ?? [] });
  }

  /**
   * Ansible-style value templating: walks dicts and lists and renders
   * strings (see the file comment). Unsafe values (trust.ts) are returned
   * as they are, keys and all; the result of a template that looked up
   * unsafe data is unsafe itself.
   */
  renderValue(value: unknown, vars: Record<string, unknown>, source: string): unknown {
    if (isUnsafe(value)) return value;
    if (isString(value)) {
      const text = String(value);
      if (!Templar.isTemplate(text)) return value;
      const single = SINGLE_VARIABLE.exec(text);
      if (single) {
        const known = this.singleVariable(single[1]!, vars);
        if (known.found) return known.value;
      }
      const rendered = this.run(text, vars, source, { ...VALUE_SETTINGS, mode: this.native ? 'native' : 'eval', searchPaths: [] });
      // A secret template's output is secret too.
      return carryTags(rendered, value);
    }
    if (Array.isArray(value)) return keepOwnTags(value.map((item) => this.renderValue(item, vars, source)), value);
    if (isDict(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[String(this.renderValue(k, vars, source))] = this.renderValue(v, vars, source);
      return keepOwnTags(out, value);
    }
    return value;
  }

  /**
   * Evaluate a bare Jinja2 expression (`changed_when:`, debug `var:`),
   * returning its value. Unsafe text is not an expression: it is returned as
   * it is.
   */
  evaluate(expr: string, vars: Record<string, unknown>, source: string): unknown {
    if (isUnsafe(expr)) return expr;
    const text = `{{ ${String(expr).trim()} }}`;
    const settings = { ...EXPRESSION_SETTINGS, mode: 'value' as const, searchPaths: [] };
    if (!this.compiled(text, undefined, settings, source).single) throw new TemplateError(`${source}: not a single expression: ${expr}`, source);
    // The caller gets plain numbers and strings (Markup too); trust tags stay.
    const value = untag(this.run(text, vars, source, settings), UNSAFE | SECRET);
    return value instanceof String && !(value instanceof TaggedText) ? String(value) : value;
  }

  /**
   * A conditional as Ansible 2.14 evaluates it: a bool as is; an absent or
   * empty one is true; a list is the AND of its items; a string is rendered
   * first (a `{{ }}` in it), then, if it is still text, evaluated as the
   * test of an `{% if %}`. Unsafe text is never evaluated: a condition that
   * is, or renders to, unsafe text is an error, as in Ansible.
   */
  isTrue(condition: unknown, vars: Record<string, unknown>, source: string): boolean {
    if (typeof condition === 'boolean') return condition;
    if (condition === null || condition === undefined) return true;
    if (Array.isArray(condition)) return condition.every((c) => this.isTrue(c, vars, source));
    if (!isString(condition)) return truthy(condition);
    if (String(condition) === '') return true;
    if (isUnsafe(condition)) throw unsafeCondition(source, String(condition));
    if (COMPLETE_TAG.test(String(condition))) {
      this.lookupHost?.warn(`conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: ${String(condition)}`);
    }
    const rendered = this.renderValue(condition, vars, source);
    if (!isString(rendered) || String(rendered) === '') return truthy(rendered);
    if (isUnsafe(rendered)) throw unsafeCondition(source, String(condition));
    const presented = `{% if ${String(rendered)} %} True {% else %} False {% endif %}`;
    let result: string;
    try {
      result = String(this.run(presented, vars, source, { ...VALUE_SETTINGS, mode: 'eval', searchPaths: [] })).trim();
    } catch (err) {
      const known = definednessAnswer(err, String(rendered));
      if (known !== undefined) return known;
      throw err;
    }
    if (result === 'True') return true;
    if (result === 'False') return false;
    throw new TemplateError(`${source}: unable to evaluate conditional: ${String(condition)}`, source);
  }

  /** Ansible's shortcut for a lone `{{ name }}`: a number, boolean or None keeps its type. */
  private singleVariable(name: string, vars: Record<string, unknown>): { found: boolean; value?: unknown } {
    let value: unknown;
    try {
      value = vars[name];
    } catch {
      return { found: false };
    }
    if (value === null || typeof value === 'boolean' || typeof value === 'number' || value instanceof FloatValue) return { found: true, value };
    return { found: false };
  }

  private compiled(text: string, name: string | undefined, settings: Omit<RenderSettings, 'mode'>, source: string): CompiledTemplate {
    const group = this.cacheFor(settings);
    const key = name === undefined ? text : `${name}\0${text}`;
    let entry = group.templates.get(key);
    if (!entry) {
      try {
        entry = compileTemplate(text, name, { syntax: settings.syntax, extensions: this.extensions, escapeBackslashes: settings.escapeBackslashes }, group.env);
      } catch (err) {
        // The parser is recursive: a template nested deeper than the stack allows is refused as such.
        if (err instanceof RangeError && /call stack/.test(err.message)) {
          throw new TemplateError(`${name ?? source}: template syntax error: nested too deeply`, source, { reason: 'nested too deeply', pythonType: 'TemplateSyntaxError' });
        }
        throw this.toTemplateError(err, source, text, name);
      }
      if (group.templates.size >= CACHE_LIMIT) group.templates.delete(group.templates.keys().next().value!);
      group.templates.set(key, entry);
    }
    return entry;
  }

  /** The compiled templates and the environment for one set of settings (few: the defaults, a module's options). */
  private cacheFor(settings: Omit<RenderSettings, 'mode'>): CacheGroup {
    // The common case, without search paths, is found by the options object itself.
    if (settings.searchPaths.length === 0) {
      let groups = this.plainGroups.get(settings.syntax);
      if (!groups) {
        groups = [];
        this.plainGroups.set(settings.syntax, groups);
      }
      const index = settings.escapeBackslashes ? 1 : 0;
      return (groups[index] ??= this.cacheByKey(settings));
    }
    return this.cacheByKey(settings);
  }

  private cacheByKey(settings: Omit<RenderSettings, 'mode'>): CacheGroup {
    const key = `${syntaxKey(settings.syntax)}\0${settings.escapeBackslashes ? 'E' : ''}\0${settings.searchPaths.join('\0')}`;
    let group = this.cache.get(key);
    if (!group) {
      group = { templates: new Map(), env: this.environment(settings) };
      this.cache.set(key, group);
    }
    return group;
  }

  /** What compiled templates use: the filters, tests and globals, and the loader for includes. */
  private environment(settings: Omit<RenderSettings, 'mode'>): Environment {
    return {
      filter: (name) => lookupPlugin(this.filters, name, 'filter'),
      test: (name) => lookupPlugin(this.tests, name, 'test'),
      globals: this.globals,
      load: (name) => this.loadTemplate(name, { ...settings, escapeBackslashes: false }),
    };
  }

  /** `{% include %}`, `{% import %}`, `{% extends %}`: a file from the search paths (and their `templates/`). */
  private loadTemplate(name: string, settings: Omit<RenderSettings, 'mode'>): CompiledTemplate {
    const dirs = [...settings.searchPaths, ...this.searchPaths].flatMap((dir) => [path.join(dir, 'templates'), dir]);
    const file = path.isAbsolute(name) ? name : dirs.map((dir) => path.join(dir, name)).find(isReadableFile);
    if (!file || !isReadableFile(file)) {
      throw new TemplateNotFound(name, `template '${name}' not found (searched ${[...settings.searchPaths, ...this.searchPaths].join(', ') || 'no search paths'})`);
    }
    return this.compiled(readFileSync(file, 'utf8'), file, settings, file);
  }

  /** Renders, and tags the result with what the render touched (trace.ts). */
  private run(text: string, vars: Record<string, unknown>, source: string, settings: RenderSettings): unknown {
    const overridden = text.startsWith(OVERRIDE_HEADER) ? withOverrides(text, settings, source) : { body: text, settings };
    const template = this.compiled(overridden.body, undefined, overridden.settings, source);
    settings = overridden.settings;
    const state: RenderState = {
      env: this.cacheFor(settings).env,
      vars,
      mode: settings.mode,
      callContext: this.callContext(vars),
      undefinedFrom: undefinedFromVariable,
      depth: 0,
    };
    let rendered: { value: unknown; trace: RenderTrace };
    try {
      rendered = traced(() => template.render(state));
    } catch (err) {
      throw this.toTemplateError(err, source, text);
    }
    let value = rendered.value;
    // Ansible keeps the template's trailing newlines (Jinja2 drops one, and trim_blocks may eat more).
    if (isString(value) && settings.mode !== 'value') {
      const missing = trailingNewlines(text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text) - trailingNewlines(String(value));
      if (missing > 0) value = carryTags(String(value) + settings.syntax.newlineSequence.repeat(missing), value);
    }
    return tagged(value, rendered.trace);
  }

  /** `this` for filters, tests and global functions: the environment and the variables (globals.ts reads both). */
  private callContext(vars: Record<string, unknown>): unknown {
    return { env: this.callEnv, ctx: { [VARS_KEY]: vars } };
  }

  private toTemplateError(err: unknown, source: string, text: string, file?: string): TemplateError {
    if (err instanceof TemplateError) return err;
    const multiline = text.includes('\n');
    if (err instanceof TemplateSyntaxError) {
      const where = file ? `${file} line ${err.line}` : `${source}${multiline ? ` line ${err.line}` : ''}`;
      return new TemplateError(`${where}: template syntax error: ${err.message}`, source, { line: err.line, reason: err.message, pythonType: 'TemplateSyntaxError' });
    }
    if (err instanceof RenderError) {
      const where = err.template
        ? `${err.template}${err.line ? ` line ${err.line}` : ''}${err.template !== file ? ` (included from ${source})` : ''}`
        : `${source}${multiline && err.line ? ` line ${err.line}` : ''}`;
      const reason = err.reason;
      if (reason instanceof TemplateError) {
        if (reason.details.recursion) return reason;
        // A variable's own error already names the task ("site.yml:4: variable 'port': ..."): name it once.
        const task = /^\S+:\d+/.exec(source)?.[0];
        const inner = task && reason.message.startsWith(`${task}: `) ? reason.message.slice(task.length + 2) : reason.message;
        return new TemplateError(`${where}: ${inner}`, source, { ...reason.details, line: err.line });
      }
      if (reason instanceof UndefinedVariableError) {
        return new TemplateError(`${where}: ${reason.message}`, source, { variable: reason.variable, reason: reason.message, line: err.line, pythonType: 'UndefinedError' });
      }
      if (reason instanceof TemplateSyntaxError) {
        return new TemplateError(`${where}: template syntax error: ${reason.message}`, source, { line: err.line, reason: reason.message, pythonType: 'TemplateSyntaxError' });
      }
      if (reason instanceof TemplateNotFound) {
        return new TemplateError(`${where}: ${reason.message}`, source, { line: err.line, reason: reason.template, pythonType: 'TemplateNotFound' });
      }
      // A macro or include that calls itself ends in a JavaScript stack overflow; say what it means.
      const overflow = reason instanceof RangeError && /call stack|recursion/.test(reason.message);
      const message = overflow ? 'recursion too deep (a macro or include that calls itself?)' : reason instanceof Error ? reason.message : String(reason);
      return new TemplateError(`${where}: ${message}`, source, { line: err.line, reason: message, pythonType: pythonErrorType(reason) });
    }
    if (err instanceof UndefinedVariableError) {
      return new TemplateError(`${source}: ${err.message}`, source, { variable: err.variable, reason: err.message, pythonType: 'UndefinedError' });
    }
    if (err instanceof RangeError && /call stack/.test(err.message)) {
      return new TemplateError(`${source}: recursion too deep (a macro or include that calls itself?)`, source);
    }
    return new TemplateError(`${source}: ${err instanceof Error ? err.message : String(err)}`, source);
  }
}

/** Ansible's boolean reading of a setting ('1', 'yes', 'true', 'on'). */
function envBoolean(value: string | undefined): boolean {
  return value !== undefined && /^(1|y|yes|t|true|on)$/i.test(value.trim());
}

function syntaxOf(options: TemplateOptions): SyntaxOptions {
  const newline = options.newline_sequence === undefined ? '\n' : { '\\n': '\n', '\\r': '\r', '\\r\\n': '\r\n' }[options.newline_sequence] ?? options.newline_sequence;
  return {
    blockStart: options.block_start_string ?? ANSIBLE_SYNTAX.blockStart,
    blockEnd: options.block_end_string ?? ANSIBLE_SYNTAX.blockEnd,
    variableStart: options.variable_start_string ?? ANSIBLE_SYNTAX.variableStart,
    variableEnd: options.variable_end_string ?? ANSIBLE_SYNTAX.variableEnd,
    commentStart: options.comment_start_string ?? ANSIBLE_SYNTAX.commentStart,
    commentEnd: options.comment_end_string ?? ANSIBLE_SYNTAX.commentEnd,
    trimBlocks: options.trim_blocks ?? true,
    lstripBlocks: options.lstrip_blocks ?? false,
    newlineSequence: newline,
    keepTrailingNewline: options.keep_trailing_newline ?? false,
  };
}

const OVERRIDE_HEADER = '#jinja2:';

/** Ansible's environment settings a template's first line may change (`#jinja2: trim_blocks: False`). */
const OVERRIDES: Record<string, keyof SyntaxOptions> = {
  block_start_string: 'blockStart', block_end_string: 'blockEnd', variable_start_string: 'variableStart', variable_end_string: 'variableEnd',
  comment_start_string: 'commentStart', comment_end_string: 'commentEnd', trim_blocks: 'trimBlocks', lstrip_blocks: 'lstripBlocks',
  newline_sequence: 'newlineSequence', keep_trailing_newline: 'keepTrailingNewline', line_statement_prefix: 'lineStatementPrefix',
  line_comment_prefix: 'lineCommentPrefix',
};

/** A template starting with `#jinja2: key: value, ...`: the settings it asks for, and the template without that line. */
function withOverrides(text: string, settings: RenderSettings, source: string): { body: string; settings: RenderSettings } {
  const eol = text.indexOf('\n');
  // As Ansible reads it (a header without a newline loses its last character, and the text is kept whole).
  const header = eol < 0 ? text.slice(OVERRIDE_HEADER.length, -1) : text.slice(OVERRIDE_HEADER.length, eol);
  const body = text.slice(eol + 1);
  const syntax: Record<string, unknown> = { ...settings.syntax };
  for (const pair of header.split(',')) {
    const colon = pair.indexOf(':');
    if (colon < 0) {
      throw new TemplateError(`${source}: failed to parse jinja2 override '${pair.trim()}'. Did you use something different from colon as key-value separator?`, source);
    }
    const key = pair.slice(0, colon).trim();
    const value = literalEval(pair.slice(colon + 1).trim());
    if (value === undefined) throw new TemplateError(`${source}: failed to parse jinja2 override '${pair.trim()}': not a Python literal`, source);
    if (Object.hasOwn(OVERRIDES, key)) syntax[OVERRIDES[key]!] = isString(value) ? String(value) : value;
  }
  return { body, settings: { ...settings, syntax: syntax as unknown as SyntaxOptions } };
}

function hasMarkup(text: string, syntax: SyntaxOptions): boolean {
  return text.includes(syntax.variableStart) || text.includes(syntax.blockStart) || text.includes(syntax.commentStart);
}

const PLUGIN_NAME = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** A filter or test by name (`ansible.builtin.` names too), or Ansible's error. */
function lookupPlugin(table: Map<string, TemplateFunction>, name: string, kind: 'filter' | 'test'): TemplateFunction {
  const fn = table.get(name) ?? table.get(name.replace(/^ansible\.(builtin|legacy)\./, ''));
  if (fn) return fn;
  const reason = PLUGIN_NAME.test(name) ? `'${name}'` : `'invalid plugin name: ansible.builtin.${name}'`;
  throw new TemplateSyntaxError(`Could not load "${name}": ${reason} (no ${kind} named '${name}')`, 0);
}

/** A lazy variable that failed on an undefined name is an Undefined (usable with `default`), as in Ansible. */
function undefinedFromVariable(name: string, error: unknown): Undefined | undefined {
  // The Undefined names the variable that was missing (what the error names), with the lazy variable's message.
  if (error instanceof TemplateError && error.details.hint !== undefined && !error.details.recursion) return new Undefined(error.details.variable ?? name, error.details.hint);
  return undefined;
}

/** The render's result with what it touched: unsafe if it looked up unsafe data; secret text if it printed a secret. */
function tagged(value: unknown, trace: RenderTrace): unknown {
  if (isString(value)) {
    const tags = (trace.unsafe ? UNSAFE : 0) | (trace.secret ? SECRET : 0);
    if (!tags) return value;
    const sink = trace.secret === true ? undefined : trace.secret;
    return value instanceof TaggedText ? withTags(value, tags, sink) : new TaggedText(String(value), tags, sink);
  }
  return trace.unsafe && !isUnsafe(value) ? withTags(value, UNSAFE) : value;
}

const DEFINED_TEST = /(hostvars\[.+\]|\w+)\s+(not\s+is|is|is\s+not)\s+(defined|undefined)/g;

/**
 * Ansible's answer when a conditional fails on an undefined variable that
 * the conditional itself tests with `is defined`/`is undefined` (as in
 * `x | int > 0 or x is not defined`): the test's answer instead of the
 * error. Undefined when the error is not of that kind.
 */
function definednessAnswer(err: unknown, conditional: string): boolean | undefined {
  if (!(err instanceof TemplateError) || err.details.pythonType !== 'UndefinedError') return undefined;
  const missing = /'(hostvars\[.+\]|\w+)' is undefined/.exec(err.details.reason ?? err.message)?.[1];
  if (!missing) return undefined;
  for (const [, name, logic, state] of conditional.matchAll(DEFINED_TEST)) {
    if (name!.replace(/'/g, '"') !== missing.replace(/'/g, '"')) continue;
    const shouldExist = logic!.includes('not') !== (state === 'defined');
    return !shouldExist;
  }
  return undefined;
}

function unsafeCondition(source: string, text: string): TemplateError {
  return new TemplateError(`${source}: the conditional check '${text}' failed: the conditional is unsafe data (it came from a host, a lookup or !unsafe) and cannot be evaluated`, source);
}

/** The Python exception Ansible would name for an error raised while rendering. */
function pythonErrorType(err: unknown): string {
  // Errors made to look like Python's carry its name (TemplateSyntaxError, ZeroDivisionError, AnsibleFilterError).
  if (err instanceof Error && err.name !== 'Error' && /^[A-Z]\w*(Error|Exception|NotFound)$/.test(err.name) && !['TypeError', 'RangeError', 'SyntaxError'].includes(err.name)) return err.name;
  if (err instanceof TypeError) return 'TypeError';
  if (err instanceof RangeError) return 'ValueError';
  return 'AnsibleError';
}

/**
 * The variables with `extra` over them, for one render (the template
 * module's template_* variables). The base is read through, never copied
 * (it may be lazy), and never changed.
 */
function overlayVars(vars: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const own = (key: string | symbol): key is string => typeof key === 'string' && Object.hasOwn(extra, key);
  // An empty target of its own: the proxy may then report keys the base lacks, even of a frozen base.
  return new Proxy({} as Record<string, unknown>, {
    get: (_target, key) => (own(key) ? extra[key] : Reflect.get(vars, key)),
    has: (_target, key) => own(key) || Reflect.has(vars, key),
    ownKeys: () => [...new Set([...Reflect.ownKeys(vars), ...Reflect.ownKeys(extra)])],
    getOwnPropertyDescriptor: (_target, key) => {
      if (own(key)) return { value: extra[key], enumerable: true, configurable: true, writable: true };
      const descriptor = Reflect.getOwnPropertyDescriptor(vars, key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
