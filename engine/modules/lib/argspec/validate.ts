/**
 * Ansible's argument spec validation (ArgumentSpecValidator, as the
 * validate_argument_spec action and role argument specs use it): aliases,
 * unknown options, defaults, required options, type coercion, choices,
 * nested `options` (dicts and lists of dicts) with their own
 * mutually_exclusive / required_* rules. It collects every failure in the
 * order and the words Ansible reports them.
 */
import { eq, pyStr } from '../../../template/python.js';
import { coercion, isMapping as isDict, pythonClass, shortClassName } from './types.js';

type Params = Record<string, unknown>;
type OptionSpec = Record<string, unknown>;
export type ArgumentSpec = Record<string, OptionSpec>;

/** One unknown option: its path of names (`o.zz` inside option o) and the names it could have been. */
interface Unsupported {
  name: string;
  supported: string[];
  aliases: string[];
}

class Validation {
  errors: string[] = [];
  unsupported: Unsupported[] = [];
}

const isText = (v: unknown): boolean => typeof v === 'string' || v instanceof String;
const optionsOf = (spec: OptionSpec): ArgumentSpec | undefined => (isDict(spec.options) ? (spec.options as ArgumentSpec) : undefined);
const hasKey = (params: Params, key: string): boolean => Object.prototype.hasOwnProperty.call(params, key);
const within = (context: string[]): string => (context.length ? ` found in ${context.join(' -> ')}` : '');

/**
 * Validates `params` (changed in place: aliases, defaults and coerced
 * values) against `spec`; returns the failures, empty when they pass.
 */
export function validateArguments(spec: ArgumentSpec, params: Params): string[] {
  const v = new Validation();
  let aliases: Record<string, string> = {};
  try {
    aliases = applyAliases(spec, params);
  } catch (err) {
    v.errors.push((err as Error).message);
  }
  try {
    checkSubParameterShapes(spec, params);
  } catch (err) {
    v.errors.push((err as Error).message);
  }
  try {
    findUnsupported(spec, params, aliases, [], v);
  } catch (err) {
    v.errors.push((err as Error).message);
  }
  // The top level of a spec has no mutually_exclusive / required_* rules of its own: only nested options do.
  checkOptions(spec, params, [], v, {});
  validateSubOptions(spec, params, [], v);
  if (v.unsupported.length) {
    const names = v.unsupported.map((u) => u.name).sort();
    // Ansible lists the options of one of the places an unknown option was found: the top level when it is one.
    const shown = v.unsupported.find((u) => !u.name.includes('.')) ?? v.unsupported[v.unsupported.length - 1]!;
    let supported = shown.supported.join(', ');
    if (shown.aliases.length) supported += ` (${shown.aliases.join(', ')})`;
    v.errors.push(`${names.join(', ')}. Supported parameters include: ${supported}.`);
  }
  return v.errors;
}

/** Copies each alias's value to its option; returns alias -> option. */
function applyAliases(spec: ArgumentSpec, params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, option] of Object.entries(spec)) {
    const fallback = option.default;
    if (fallback !== undefined && fallback !== null && option.required === true) throw new Error(`internal error: required and default are mutually exclusive for ${name}`);
    if (option.aliases === undefined || option.aliases === null) continue;
    if (!Array.isArray(option.aliases)) throw new Error('internal error: aliases must be a list or tuple');
    for (const alias of option.aliases.map(pyStr)) {
      out[alias] = name;
      if (hasKey(params, alias)) params[name] = params[alias];
    }
  }
  return out;
}

/**
 * Ansible looks at nested options first (for no_log values), and fails on
 * the first value of a dict option that is no mapping.
 */
function checkSubParameterShapes(spec: ArgumentSpec, params: Params): void {
  for (const [name, option] of Object.entries(spec)) {
    const sub = optionsOf(option);
    const value = params[name];
    if (!sub || value === undefined || value === null) continue;
    if (option.type !== 'dict' && !(option.type === 'list' && option.elements === 'dict')) continue;
    for (let item of Array.isArray(value) ? value : [value]) {
      if (isText(item)) item = coercion('dict').coerce(item);
      if (!isDict(item)) throw new Error(`Value '${pyStr(item)}' in the sub parameter field '${name}' must by a ${pyStr(option.type)}, not '${shortClassName(item)}'`);
      checkSubParameterShapes(sub, item as Params);
    }
  }
}

function findUnsupported(spec: ArgumentSpec, params: Params, aliases: Record<string, string>, context: string[], v: Validation): void {
  for (const key of Object.keys(params)) {
    if (hasKey(spec, key) || hasKey(aliases, key)) continue;
    // Ansible works the aliases out again here, and fails the same way on a bad spec.
    const again = applyAliases(spec, { ...params });
    v.unsupported.push({ name: [...context, key].join('.'), supported: Object.keys(spec).sort(), aliases: Object.keys(again).sort() });
  }
}

/** Sets the options that are missing and have a default (every missing option with `all`, to None). */
function setDefaults(spec: ArgumentSpec, params: Params, all: boolean): void {
  for (const [name, option] of Object.entries(spec)) {
    const fallback = option.default ?? null;
    if (!hasKey(params, name) && (fallback !== null || all)) params[name] = fallback;
  }
}

/** The checks of one level of options: rules, defaults, required, types, choices. */
function checkOptions(spec: ArgumentSpec, params: Params, context: string[], v: Validation, rules: OptionSpec): void {
  guarded(v, () => mutuallyExclusive(rules.mutually_exclusive, params, context));
  setDefaults(spec, params, false);
  const missing = Object.entries(spec).filter(([name, option]) => option.required === true && !hasKey(params, name)).map(([name]) => name);
  if (missing.length) v.errors.push(`missing required arguments: ${missing.sort().join(', ')}${within(context)}`);
  checkTypes(spec, params, context, v);
  checkChoices(spec, params, context, v);
  guarded(v, () => requiredTogether(rules.required_together, params, context));
  guarded(v, () => requiredOneOf(rules.required_one_of, params, context));
  guarded(v, () => requiredIf(rules.required_if, params, context));
  guarded(v, () => requiredBy(rules.required_by, params, context));
  setDefaults(spec, params, true);
}

function guarded(v: Validation, check: () => void): void {
  try {
    check();
  } catch (err) {
    v.errors.push((err as Error).message);
  }
}

function checkTypes(spec: ArgumentSpec, params: Params, context: string[], v: Validation): void {
  const found = context.length ? ` found in '${context.join(' -> ')}'` : '';
  for (const [name, option] of Object.entries(spec)) {
    const value = params[name];
    if (!hasKey(params, name) || value === null || value === undefined) continue;
    const { name: wanted, coerce } = coercion(option.type);
    try {
      params[name] = coerce(value);
      if (option.elements !== undefined && option.elements !== null) {
        const elements = params[name];
        if (option.type !== 'list' || !Array.isArray(elements)) {
          v.errors.push(`Invalid type ${wanted} for option '${pyStr(elements)}'${found ? `${found}.` : ''}, elements value check is supported only with 'list' type`);
        }
        params[name] = checkElements(option.elements, name, iterate(elements), found, v);
      }
    } catch (err) {
      v.errors.push(`argument '${name}' is of type ${pythonClass(value)}${found ? `${found}.` : ''} and we were unable to convert to ${wanted}: ${(err as Error).message}`);
    }
  }
}

/** What a Python `for` walks: a list's items, a string's characters, a dict's keys. */
function iterate(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isText(value)) return [...String(value)];
  if (isDict(value)) return Object.keys(value);
  throw new TypeError(`'${shortClassName(value)}' object is not iterable`);
}

function checkElements(type: unknown, name: string, values: unknown[], found: string, v: Validation): unknown[] {
  const { name: wanted, coerce } = coercion(type);
  const out: unknown[] = [];
  for (const value of values) {
    try {
      out.push(coerce(value));
    } catch (err) {
      v.errors.push(`Elements value for option '${name}'${found} is of type ${pythonClass(value)} and we were unable to convert to ${wanted}: ${(err as Error).message}`);
    }
  }
  return out;
}

const BOOLEAN_WORDS = { False: ['n', 'no', 'off', '0', 'false', 'f', 0, false], True: ['y', 'yes', 'on', '1', 'true', 't', 1, true] };

function checkChoices(spec: ArgumentSpec, params: Params, context: string[], v: Validation): void {
  for (const [name, option] of Object.entries(spec)) {
    const choices = option.choices;
    if (choices === undefined || choices === null) continue;
    if (!Array.isArray(choices)) {
      v.errors.push(`internal error: choices for argument ${name} are not iterable: ${pyStr(choices)}${within(context)}`);
      continue;
    }
    if (!hasKey(params, name)) continue;
    const allowed = (x: unknown): boolean => choices.some((c) => eq(x, c));
    const shown = choices.map(pyStr).join(', ');
    const value = params[name];
    if (Array.isArray(value)) {
      const bad = value.filter((item) => !allowed(item));
      if (bad.length) v.errors.push(`value of ${name} must be one or more of: ${shown}. Got no match for: ${bad.map(pyStr).join(', ')}${within(context)}`);
      continue;
    }
    if (allowed(value)) continue;
    // YAML may have read a choice such as `no` as a boolean: take the one choice it can stand for.
    for (const [word, words] of Object.entries(BOOLEAN_WORDS)) {
      if (!eq(value, word)) continue;
      const overlap = choices.filter((c) => words.some((w) => eq(w, c)));
      if (overlap.length === 1) params[name] = overlap[0];
    }
    if (!allowed(params[name])) v.errors.push(`value of ${name} must be one of: ${shown}, got: ${pyStr(params[name])}${within(context)}`);
  }
}

/** Nested options: each value of a dict option (or each item of a list of dicts) is validated against its `options`. */
function validateSubOptions(spec: ArgumentSpec, params: Params, context: string[], v: Validation): void {
  for (const [name, option] of Object.entries(spec)) {
    if (option.type !== 'dict' && !(option.type === 'list' && option.elements === 'dict')) continue;
    const sub = optionsOf(option);
    if (option.apply_defaults === true) {
      if (!sub) continue;
      if (params[name] === null || params[name] === undefined) params[name] = {};
    } else if (!sub || !hasKey(params, name) || params[name] === null || params[name] === undefined) continue;
    const here = [...context, name];
    const value = params[name];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (!isDict(item)) {
        v.errors.push(`value of '${name}' must be of type dict or list of dicts`);
        continue;
      }
      const subParams = item as Params;
      let aliases: Record<string, string> = {};
      try {
        aliases = applyAliases(sub, subParams);
      } catch (err) {
        v.errors.push((err as Error).message);
      }
      guarded(v, () => checkSubParameterShapes(sub, subParams));
      guarded(v, () => findUnsupported(sub, subParams, aliases, here, v));
      checkOptions(sub, subParams, here, v, option);
      validateSubOptions(sub, subParams, here, v);
    }
  }
}

// ---- the rules between options (Ansible's check_* functions) ----

/** How many of the terms (one name, or a list of names) are given. */
function countTerms(terms: unknown, params: Params): number {
  const list = Array.isArray(terms) ? terms.map(pyStr) : [pyStr(terms)];
  return new Set(list.filter((t) => hasKey(params, t))).size;
}

/** What Python's iteration of a rule's terms gives: a list's items, a string's characters. */
const items = (terms: unknown): unknown[] => (Array.isArray(terms) ? terms : isText(terms) ? [...String(terms)] : [terms]);
const joined = (terms: unknown, sep: string): string => (Array.isArray(terms) ? terms.map(pyStr).join(sep) : isText(terms) ? [...String(terms)].join(sep) : pyStr(terms));

function mutuallyExclusive(rules: unknown, params: Params, context: string[]): void {
  if (!Array.isArray(rules)) return;
  const broken = rules.filter((check) => countTerms(check, params) > 1);
  if (broken.length) throw new Error(`parameters are mutually exclusive: ${broken.map((c) => joined(c, '|')).join(', ')}${within(context)}`);
}

function requiredOneOf(rules: unknown, params: Params, context: string[]): void {
  if (!Array.isArray(rules)) return;
  const broken = rules.find((terms) => countTerms(terms, params) === 0);
  if (broken !== undefined) throw new Error(`one of the following is required: ${joined(broken, ', ')}${within(context)}`);
}

function requiredTogether(rules: unknown, params: Params, context: string[]): void {
  if (!Array.isArray(rules)) return;
  const broken = rules.find((terms) => {
    const counts = items(terms).map((t) => countTerms(t, params));
    return counts.some((c) => c > 0) && counts.includes(0);
  });
  if (broken !== undefined) throw new Error(`parameters are required together: ${joined(broken, ', ')}${within(context)}`);
}

function requiredIf(rules: unknown, params: Params, context: string[]): void {
  if (!Array.isArray(rules)) return;
  for (const rule of rules) {
    if (!Array.isArray(rule)) continue;
    const [key, value, needed, anyOf] = rule as [unknown, unknown, unknown, unknown];
    const names = items(needed);
    if (!hasKey(params, pyStr(key)) || !eq(params[pyStr(key)], value)) continue;
    const missing = names.filter((n) => countTerms(n, params) === 0);
    const enough = anyOf === true ? missing.length < names.length : missing.length === 0;
    if (missing.length && !enough) throw new Error(`${pyStr(key)} is ${pyStr(value)} but ${anyOf === true ? 'any' : 'all'} of the following are missing: ${missing.map(pyStr).join(', ')}${within(context)}`);
  }
}

function requiredBy(rules: unknown, params: Params, context: string[]): void {
  if (!isDict(rules)) return;
  for (const [key, needed] of Object.entries(rules)) {
    if (params[key] === undefined || params[key] === null) continue;
    const names = (Array.isArray(needed) ? needed : [needed]).map(pyStr);
    const missing = names.filter((n) => params[n] === undefined || params[n] === null);
    if (missing.length) throw new Error(`missing parameter(s) required by '${key}': ${missing.join(', ')}${within(context)}`);
  }
}
