import type { Module } from './types.js';
import { coreModules } from './core/index.js';
import { filesModules } from './files/index.js';
import { systemModules } from './system/index.js';
import { unsupportedModules } from './unsupported.js';

/** Every module by each of its names: `copy`, `ansible.builtin.copy`, aliases. */
export function buildRegistry(): Map<string, Module<any, any>> {
  const registry = new Map<string, Module<any, any>>();
  for (const mod of [...coreModules, ...filesModules, ...systemModules, ...unsupportedModules]) {
    const names = [mod.name, ...(mod.aliases ?? [])];
    if (!mod.name.includes('.')) names.push(`ansible.builtin.${mod.name}`);
    for (const name of names) {
      if (registry.has(name)) throw new Error(`module ${name} registered twice`);
      registry.set(name, mod);
    }
  }
  return registry;
}

export const modules = buildRegistry();
