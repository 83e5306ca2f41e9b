/**
 * Text filters: case, trimming, centring, indenting, truncating, wrapping,
 * replacing, %-formatting, splitting, shell quoting and Ansible's `comment`
 * decorations, with Python's str semantics.
 */
import { pySplit, splitKwargs } from '../members.js';
import { pyStr, truthy, type Dict } from '../python.js';
import { printf } from './pyprintf.js';
import { FilterError, bindArgs, strict, text, type FilterFn } from './support.js';
import { textwrap } from './textwrap.js';

/** The characters Python's str.strip() and str.split() treat as whitespace. */
export const PY_WHITESPACE = ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** Python's str.strip(chars). */
export function pyStrip(s: string, chars?: unknown): string {
  const set = chars === undefined || chars === null ? PY_WHITESPACE : pyStr(chars);
  const codes = [...s];
  let start = 0;
  let end = codes.length;
  while (start < end && set.includes(codes[start]!)) start++;
  while (end > start && set.includes(codes[end - 1]!)) end--;
  return codes.slice(start, end).join('');
}

/** Python's str.splitlines(): every line boundary Python knows, line ends dropped. */
export function pySplitlines(s: string): string[] {
  const lines = s.split(/\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Python's str.replace(old, new, count); an empty `old` inserts between characters. */
export function pyReplace(s: string, old: string, replacement: string, count = -1): string {
  if (old === '') {
    const chars = [...s];
    const slots = count < 0 ? chars.length + 1 : Math.min(count, chars.length + 1);
    let out = '';
    for (let i = 0; i <= chars.length; i++) out += (i < slots ? replacement : '') + (chars[i] ?? '');
    return out;
  }
  const parts = s.split(old);
  if (count < 0 || count >= parts.length - 1) return parts.join(replacement);
  return parts.slice(0, count + 1).join(replacement) + old + parts.slice(count + 1).join(old);
}

function capitalize(value: unknown): string {
  const chars = [...text(value)];
  if (chars.length === 0) return '';
  return chars[0]!.toUpperCase() + chars.slice(1).join('').toLowerCase();
}

/** Jinja2's title: each word (split at whitespace, '-', and opening brackets) capitalized. */
function title(value: unknown): string {
  return text(value)
    .split(/([-\s({[<]+)/u)
    .filter((part) => part !== '')
    .map((part) => {
      const chars = [...part];
      return chars[0]!.toUpperCase() + chars.slice(1).join('').toLowerCase();
    })
    .join('');
}

/** Python's str.center: the odd space goes left when the width is odd. */
function center(value: unknown, ...args: unknown[]): string {
  const [width = 80] = bindArgs('center', args, ['width']);
  const s = text(value);
  const len = [...s].length;
  const w = Number(width);
  if (w <= len) return s;
  const margin = w - len;
  const left = Math.floor(margin / 2) + (margin & w & 1);
  return ' '.repeat(left) + s + ' '.repeat(margin - left);
}

function indent(value: unknown, ...args: unknown[]): string {
  const [width = 4, first = false, blank = false] = bindArgs('indent', args, ['width', 'first', 'blank']);
  const pad = typeof width === 'number' || typeof width === 'boolean' ? ' '.repeat(Number(width)) : pyStr(width);
  const lines = pySplitlines(`${text(value)}\n`);
  let out: string;
  if (truthy(blank)) out = lines.join(`\n${pad}`);
  else out = [lines[0] ?? '', ...lines.slice(1).map((line) => (line ? pad + line : line))].join('\n');
  return truthy(first) ? pad + out : out;
}

function truncate(value: unknown, ...args: unknown[]): string {
  const [length = 255, killwords = false, end = '...', leeway = 5] =
    bindArgs('truncate', args, ['length', 'killwords', 'end', 'leeway']);
  const s = [...text(value)];
  const tail = pyStr(end);
  const limit = Number(length);
  const slack = leeway === null ? 5 : Number(leeway);
  if (limit < [...tail].length) throw new RangeError(`expected length >= ${[...tail].length}, got ${limit}`);
  if (slack < 0) throw new RangeError(`expected leeway >= 0, got ${slack}`);
  if (s.length <= limit + slack) return s.join('');
  const kept = s.slice(0, limit - [...tail].length).join('');
  if (truthy(killwords)) return kept + tail;
  const space = kept.lastIndexOf(' ');
  return (space < 0 ? kept : kept.slice(0, space)) + tail;
}

function wordwrap(value: unknown, ...args: unknown[]): string {
  const [width = 79, breakLongWords = true, wrapstring = null, breakOnHyphens = true] =
    bindArgs('wordwrap', args, ['width', 'break_long_words', 'wrapstring', 'break_on_hyphens']);
  const joiner = wrapstring === null ? '\n' : pyStr(wrapstring);
  const options = { width: Number(width), breakLongWords: truthy(breakLongWords), breakOnHyphens: truthy(breakOnHyphens) };
  return pySplitlines(text(value)).map((line) => textwrap(line, options).join(joiner)).join(joiner);
}

function replace(value: unknown, ...args: unknown[]): string {
  const [old, replacement, count = null] = bindArgs('replace', args, ['old', 'new', 'count']);
  return pyReplace(text(value), text(old), text(replacement), count === null ? -1 : Number(count));
}

function format(value: unknown, ...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  const hasKwargs = Object.keys(kwargs).length > 0;
  if (positional.length > 0 && hasKwargs) throw new FilterError("can't handle positional and keyword arguments at the same time");
  return printf(text(value), hasKwargs ? kwargs : positional);
}

function split(value: unknown, ...args: unknown[]): string[] {
  const [sep = null, maxsplit = -1] = bindArgs('split', args, ['sep', 'maxsplit']);
  return pySplit(text(value), sep, maxsplit);
}

/** Python's shlex.quote. */
export function shlexQuote(s: string): string {
  if (s === '') return "''";
  if (!/[^\w@%+=:,./-]/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

const COMMENT_STYLES: Record<string, Dict> = {
  plain: { decoration: '# ' },
  erlang: { decoration: '% ' },
  c: { decoration: '// ' },
  cblock: { beginning: '/*', decoration: ' * ', end: ' */' },
  xml: { beginning: '<!--', decoration: ' - ', end: '-->' },
};

/** Ansible's `comment`: the text as a comment block in one of the styles, every part overridable. */
function comment(value: unknown, ...args: unknown[]): string {
  const { positional, kwargs } = splitKwargs(args);
  if (positional.length > 1) throw new TypeError('comment() takes from 1 to 2 positional arguments');
  const style = pyStr(kwargs.style ?? positional[0] ?? 'plain');
  const { style: _style, ...options } = kwargs;
  const styleParams = COMMENT_STYLES[style];
  if (!styleParams) throw new FilterError(`'${style}'`);
  const decorationDefault = pyStr('decoration' in options ? options.decoration : styleParams.decoration);
  const p: Dict = {
    newline: '\n',
    beginning: '',
    prefix: decorationDefault.trimEnd(),
    prefix_count: 1,
    decoration: '',
    postfix: decorationDefault.trimEnd(),
    postfix_count: 1,
    end: '',
    ...styleParams,
    ...options,
  };
  const newline = pyStr(p.newline);
  const decoration = pyStr(p.decoration);
  const beginning = truthy(p.beginning) ? pyStr(p.beginning) + newline : '';
  let prefix = '';
  if (truthy(p.prefix)) {
    const unit = pyStr(p.prefix) !== newline ? pyStr(p.prefix) + newline : newline;
    prefix = unit.repeat(Math.max(0, Number(p.prefix_count)));
  }
  const body = pyReplace(
    decoration + pyReplace(text(value), newline, newline + decoration),
    decoration + newline,
    rstrip(decoration) + newline,
  );
  const postfix = ['', ...Array.from({ length: Math.max(0, Number(p.postfix_count)) }, () => pyStr(p.postfix))].join(newline);
  const end = truthy(p.end) ? newline + pyStr(p.end) : '';
  return beginning + prefix + body + postfix + end;
}

function rstrip(s: string): string {
  let end = s.length;
  while (end > 0 && PY_WHITESPACE.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}

export const stringFilters: Record<string, FilterFn> = {
  lower: (v) => text(v).toLowerCase(),
  upper: (v) => text(v).toUpperCase(),
  capitalize,
  title,
  trim: (v, ...args) => pyStrip(text(v), bindArgs('trim', args, ['chars'])[0]),
  center,
  indent,
  truncate,
  wordwrap,
  wordcount: (v) => (text(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
  replace,
  format,
  split,
  quote: (v) => shlexQuote(strict(v) === null || v === undefined ? '' : pyStr(v)),
  comment,
};
