/**
 * Validators generated at build time (`npm run build` runs
 * engine/loader/precompile.ts): compiling every module's schema with ajv took
 * about a third of a short run's CPU. A schema is found by a hash of its
 * variant and its JSON, so a schema edited without a rebuild is simply
 * compiled at run time as before (and the tests, which run from the sources,
 * always compile).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';

/** The three ways the engine uses ajv, each with its own options. */
export const AJV_VARIANTS = {
  /** Playbooks, roles, inventories: every error, so the most useful one can be shown. */
  loader: { allErrors: true, strict: false, allowUnionTypes: true },
  /** Module arguments at load time: no coercion, so template strings are seen as they are. */
  argsStrict: { allErrors: true, strict: false, allowUnionTypes: true, useDefaults: false },
  /** Module arguments at run time: coerced like Ansible ("22" -> 22). */
  argsCoercing: { allErrors: true, strict: false, allowUnionTypes: true, coerceTypes: true },
} satisfies Record<string, Options>;

export type AjvVariant = keyof typeof AJV_VARIANTS;

/** One file per schema, so a run loads only the validators of the modules it uses. */
export const GENERATED_DIR = 'validators.generated';

export function schemaKey(variant: AjvVariant, schema: object): string {
  return `v_${variant}_${createHash('sha1').update(JSON.stringify(schema)).digest('hex').slice(0, 20)}`;
}

const require = createRequire(import.meta.url);

/** Beside this file (dist/engine/loader/), or below it when this is the bundle (dist/uxsv.mjs). */
let generatedDir: URL | null | undefined;
function findGeneratedDir(): URL | null {
  for (const relative of [`${GENERATED_DIR}/`, `engine/loader/${GENERATED_DIR}/`]) {
    const dir = new URL(relative, import.meta.url);
    if (existsSync(dir)) return dir;
  }
  return null;
}

/** The build's validator for this schema, or undefined (then compile it). */
export function precompiled(variant: AjvVariant, schema: object): ValidateFunction | undefined {
  generatedDir ??= findGeneratedDir();
  if (!generatedDir) return undefined;
  const key = schemaKey(variant, schema);
  const file = new URL(`${key}.cjs`, generatedDir);
  if (!existsSync(file)) return undefined;
  return (require(file.pathname) as Record<string, ValidateFunction>)[key];
}

const compilers = new Map<AjvVariant, Ajv>();

/**
 * The validator of a schema: the build's, else compiled now. ajv itself (some
 * sixty files) is loaded only for the second case, so a run whose schemas are
 * all precompiled never loads it.
 */
export function validatorFor(variant: AjvVariant, schema: object): ValidateFunction {
  const fast = precompiled(variant, schema);
  if (fast) return fast;
  let compiler = compilers.get(variant);
  if (!compiler) {
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    compiler = new AjvClass(AJV_VARIANTS[variant]);
    compilers.set(variant, compiler);
  }
  return compiler.compile(schema);
}
