/**
 * Functions available in every template: `lookup`, `query`/`q` (the lookup
 * plugins of engine/lookups), and Jinja's `range`, `dict` and `lipsum`.
 */
import { randomInt } from 'node:crypto';
import { callLookup } from '../lookups/call.js';
import { templateValue } from '../lookups/terms.js';
import type { LookupTemplateOptions } from '../lookups/template.js';
import type { LookupContext, LookupHost } from '../lookups/types.js';
import type { TemplateOptions } from '../modules/types.js';
import { VARS_KEY } from './compiler.js';
import { splitKwargs } from './members.js';
import type { NjContext } from './nunjucks-internals.js';
import { Templar } from './templar.js';
import { dictLiteral, isDict, isString, pyStr, truthy, type Dict } from './python.js';

export interface GlobalsOptions {
  /** Folders searched for relative file names when the task's variables give no `ansible_search_path`. */
  searchPaths: string[];
  /** What the run offers lookups (inventory, warnings, vault, config); absent outside a run. */
  host?: LookupHost;
  /** Renders template text (the `template` lookup) with the given variables and options. */
  render(text: string, vars: Record<string, unknown>, source: string, options?: TemplateOptions): string;
  /**
   * Templates a value as a task keyword is templated (a lone `{{ expr }}`
   * gives its native value). Lookup terms holding template markup go
   * through it (Ansible templates them again); without it they are
   * rendered as text.
   */
  renderValue?(value: unknown, vars: Record<string, unknown>, source: string): unknown;
}

/**
 * Adapter until Templar.render honours `options.searchPath` (the folders a
 * template lookup's `{% include %}` searches): a Templar for those folders.
 * Template lookups are rare enough to make one per call.
 */
function renderWithIncludes(text: string, file: string, vars: Dict, renderOptions: LookupTemplateOptions, host: LookupHost | undefined): string {
  return new Templar({ searchPaths: renderOptions.searchPath, lookupHost: host }).render(text, vars, file, renderOptions);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(pyStr) : undefined;
}

/**
 * What a lookup sees of the template being rendered: its variables, the
 * search path, and the run. The search path is the task's
 * `ansible_search_path`; without it (a runner that does not set it, a
 * template outside a task), the role's folder and the playbook's folder,
 * else the Templar's search paths, else the playbook's folder.
 */
export function lookupContext(vars: Dict, options: GlobalsOptions, source: string): LookupContext {
  const host = options.host;
  const playbookDir = vars.playbook_dir;
  const basedir = isString(playbookDir) ? String(playbookDir) : process.cwd();
  const roleDir = vars.role_path;
  const searchPath = stringList(vars.ansible_search_path)
    ?? (isString(roleDir) ? [String(roleDir), basedir] : options.searchPaths.length ? options.searchPaths : [basedir]);
  const renderText = (text: string): unknown => (options.renderValue ? options.renderValue(text, vars, source) : options.render(text, vars, source));
  return {
    vars,
    template: (value) => templateValue(value, renderText),
    renderTemplate: (text, file, templateVars, renderOptions: LookupTemplateOptions) => (renderOptions.searchPath?.length
      ? renderWithIncludes(text, file, templateVars, renderOptions, host)
      : options.render(text, templateVars, file, renderOptions)),
    searchPath,
    basedir,
    hostsMatching: host ? (pattern) => host.hostsMatching(pattern) : undefined,
    warn: (message) => (host ? host.warn(message) : process.stderr.write(`[WARNING]: ${message}\n`)),
    decryptVault: host?.decryptVault ? (text, file) => host.decryptVault!(text, file) : undefined,
    config: host?.config ? (name) => host.config!(name) : undefined,
  };
}

const LOREM = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna '
  + 'aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea commodo consequat duis aute irure '
  + 'in reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa '
  + 'qui officia deserunt mollit anim id est laborum curabitur pretium tincidunt lacus nunc pulvinar sapien').split(' ');

const pick = (from: number, to: number): number => from + randomInt(to - from + 1);

/** Jinja's lipsum(n=5, html=True, min=20, max=100): paragraphs of placeholder Latin. */
function lipsum(...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  const [n = kwargs.n ?? 5, html = kwargs.html ?? true, min = kwargs.min ?? 20, max = kwargs.max ?? 100] = positional;
  const paragraphs: string[] = [];
  for (let p = 0; p < Number(n); p++) {
    const words: string[] = [];
    let last = '';
    let lastComma = 0;
    let lastPeriod = 0;
    let capital = true;
    const count = pick(Number(min), Number(max));
    for (let i = 0; i < count; i++) {
      let word = LOREM[randomInt(LOREM.length)]!;
      while (word === last) word = LOREM[randomInt(LOREM.length)]!;
      last = word;
      if (capital) word = word[0]!.toUpperCase() + word.slice(1);
      capital = false;
      if (i - pick(3, 7) > lastComma) {
        lastComma = i;
        lastPeriod += 2;
        word += ',';
      }
      if (i - pick(10, 19) > lastPeriod) {
        lastComma = lastPeriod = i;
        word = `${word.replace(/,$/, '')}.`;
        capital = true;
      }
      words.push(word);
    }
    const text = words.join(' ').replace(/[.,]?$/, '.');
    paragraphs.push(truthy(html) ? `<p>${text}</p>` : text);
  }
  return paragraphs.join(truthy(html) ? '\n' : '\n\n');
}

export function templateGlobals(options: GlobalsOptions): Record<string, unknown> {
  const call = (context: NjContext, args: unknown[], query: boolean): unknown => {
    const { positional, kwargs } = splitKwargs(args);
    const [name, ...terms] = positional;
    const plugin = pyStr(name);
    const vars = (context.ctx[VARS_KEY] as Dict | undefined) ?? {};
    return callLookup(plugin, terms, kwargs, lookupContext(vars, options, `lookup('${plugin}')`), query);
  };
  return {
    /** lookup(): one value, or the values joined with commas (wantlist=True gives the list). */
    lookup(this: NjContext, ...args: unknown[]): unknown {
      return call(this, args, false);
    },
    query(this: NjContext, ...args: unknown[]): unknown {
      return call(this, args, true);
    },
    q(this: NjContext, ...args: unknown[]): unknown {
      return call(this, args, true);
    },
    range(start: unknown, stop?: unknown, step: unknown = 1): number[] {
      const [from, to] = stop === undefined ? [0, Number(start)] : [Number(start), Number(stop)];
      const by = Number(step);
      if (by === 0) throw new RangeError('range() arg 3 must not be zero');
      const out: number[] = [];
      for (let i = from; by > 0 ? i < to : i > to; i += by) out.push(i);
      return out;
    },
    lipsum,
    dict(...args: unknown[]): Dict {
      const { positional, kwargs } = splitKwargs(args);
      const base = positional[0];
      const pairs = Array.isArray(base) ? base.flatMap((p) => (Array.isArray(p) ? [p[0], p[1]] : [])) : [];
      return { ...(isDict(base) ? base : {}), ...dictLiteral(pairs), ...kwargs };
    },
  };
}
