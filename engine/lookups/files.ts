/**
 * The lookups that find controller files: file, fileglob, first_found,
 * unvault. Relative names are searched for in the task's search path
 * (search.ts).
 */
import { opendirSync, statSync } from 'node:fs';
import path from 'node:path';
import { isDict, isString, pyStr, typeName, UndefinedVariableError, type Dict } from '../template/python.js';
import { TemplateError } from '../template/errors.js';
import { LookupError, LookupFailure } from './errors.js';
import { resolveOptions, type OptionSpecs } from './options.js';
import { pyLstrip, pyRstrip } from './pytext.js';
import { findInSearchPath, readFileContents } from './search.js';
import { termList } from './terms.js';
import type { LookupContext, LookupPlugin } from './types.js';

export const file: LookupPlugin = {
  name: 'file',
  run(terms, options, ctx) {
    const opts = resolveOptions('file', { rstrip: { type: 'bool', default: true }, lstrip: { type: 'bool', default: false } }, options);
    return termList(terms).map((term) => {
      const name = pyStr(term);
      const missing = () => new LookupError(`could not locate file in lookup: ${name}`);
      const found = findInSearchPath(ctx, 'files', name);
      if (found === undefined) throw missing();
      let text: string;
      try {
        text = readFileContents(ctx, found).toString('utf8');
      } catch (err) {
        // A file that cannot be read (a folder, no permission) counts as missing, as in Ansible.
        if (err instanceof LookupError && err.pyClass === 'ansible.errors.AnsibleParserError') throw missing();
        throw err;
      }
      if (opts.lstrip) text = pyLstrip(text);
      if (opts.rstrip) text = pyRstrip(text);
      return text;
    });
  },
};

export const unvault: LookupPlugin = {
  name: 'unvault',
  run(terms, _options, ctx) {
    return termList(terms).map((term) => {
      const found = findInSearchPath(ctx, 'files', pyStr(term));
      if (found === undefined) throw new LookupError(`Unable to find file matching "${pyStr(term)}" `, 'ansible.errors.AnsibleParserError');
      return readFileContents(ctx, found).toString('utf8');
    });
  },
};

/** fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`; the rest literal; the whole name. */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      const close = pattern.indexOf(']', j);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, close);
      const negated = body.startsWith('!');
      const set = (negated ? body.slice(1) : body).replace(/[\\\]\[^]/g, '\\$&');
      if (body === '') out += '(?!)';
      else if (body === '!') out += '.';
      else out += `[${negated ? '^' : ''}${set}]`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

const MAGIC = /[*?[]/;

/** Entries of a folder in the order the system lists them (as Python's os.scandir). */
function listFolder(folder: string): string[] {
  const names: string[] = [];
  let dir;
  try {
    dir = opendirSync(folder);
  } catch {
    return names;
  }
  try {
    for (let entry = dir.readSync(); entry; entry = dir.readSync()) names.push(entry.name);
  } finally {
    dir.closeSync();
  }
  return names;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Python's glob.glob(join(folder, name)) with a literal folder: hidden names only for a pattern starting with '.'. */
function globIn(folder: string, name: string): string[] {
  const joined = path.join(folder, name);
  if (!MAGIC.test(name)) {
    try {
      statSync(joined);
      return [joined];
    } catch {
      return [];
    }
  }
  const re = fnmatchRegExp(name);
  return listFolder(folder)
    .filter((entry) => (name.startsWith('.') || !entry.startsWith('.')) && re.test(entry))
    .map((entry) => path.join(folder, entry));
}

export const fileglob: LookupPlugin = {
  name: 'fileglob',
  run(terms, _options, ctx) {
    const out: string[] = [];
    for (const term of termList(terms)) {
      const pattern = pyStr(term);
      const base = path.basename(pattern);
      const baseName = pattern.endsWith('/') ? '' : base;
      let folders: (string | undefined)[];
      if (baseName !== pattern) folders = [findInSearchPath(ctx, 'files', path.dirname(pattern.endsWith('/') ? `${pattern}x` : pattern))];
      else folders = (ctx.searchPath.length ? ctx.searchPath : [ctx.basedir]).flatMap((p) => [path.join(p, 'files'), p]);
      for (const folder of folders) {
        if (!folder) continue;
        const found = globIn(folder, baseName).filter(isFile);
        if (found.length) {
          out.push(...found);
          break;
        }
      }
    }
    return out;
  },
};

const FIRST_FOUND_OPTIONS: OptionSpecs = {
  files: { type: 'list', default: [] },
  paths: { type: 'list', default: [] },
  skip: { type: 'bool', default: false },
};

/** first_found's "magic extra splitting": every string split on any of `separators`. */
function splitOn(value: unknown, separators: string): string[] {
  if (isString(value)) return String(value).split(new RegExp(`[${separators.replace(/[\]\\^-]/g, '\\$&')}]`));
  return termList(value as unknown[]).flatMap((v) => splitOn(v, separators));
}

interface Search {
  candidates: unknown[];
  skip: boolean;
}

/** The names first_found tries, in order, and its `skip` setting (from the last term that set options). */
function firstFoundCandidates(terms: unknown[], kwargs: Dict): Search {
  let candidates: unknown[] = [];
  let skip = false;
  for (const term of terms) {
    let options: Dict;
    if (isDict(term)) options = resolveOptions('first_found', FIRST_FOUND_OPTIONS, term);
    else if (isString(term)) options = resolveOptions('first_found', FIRST_FOUND_OPTIONS, kwargs);
    else if (Array.isArray(term)) {
      const inner = firstFoundCandidates(term, kwargs);
      candidates.push(...inner.candidates);
      skip = inner.skip;
      continue;
    } else {
      throw new LookupFailure(`Invalid term supplied, can handle string, mapping or list of strings but got: <class '${typeName(term)}'> for ${pyStr(term)}`);
    }
    skip = options.skip as boolean;
    const files = splitOn(options.files, ',;');
    const paths = splitOn(options.paths, ',:;');
    if (paths.length) {
      for (const dir of paths) for (const name of files) candidates.push(path.isAbsolute(name) ? name : dir === '' ? name : path.join(dir, name));
    } else if (files.length) {
      // As in Ansible, a term's own file list replaces what earlier terms gave.
      candidates = files;
    } else candidates.push(term);
  }
  return { candidates, skip };
}

function isUndefined(err: unknown): boolean {
  return err instanceof UndefinedVariableError || (err instanceof TemplateError && err.variable !== undefined);
}

export const firstFound: LookupPlugin = {
  name: 'first_found',
  run(terms, options, ctx: LookupContext) {
    const { candidates, skip } = firstFoundCandidates(termList(terms), options);
    const subdir = ctx.subdir ?? 'files';
    for (const candidate of candidates) {
      let name: unknown;
      try {
        name = ctx.template(candidate);
      } catch (err) {
        // A name using an undefined variable is passed over.
        if (isUndefined(err)) continue;
        throw err;
      }
      const found = findInSearchPath(ctx, subdir, pyStr(name), true);
      if (found !== undefined) return [found];
    }
    if (skip) return [];
    throw new LookupFailure('No file was found when using first_found.');
  },
};
