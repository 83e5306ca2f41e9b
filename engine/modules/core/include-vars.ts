/**
 * include_vars: variables from YAML/JSON files on the controller, at the
 * include_vars precedence (the runner stores `ansible_facts` of this module
 * there). A file is looked for as Ansible does (the role's vars/, the
 * task's folder, the playbook's); `dir` loads every file of a folder, in
 * sorted order.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Module, ModuleContext } from '../types.js';

interface Args {
  file?: string;
  _raw_params?: string;
  dir?: string;
  name?: string;
  depth?: number;
  files_matching?: string;
  ignore_files?: string | string[];
  extensions?: string[];
  ignore_unknown_extensions?: boolean;
  hash_behaviour?: 'replace' | 'merge';
}

const DIR_ARGS = ['dir', 'depth', 'files_matching', 'ignore_files', 'extensions', 'ignore_unknown_extensions'];
const FILE_ARGS = ['file', '_raw_params'];

interface Loaded {
  vars: Record<string, unknown>;
  files: string[];
  error?: string;
}

export const includeVars: Module<Args, Loaded> = {
  name: 'include_vars',
  controllerOnly: true,
  freeForm: true,
  schema: {
    type: 'object',
    properties: {
      file: { type: 'string', description: 'The vars file (relative: the role vars/ folder, the task folder, the playbook folder)' },
      _raw_params: { type: 'string' },
      dir: { type: 'string', description: 'A folder: every vars file in it, sorted (relative: the role vars/ folder, or the task file folder)' },
      name: { type: 'string', description: 'Put the variables under this one name instead of at the top' },
      depth: { type: 'integer', minimum: 0, description: 'dir: how many levels deep (0: all)' },
      files_matching: { type: 'string', description: 'dir: only file names matching this regular expression' },
      ignore_files: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'dir: file names to skip (regular expressions)' },
      extensions: { type: 'array', items: { type: 'string' }, default: ['yaml', 'yml', 'json'] },
      ignore_unknown_extensions: { type: 'boolean', default: false },
      hash_behaviour: { enum: ['replace', 'merge'], description: 'merge: dictionaries are merged with the existing values' },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Loads variables from YAML or JSON files on the controller (vault-encrypted ones too) for the rest of the play, at the include_vars precedence.',
    returns: { ansible_facts: 'the variables loaded', ansible_included_var_files: 'the files read' },
    example: '- include_vars: "{{ ansible_distribution }}.yml"',
  },
  async read(ctx, args) {
    const dirArgs = DIR_ARGS.filter((k) => (args as Record<string, unknown>)[k] !== undefined);
    const fileArgs = FILE_ARGS.filter((k) => (args as Record<string, unknown>)[k] !== undefined);
    if (dirArgs.length && fileArgs.length) return { vars: {}, files: [], error: 'You are mixing file only and dir only arguments, these are incompatible' };
    try {
      if (args.dir !== undefined) return loadDir(ctx, args);
      const name = (args.file || args._raw_params || '').replace(/\n+$/, '');
      const file = ctx.findFile('vars', name);
      return { vars: load(ctx, file), files: [file] };
    } catch (err) {
      return { vars: {}, files: [], error: (err as Error).message };
    }
  },
  plan(ctx, args, loaded) {
    if (loaded.error) return { changed: false, failed: true, msg: loaded.error, result: { message: loaded.error, ansible_included_var_files: loaded.files } };
    let vars = loaded.vars;
    if (args.hash_behaviour === 'merge') vars = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, merge(ctx.vars[k], v)]));
    if (args.name) vars = { [args.name]: vars };
    return { changed: false, result: { ansible_facts: vars, ansible_included_var_files: loaded.files } };
  },
};

function load(ctx: ModuleContext, file: string): Record<string, unknown> {
  if (!ctx.loadVarsFile) throw new Error('include_vars needs the run (it reads vars files on the controller)');
  return ctx.loadVarsFile(file) ?? {};
}

function loadDir(ctx: ModuleContext, args: Args): Loaded {
  const root = dirRoot(ctx, args.dir!);
  if (!existsSync(root)) return { vars: {}, files: [], error: `${root} directory does not exist` };
  if (!statSync(root).isDirectory()) return { vars: {}, files: [], error: `${root} is not a directory` };
  const extensions = args.extensions ?? ['yaml', 'yml', 'json'];
  const ignore = typeof args.ignore_files === 'string' ? args.ignore_files.split(/\s+/) : args.ignore_files ?? [];
  const matcher = args.files_matching ? new RegExp(args.files_matching) : undefined;
  const out: Loaded = { vars: {}, files: [] };
  const folders = walk(root).sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  const depth = args.depth ?? 0;
  for (const [i, { dir, files }] of folders.entries()) {
    if (depth > 0 && i >= depth) break;
    for (const name of [...files].sort()) {
      const file = path.join(dir, name);
      if (ctx.searchPath && isRoleMainVars(ctx, file)) continue;
      if (matcher && !matcher.test(name)) continue;
      if (ignore.some((re) => new RegExp(`${re}$`).test(name))) continue;
      const ext = path.extname(name).slice(1);
      if (!extensions.includes(ext)) {
        if (args.ignore_unknown_extensions) continue;
        return { ...out, error: `${file} does not have a valid extension: ${extensions.join(', ')}` };
      }
      Object.assign(out.vars, load(ctx, file));
      out.files.push(file);
    }
  }
  return out;
}

/** A role's own vars/main.yml is already loaded with the role: `dir` skips it. */
function isRoleMainVars(ctx: ModuleContext, file: string): boolean {
  const role = ctx.searchPath?.[0];
  return role !== undefined && file === path.join(role, 'vars', 'main.yml');
}

/** `dir` relative to the role's vars/ folder (a role task), else to the task file's folder. */
function dirRoot(ctx: ModuleContext, dir: string): string {
  if (path.isAbsolute(dir)) return dir;
  const roleDir = typeof ctx.vars.role_path === 'string' ? ctx.vars.role_path : undefined;
  if (roleDir) return dir.split('/')[0] === 'vars' && existsSync(path.join(roleDir, dir)) ? path.join(roleDir, dir) : path.join(roleDir, 'vars', dir);
  const taskDir = ctx.searchPath?.[0] ?? process.cwd();
  return path.join(taskDir, dir);
}

function walk(root: string): Array<{ dir: string; files: string[] }> {
  const out: Array<{ dir: string; files: string[] }> = [];
  const visit = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    out.push({ dir, files: entries.filter((e) => e.isFile() || (e.isSymbolicLink() && statSync(path.join(dir, e.name)).isFile())).map((e) => e.name) });
    for (const e of entries) if (e.isDirectory()) visit(path.join(dir, e.name));
  };
  visit(root);
  return out;
}

function merge(current: unknown, value: unknown): unknown {
  if (!isMapping(current) || !isMapping(value)) return value;
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(value)) out[k] = merge(out[k], v);
  return out;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof String);
}
