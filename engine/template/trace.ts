/**
 * What one render touched, for Ansible's rule on unsafe data: a template that
 * looked up an unsafe value (or a list or dict holding one) produces unsafe
 * output. Renders are synchronous and may nest (a lazy variable is rendered
 * while another template reads it), so the traces form a stack; the runtime
 * reports to the innermost one.
 *
 * Secrets are not "touched" but carried by value (trust.ts carryTags); the
 * trace only notes a secret that a text render printed, since the printed
 * text then holds it.
 */
import { SECRET, deepTags, holdsUnsafe, type SecretSink } from './trust.js';

export interface RenderTrace {
  /** The render looked up unsafe data. */
  unsafe: boolean;
  /** The render printed a secret value (its sink), so its text is secret. */
  secret?: SecretSink | true;
  /** Containers already looked through for unsafe data in this render (made when first needed). */
  seen?: Set<object>;
  /** Lists and dicts this render made (literals, results, copies): the ones its methods may change. */
  made?: WeakSet<object>;
}

const stack: RenderTrace[] = [];

/** Runs `fn` with a fresh trace, returned with its result. */
export function traced<T>(fn: () => T): { value: T; trace: RenderTrace } {
  const trace: RenderTrace = { unsafe: false };
  stack.push(trace);
  try {
    return { value: fn(), trace };
  } finally {
    stack.pop();
  }
}

/** The value was looked up, read from a container or handed to a filter. */
export function touch<T>(value: T): T {
  const trace = stack[stack.length - 1];
  if (trace && !trace.unsafe && typeof value === 'object' && value !== null && holdsUnsafe(value, (trace.seen ??= new Set()))) trace.unsafe = true;
  return value;
}

/** The value was printed into the render's text. */
export function printed(value: unknown): void {
  const trace = stack[stack.length - 1];
  if (!trace || typeof value !== 'object' || value === null) return;
  touch(value);
  if (trace.secret) return;
  const found = deepTags(value);
  if (found.tags & SECRET) trace.secret = found.sink ?? true;
}

/** Marks the innermost render as unsafe (a lookup's result entered it). */
export function touchedUnsafe(): void {
  const trace = stack[stack.length - 1];
  if (trace) trace.unsafe = true;
}

/** A list or dict made by the current render: its methods may change it. */
export function made<T>(value: T): T {
  const trace = stack[stack.length - 1];
  if (trace && typeof value === 'object' && value !== null) (trace.made ??= new WeakSet()).add(value);
  return value;
}

/**
 * `list.append()`, `dict.update()`...: allowed on what the render made
 * itself. A variable's own list or dict is shared (by every host, by later
 * tasks); changing it from a template would change the variable.
 */
export function assertMutable(value: unknown, what: string): void {
  const trace = stack[stack.length - 1];
  if (trace && typeof value === 'object' && value !== null && trace.made?.has(value)) return;
  throw new TypeError(`${what} cannot change a variable's value from a template; change a copy made in the template (\`{% set copy = var | list %}\`, \`dict(var)\`)`);
}
