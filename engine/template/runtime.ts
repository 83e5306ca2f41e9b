/**
 * The `py` object that compiled templates call (see compiler.ts): lookups
 * that know about undefined, Python operators, and error annotation.
 */
import { VARS_KEY } from './compiler.js';
import { member } from './members.js';
import type { NjContext, NjFrame } from './nunjucks-internals.js';
import {
  Undefined, UndefinedVariableError, add, arith, compare, contains, dictLiteral, iterate, mul, outputStr,
  pyStr, slice, truthy, type Dict,
} from './python.js';
import { printed, touch } from './trace.js';
import { carryTags, untag } from './trust.js';

/**
 * An error raised while rendering, with the template (undefined for inline
 * text) and the 1-based line where it happened. It has nunjucks' `Update`
 * method so nunjucks passes it through unchanged.
 */
export class RenderFault extends Error {
  constructor(
    readonly reason: unknown,
    readonly template: string | undefined,
    readonly line: number | undefined,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'RenderFault';
  }

  Update(): this {
    return this;
  }
}

function isPrototypeBuiltin(name: string, value: unknown): boolean {
  return name in Object.prototype && value === (Object.prototype as Dict)[name];
}

function lookup(context: NjContext, frame: NjFrame, name: string, soft: boolean): unknown {
  const local = frame.lookup(name);
  if (local !== undefined) return touch(local);
  const ctx = context.ctx;
  if (Object.hasOwn(ctx, name)) return touch(ctx[name]);
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

interface TestEnv {
  getTest(name: string): (this: NjContext, value: unknown, ...args: unknown[]) => unknown;
}

function test(env: TestEnv, context: NjContext, name: string, value: unknown, args: unknown[]): boolean {
  let fn;
  try {
    fn = env.getTest(name);
  } catch {
    throw new Error(`no test named '${name}'`);
  }
  touch(value);
  // Tests see plain data and give a plain boolean.
  return truthy(fn.call(context, untag(value), ...args.map((a) => untag(touch(a)))));
}

function compareChain(operands: unknown[], ops: string[]): boolean {
  return ops.every((op, i) => compare(operands[i], op, operands[i + 1]));
}

function fault(error: unknown, lineno: number, _colno: number, template: string | undefined): RenderFault {
  if (error instanceof RenderFault) return error;
  return new RenderFault(error, template, lineno + 1);
}

/** What `{{ value }}` prints; a printed secret makes the render's text secret. */
function output(value: unknown): string {
  printed(value);
  return outputStr(value);
}

/** `a ~ b`: new text, secret when either side is. */
function concat(a: unknown, b: unknown): string {
  return carryTags(pyStr(a) + pyStr(b), a, b);
}

export const py = {
  lookup, member, test, fault, compareChain, contains, iterate, truthy, output, concat,
  add: (a: unknown, b: unknown) => carryTags(add(a, b), a, b),
  mul: (a: unknown, b: unknown) => carryTags(mul(a, b), a, b),
  arith: (op: Parameters<typeof arith>[0], a: unknown, b: unknown) => carryTags(arith(op, a, b), a, b),
  slice: (value: unknown, start: number | null, stop: number | null, step: number | null) => carryTags(slice(value, start, stop, step), value),
  str: pyStr,
  dict: dictLiteral,
};

export type PyRuntime = typeof py;
