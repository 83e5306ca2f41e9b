/**
 * Turns a parsed template into closures that render it with Jinja2's
 * semantics: scopes (a `for` body, a macro, `with` and non-scoped blocks
 * have their own; `if` does not; assignments never leak out of a loop),
 * the `loop` object, macros with defaults, varargs, kwargs and caller,
 * `{% call %}`, filter blocks, block `set`, `namespace()`, includes and
 * imports with or without context, template inheritance with `super()`,
 * `do`, `break` and `continue`. Values follow Python through python.ts and
 * members.ts; what a render touches is reported for trust (trace.ts).
 */
import { types } from 'node:util';
import type { BinaryOperator, CompareOperator, Expr, ExprOf, Stmt, StmtOf, TemplateNode } from './ast.js';
import { RenderError, TemplateNotFound, TemplateSyntaxError } from './errors.js';
import { LoopContext, Macro, NOT_GIVEN, Namespace, TemplateModule, type MacroShape } from './objects.js';
import { Output, topLevelResult, type ConcatMode } from './output.js';
import { getattr, getitem } from '../members.js';
import {
  PyObject, SilentUndefined, Undefined, add, arith, compare, contains, dictKey, failUndefined, isDict, isString,
  isTuple, iterate, mul, neg, pos, pyFloat, pyStr, slice, truthy, tuple, typeName, type Dict,
} from '../python.js';
import { made, touch } from '../trace.js';
import { carryTags, keepOwnTags } from '../trust.js';

type FilterFunction = (this: unknown, ...args: unknown[]) => unknown;

/** What compiled templates need from the Templar. */
export interface Environment {
  /** A filter by name; throws a TemplateSyntaxError-like error when there is none. */
  filter(name: string): FilterFunction;
  test(name: string): FilterFunction;
  readonly globals: Record<string, unknown>;
  /** A template for `{% include %}`, `{% import %}`, `{% extends %}`; throws TemplateNotFound. */
  load(name: string): CompiledTemplate;
}

/** One top-level render. */
export interface RenderState {
  readonly env: Environment;
  readonly vars: Record<string, unknown>;
  readonly mode: ConcatMode;
  /** `this` for filters, tests and global functions (they reach `env` and the variables through it). */
  readonly callContext: unknown;
  /** Turns an error thrown while reading a variable into an Undefined (a lazy variable's own undefined). */
  readonly undefinedFrom?: (name: string, error: unknown) => Undefined | undefined;
  /** Includes and imports in progress, against runaway recursion. */
  depth: number;
}

type Eval = (f: Frame) => unknown;
type Exec = (f: Frame, out: Output) => void;
type BlockFn = (ctx: Context, out: Output, scope: Scope | null, level: number) => void;

const NOT_FOUND = Symbol('not found');
const MAX_NESTING = 60;

class Scope {
  // Most scopes (a loop iteration's) hold a name or two: kept in fields, a Map past that.
  private name1: string | undefined;
  private value1: unknown;
  private name2: string | undefined;
  private value2: unknown;
  private more: Map<string, unknown> | undefined;
  constructor(readonly parent: Scope | null) {}

  get(name: string): unknown {
    for (let s: Scope | null = this; s; s = s.parent) {
      if (s.name1 === name) return s.value1;
      if (s.name2 === name) return s.value2;
      if (s.more?.has(name)) return s.more.get(name);
    }
    return NOT_FOUND;
  }

  set(name: string, value: unknown): void {
    if (this.name1 === undefined || this.name1 === name) {
      this.name1 = name;
      this.value1 = value;
    } else if (this.name2 === undefined || this.name2 === name) {
      this.name2 = name;
      this.value2 = value;
    } else {
      (this.more ??= new Map()).set(name, value);
    }
  }
}

/** One template's render: its top-level variables, exports and blocks. */
class Context {
  readonly root = new Scope(null);
  readonly exported = new Set<string>();
  readonly blocks = new Map<string, BlockFn[]>();
  /** Copies of variables made for a template that changes lists or dicts (members.ts MUTATING). */
  private copied: Map<string, unknown> | undefined;
  parentTemplate: CompiledTemplate | null = null;

  get copies(): Map<string, unknown> {
    return (this.copied ??= new Map());
  }

  constructor(
    readonly state: RenderState,
    readonly template: CompiledTemplate,
    /** Names the template does not set itself: the includer's, or the variables and globals. */
    readonly outer: (name: string) => unknown,
  ) {
    for (const [name, block] of template.blocks) this.blocks.set(name, [block]);
  }
}

class Frame {
  constructor(
    readonly ctx: Context,
    readonly scope: Scope,
  ) {}

  child(): Frame {
    return new Frame(this.ctx, new Scope(this.scope));
  }

  /** What a name means here: locals, then the template's variables, then the outer names. */
  resolve(name: string): unknown {
    const local = this.scope.get(name);
    if (local !== NOT_FOUND) return local;
    const root = this.ctx.root.get(name);
    if (root !== NOT_FOUND) return root;
    return this.ctx.outer(name);
  }
}

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

/** Python's `a.b` spelled as written, for messages. */
function pathOf(node: Expr): string {
  switch (node.kind) {
    case 'name': return node.name;
    case 'getattr': return `${pathOf(node.node)}.${node.attr}`;
    case 'getitem': return node.arg.kind === 'const' ? `${pathOf(node.node)}[${JSON.stringify(node.arg.value)}]` : `${pathOf(node.node)}[...]`;
    default: return '(expression)';
  }
}

/** Visits every node object of an AST (anything with a `kind`). */
function walk(node: unknown, visit: (n: { kind: string } & Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as { kind?: string } & Record<string, unknown>;
  if (typeof n.kind === 'string') visit(n as { kind: string } & Record<string, unknown>);
  for (const value of Object.values(n)) if (value && typeof value === 'object') walk(value, visit);
}

function namesUsed(body: unknown): Set<string> {
  const names = new Set<string>();
  walk(body, (n) => {
    if (n.kind === 'name') names.add(n.name as string);
  });
  return names;
}

const MUTATING_METHODS = new Set(['append', 'extend', 'insert', 'pop', 'remove', 'reverse', 'sort', 'clear', 'update', 'setdefault', 'popitem']);

/** A deep copy of plain data that keeps tuples and trust tags (for a template that changes it). */
function copyData(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null || value instanceof String || value instanceof Number || value instanceof PyObject) return value;
  // A proxy (hostvars, lazy variables) builds its values when read: never copied whole.
  if (types.isProxy(value)) return value;
  if (!Array.isArray(value) && !isDict(value)) return value;
  if (seen.has(value)) return seen.get(value);
  const copy: unknown[] | Dict = Array.isArray(value) ? (isTuple(value) ? tuple([]) : []) : {};
  seen.set(value, copy);
  if (Array.isArray(value)) for (const item of value) (copy as unknown[]).push(copyData(item, seen));
  else for (const [k, v] of Object.entries(value)) (copy as Dict)[k] = copyData(v, seen);
  keepOwnTags(copy, value);
  return made(copy);
}

function withLine<T extends (...args: never[]) => unknown>(fn: T, line: number, template: string | undefined): T {
  return ((...args: never[]) => {
    try {
      return fn(...args);
    } catch (err) {
      throw annotate(err, line, template);
    }
  }) as T;
}

function annotate(err: unknown, line: number, template: string | undefined): unknown {
  if (err instanceof RenderError || err === BREAK || err === CONTINUE || err instanceof TemplateSyntaxError) return err;
  return new RenderError(err, template, line);
}

/** The filters and tests that take an undefined operand (the rest fail on one, as they would in Python). */
const SOFT_FILTERS = new Set(['default', 'd', 'mandatory', 'type_debug']);
const SOFT_TESTS = new Set([
  'defined', 'undefined', 'none', 'string', 'number', 'integer', 'float', 'boolean', 'mapping', 'sequence',
  'iterable', 'callable', 'sameas', 'true', 'false',
]);

/**
 * What type_debug calls a plain string read unchanged from a variable: text
 * from the playbook's YAML, which Ansible keeps as its own str subclass.
 * Text the expression makes (a literal, a filter's result, a concatenation)
 * is Python's `str`.
 */
const STORED_TEXT_TYPE = 'AnsibleUnicode';

/**
 * The expression yields a value as stored (a variable, an item or attribute
 * of one, one of such values picked by `if`/`and`/`or`), not one it makes.
 */
function readsStoredValue(node: Expr): boolean {
  switch (node.kind) {
    case 'name': return true;
    case 'getattr': return readsStoredValue(node.node);
    case 'getitem': return node.arg.kind !== 'slice' && readsStoredValue(node.node);
    case 'condexpr': return readsStoredValue(node.expr1) && (node.expr2 === null || readsStoredValue(node.expr2));
    case 'and': case 'or': return readsStoredValue(node.left) && readsStoredValue(node.right);
    default: return false;
  }
}

export class CompiledTemplate {
  constructor(
    readonly name: string | undefined,
    readonly root: Exec,
    readonly blocks: Map<string, BlockFn>,
    /** The template is exactly one `{{ expression }}`. */
    readonly single: boolean,
  ) {}

  /** Renders the template as the top-level one: the output's value as the mode makes it. */
  render(state: RenderState): unknown {
    const out = new Output(state.mode);
    this.run(this.newContext(state, (name) => topLevelName(state, name)), out);
    return topLevelResult(out);
  }

  newContext(state: RenderState, outer: (name: string) => unknown): Context {
    return new Context(state, this, outer);
  }

  /** Runs the body (and, after `{% extends %}`, the parent's) into `out`. */
  run(ctx: Context, out: Output): void {
    this.root(new Frame(ctx, ctx.root), out);
    let parent = ctx.parentTemplate;
    while (parent) {
      for (const [name, block] of parent.blocks) {
        const stack = ctx.blocks.get(name) ?? [];
        stack.push(block);
        ctx.blocks.set(name, stack);
      }
      ctx.parentTemplate = null;
      parent.root(new Frame(ctx, ctx.root), out);
      parent = ctx.parentTemplate;
    }
  }
}

/** A name at the top level: the render's variables (lazy, may fail), then the globals. */
function topLevelName(state: RenderState, name: string): unknown {
  let value: unknown;
  try {
    value = state.vars[name];
  } catch (err) {
    const undefinedValue = state.undefinedFrom?.(name, err);
    if (undefinedValue) return undefinedValue;
    throw err;
  }
  if (value !== undefined && !(name in Object.prototype && value === (Object.prototype as Dict)[name])) return value;
  if (Object.hasOwn(state.env.globals, name)) return state.env.globals[name];
  return NOT_FOUND;
}

/** Compiles one template. `name` is its file, for messages; undefined for inline text. */
export function compile(tree: TemplateNode, name: string | undefined, env: Environment): CompiledTemplate {
  const compiler = new Compiler(name, env);
  const root = compiler.rootBody(tree.body);
  const only = tree.body[0];
  const single = tree.body.length === 1 && only!.kind === 'output' && only.items.length === 1 && only.items[0]!.kind !== 'data';
  return new CompiledTemplate(name, root, compiler.blocks, single);
}

class Compiler {
  readonly blocks = new Map<string, BlockFn>();
  /** Whether the template calls a list or dict method that changes it: its variables are then copies. */
  private mutates = false;
  private loopDepth = 0;

  constructor(
    private readonly name: string | undefined,
    private readonly env: Environment,
  ) {}

  rootBody(body: Stmt[]): Exec {
    walk(body, (n) => {
      if (n.kind === 'call' && (n.node as Expr).kind === 'getattr' && MUTATING_METHODS.has((n.node as ExprOf<'getattr'>).attr)) this.mutates = true;
    });
    const stmts = body.map((s) => this.stmt(s));
    return (f, out) => {
      let target = out;
      const discard = new Output(out.mode);
      for (const stmt of stmts) {
        stmt(f, target);
        // After `{% extends %}` the template's own output is not shown (the parent's is).
        if (f.ctx.parentTemplate) target = discard;
      }
    };
  }

  private body(stmts: Stmt[]): Exec {
    const compiled = stmts.map((s) => this.stmt(s));
    if (compiled.length === 1) return compiled[0]!;
    return (f, out) => {
      for (const stmt of compiled) stmt(f, out);
    };
  }

  // ---- statements ----

  private stmt(node: Stmt): Exec {
    const exec = this.stmtBody(node);
    return withLine(exec, node.line, this.name);
  }

  private stmtBody(node: Stmt): Exec {
    switch (node.kind) {
      case 'output': return this.output(node);
      case 'if': return this.ifStmt(node);
      case 'for': return this.forStmt(node);
      case 'set': {
        const value = this.expr(node.expr);
        return (f) => this.assign(f, node.target, value(f));
      }
      case 'setblock': {
        const body = this.body(node.body);
        const filter = node.filter ? this.filterChain(node.filter) : null;
        return (f, out) => {
          const captured = new Output(out.mode);
          body(f.child(), captured);
          const value = captured.result();
          this.assign(f, node.target, filter ? filter(f, value) : value);
        };
      }
      case 'macro': {
        const define = this.macro(node.name, node, node.body);
        return (f) => this.assign(f, { kind: 'name', name: node.name, line: node.line }, define(f));
      }
      case 'callblock': return this.callBlock(node);
      case 'filterblock': {
        const body = this.body(node.body);
        const filter = this.filterChain(node.filter);
        return (f, out) => {
          const captured = new Output(out.mode);
          body(f.child(), captured);
          out.value(filter(f, captured.result()));
        };
      }
      case 'with': {
        const values = node.values.map((v) => this.expr(v));
        const body = this.body(node.body);
        return (f, out) => {
          const computed = values.map((v) => v(f));
          const inner = f.child();
          node.targets.forEach((t, i) => this.assignIn(inner, t, computed[i]));
          body(inner, out);
        };
      }
      case 'scope': {
        const body = this.body(node.body);
        return (f, out) => body(f.child(), out);
      }
      case 'block': return this.block(node);
      case 'extends': {
        const template = this.expr(node.template);
        return (f) => {
          if (f.ctx.parentTemplate) throw new TemplateSyntaxError('extended multiple times', node.line);
          f.ctx.parentTemplate = this.load(f, template(f));
        };
      }
      case 'include': return this.include(node);
      case 'import': {
        const template = this.expr(node.template);
        return (f) => f.scope.set(node.target, this.module(f, template(f), node.withContext));
      }
      case 'fromimport': {
        const template = this.expr(node.template);
        return (f) => {
          const name = template(f);
          const module = this.module(f, name, node.withContext);
          for (const [exported, alias] of node.names) {
            const value = module.exports.get(exported);
            f.scope.set(alias, value !== undefined ? value : new Undefined(alias, `the template ${reprName(name)} (imported on line ${node.line}) does not export the requested name '${exported}'`));
          }
        };
      }
      case 'do': {
        const value = this.expr(node.expr);
        return (f) => void value(f);
      }
      case 'break':
      case 'continue': {
        if (this.loopDepth === 0) throw new TemplateSyntaxError(`'${node.kind}' outside loop`, node.line);
        const signal = node.kind === 'break' ? BREAK : CONTINUE;
        return () => {
          throw signal;
        };
      }
    }
  }

  private output(node: StmtOf<'output'>): Exec {
    const items = node.items.map((item) => {
      if (item.kind === 'data') {
        const text = item.text;
        return (_f: Frame, out: Output) => out.data(text);
      }
      const value = this.expr(item);
      const stored = readsStoredValue(item);
      return withLine((f: Frame, out: Output) => out.value(value(f), stored), item.line, this.name);
    });
    return (f, out) => {
      for (const item of items) item(f, out);
    };
  }

  private ifStmt(node: StmtOf<'if'>): Exec {
    const branches = [{ test: node.test, body: node.body }, ...node.elifs].map((b) => ({ test: withLine(this.expr(b.test), b.test.line, this.name), body: this.body(b.body) }));
    const otherwise = this.body(node.else_);
    return (f, out) => {
      for (const branch of branches) {
        if (truthy(branch.test(f))) {
          branch.body(f, out);
          return;
        }
      }
      otherwise(f, out);
    };
  }

  private forStmt(node: StmtOf<'for'>): Exec {
    const iter = this.expr(node.iter);
    const test = node.test ? this.expr(node.test) : null;
    this.loopDepth++;
    const body = this.body(node.body);
    this.loopDepth--;
    const otherwise = this.body(node.else_);
    const run = (f: Frame, out: Output, iterable: unknown, depth0: number): void => {
      let items = [...iterate(iterable)];
      if (test) {
        items = items.filter((item) => {
          const scope = f.child();
          this.assignIn(scope, node.target, item);
          return truthy(test(scope));
        });
      }
      if (items.length === 0) {
        otherwise(f.child(), out);
        return;
      }
      const recurse = node.recursive
        ? (children: unknown) => {
          const captured = new Output(out.mode);
          run(f, captured, children, depth0 + 1);
          return captured.result();
        }
        : null;
      const loop = new LoopContext(items, depth0, recurse);
      for (let i = 0; i < items.length; i++) {
        loop.index0 = i;
        const inner = f.child();
        this.assignIn(inner, node.target, items[i]);
        inner.scope.set('loop', loop);
        try {
          body(inner, out);
        } catch (err) {
          if (err === BREAK) break;
          if (err !== CONTINUE) throw err;
        }
      }
    };
    return (f, out) => run(f, out, iter(f), 0);
  }

  /** A macro's shape and the function that makes it where it is defined. */
  private macro(name: string, signature: { args: string[]; defaults: Expr[] }, bodyNodes: Stmt[]): (f: Frame) => Macro {
    const used = namesUsed(bodyNodes);
    const shape: MacroShape = {
      name,
      params: signature.args,
      catchKwargs: used.has('kwargs'),
      catchVarargs: used.has('varargs'),
      usesCaller: used.has('caller'),
    };
    const defaults = signature.defaults.map((d) => this.expr(d));
    const firstDefault = signature.args.length - defaults.length;
    const loopDepth = this.loopDepth;
    this.loopDepth = 0;
    const body = this.body(bodyNodes);
    this.loopDepth = loopDepth;
    return (f) => new Macro(shape, (bound) => {
      const inner = f.child();
      shape.params.forEach((param, i) => {
        let value = bound.get(param);
        if (value === NOT_GIVEN) {
          value = i >= firstDefault ? defaults[i - firstDefault]!(inner) : new Undefined(param, `parameter '${param}' was not provided`);
        }
        inner.scope.set(param, value);
      });
      for (const special of ['caller', 'kwargs', 'varargs']) if (bound.has(special) && !shape.params.includes(special)) inner.scope.set(special, bound.get(special));
      if (f.ctx.state.depth++ > MAX_NESTING * 4) throw new RangeError('maximum recursion depth exceeded (a macro that calls itself?)');
      try {
        const out = new Output(f.ctx.state.mode);
        body(inner, out);
        return out.result();
      } finally {
        f.ctx.state.depth--;
      }
    });
  }

  private callBlock(node: StmtOf<'callblock'>): Exec {
    const makeCaller = this.macro('caller', node, node.body);
    const call = node.call;
    const callee = this.expr(call.node);
    const args = this.callArgs(call);
    return (f, out) => {
      const { positional, kwargs } = args(f);
      kwargs.caller = makeCaller(f);
      out.value(this.invoke(f, callee(f), positional, kwargs));
    };
  }

  private block(node: StmtOf<'block'>): Exec {
    const loopDepth = this.loopDepth;
    this.loopDepth = 0;
    const body = this.body(node.body);
    this.loopDepth = loopDepth;
    const run: BlockFn = (ctx, out, scope, level) => {
      const frame = new Frame(ctx, new Scope(scope ?? ctx.root));
      frame.scope.set('super', () => {
        const stack = ctx.blocks.get(node.name)!;
        const next = stack[level + 1];
        if (!next) return new Undefined('super', `there is no parent block called '${node.name}'.`);
        const captured = new Output('text');
        next(ctx, captured, scope, level + 1);
        return captured.text();
      });
      body(frame, out);
    };
    if (!this.blocks.has(node.name)) this.blocks.set(node.name, run);
    const scoped = node.scoped;
    return (f, out) => {
      // In a template that extends another, its blocks render where the parent places them.
      if (f.ctx.parentTemplate) return;
      const stack = f.ctx.blocks.get(node.name) ?? [run];
      stack[0]!(f.ctx, out, scoped ? f.scope : null, 0);
    };
  }

  private include(node: StmtOf<'include'>): Exec {
    const template = this.expr(node.template);
    return (f, out) => {
      const names = template(f);
      let found: CompiledTemplate | null = null;
      const candidates = Array.isArray(names) ? names : [names];
      for (const candidate of candidates) {
        try {
          found = candidate instanceof CompiledTemplate ? candidate : this.load(f, candidate);
          break;
        } catch (err) {
          if (!(err instanceof TemplateNotFound)) throw err;
          if (candidate === candidates[candidates.length - 1] && !node.ignoreMissing) throw err;
        }
      }
      if (!found) return;
      const state = f.ctx.state;
      const outer = node.withContext ? (name: string) => {
        const value = f.resolve(name);
        return value;
      } : (name: string) => (Object.hasOwn(state.env.globals, name) ? state.env.globals[name] : NOT_FOUND);
      if (state.depth++ > MAX_NESTING) throw new RangeError('maximum recursion depth exceeded (an include that includes itself?)');
      try {
        found.run(found.newContext(state, outer), out);
      } finally {
        state.depth--;
      }
    };
  }

  private load(f: Frame, name: unknown): CompiledTemplate {
    if (name instanceof Undefined) failUndefined(name);
    if (!isString(name)) throw new TypeError(`a template name must be a string, not ${typeName(name)}`);
    return f.ctx.state.env.load(String(name));
  }

  private module(f: Frame, name: unknown, withContext: boolean): TemplateModule {
    const template = this.load(f, name);
    const state = f.ctx.state;
    const outer = withContext ? (n: string) => f.resolve(n) : (n: string) => (Object.hasOwn(state.env.globals, n) ? state.env.globals[n] : NOT_FOUND);
    if (state.depth++ > MAX_NESTING) throw new RangeError('maximum recursion depth exceeded (an import that imports itself?)');
    try {
      const ctx = template.newContext(state, outer);
      const out = new Output('text');
      template.run(ctx, out);
      const exports = new Map<string, unknown>();
      for (const exported of ctx.exported) exports.set(exported, ctx.root.get(exported));
      return new TemplateModule(String(name), exports, out.text());
    } finally {
      state.depth--;
    }
  }

  // ---- assignment ----

  private assign(f: Frame, target: Expr, value: unknown): void {
    this.assignIn(f, target, value);
    if (f.scope === f.ctx.root) {
      const names: string[] = [];
      walk(target, (n) => {
        if (n.kind === 'name') names.push(n.name as string);
      });
      for (const name of names) if (!name.startsWith('_')) f.ctx.exported.add(name);
    }
  }

  private assignIn(f: Frame, target: Expr, value: unknown): void {
    if (target.kind === 'name') {
      f.scope.set(target.name, value);
    } else if (target.kind === 'tuple') {
      const items = value instanceof Undefined ? failUndefined(value) : iterate(value);
      if (items.length < target.items.length) throw new TypeError(`not enough values to unpack (expected ${target.items.length}, got ${items.length})`);
      if (items.length > target.items.length) throw new TypeError(`too many values to unpack (expected ${target.items.length})`);
      target.items.forEach((t, i) => this.assignIn(f, t, items[i]));
    } else if (target.kind === 'nsref') {
      const ns = f.resolve(target.name);
      if (!(ns instanceof Namespace)) throw new TypeError('cannot assign attribute on non-namespace object');
      ns.attrs[target.attr] = value;
    } else {
      throw new TypeError(`can't assign to ${target.kind}`);
    }
  }

  // ---- expressions ----

  private expr(node: Expr): Eval {
    switch (node.kind) {
      case 'const': {
        const value = node.float && typeof node.value === 'number' ? pyFloat(node.value) : node.value;
        return () => value;
      }
      case 'name': return this.name_(node.name);
      case 'tuple': {
        const items = node.items.map((i) => this.expr(i));
        return (f) => made(tuple(items.map((i) => i(f))));
      }
      case 'list': {
        const items = node.items.map((i) => this.expr(i));
        return (f) => made(items.map((i) => i(f)));
      }
      case 'dict': {
        const pairs = node.pairs.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        return (f) => {
          const out: Dict = {};
          for (const [k, v] of pairs) out[dictKey(k(f))] = v(f);
          return made(out);
        };
      }
      case 'getattr': {
        const target = this.expr(node.node);
        const path = pathOf(node);
        return (f) => getattr(target(f), node.attr, path);
      }
      case 'getitem': {
        const target = this.expr(node.node);
        if (node.arg.kind === 'slice') {
          const { start, stop, step } = node.arg;
          const parts = [start, stop, step].map((p) => (p ? this.expr(p) : () => null));
          return (f) => {
            const value = target(f);
            const bounds = parts.map((p) => {
              const b = p(f);
              return b instanceof Undefined ? failUndefined(b) : b;
            }) as [number | null, number | null, number | null];
            return carryTags(slice(value, ...bounds), value);
          };
        }
        const arg = this.expr(node.arg);
        const path = pathOf(node);
        return (f) => getitem(target(f), arg(f), path);
      }
      case 'slice': throw new TemplateSyntaxError('a slice is only allowed inside brackets', node.line);
      case 'call': return this.call(node);
      case 'filter': {
        const chain = this.filterChain(node);
        let base: Expr | null = node;
        while (base && base.kind === 'filter') base = base.node;
        const input = base ? this.expr(base) : () => undefined;
        return (f) => chain(f, input(f));
      }
      case 'test': return this.test(node);
      case 'condexpr': {
        const test = this.expr(node.test);
        const yes = this.expr(node.expr1);
        const no = node.expr2 ? this.expr(node.expr2) : null;
        return (f) => (truthy(test(f)) ? yes(f) : no ? no(f) : new SilentUndefined('(inline if)', 'the inline if expression has no else'));
      }
      case 'and': {
        const left = this.expr(node.left);
        const right = this.expr(node.right);
        return (f) => {
          const l = left(f);
          return truthy(l) ? right(f) : l;
        };
      }
      case 'or': {
        const left = this.expr(node.left);
        const right = this.expr(node.right);
        return (f) => {
          const l = left(f);
          return truthy(l) ? l : right(f);
        };
      }
      case 'not': {
        const operand = this.expr(node.node);
        return (f) => !truthy(operand(f));
      }
      case 'neg': {
        const operand = this.expr(node.node);
        return (f) => neg(operand(f));
      }
      case 'pos': {
        const operand = this.expr(node.node);
        return (f) => pos(operand(f));
      }
      case 'binop': return this.binop(node.op, this.expr(node.left), this.expr(node.right));
      case 'concat': {
        const items = node.items.map((i) => this.expr(i));
        return (f) => {
          const values = items.map((i) => i(f));
          return carryTags(values.map((v) => pyStr(v)).join(''), ...values);
        };
      }
      case 'compare': return this.compare(node);
      case 'nsref': throw new TemplateSyntaxError('a namespace reference is only allowed in {% set %}', node.line);
    }
  }

  private name_(name: string): Eval {
    const mutates = this.mutates;
    return (f) => {
      const local = f.scope.get(name);
      if (local !== NOT_FOUND) return touch(local);
      const root = f.ctx.root.get(name);
      if (root !== NOT_FOUND) return touch(root);
      if (mutates) {
        const copies = f.ctx.copies;
        if (copies.has(name)) return copies.get(name);
      }
      let value = f.ctx.outer(name);
      if (value === NOT_FOUND) {
        if (name === 'self') return new TemplateReference(f.ctx);
        return new Undefined(name, `'${name}' is undefined`);
      }
      touch(value);
      if (mutates && typeof value === 'object' && value !== null) {
        value = copyData(value);
        f.ctx.copies.set(name, value);
      }
      return value;
    };
  }

  private binop(op: BinaryOperator, left: Eval, right: Eval): Eval {
    switch (op) {
      case '+': return (f) => {
        const a = left(f);
        const b = right(f);
        return made(carryTags(add(a, b), a, b));
      };
      case '*': return (f) => {
        const a = left(f);
        const b = right(f);
        return made(carryTags(mul(a, b), a, b));
      };
      default: return (f) => {
        const a = left(f);
        const b = right(f);
        return carryTags(arith(op, a, b), a, b);
      };
    }
  }

  private compare(node: ExprOf<'compare'>): Eval {
    const first = this.expr(node.expr);
    const ops = node.ops.map(([op, e]) => [op, this.expr(e)] as [CompareOperator, Eval]);
    return (f) => {
      let left = first(f);
      for (const [op, operand] of ops) {
        const right = operand(f);
        if (!compareOne(op, left, right)) return false;
        left = right;
      }
      return true;
    };
  }

  private callArgs(node: { args: Expr[]; kwargs: Array<[string, Expr]>; dynArgs: Expr | null; dynKwargs: Expr | null }): (f: Frame) => { positional: unknown[]; kwargs: Dict } {
    const args = node.args.map((a) => this.expr(a));
    const kwargs = node.kwargs.map(([k, v]) => [k, this.expr(v)] as const);
    const dynArgs = node.dynArgs ? this.expr(node.dynArgs) : null;
    const dynKwargs = node.dynKwargs ? this.expr(node.dynKwargs) : null;
    return (f) => {
      const positional = args.map((a) => a(f));
      if (dynArgs) positional.push(...iterate(dynArgs(f)));
      const named: Dict = {};
      for (const [k, v] of kwargs) named[k] = v(f);
      if (dynKwargs) {
        const extra = dynKwargs(f);
        if (!isDict(extra)) throw new TypeError(`argument after ** must be a mapping, not ${typeName(extra)}`);
        Object.assign(named, extra);
      }
      return { positional, kwargs: named };
    };
  }

  private call(node: ExprOf<'call'>): Eval {
    const callee = this.expr(node.node);
    const args = this.callArgs(node);
    return (f) => {
      const fn = callee(f);
      const { positional, kwargs } = args(f);
      return this.invoke(f, fn, positional, kwargs);
    };
  }

  private invoke(f: Frame, fn: unknown, positional: unknown[], kwargs: Dict): unknown {
    if (fn instanceof Undefined) failUndefined(fn);
    if (fn instanceof Macro) return fn.call(positional, kwargs);
    if (fn instanceof LoopContext) return fn.call(positional);
    if (typeof fn !== 'function') throw new TypeError(`'${typeName(fn)}' object is not callable`);
    const args = Object.keys(kwargs).length ? [...positional, { ...kwargs, __keywords: true }] : positional;
    return touch((fn as FilterFunction).apply(f.ctx.state.callContext, args));
  }

  /** A filter chain (`x | a | b(1)`), applied to the value given. */
  private filterChain(node: ExprOf<'filter'>): (f: Frame, input: unknown) => unknown {
    const fn = atLine(() => this.env.filter(node.name), node.line);
    const args = this.callArgs(node);
    const short = node.name.replace(/^ansible\.(builtin|legacy)\./, '');
    const soft = SOFT_FILTERS.has(short);
    const inner = node.node && node.node.kind === 'filter' ? this.filterChain(node.node) : null;
    const namesStoredText = short === 'type_debug' && node.node !== null && readsStoredValue(node.node);
    return (f, input) => {
      const value = inner ? inner(f, input) : input;
      if (value instanceof Undefined && !soft) failUndefined(value);
      if (namesStoredText && typeof value === 'string') return STORED_TEXT_TYPE;
      const { positional, kwargs } = args(f);
      const callArgs = [value, ...positional];
      if (Object.keys(kwargs).length) callArgs.push({ ...kwargs, __keywords: true });
      const result = fn.apply(f.ctx.state.callContext, callArgs);
      if (result !== value && typeof result === 'object' && result !== null) made(result);
      return result;
    };
  }

  private test(node: ExprOf<'test'>): Eval {
    const name = node.name.replace(/^ansible\.(builtin|legacy)\./, '');
    const fn = atLine(() => this.env.test(node.name), node.line);
    const operand = this.expr(node.node);
    const args = this.callArgs(node);
    const soft = SOFT_TESTS.has(name);
    return (f) => {
      const value = operand(f);
      if (value instanceof Undefined && !soft) failUndefined(value);
      const { positional, kwargs } = args(f);
      const callArgs = [value, ...positional];
      if (Object.keys(kwargs).length) callArgs.push({ ...kwargs, __keywords: true });
      return truthy(fn.apply(f.ctx.state.callContext, callArgs));
    };
  }
}

/** A compile-time lookup whose syntax error gets the line of the node that asked. */
function atLine<T>(get: () => T, line: number): T {
  try {
    return get();
  } catch (err) {
    if (err instanceof TemplateSyntaxError && !err.line) throw new TemplateSyntaxError(err.message, line);
    throw err;
  }
}

function compareOne(op: CompareOperator, a: unknown, b: unknown): boolean {
  switch (op) {
    case 'eq': return compare(a, '==', b);
    case 'ne': return compare(a, '!=', b);
    case 'lt': return compare(a, '<', b);
    case 'lteq': return compare(a, '<=', b);
    case 'gt': return compare(a, '>', b);
    case 'gteq': return compare(a, '>=', b);
    case 'in': return contains(b, a);
    case 'notin': return !contains(b, a);
  }
}

function reprName(name: unknown): string {
  return `'${pyStr(name)}'`;
}

/** `self`: the template's blocks (`self.title()`). */
class TemplateReference extends PyObject {
  constructor(private readonly ctx: Context) {
    super();
  }

  get pyType(): string {
    return 'TemplateReference';
  }

  pyStr(): string {
    return `<TemplateReference ${this.ctx.template.name === undefined ? 'None' : `'${this.ctx.template.name}'`}>`;
  }

  attribute(name: string): unknown {
    const stack = this.ctx.blocks.get(name);
    if (!stack) return undefined;
    return () => {
      const out = new Output('text');
      stack[0]!(this.ctx, out, null, 0);
      return out.text();
    };
  }
}

