/**
 * Module arguments against the module's JSON Schema. At load time values that
 * are still templates cannot be type-checked, so errors on them are deferred
 * to run time, when the rendered arguments are checked again.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Module } from '../modules/types.js';
import { validatorFor } from './precompiled.js';
import { describeError } from './validate.js';

// Ansible coerces argument types ("22" -> 22, "yes" -> true); ajv's coercion covers numbers and true/false.
const caches = { argsStrict: new WeakMap<object, ValidateFunction>(), argsCoercing: new WeakMap<object, ValidateFunction>() };

/** Each variant on first use only: a run with no templated arguments never needs the coercing one. */
function validator(variant: 'argsStrict' | 'argsCoercing', schema: object): ValidateFunction {
  let fn = caches[variant].get(schema);
  if (!fn) {
    fn = validatorFor(variant, schema);
    caches[variant].set(schema, fn);
  }
  return fn;
}

const TEMPLATE = /\{\{|\{%/;

function valueAt(data: unknown, instancePath: string): unknown {
  let value = data;
  for (const step of instancePath.split('/').slice(1)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return TEMPLATE.test(value);
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value && typeof value === 'object') return Object.values(value).some(containsTemplate);
  return false;
}

const BOOL_WORDS: Record<string, boolean> = { yes: true, no: false, on: true, off: false, true: true, false: false, '1': true, '0': false, y: true, n: false };

/** Ansible's boolean coercion of top-level arguments declared boolean. */
function coerceBooleans(schema: Record<string, any>, args: Record<string, unknown>): void {
  const props = schema.properties ?? {};
  for (const [key, value] of Object.entries(args)) {
    const prop = props[key];
    if (!prop || typeof value !== 'string') continue;
    const types = ([] as unknown[]).concat(prop.type ?? []);
    if (types.length === 1 && types[0] === 'boolean' && value.toLowerCase() in BOOL_WORDS) args[key] = BOOL_WORDS[value.toLowerCase()];
  }
}

/** Drop keys whose value is Ansible's `omit` placeholder. */
export function dropOmitted(args: Record<string, unknown>, omitToken: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (v !== omitToken) out[k] = v;
  return out;
}

export interface ArgProblem {
  message: string;
  /** Path below the args (for positioning). */
  path: Array<string | number>;
  atKey: boolean;
}

/** Load-time check: returns the first problem not caused by a template, or undefined. */
export function checkArgsStatic(mod: Module, args: Record<string, unknown>, options: { fromText?: boolean } = {}): ArgProblem | undefined {
  const copy = structuredClone(args);
  coerceBooleans(mod.schema as Record<string, any>, copy);
  // key=value text gives strings: their types are converted as at run time ("0" for an integer).
  const fn = validator(options.fromText ? 'argsCoercing' : 'argsStrict', mod.schema);
  if (fn(copy)) return undefined;
  const real = (fn.errors ?? []).filter((e: ErrorObject) => {
    if (e.keyword === 'additionalProperties') return true;
    if (e.keyword === 'required') return true;
    return !containsTemplate(valueAt(copy, e.instancePath));
  });
  // anyOf/oneOf wrappers fail when their branches fail on a template: ignore those that have no real branch error.
  const meaningful = real.filter((e) => !(['anyOf', 'oneOf', 'if'].includes(e.keyword) && containsTemplate(valueAt(copy, e.instancePath))));
  if (!meaningful.length) return undefined;
  return toProblem(mod, meaningful);
}

function toProblem(mod: Module, errors: ErrorObject[]): ArgProblem {
  const rank = (e: ErrorObject) => (e.keyword === 'additionalProperties' ? 3 : e.keyword === 'required' ? 2 : 1);
  const e = [...errors].sort((a, b) => rank(b) - rank(a))[0];
  const d = describeError(e, `arguments of ${mod.name}`, errors);
  let message = d.message.replace(/^'([^']+)'/, `argument '$1'`);
  if (e.keyword === 'additionalProperties') {
    const known = Object.keys((mod.schema as Record<string, any>).properties ?? {}).sort();
    message = `unknown argument '${String(d.path[d.path.length - 1])}' for module ${mod.name} (expected one of: ${known.join(', ')})`;
  } else if (e.keyword === 'required') {
    message = `module ${mod.name}: ${d.message.replace('in arguments of ' + mod.name, '').trim()}`;
  }
  return { message, path: d.path, atKey: d.atKey };
}

/** Run-time check of rendered arguments; coerces types like Ansible. Returns the coerced args or a problem. */
export function checkArgsRuntime(mod: Module, args: Record<string, unknown>): { args: Record<string, unknown> } | { problem: ArgProblem } {
  const copy = structuredClone(args);
  coerceBooleans(mod.schema as Record<string, any>, copy);
  const fn = validator('argsCoercing', mod.schema);
  if (fn(copy)) return { args: copy };
  return { problem: toProblem(mod, fn.errors ?? []) };
}
