/**
 * Regular expressions with Python's `re` syntax: regex_replace,
 * regex_search (with group arguments), regex_findall and regex_escape
 * (Python's re.escape, or POSIX basic).
 */
import { isString, pyStr, truthy } from '../python.js';
import { pyFindall, pyRegex, pySub } from '../regex.js';
import { FilterError, bindArgs, strict, text, type FilterFn } from './support.js';
import { splitKwargs } from '../members.js';

function flags(ignorecase: unknown, multiline: unknown): string {
  return (truthy(ignorecase ?? false) ? 'i' : '') + (truthy(multiline ?? false) ? 'm' : '');
}

/** The text a regex filter works on: strings as they are, anything else as its str(). */
function subject(value: unknown): string {
  strict(value);
  return isString(value) ? String(value) : pyStr(value);
}

function regexReplace(value: unknown, ...args: unknown[]): string {
  const [pattern = '', replacement = '', ignorecase = false, multiline = false] =
    bindArgs('regex_replace', args, ['pattern', 'replacement', 'ignorecase', 'multiline']);
  return pySub(pyRegex(text(pattern), flags(ignorecase, multiline)), text(replacement), subject(value));
}

function regexFindall(value: unknown, ...args: unknown[]): unknown[] {
  const [pattern, multiline = false, ignorecase = false] = bindArgs('regex_findall', args, ['regex', 'multiline', 'ignorecase']);
  return pyFindall(pyRegex(text(pattern), flags(ignorecase, multiline)), subject(value));
}

/** regex_search: the match (or None); with group arguments ('\\1', '\\g<name>') the list of those groups. */
function regexSearch(value: unknown, ...args: unknown[]): unknown {
  const { positional, kwargs } = splitKwargs(args);
  const [pattern, ...refs] = positional;
  const groups = refs.map((ref) => {
    const s = text(ref);
    const named = /^\\g<(\S+)>/.exec(s);
    if (s.startsWith('\\g') && named) return named[1]!;
    const numbered = /^\\(\d+)/.exec(s);
    if (numbered) return Number(numbered[1]);
    throw new FilterError('Unknown argument');
  });
  const m = pyRegex(text(pattern), flags(kwargs.ignorecase, kwargs.multiline)).exec(subject(value));
  if (!m) return null;
  if (groups.length === 0) return m[0];
  return groups.map((g) => {
    if (typeof g === 'number') {
      if (g >= m.length) throw new RangeError('no such group');
      return m[g] ?? null;
    }
    if (!m.groups || !(g in m.groups)) throw new RangeError('no such group');
    return m.groups[g] ?? null;
  });
}

/** Python's re.escape: the characters with a meaning in a pattern, whitespace included. */
function pythonEscape(s: string): string {
  return s.replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => `\\${c}`);
}

function regexEscape(value: unknown, ...args: unknown[]): string {
  const [reType = 'python'] = bindArgs('regex_escape', args, ['re_type']);
  const s = subject(value);
  const kind = pyStr(reType);
  if (kind === 'python') return pythonEscape(s);
  if (kind === 'posix_basic') return s.replace(/[\].[^$*\\]/g, (c) => `\\${c}`);
  if (kind === 'posix_extended') throw new FilterError(`Regex type (${kind}) not yet implemented`);
  throw new FilterError(`Invalid regex type (${kind})`);
}

export const regexFilters: Record<string, FilterFn> = {
  regex_replace: regexReplace,
  regex_search: regexSearch,
  regex_findall: regexFindall,
  regex_escape: regexEscape,
};
