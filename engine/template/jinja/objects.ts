/**
 * The objects a running template sees besides data: the `loop` variable,
 * macros, `namespace()`, imported template modules, `cycler()` and
 * `joiner()`, with Jinja2's attributes and messages.
 */
import { splitKwargs } from '../members.js';
import { PyObject, Undefined, eq, repr, tuple, type Dict } from '../python.js';

/** A value not given to a macro parameter (its default applies). */
export const NOT_GIVEN = Symbol('not given');

export class LoopContext extends PyObject {
  index0 = -1;
  private lastChanged: unknown[] | typeof NOT_GIVEN = NOT_GIVEN;

  constructor(
    private readonly items: unknown[],
    readonly depth0: number,
    private readonly recurse: ((items: unknown) => unknown) | null,
  ) {
    super();
  }

  get pyType(): string {
    return 'LoopContext';
  }

  pyStr(): string {
    return `<LoopContext ${this.index0 + 1}/${this.items.length}>`;
  }

  attribute(name: string): unknown {
    const length = this.items.length;
    switch (name) {
      case 'index': return this.index0 + 1;
      case 'index0': return this.index0;
      case 'revindex': return length - this.index0;
      case 'revindex0': return length - this.index0 - 1;
      case 'first': return this.index0 === 0;
      case 'last': return this.index0 === length - 1;
      case 'length': return length;
      case 'depth': return this.depth0 + 1;
      case 'depth0': return this.depth0;
      case 'previtem': return this.index0 > 0 ? this.items[this.index0 - 1] : new Undefined('loop.previtem', 'there is no previous item');
      case 'nextitem': return this.index0 < length - 1 ? this.items[this.index0 + 1] : new Undefined('loop.nextitem', 'there is no next item');
      case 'cycle': return (...args: unknown[]) => {
        if (!args.length) throw new TypeError('no items for cycling given');
        return args[this.index0 % args.length];
      };
      case 'changed': return (...args: unknown[]) => {
        if (this.lastChanged !== NOT_GIVEN && eq(tuple(this.lastChanged), tuple(args))) return false;
        this.lastChanged = args;
        return true;
      };
      default: return undefined;
    }
  }

  /** `loop(children)` in a recursive loop. */
  call(args: unknown[]): unknown {
    if (!this.recurse) throw new TypeError("The loop must have the 'recursive' marker to be called recursively.");
    if (args.length !== 1) throw new TypeError(`loop() takes exactly one argument (${args.length} given)`);
    return this.recurse(args[0]);
  }
}

/** `namespace(a=1)`: the one object whose attributes a `{% set ns.a = ... %}` may change. */
export class Namespace extends PyObject {
  readonly attrs: Dict;

  constructor(attrs: Dict) {
    super();
    this.attrs = { ...attrs };
  }

  get pyType(): string {
    return 'Namespace';
  }

  pyStr(): string {
    return `<Namespace ${repr(this.attrs)}>`;
  }

  attribute(name: string): unknown {
    return Object.hasOwn(this.attrs, name) ? this.attrs[name] : undefined;
  }
}

export function namespace(...args: unknown[]): Namespace {
  const { positional, kwargs } = splitKwargs(args);
  const attrs: Dict = {};
  for (const arg of positional) {
    if (arg && typeof arg === 'object' && !Array.isArray(arg)) Object.assign(attrs, arg);
    else throw new TypeError('namespace() takes a dict or keyword arguments');
  }
  return new Namespace({ ...attrs, ...kwargs });
}

export interface MacroShape {
  name: string;
  params: string[];
  catchKwargs: boolean;
  catchVarargs: boolean;
  usesCaller: boolean;
}

/** A `{% macro %}` (or a call block's `caller`), bound to where it was defined. */
export class Macro extends PyObject {
  constructor(
    readonly shape: MacroShape,
    /** Runs the body with each parameter bound (NOT_GIVEN where its default applies). */
    private readonly invoke: (bound: Map<string, unknown>) => unknown,
  ) {
    super();
  }

  get pyType(): string {
    return 'Macro';
  }

  pyStr(): string {
    return `<Macro ${repr(this.shape.name)}>`;
  }

  attribute(name: string): unknown {
    switch (name) {
      case 'name': return this.shape.name;
      case 'arguments': return tuple([...this.shape.params]);
      case 'catch_kwargs': return this.shape.catchKwargs;
      case 'catch_varargs': return this.shape.catchVarargs;
      case 'caller': return this.shape.usesCaller;
      default: return undefined;
    }
  }

  /** Jinja2's argument binding: positional, then by name; extra ones to varargs/kwargs or an error. */
  call(args: unknown[], kwargsIn: Dict): unknown {
    const { name, params, catchKwargs, catchVarargs, usesCaller } = this.shape;
    const kwargs = { ...kwargsIn };
    const bound = new Map<string, unknown>();
    params.forEach((param, i) => {
      if (i < args.length) bound.set(param, args[i]);
      else if (Object.hasOwn(kwargs, param)) {
        bound.set(param, kwargs[param]);
        delete kwargs[param];
      } else bound.set(param, NOT_GIVEN);
    });
    if (usesCaller && !params.includes('caller')) {
      const caller = kwargs.caller;
      delete kwargs.caller;
      bound.set('caller', caller ?? new Undefined('caller', 'No caller defined'));
    }
    if (catchKwargs) bound.set('kwargs', kwargs);
    else if (Object.keys(kwargs).length) {
      if ('caller' in kwargs) throw new TypeError(`macro ${repr(name)} was invoked with two values for the special caller argument. This is most likely a bug.`);
      throw new TypeError(`macro ${repr(name)} takes no keyword argument ${repr(Object.keys(kwargs)[0])}`);
    }
    if (catchVarargs) bound.set('varargs', tuple(args.slice(params.length)));
    else if (args.length > params.length) throw new TypeError(`macro ${repr(name)} takes not more than ${params.length} argument(s)`);
    return this.invoke(bound);
  }
}

/** What `{% import 'x' as m %}` gives: the template's macros and top-level variables. */
export class TemplateModule extends PyObject {
  constructor(
    readonly templateName: string,
    readonly exports: Map<string, unknown>,
    private readonly text: string,
  ) {
    super();
  }

  get pyType(): string {
    return 'TemplateModule';
  }

  pyStr(): string {
    return this.text;
  }

  attribute(name: string): unknown {
    return this.exports.get(name);
  }
}

/** `cycler('a', 'b')`: next() walks the items round. */
export class Cycler extends PyObject {
  private position = 0;
  constructor(private readonly items: unknown[]) {
    super();
    if (!items.length) throw new TypeError('at least one item has to be provided');
  }

  get pyType(): string {
    return 'Cycler';
  }

  pyStr(): string {
    return '<Cycler>';
  }

  attribute(name: string): unknown {
    switch (name) {
      case 'current': return this.items[this.position];
      case 'next': return () => {
        const value = this.items[this.position];
        this.position = (this.position + 1) % this.items.length;
        return value;
      };
      case 'reset': return () => {
        this.position = 0;
        return null;
      };
      default: return undefined;
    }
  }
}

/** `joiner(', ')`: the separator, except the first time it is called. */
export function joiner(separator: unknown = ', '): () => unknown {
  let used = false;
  return () => {
    if (!used) {
      used = true;
      return '';
    }
    return separator;
  };
}
