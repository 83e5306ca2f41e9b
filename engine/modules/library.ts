/**
 * Site modules: the modules a site keeps beside its playbooks, found as
 * Ansible finds its own in `library/` folders. A site module is a file
 * `<name>.mjs` (or `.js`, `.cjs`) in a library folder whose default export is
 * a Module (./types.ts) named `<name>`; the playbooks call it by that name.
 * What it imports is its own business: a module written in TypeScript is
 * bundled into that one file at build time, the engine's helpers it uses
 * included (the engine itself is one bundled file and cannot be imported).
 *
 * The folders, the first one holding a name wins (Ansible's order):
 *   1. `library/` beside each playbook given;
 *   2. `library/` of each role in the roles folders (beside the playbooks,
 *      and the roles path): unlike Ansible, which adds a role's library when
 *      the role is loaded, every such role's modules are known from the start;
 *   3. the module path: `--module-path`, then Ansible's DEFAULT_MODULE_PATH
 *      (ANSIBLE_LIBRARY, else ansible.cfg's `library`, else Ansible's own
 *      folders, which hold Python modules only).
 * A site module may take the name of a builtin module: the bare name is then
 * the site's, and `ansible.builtin.<name>` stays the builtin, as in Ansible.
 * Other files in these folders (Python modules, TypeScript sources, READMEs)
 * are not modules for uxsv.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import type { Module } from './types.js';

/** File name endings of a site module, in the order one name's files are preferred. */
export const SITE_MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs'];

export interface SiteModule {
  /** The name playbooks call it by: its file name without the extension. */
  name: string;
  file: string;
  module: Module<any, any>;
}

export interface LibrarySearch {
  /** The playbooks of the run. */
  playbooks: string[];
  /** Folders holding roles (roles_path), besides each playbook's roles/. */
  rolesPath?: string[];
  /** The module path (--module-path, then ANSIBLE_LIBRARY or ansible.cfg `library`). */
  modulePath?: string[];
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(path.join(dir, e.name))))
      .map((e) => path.join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** The library folders of a run, in the order their modules are preferred (existing ones only). */
export function libraryFolders(search: LibrarySearch): string[] {
  const playbookDirs = [...new Set(search.playbooks.map((p) => path.dirname(path.resolve(p))))];
  const rolesDirs = [...new Set([...playbookDirs.map((d) => path.join(d, 'roles')), ...(search.rolesPath ?? []).map((d) => path.resolve(d))])];
  const folders = [
    ...playbookDirs.map((d) => path.join(d, 'library')),
    ...rolesDirs.flatMap((d) => subfolders(d).map((role) => path.join(role, 'library'))),
    ...(search.modulePath ?? []).map((d) => path.resolve(d)),
  ];
  return [...new Set(folders)].filter(isDirectory);
}

function isModule(value: unknown): value is Module<any, any> {
  if (!value || typeof value !== 'object') return false;
  const m = value as Partial<Module>;
  return typeof m.name === 'string' && !!m.schema && typeof m.schema === 'object' && !!m.doc && typeof m.read === 'function' && typeof m.plan === 'function';
}

/** The site module files of one folder, by name (a name's first file by SITE_MODULE_EXTENSIONS). */
function moduleFiles(dir: string): Map<string, string> {
  const byName = new Map<string, string>();
  const entries = readdirSync(dir).sort();
  for (const ext of SITE_MODULE_EXTENSIONS) {
    for (const entry of entries) {
      if (!entry.endsWith(ext) || entry.startsWith('.')) continue;
      const name = entry.slice(0, -ext.length);
      if (!byName.has(name)) byName.set(name, path.join(dir, entry));
    }
  }
  // A module's TypeScript source without its build would otherwise be an unknown module with no hint.
  for (const entry of entries) {
    if (!entry.endsWith('.ts') || entry.endsWith('.d.ts')) continue;
    const name = entry.slice(0, -'.ts'.length);
    if (!byName.has(name)) throw new UserError(`the site module ${name} is not built: ${path.join(dir, entry)} has no ${name}.mjs beside it (npm run build makes it)`, { file: path.join(dir, entry) });
  }
  return byName;
}

async function importModule(name: string, file: string): Promise<Module<any, any>> {
  let exported: { default?: unknown };
  try {
    exported = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new UserError(`cannot load the site module ${name}: ${(err as Error).message}`, { file });
  }
  const mod = exported.default;
  if (!isModule(mod)) throw new UserError(`the site module ${name} must export a uxsv module as its default export (an object with name, schema, doc, read and plan)`, { file });
  if (mod.name !== name) throw new UserError(`the site module in ${path.basename(file)} is named '${mod.name}': a site module's name is its file name ('${name}')`, { file });
  return mod;
}

/** Loads the site modules of these folders; of two with the same name, the earlier folder's. */
export async function loadSiteModules(folders: string[]): Promise<SiteModule[]> {
  const found = new Map<string, string>();
  for (const dir of folders) for (const [name, file] of moduleFiles(dir)) if (!found.has(name)) found.set(name, file);
  const out: SiteModule[] = [];
  for (const [name, file] of found) out.push({ name, file, module: await importModule(name, file) });
  return out;
}
