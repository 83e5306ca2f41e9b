import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { filesModules } from '../../../../engine/modules/files/index.js';

describe('filesModules', () => {
  it('exports each module once, with a compilable schema and a doc', () => {
    const names = filesModules.map((m) => m.name);
    expect(names.sort()).toEqual(['blockinfile', 'copy', 'fetch', 'file', 'find', 'lineinfile', 'replace', 'slurp', 'stat', 'template']);
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    for (const mod of filesModules) {
      expect(mod.doc.description.length, mod.name).toBeGreaterThan(20);
      expect(mod.doc.example, mod.name).toContain(mod.name);
      expect(() => ajv.compile(mod.schema), mod.name).not.toThrow();
    }
  });
  it('schemas accept Ansible-style arguments and reject unknown ones', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const lineinfile = ajv.compile(filesModules.find((m) => m.name === 'lineinfile')!.schema);
    expect(lineinfile({ path: '/x', line: 'a', create: 'yes', mode: 644 })).toBe(true);
    expect(lineinfile({ path: '/x', lien: 'a' })).toBe(false);
    const file = ajv.compile(filesModules.find((m) => m.name === 'file')!.schema);
    expect(file({ state: 'directory' })).toBe(false);
  });
});
