/** The committed module reference and editor schema are the ones the code generates. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { modulesMarkdown, playbookSchemaJson } from '../../../engine/cli/doc.js';
import { modules } from '../../../engine/modules/registry.js';

describe('generated docs', () => {
  it('docs/modules.md and schemas/playbook.schema.json are up to date (npm run docs)', () => {
    expect(readFileSync('docs/modules.md', 'utf8')).toBe(modulesMarkdown());
    expect(readFileSync('schemas/playbook.schema.json', 'utf8')).toBe(playbookSchemaJson());
  });

  it('every module has a description, an example and a schema that lists its arguments', () => {
    for (const mod of new Set(modules.values())) {
      expect(mod.doc.description.length, mod.name).toBeGreaterThan(10);
      expect(mod.doc.example, mod.name).toMatch(/^- /);
      expect((mod.schema as any).type, mod.name).toBe('object');
    }
  });
});
