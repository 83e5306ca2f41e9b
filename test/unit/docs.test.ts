/** The committed module reference and editor schema are the ones the code generates. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { modulesMarkdown, playbookSchemaJson } from '../../engine/cli/doc.js';
import { modules } from '../../engine/modules/registry.js';
import { EXIT } from '../../engine/cli/exit-codes.js';

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

  it("the README's exit code table lists every exit code", () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('### Exit codes'), readme.indexOf('\n## ', readme.indexOf('### Exit codes')));
    const listed = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(listed.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });
});
