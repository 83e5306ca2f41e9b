/**
 * The lookups that read variables and the environment: vars, varnames, env.
 */
import { isDict, isString, pyStr, typeName, Undefined, type Dict } from '../template/python.js';
import { pyRegex } from '../template/regex.js';
import { LookupError, undefinedError } from './errors.js';
import { resolveOptions } from './options.js';
import { termList } from './terms.js';
import type { LookupContext, LookupPlugin } from './types.js';

/** A variable's value, or undefined when the task has no such variable. */
function readVariable(vars: Dict, name: string): unknown {
  const value = vars[name];
  // Object.prototype members (toString, constructor...) are not variables.
  if (value === undefined || (name in Object.prototype && value === (Object.prototype as Dict)[name])) return undefined;
  return value;
}

function isUndefinedFailure(err: unknown): boolean {
  return err instanceof Error && (err.name === 'UndefinedVariableError' || (err.name === 'TemplateError' && (err as { variable?: string }).variable !== undefined));
}

/** The variable from the task's variables, else from the host's (hostvars[inventory_hostname]). */
function lookupVariable(ctx: LookupContext, name: string): unknown {
  const own = readVariable(ctx.vars, name);
  if (own !== undefined) return own;
  const hostvars = ctx.vars.hostvars;
  const host = ctx.vars.inventory_hostname;
  if (isDict(hostvars) && isString(host)) {
    const mine = (hostvars as Dict)[String(host)];
    if (isDict(mine)) {
      const value = readVariable(mine, name);
      if (value !== undefined) return value;
    }
  }
  throw undefinedError(name, `No variable found with this name: ${name}`);
}

export const vars: LookupPlugin = {
  name: 'vars',
  run(terms, options, ctx) {
    const { default: fallback } = resolveOptions('vars', { default: { type: 'raw' } }, options);
    return termList(terms).map((term) => {
      if (!isString(term)) throw new LookupError(`Invalid setting identifier, "${pyStr(term)}" is not a string, its a <class '${typeName(term)}'>`);
      try {
        return lookupVariable(ctx, String(term));
      } catch (err) {
        if (isUndefinedFailure(err) && fallback !== null && fallback !== undefined) return fallback;
        throw err;
      }
    });
  },
};

/** Every variable name of the task, in definition order. */
function variableNames(vars: Dict): string[] {
  const names = new Set<string>();
  // for...in also walks inherited layers of variables.
  for (const name in vars) names.add(name);
  return [...names];
}

/** Python's wording for a regular expression JavaScript cannot compile ("Nothing to repeat" → "nothing to repeat"). */
function regexReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.slice(message.lastIndexOf(': ') + 2);
  return reason.charAt(0).toLowerCase() + reason.slice(1);
}

export const varnames: LookupPlugin = {
  name: 'varnames',
  run(terms, _options, ctx) {
    const names = variableNames(ctx.vars);
    const out: string[] = [];
    for (const term of termList(terms)) {
      if (!isString(term)) throw new LookupError(`Invalid setting identifier, "${pyStr(term)}" is not a string, it is a <class '${typeName(term)}'>`);
      let pattern: RegExp;
      try {
        pattern = pyRegex(String(term));
      } catch (err) {
        throw new LookupError(`Unable to use "${String(term)}" as a search parameter: ${regexReason(err)}`);
      }
      for (const name of names) if (pattern.test(name)) out.push(name);
    }
    return out;
  },
};

export const env: LookupPlugin = {
  name: 'env',
  run(terms, options) {
    const { default: fallback } = resolveOptions('env', { default: { type: 'raw', default: '' } }, options);
    return termList(terms).map((term) => {
      const name = String(term).split(/\s+/).filter(Boolean)[0];
      if (name === undefined) throw new LookupError('list index out of range', 'IndexError');
      const value = Object.hasOwn(process.env, name) ? process.env[name] : fallback;
      if (value instanceof Undefined) throw undefinedError(name, `The "env" lookup, found an undefined variable: ${name}`);
      return value;
    });
  },
};
