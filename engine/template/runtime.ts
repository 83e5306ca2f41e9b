/**
 * What the lookup plugins (globals.ts) use to read variables from inside a
 * render: `py.lookup(this, frame, name, soft)` with the `this` a template
 * function is called with (the Templar's call context: the variables under
 * VARS_KEY, and the environment's globals).
 */
import { Undefined, UndefinedVariableError, type Dict } from './python.js';
import { touch } from './trace.js';

export const VARS_KEY = '__uxsv_vars';

/** The `this` of a filter, test or global function. */
export interface CallContext {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

interface LocalNames {
  lookup(name: string): unknown;
}

function isPrototypeBuiltin(name: string, value: unknown): boolean {
  return name in Object.prototype && value === (Object.prototype as Dict)[name];
}

/** A variable by name: the frame's, the render's variables, the globals; missing is an Undefined (soft) or an error. */
function lookup(context: CallContext, frame: LocalNames | undefined, name: string, soft: boolean): unknown {
  const local = frame?.lookup(name);
  if (local !== undefined) return touch(local);
  const ctx = context.ctx;
  if (Object.hasOwn(ctx, name) && name !== VARS_KEY) return touch(ctx[name]);
  const vars = ctx[VARS_KEY] as Dict | undefined;
  if (vars) {
    const value = vars[name];
    if (value !== undefined && !isPrototypeBuiltin(name, value)) return touch(value);
  }
  const globals = context.env.globals;
  if (Object.hasOwn(globals, name)) return globals[name];
  const reason = `'${name}' is undefined`;
  if (soft) return new Undefined(name, reason);
  throw new UndefinedVariableError(name, reason);
}

export const py = { lookup };

export type PyRuntime = typeof py;
