import type { Module } from './types.js';
import { coreModules } from './core/index.js';
import { filesModules } from './files/index.js';
import { systemModules } from './system/index.js';
import { unsupportedModules } from './unsupported.js';
import { libraryFolders, loadSiteModules, type LibrarySearch, type SiteModule } from './library.js';

/** Every builtin module by each of its names: `copy`, `ansible.builtin.copy`, aliases. */
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

/** The builtin modules (no site module: those are per run, see modulesForRun). */
export const modules = buildRegistry();

/**
 * The builtin modules and a site's modules (./library.ts) in one map, for a
 * run's Loader. A site module takes its own name, and its aliases, over a
 * builtin's bare name; `ansible.builtin.<name>` keeps naming the builtin.
 */
export function withSiteModules(site: SiteModule[], base: Map<string, Module<any, any>> = modules): Map<string, Module<any, any>> {
  if (site.length === 0) return base;
  const registry = new Map(base);
  for (const { name, module } of site) for (const alias of [name, ...(module.aliases ?? [])]) registry.set(alias, module);
  return registry;
}

/**
 * The modules of a run: the builtins and the site modules of the library
 * folders of its playbooks and roles and of the module path (the CLI gives
 * --module-path and the configuration's DEFAULT_MODULE_PATH).
 */
export async function modulesForRun(playbooks: string[], search: Omit<LibrarySearch, 'playbooks'> = {}): Promise<Map<string, Module<any, any>>> {
  return withSiteModules(await loadSiteModules(libraryFolders({ ...search, playbooks })));
}
