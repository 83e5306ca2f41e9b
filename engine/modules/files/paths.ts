/**
 * Path arguments are expanded on the host as Ansible's `type: path` does
 * (os.path.expanduser after expandvars: `~`, `~user`, `$VAR`), for the user
 * the task runs as. A module wrapped with expandingPaths reads the answers
 * (one round trip, only when some path needs it) and then reads and plans
 * with the expanded arguments.
 */
import type { Module, ModuleContext, Plan } from '../types.js';
import { readFact } from '../../facts/index.js';
import { expandFact, expandPath, expansionNeeds } from '../../facts/expand.js';

export interface Expanded<S> {
  args: Record<string, any>;
  state: S;
}

function pathValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The arguments with every path expanded (the same object when nothing needed it). */
export async function expandArgs(ctx: ModuleContext, args: Record<string, any>, keys: string[]): Promise<Record<string, any>> {
  const users = new Set<string>();
  const variables = new Set<string>();
  for (const key of keys) {
    for (const value of pathValues(args[key])) {
      const needs = expansionNeeds(value);
      needs.users.forEach((u) => users.add(u));
      needs.variables.forEach((v) => variables.add(v));
    }
  }
  if (users.size === 0 && variables.size === 0) return args;
  const found = await readFact(ctx, expandFact, { users: [...users], variables: [...variables] });
  const expanded: Record<string, any> = { ...args };
  for (const key of keys) {
    const value = args[key];
    if (typeof value === 'string') expanded[key] = expandPath(value, found);
    else if (Array.isArray(value)) expanded[key] = value.map((v) => (typeof v === 'string' ? expandPath(v, found) : v));
  }
  return expanded;
}

/** The module with its path arguments (`keys`, aliases included) expanded on the host before reading. */
export function expandingPaths<S>(mod: Module<Record<string, any>, S>, keys: string[] | ((args: Record<string, any>) => string[])): Module<Record<string, any>, Expanded<S>> {
  return {
    ...mod,
    async read(ctx, args) {
      const expanded = await expandArgs(ctx, args, typeof keys === 'function' ? keys(args) : keys);
      return { args: expanded, state: await mod.read(ctx, expanded) };
    },
    plan(ctx, _args, st): Plan | Promise<Plan> {
      return mod.plan(ctx, st.args, st.state);
    },
  };
}
