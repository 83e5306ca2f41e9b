/**
 * Ansible's lazy variable templating: a variable whose value holds templates
 * is rendered when it is read, with the same variables, so `a: "{{ b }}"`
 * sees `b` whatever order the vars were defined in. Unsafe values (a host's
 * output, `!unsafe`, trust.ts) are returned as they are, never rendered.
 */
import { TemplateError } from './errors.js';
import { isDict, isString } from './python.js';
import { Templar } from './templar.js';
import { isOpaque, isUnsafe, keepOwnTags } from './trust.js';

/**
 * Whether rendering the value would change it: unsafe values are never
 * templates, nor is a view the engine made (hostvars: it renders each host's
 * variables itself, in that host's context; walking it would build them all).
 */
function holdsTemplate(value: unknown): boolean {
  if (isUnsafe(value) || isOpaque(value)) return false;
  if (isString(value)) return Templar.isTemplate(String(value));
  if (Array.isArray(value)) return value.some(holdsTemplate);
  if (isDict(value)) return Object.entries(value).some(([k, v]) => Templar.isTemplate(k) || holdsTemplate(v));
  return false;
}

/** Ansible's magic variable holding every variable (`vars['name_' + x]`, `vars | select(...)`). */
const VARS = 'vars';

/**
 * What `vars` shows: every variable as it is written, not rendered (as in
 * Ansible, `vars['a']` of `a: "{{ b }}"` is that text), itself left out. A
 * plain copy (made only for a template that asks for it), so it is a dict
 * like any other: set_fact keeps it, and unsafe values in it stay unsafe.
 */
function rawView(vars: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(vars)) if (key !== VARS) copy[key] = vars[key];
  return copy;
}

/**
 * Wrap a vars object so that values containing templates are rendered on
 * access. Rendered values are remembered, so the wrapper assumes the
 * underlying vars do not change: wrap again after changing them. A variable
 * that refers to itself, directly or through others, is a TemplateError
 * naming the chain (`a -> b -> a`).
 */
export function lazyVars(vars: Record<string, unknown>, templar: Templar, source: string): Record<string, unknown> {
  const resolved = new Map<string, unknown>();
  const resolving: string[] = [];
  let allVars: Record<string, unknown> | undefined;
  const proxy: Record<string, unknown> = new Proxy(vars, {
    get(target, key) {
      if (typeof key !== 'string') return Reflect.get(target, key);
      if (resolved.has(key)) return resolved.get(key);
      if (key === VARS && !Reflect.has(target, VARS)) return (allVars ??= rawView(target));
      const raw = Reflect.get(target, key);
      if (!holdsTemplate(raw)) {
        resolved.set(key, raw);
        return raw;
      }
      if (resolving.includes(key)) {
        const chain = [...resolving.slice(resolving.indexOf(key)), key].join(' -> ');
        throw new TemplateError(`${source}: variable '${key}' refers to itself: ${chain}`, source, { variable: key, recursion: true });
      }
      resolving.push(key);
      try {
        const value = templar.renderValue(raw, proxy, `${source}: variable '${key}'`);
        resolved.set(key, value);
        return value;
      } catch (err) {
        // As Ansible does, a template reading this variable sees an Undefined with this hint (for `default`, `is defined`).
        if (err instanceof TemplateError && err.details.pythonType === 'UndefinedError' && !err.details.recursion && err.details.hint === undefined) {
          throw new TemplateError(err.message, err.source, { ...err.details, hint: err.message });
        }
        throw err;
      } finally {
        resolving.pop();
      }
    },
  });
  return proxy;
}

/**
 * `value` with every view the engine made (hostvars, a host's variables in
 * it: proxies that render on access) made plain data, rendering what they
 * hold: for values that leave the templates (a module's arguments), which
 * are copied and sent. Returns the value itself when it holds none.
 */
export function plainViews<T>(value: T): T {
  const seen = new Map<object, unknown>();
  const visit = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null || v instanceof String || v instanceof Number) return v;
    if (seen.has(v)) return seen.get(v);
    if (isOpaque(v)) {
      const out: Record<string, unknown> = {};
      seen.set(v, out);
      for (const key of Object.keys(v)) out[key] = visit((v as Record<string, unknown>)[key]);
      return out;
    }
    if (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
    seen.set(v, v);
    let copy: Record<string | number, unknown> | unknown[] | undefined;
    const entries = Array.isArray(v) ? v.entries() : Object.entries(v);
    for (const [k, item] of entries) {
      const p = visit(item);
      if (p !== item && !copy) {
        copy = keepOwnTags(Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) }, v);
        seen.set(v, copy);
      }
      if (copy) (copy as Record<string | number, unknown>)[k] = p;
    }
    return copy ?? v;
  };
  return visit(value) as T;
}

