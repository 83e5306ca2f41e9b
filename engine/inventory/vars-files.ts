/**
 * group_vars/ and host_vars/ as Ansible's host_group_vars plugin reads them:
 * for a name, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that
 * exists; a folder there means every file inside (recursively, sorted by
 * name, hidden files skipped) merged in order. Symbolic links are followed
 * (inventory/production/group_vars/all/ links to the files it shares with the
 * lab); a link to nothing is an error, not a file silently left out. Values
 * stay as written: templates are rendered later, when a task uses them.
 */
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { errorAt } from '../loader/validate.js';
import { readYamlFile } from '../loader/yaml.js';

export type Vars = Record<string, unknown>;

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

export interface VarsFile {
  file: string;
  vars: Vars;
}

function kindOfPath(path: string): 'file' | 'dir' | undefined {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** The files holding the variables of `name` under `folder` (e.g. inventory/group_vars), in merge order. */
export function findVarsFiles(folder: string, name: string): string[] {
  for (const ext of EXTENSIONS) {
    const candidate = join(folder, name + ext);
    const kind = kindOfPath(candidate);
    if (kind === 'file') return [candidate];
    if (kind === 'dir') return filesInVarsFolder(candidate);
  }
  return [];
}

/** Refuses a symbolic link whose target is missing (or a loop of links). */
function checkLink(path: string): void {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return;
  }
  if (!isLink) return;
  try {
    statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'which leads to a loop of symbolic links' : code === 'ENOENT' ? 'which does not exist' : `which cannot be read (${code ?? String(err)})`;
    throw new UserError(`this vars file is a symbolic link to ${readlinkSync(path)}, ${why}`, { file: path });
  }
}

function filesInVarsFolder(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(folder).sort()) {
    if (entry.startsWith('.')) continue;
    const path = join(folder, entry);
    if (EXTENSIONS.includes(extname(entry))) checkLink(path);
    const kind = kindOfPath(path);
    if (kind === 'dir') out.push(...filesInVarsFolder(path));
    else if (kind === 'file' && EXTENSIONS.includes(extname(entry))) out.push(path);
  }
  return out;
}

/** Read one vars file; it must be a mapping (an empty file is an empty mapping). */
export function readVarsFile(file: string, what: string): Vars {
  const loaded = readYamlFile(file, file, { keep: 'public' });
  const data = loaded.data;
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    const got = Array.isArray(data) ? 'a list' : `the ${typeof data} ${JSON.stringify(data)}`;
    throw errorAt(loaded, [], `${what} must be a mapping of variable names to values, got ${got}`);
  }
  return data as Vars;
}

/** Reads each file once per inventory; a run asks for the same group's vars for every host. */
export class VarsFileCache {
  private cache = new Map<string, Vars>();

  varsFilesFor(folder: string, name: string, what: string): VarsFile[] {
    return findVarsFiles(folder, name).map((file) => {
      let vars = this.cache.get(file);
      if (!vars) {
        vars = readVarsFile(file, what);
        this.cache.set(file, vars);
      }
      return { file, vars };
    });
  }
}
