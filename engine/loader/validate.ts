/**
 * JSON Schema validation (ajv) that reports a user's mistake as
 * file:line:col, the key, and what was expected.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UserError } from '../errors.js';
import { validatorFor } from './precompiled.js';
import { codeFrame, positionOf, type DataPath, type LoadedYaml } from './yaml.js';


const compiled = new WeakMap<object, ValidateFunction>();

export function compile(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = validatorFor('loader', schema);
    compiled.set(schema, fn);
  }
  return fn;
}

function pathOf(instancePath: string): DataPath {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The most useful error: prefer unknown keys and missing keys, then the deepest path. */
function pickError(errors: ErrorObject[]): ErrorObject {
  const rank = (e: ErrorObject) =>
    (e.keyword === 'additionalProperties' ? 3000 : e.keyword === 'required' ? 2000 : e.keyword === 'type' || e.keyword === 'enum' ? 1000 : 0) +
    e.instancePath.split('/').length;
  return [...errors].sort((a, b) => rank(b) - rank(a))[0];
}

export function describeError(e: ErrorObject, what: string, all: ErrorObject[] = [e]): { message: string; path: DataPath; atKey: boolean } {
  const path = pathOf(e.instancePath);
  const where = path.length ? `'${path.join('.')}'` : what;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      return { message: `unknown key '${extra}' in ${path.length ? where : what}`, path: [...path, extra], atKey: true };
    }
    case 'required':
      return { message: `missing required key '${(e.params as { missingProperty: string }).missingProperty}' in ${where}`, path, atKey: false };
    case 'type': {
      // anyOf branches fail one type each: name them all ('hosts' must be string or array), not only the first.
      const types = new Set(all.filter((o) => o.keyword === 'type' && o.instancePath === e.instancePath).flatMap((o) => String((o.params as { type: string | string[] }).type).split(',')));
      return { message: `${where} must be ${[...types].join(' or ')}`, path, atKey: false };
    }
    case 'enum':
      return { message: `${where} must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`, path, atKey: false };
    case 'pattern':
      if (e.propertyName !== undefined) return { message: `'${e.propertyName}' is not a valid variable name (letters, digits and _, not starting with a digit)`, path: [...path, e.propertyName], atKey: true };
      return { message: `${where} ${e.message ?? 'is invalid'}`, path, atKey: false };
    default:
      return { message: `${where} ${e.message ?? 'is invalid'}`, path, atKey: false };
  }
}

/**
 * Validate `data` (found at `basePath` inside `loaded`) against `schema`.
 * Throws a UserError positioned at the offending key or value.
 */
export function validateAt(schema: object, data: unknown, loaded: LoadedYaml | undefined, basePath: DataPath, what: string, file?: string): void {
  const fn = compile(schema);
  if (fn(data)) return;
  const error = pickError(fn.errors ?? []);
  const { message, path, atKey } = describeError(error, what, fn.errors ?? []);
  throw errorAt(loaded, [...basePath, ...path], message, atKey, file);
}

export function errorAt(loaded: LoadedYaml | undefined, path: DataPath, message: string, atKey = false, file?: string): UserError {
  if (!loaded) return new UserError(message, file ? { file } : undefined);
  const pos = positionOf(loaded, path, atKey);
  return new UserError(message, { file: loaded.file, line: pos?.line, col: pos?.col }, pos ? codeFrame(loaded.text, pos.line, pos.col) : undefined);
}
