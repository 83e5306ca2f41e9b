/**
 * The Templar: renders Jinja2 text, templates values the way Ansible does
 * (native types for a lone `{{ expr }}`), evaluates bare expressions and
 * conditionals. Compiled templates are cached by text, since the same
 * `when:` runs on every host.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { RESULT_KEY, VARS_KEY, compileTemplate, type CompiledTemplate } from './compiler.js';
import { TemplateError } from './errors.js';
import { filters } from './filters.js';
import { templateGlobals } from './globals.js';
import { lib } from './nunjucks-internals.js';
import { UndefinedVariableError, isDict, isString, truthy } from './python.js';
import { RenderFault, py } from './runtime.js';
import { tests } from './tests.js';
import type { LookupHost } from '../lookups/types.js';
import type { TemplateOptions } from '../modules/types.js';

export interface TemplarOptions {
  /** Directories searched, in order, for `{% include %}` and `lookup('file')`. */
  searchPaths?: string[];
  /** What the run offers lookups (inventory_hostnames, warnings, vault, config). */
  lookupHost?: LookupHost;
}

interface CachedTemplate {
  template: nunjucks.Template;
  native: boolean;
}

const FALSE_WORDS = new Set(['false', 'no', 'off', '0', '']);
const TEMPLATE_MARKUP = /\{\{|\{%|\{#/;

function undefinedMessage(err: UndefinedVariableError): string {
  const plain = `'${err.variable}' is undefined`;
  return err.message === plain ? plain : `'${err.variable}' is undefined (${err.message})`;
}

/** nunjucks prefixes messages with "(path) [Line n, Column m]"; keep only the problem. */
function bareMessage(err: Error): string {
  return err.message.replace(/^\([^)]*\)(?: \[Line \d+(?:, Column \d+)?\])?\n\s*/, '');
}

export class Templar {
  private readonly env: nunjucks.Environment;
  private readonly cache = new Map<string, CachedTemplate>();
  private readonly searchPaths: string[];

  constructor(options: TemplarOptions = {}) {
    this.searchPaths = options.searchPaths ?? [];
    const loader = {
      async: false,
      cache: {},
      getSource: (name: string) => this.loadInclude(name),
    };
    this.env = new nunjucks.Environment(loader as unknown as nunjucks.ILoader, {
      autoescape: false,
      throwOnUndefined: false,
      trimBlocks: true,
      lstripBlocks: false,
      // Keep error objects as thrown (nunjucks otherwise re-creates them as plain Errors).
      dev: true,
    } as nunjucks.ConfigureOptions);
    for (const [name, fn] of Object.entries(filters)) this.env.addFilter(name, fn as (...args: unknown[]) => unknown);
    // addTest exists on Environment but is missing from @types/nunjucks.
    const env = this.env as unknown as { addTest(name: string, fn: unknown): void };
    for (const [name, fn] of Object.entries(tests)) env.addTest(name, fn);
    const globals = templateGlobals({
      searchPaths: this.searchPaths,
      host: options.lookupHost,
      render: (text, vars, source, renderOptions) => this.render(text, vars, source, renderOptions),
    });
    for (const [name, value] of Object.entries(globals)) this.env.addGlobal(name, value);
  }

  /** True when the text contains template markup ({{, {%, {#). */
  static isTemplate(text: string): boolean {
    return TEMPLATE_MARKUP.test(text);
  }

  /**
   * Render a template text. An undefined variable is a TemplateError naming
   * `source` and the variable. `options`: the template module's Jinja
   * settings (delimiters, whitespace, newlines, native types).
   */
  render(text: string, vars: Record<string, unknown>, source: string, options?: TemplateOptions): string {
    void options;
    if (!Templar.isTemplate(text)) return text;
    const compiled = this.compiled(text, false, source);
    return this.run(compiled, vars, source, text) as string;
  }

  /**
   * Ansible-style value templating: walks dicts and lists and renders strings.
   * A string that is exactly one `{{ expr }}` gives the expression's native
   * value (list, dict, number, bool, the same object for `{{ x }}`); other
   * strings render to strings, where a list or dict prints in Python repr
   * form (`['a', 'b']`). Other values pass through.
   */
  renderValue(value: unknown, vars: Record<string, unknown>, source: string): unknown {
    if (isString(value)) {
      const text = String(value);
      if (!Templar.isTemplate(text)) return text;
      const compiled = this.compiled(text, true, source);
      return this.run(compiled, vars, source, text);
    }
    if (Array.isArray(value)) return value.map((item) => this.renderValue(item, vars, source));
    if (isDict(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[String(this.renderValue(k, vars, source))] = this.renderValue(v, vars, source);
      return out;
    }
    return value;
  }

  /** Evaluate a bare Jinja2 expression (`when:`, `changed_when:`, debug `var:`), returning its native value. */
  evaluate(expr: string, vars: Record<string, unknown>, source: string): unknown {
    const text = `{{ ${expr.trim()} }}`;
    const compiled = this.compiled(text, true, source);
    if (!compiled.native) throw new TemplateError(`${source}: not a single expression: ${expr}`, source);
    return this.run(compiled, vars, source, text);
  }

  /**
   * A conditional as Ansible evaluates it: a bool as is; a string is a bare
   * expression, or, when it contains `{{ }}`, is rendered first; a list is
   * the AND of its items. An absent or empty condition is true. A string
   * result counts as false when it is false/no/off/0 or empty (any case).
   */
  isTrue(condition: unknown, vars: Record<string, unknown>, source: string): boolean {
    if (typeof condition === 'boolean') return condition;
    if (condition === null || condition === undefined) return true;
    if (Array.isArray(condition)) return condition.every((c) => this.isTrue(c, vars, source));
    if (!isString(condition)) return truthy(condition);
    const text = String(condition).trim();
    if (text === '') return true;
    // A bare expression is tested as `{% if expr %}` would: Python truthiness ('false' is a non-empty string).
    if (!Templar.isTemplate(text)) return truthy(this.evaluate(text, vars, source));
    const rendered = this.renderValue(text, vars, source);
    if (!isString(rendered)) return truthy(rendered);
    const word = String(rendered).trim();
    if (FALSE_WORDS.has(word.toLowerCase()) || /^(true|yes|on|1)$/i.test(word)) return conditionResult(word);
    return conditionResult(this.evaluate(word, vars, source));
  }

  private compiled(text: string, native: boolean, source: string): CachedTemplate {
    const key = `${native ? 'N' : 'T'}${text}`;
    let entry = this.cache.get(key);
    if (!entry) {
      let result: CompiledTemplate;
      try {
        result = compileTemplate(text, py, { native });
      } catch (err) {
        throw this.toTemplateError(err, source, text);
      }
      entry = { template: this.templateFor(result, undefined), native: result.native };
      this.cache.set(key, entry);
    }
    return entry;
  }

  private templateFor(compiled: CompiledTemplate, name: string | undefined): nunjucks.Template {
    const src = { type: 'code', obj: compiled.props } as unknown as string;
    return new nunjucks.Template(src, this.env, name);
  }

  private run(entry: CachedTemplate, vars: Record<string, unknown>, source: string, text: string): unknown {
    const box: { value: unknown } = { value: undefined };
    try {
      const output = entry.template.render({ [VARS_KEY]: vars, [RESULT_KEY]: box });
      if (!entry.native) return output;
    } catch (err) {
      throw this.toTemplateError(err, source, text);
    }
    return nativeValue(box.value);
  }

  /** The loader behind `{% include %}`: files from the search paths, compiled with our compiler. */
  private loadInclude(name: string): { src: unknown; path: string; noCache: boolean } | null {
    const file = path.isAbsolute(name) ? name : this.searchPaths.map((dir) => path.join(dir, name)).find(isReadableFile);
    if (!file || !isReadableFile(file)) {
      throw new Error(`template '${name}' not found (searched ${this.searchPaths.join(', ') || 'no search paths'})`);
    }
    const text = readFileSync(file, 'utf8');
    const key = `F${file}\0${text}`;
    let entry = this.cache.get(key);
    if (!entry) {
      try {
        const compiled = compileTemplate(text, py, { name: file });
        entry = { template: this.templateFor(compiled, file), native: false };
      } catch (err) {
        const line = (err as { lineno?: number }).lineno;
        throw new RenderFault(new SyntaxError(`template syntax error: ${bareMessage(err as Error)}`), file, line);
      }
      this.cache.set(key, entry);
    }
    return { src: { type: 'code', obj: (entry.template as unknown as { tmplProps: unknown }).tmplProps }, path: file, noCache: true };
  }

  private toTemplateError(err: unknown, source: string, text: string): TemplateError {
    if (err instanceof TemplateError) return err;
    const multiline = text.includes('\n');
    if (err instanceof RenderFault) {
      const where = err.template
        ? `${err.template}${err.line ? ` line ${err.line}` : ''} (included from ${source})`
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
        return new TemplateError(`${where}: ${undefinedMessage(reason)}`, source, { variable: reason.variable, line: err.line });
      }
      // A macro or include that calls itself ends in a JavaScript stack overflow; say what it means.
      const overflow = reason instanceof RangeError && /call stack/.test(reason.message);
      const message = overflow ? 'recursion too deep (a macro or include that calls itself?)' : reason instanceof Error ? bareMessage(reason) : String(reason);
      return new TemplateError(`${where}: ${message}`, source, { line: err.line });
    }
    if (err instanceof lib.TemplateError) {
      // A syntax error from the parser: lineno is 1-based there.
      // "unexpected end of file" comes without a line: it is the last one.
      const line = (err as { lineno?: number }).lineno ?? (/end of file/.test(err.message) ? text.split('\n').length : undefined);
      const where = `${source}${multiline && line ? ` line ${line}` : ''}`;
      return new TemplateError(`${where}: template syntax error: ${bareMessage(err)}`, source, { line });
    }
    return new TemplateError(`${source}: ${err instanceof Error ? err.message : String(err)}`, source);
  }
}

function isReadableFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** nunjucks' SafeString becomes a plain string; a missing value becomes None. */
function nativeValue(value: unknown): unknown {
  if (value instanceof String) return String(value);
  if (value === undefined) return null;
  return value;
}

/** A conditional's result: strings like 'false', 'no', 'off', '0' are false. */
function conditionResult(value: unknown): boolean {
  if (isString(value)) return !FALSE_WORDS.has(String(value).trim().toLowerCase());
  return truthy(value);
}
