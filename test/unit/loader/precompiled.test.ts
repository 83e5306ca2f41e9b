/**
 * The build's precompiled validators (engine/loader/precompile.ts) exist for
 * every schema and answer exactly as ajv compiling the schema at run time.
 * Reads dist/: `npm run build` comes first (scripts/test.sh does it).
 */
import { existsSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';

const DIST = new URL('../../../dist/engine/', import.meta.url);
const built = existsSync(new URL('loader/validators.generated/', DIST));

describe('precompiled validators', () => {
  it('are built (npm run build)', () => {
    expect(built, 'run `npm run build` first').toBe(true);
  });

  it.runIf(built)('cover every module and loader schema and give the same errors as ajv at run time', async () => {
    const { precompiled, AJV_VARIANTS } = await import(new URL('loader/precompiled.js', DIST).href);
    const { modules } = await import(new URL('modules/registry.js', DIST).href);
    const schemas = await import(new URL('loader/schemas.js', DIST).href);
    const samples: unknown[] = [
      {}, { path: 5 }, { path: '/x', state: 'nope', bogus: 1 }, { src: ['a'], dest: '{{ d }}', mode: 644 },
      { name: 'n', hosts: 'all', tasks: 'x' }, { cmd: true, creates: 3 }, 'scalar', [1, 2], null,
    ];
    const variants = ['argsStrict', 'argsCoercing'] as const;
    for (const mod of new Set(modules.values()) as Set<{ name: string; schema: object }>) {
      for (const variant of variants) {
        const fast = precompiled(variant, mod.schema);
        expect(fast, `${variant} validator for ${mod.name}`).toBeTypeOf('function');
        const slow = new Ajv(AJV_VARIANTS[variant]).compile(mod.schema);
        for (const sample of samples) {
          const a = structuredClone(sample);
          const b = structuredClone(sample);
          expect([fast(a), fast.errors ?? null, a], `${mod.name} ${JSON.stringify(sample)}`).toEqual([slow(b), slow.errors ?? null, b]);
        }
      }
    }
    for (const name of ['playSchema', 'blockSchema', 'taskKeywordsSchema', 'varsFileSchema', 'roleMetaSchema']) {
      const fast = precompiled('loader', schemas[name]);
      expect(fast, name).toBeTypeOf('function');
      const slow = new Ajv(AJV_VARIANTS.loader).compile(schemas[name]);
      for (const sample of samples) expect([fast(sample), fast.errors ?? null]).toEqual([slow(sample), slow.errors ?? null]);
    }
  });
});
