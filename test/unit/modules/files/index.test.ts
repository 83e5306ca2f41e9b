import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { filesModules } from '../../../../engine/modules/files/index.js';
import { modules } from '../../../../engine/modules/registry.js';

const NAMES = ['assemble', 'blockinfile', 'copy', 'fetch', 'file', 'find', 'get_url', 'lineinfile', 'replace', 'slurp', 'stat', 'tempfile', 'template', 'unarchive', 'uri'];

describe('filesModules', () => {
  it('exports each module once, with a compilable schema, its arguments described and its return values', () => {
    expect(filesModules.map((m) => m.name).sort()).toEqual([...NAMES, 'ansible.posix.synchronize'].sort());
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    for (const mod of filesModules) {
      expect(mod.doc.description.length, mod.name).toBeGreaterThan(20);
      expect(mod.doc.example, mod.name).toContain(mod.name);
      expect(Object.keys(mod.doc.returns ?? {}).length, mod.name).toBeGreaterThan(0);
      expect(() => ajv.compile(mod.schema), mod.name).not.toThrow();
      const described = Object.values((mod.schema.properties ?? {}) as Record<string, { description?: string }>).filter((p) => p.description);
      expect(described.length, mod.name).toBeGreaterThan(0);
    }
  });

  it('answers to the short name and to ansible.builtin.<name>', () => {
    for (const name of NAMES) {
      expect(modules.get(name)?.name, name).toBe(name);
      expect(modules.get(`ansible.builtin.${name}`), name).toBe(modules.get(name));
    }
  });

  it('synchronize answers to ansible.posix.synchronize and synchronize, not to ansible.builtin.synchronize', () => {
    expect(modules.get('synchronize')?.name).toBe('ansible.posix.synchronize');
    expect(modules.has('ansible.builtin.synchronize')).toBe(false);
  });

  it('schemas accept Ansible-style arguments and reject unknown ones', () => {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const lineinfile = ajv.compile(filesModules.find((m) => m.name === 'lineinfile')!.schema);
    expect(lineinfile({ path: '/x', line: 'a', create: 'yes', mode: 644 })).toBe(true);
    expect(lineinfile({ path: '/x', lien: 'a' })).toBe(false);
    // Required arguments are checked when the task runs (a task with ignore_errors fails alone), as in Ansible.
    const copy = ajv.compile(filesModules.find((m) => m.name === 'copy')!.schema);
    expect(copy({ src: 'a' })).toBe(true);
    expect(copy({ src: 'a', dest: '/b', colour: 'red' })).toBe(false);
  });
});
