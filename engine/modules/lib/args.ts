/**
 * Argument helpers for modules: the schema fragments Ansible's loose types
 * need (booleans written yes/no, modes as strings or numbers) and their
 * conversion. The loader validates with ajv without coercion or defaults, so
 * modules apply defaults and aliases themselves.
 */
import { toBool as ansibleBool } from '../../values.js';
import type { JSONSchema } from '../types.js';

const TRUE_WORDS = ['yes', 'true', 'on', 'y', '1'];
const FALSE_WORDS = ['no', 'false', 'off', 'n', '0'];

export const boolSchema: JSONSchema = {
  anyOf: [
    { type: 'boolean' },
    { type: 'string', enum: [...new Set([...TRUE_WORDS, ...FALSE_WORDS].flatMap((w) => [w, w[0]!.toUpperCase() + w.slice(1), w.toUpperCase()]))] },
    { type: 'integer', enum: [0, 1] },
  ],
};

export const modeSchema: JSONSchema = { type: ['string', 'integer'] };
export const stringSchema: JSONSchema = { type: 'string' };
/** Strings that Ansible also accepts as numbers (line: 5). */
export const textSchema: JSONSchema = { type: ['string', 'number', 'boolean'] };
export const stringListSchema: JSONSchema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };

/** A module argument's boolean: Ansible's rules (engine/values.ts), `fallback` when it is not given. */
export function toBool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  return ansibleBool(value);
}

/** The first defined value among an argument and its aliases. */
export function pick<T = unknown>(args: Record<string, unknown>, ...names: string[]): T | undefined {
  for (const name of names) if (args[name] !== undefined && args[name] !== null) return args[name] as T;
  return undefined;
}

/** A string argument that YAML may have typed as a number or boolean. */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

export function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

/** The file-attribute options shared by copy, template, file, lineinfile... */
export const fileAttributeProperties: Record<string, JSONSchema> = {
  owner: { ...stringSchema, description: 'Owner (name or uid).' },
  group: { ...stringSchema, description: 'Group (name or gid).' },
  mode: { ...modeSchema, description: "Mode: quoted octal ('0644') or symbolic (u+rw,g-w)." },
  unsafe_writes: boolSchema,
  attributes: { ...stringSchema, description: 'ext2 attributes (lsattr/chattr flags).' },
  seuser: stringSchema,
  serole: stringSchema,
  setype: stringSchema,
  selevel: stringSchema,
};

/**
 * Ansible checks required arguments when the task runs (a task with
 * ignore_errors then fails alone); `names` lists each required argument with
 * its aliases. Returns Ansible's message, or undefined when all are there.
 */
export function missingArguments(args: Record<string, unknown>, names: string[][]): string | undefined {
  const missing = names.filter((aliases) => pick(args, ...aliases) === undefined).map((aliases) => aliases[0]!);
  return missing.length ? `missing required arguments: ${missing.sort().join(', ')}` : undefined;
}
