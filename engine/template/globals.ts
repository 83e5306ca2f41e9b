/**
 * Functions available in every template: `range`, `dict`, `lookup` and
 * `query`/`q` with the env, file, vars, items and list plugins.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { splitKwargs } from './members.js';
import { runtime, type NjContext } from './nunjucks-internals.js';
import { py } from './runtime.js';
import type { LookupHost } from '../lookups/types.js';
import type { TemplateOptions } from '../modules/types.js';
import { Undefined, dictLiteral, isDict, pyStr, truthy, type Dict } from './python.js';

type LookupPlugin = (this: NjContext, terms: unknown[], kwargs: Dict) => unknown[];

function resolveFile(searchPaths: string[], name: string): string | undefined {
  if (path.isAbsolute(name)) return existsSync(name) ? name : undefined;
  return [...searchPaths, process.cwd()].map((dir) => path.resolve(dir, name)).find((p) => existsSync(p));
}

function lookupPlugins(searchPaths: string[]): Record<string, LookupPlugin> {
  return {
    env: (terms, kwargs) => terms.map((t) => process.env[pyStr(t)] ?? (kwargs.default === undefined ? '' : kwargs.default)),
    file(terms, kwargs) {
      return terms.map((t) => {
        const file = resolveFile(searchPaths, pyStr(t));
        if (!file) throw new Error(`lookup('file'): could not find '${pyStr(t)}' (searched ${[...searchPaths, process.cwd()].join(', ')})`);
        const text = readFileSync(file, 'utf8');
        const rstrip = kwargs.rstrip === undefined || truthy(kwargs.rstrip);
        const lstrip = kwargs.lstrip !== undefined && truthy(kwargs.lstrip);
        return lstrip ? (rstrip ? text.trim() : text.trimStart()) : rstrip ? text.trimEnd() : text;
      });
    },
    vars(terms, kwargs) {
      return terms.map((t) => {
        const value = py.lookup(this, new runtime.Frame(), pyStr(t), kwargs.default !== undefined);
        return value instanceof Undefined ? kwargs.default : value;
      });
    },
    items: (terms) => terms.flat(),
    list: (terms) => terms,
  };
}

function runLookup(plugins: Record<string, LookupPlugin>, context: NjContext, args: unknown[]): { values: unknown[]; kwargs: Dict } {
  const { positional, kwargs } = splitKwargs(args);
  const [name, ...terms] = positional;
  const plugin = plugins[pyStr(name)];
  if (!plugin) throw new Error(`lookup plugin '${pyStr(name)}' is not available (have: ${Object.keys(plugins).join(', ')})`);
  return { values: plugin.call(context, terms, kwargs), kwargs };
}

export interface GlobalsOptions {
  /** Folders searched for relative file names when the task's variables give no `ansible_search_path`. */
  searchPaths: string[];
  /** What the run offers lookups (inventory, warnings, vault, config); absent outside a run. */
  host?: LookupHost;
  /** Renders template text (the `template` lookup) with the given variables and options. */
  render(text: string, vars: Record<string, unknown>, source: string, options?: TemplateOptions): string;
}

export function templateGlobals(options: GlobalsOptions): Record<string, unknown> {
  const plugins = lookupPlugins(options.searchPaths);
  return {
    /** lookup(): one value, or the values joined with commas (wantlist=true gives the list). */
    lookup(this: NjContext, ...args: unknown[]): unknown {
      const { values, kwargs } = runLookup(plugins, this, args);
      if (truthy(kwargs.wantlist ?? false)) return values;
      return values.length === 1 ? values[0] : values.map(pyStr).join(',');
    },
    query(this: NjContext, ...args: unknown[]): unknown[] {
      return runLookup(plugins, this, args).values;
    },
    q(this: NjContext, ...args: unknown[]): unknown[] {
      return runLookup(plugins, this, args).values;
    },
    range(start: unknown, stop?: unknown, step: unknown = 1): number[] {
      const [from, to] = stop === undefined ? [0, Number(start)] : [Number(start), Number(stop)];
      const by = Number(step);
      if (by === 0) throw new RangeError('range() arg 3 must not be zero');
      const out: number[] = [];
      for (let i = from; by > 0 ? i < to : i > to; i += by) out.push(i);
      return out;
    },
    dict(...args: unknown[]): Dict {
      const { positional, kwargs } = splitKwargs(args);
      const base = positional[0];
      const pairs = Array.isArray(base) ? base.flatMap((p) => (Array.isArray(p) ? [p[0], p[1]] : [])) : [];
      return { ...(isDict(base) ? base : {}), ...dictLiteral(pairs), ...kwargs };
    },
  };
}
