/**
 * Where lookups find controller files, as Ansible's
 * find_file_in_search_path / path_dwim_relative_stack do: an absolute (or
 * `~`) name as is; a relative one in each folder of the task's search path
 * (`<dir>/<subdir>/<name>`, then `<dir>/<name>`), then in the playbook's
 * folder; the first that exists wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { decryptLoaded, isVaultText } from '../vault/index.js';
import { LookupError } from './errors.js';
import type { LookupContext } from './types.js';

/** os.path.expanduser: `~` and `~user`. */
export function expandUser(file: string): string {
  if (!file.startsWith('~')) return file;
  const slash = file.indexOf('/');
  const user = file.slice(1, slash < 0 ? undefined : slash);
  const rest = slash < 0 ? '' : file.slice(slash);
  if (!user) return (process.env.HOME ?? homedir()) + rest;
  try {
    const entry = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.split(':')[0] === user);
    const home = entry?.split(':')[5];
    return home ? home + rest : file;
  } catch {
    return file;
  }
}

/** os.path.expandvars: `$NAME` and `${NAME}` from the environment; unknown ones stay. */
export function expandVars(file: string): string {
  return file.replace(/\$(\w+|\{[^}]*\})/g, (whole, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    return process.env[key] ?? whole;
  });
}

/** Ansible's unfrackpath: `~` and `$VARS` expanded, made absolute (against `base`) and normalized. */
export function unfrackPath(file: string, base = process.cwd()): string {
  return path.resolve(base, expandVars(expandUser(file)));
}

function exists(file: string): boolean {
  return existsSync(file);
}

/** Ansible's role detection for a search path folder (a role's folder, or its tasks folder). */
function isRoleFolder(folder: string): boolean {
  const full = unfrackPath(folder);
  const parent = path.dirname(folder);
  const mains = (dir: string, sub: string) => ['main.yml', 'main.yaml', 'main'].map((m) => path.join(dir, sub, m));
  const untasked = /(?:^|\/)tasks\/?$/.test(folder) && mains(folder, '').some(exists);
  return untasked || [...mains(full, 'tasks'), ...mains(full, 'meta'), ...mains(parent, 'tasks'), ...mains(parent, 'meta')].some(exists);
}

/** Every place a relative `name` is looked for, in order. */
export function searchCandidates(ctx: Pick<LookupContext, 'searchPath' | 'basedir'>, subdir: string, name: string): string[] {
  const out: string[] = [];
  for (const folder of ctx.searchPath) {
    const full = unfrackPath(folder);
    const parent = path.dirname(full);
    // A folder below a role's tasks folder: its role's subdir and its own parent.
    if (parent.endsWith('/tasks') && isRoleFolder(folder)) {
      out.push(path.join(path.dirname(parent), subdir, name), path.join(parent, name));
    } else {
      out.push(path.join(full, subdir, name), path.join(full, name));
    }
  }
  out.push(path.join(ctx.basedir, subdir, name), path.join(ctx.basedir, name));
  return out;
}

/**
 * The file `name` for a lookup, or undefined when it is nowhere (with
 * Ansible's warning, unless `ignoreMissing`).
 */
export function findInSearchPath(ctx: LookupContext, subdir: string, name: string, ignoreMissing = false): string | undefined {
  let found: string | undefined;
  if (name.startsWith('~') || name.startsWith('/')) {
    const file = unfrackPath(name);
    if (exists(file)) found = file;
  } else {
    found = searchCandidates(ctx, subdir, name).find(exists);
  }
  if (found === undefined && !ignoreMissing) ctx.warn(`Unable to find '${name}' in expected paths (use -vvvvv to see paths)`);
  return found;
}

/**
 * A controller file's bytes, decrypted when vault-encrypted (as Ansible's
 * loader does for file, ini, template and unvault).
 */
export function readFileContents(ctx: LookupContext, file: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'EISDIR' ? `[Errno 21] Is a directory: '${file}'` : e.code === 'EACCES' ? `[Errno 13] Permission denied: '${file}'` : e.message;
    throw new LookupError(`an error occurred while trying to read the file '${file}': ${reason}`, 'ansible.errors.AnsibleParserError');
  }
  const head = data.subarray(0, 64).toString('latin1');
  if (!isVaultText(head)) return data;
  const text = data.toString('utf8');
  const plain = ctx.decryptVault ? ctx.decryptVault(text, file) : decryptLoaded(text, file, 'file');
  return Buffer.from(plain, 'utf8');
}
