/**
 * Ansible's `k=v` argument strings: `file: path=/tmp/x state=directory` and
 * free-form modules (`command: ls -l chdir=/tmp`). Quotes group words; a
 * value keeps inner `=`; words that are not k=v form the free-form text.
 */
import { UserError, type SourcePosition } from '../errors.js';

/** Which quote is open after `word`, given the one open before it (a quote preceded by a backslash does not count). */
function quoteAfter(word: string, open: string | null): string | null {
  let quote = open;
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if ((c === '"' || c === "'") && word[i - 1] !== '\\') {
      if (quote === null) quote = c;
      else if (c === quote) quote = null;
    }
  }
  return quote;
}

/** Jinja2 nesting after `word`: opening marks minus closing ones, never below zero. */
function depthAfter(word: string, depth: number, open: string, close: string): number {
  const opened = word.split(open).length - 1;
  const closed = word.split(close).length - 1;
  return opened === closed ? depth : Math.max(0, depth + opened - closed);
}

/**
 * Ansible's split_args: words separated by spaces, where quotes and Jinja2
 * blocks keep theirs (and their line breaks) inside one word. What the
 * free-form text looks like survives splitting and joining (joinArgs): a
 * run of spaces stays on the word before it, a line break on the word that
 * ends the line, and a lone `\` at the end of a line joins it to the next.
 */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let quote: string | null = null;
  let print = 0;
  let block = 0;
  let comment = 0;
  const lines = text.split('\n');
  lines.forEach((line, lineIndex) => {
    const parts = line.split(' ');
    let continued = false;
    parts.forEach((part, i) => {
      if (part === '' && i > 0) {
        if (words.length) words[words.length - 1] += ' ';
        return;
      }
      if (part === '\\' && quote === null) {
        continued = true;
        return;
      }
      const wasQuoted = quote !== null;
      quote = quoteAfter(part, quote);
      const inJinja = print > 0 || block > 0 || comment > 0;
      let placed = false;
      if (quote !== null && !wasQuoted && !inJinja) {
        words.push(part);
        placed = true;
      } else if (inJinja || quote !== null || wasQuoted) {
        const last = words.length - 1;
        if (i === 0 && wasQuoted) words[last] += part;
        else if (parts.length > 1) words[last] += (i > 0 ? ' ' : '') + part;
        else words[last] += `\n${part}`;
        placed = true;
      }
      for (const [open, close, get, set] of [
        ['{{', '}}', () => print, (v: number) => (print = v)],
        ['{%', '%}', () => block, (v: number) => (block = v)],
        ['{#', '#}', () => comment, (v: number) => (comment = v)],
      ] as const) {
        const before = get();
        set(depthAfter(part, before, open, close));
        if (get() !== before && !placed) {
          words.push(part);
          placed = true;
        }
      }
      if (!placed && print === 0 && block === 0 && comment === 0 && quote === null && part !== '') words.push(part);
    });
    if (lines.length > 1 && lineIndex < lines.length - 1 && !continued && words.length) words[words.length - 1] += '\n';
  });
  if (quote !== null || print > 0 || block > 0 || comment > 0) throw new Error('unbalanced quotes or Jinja2 block');
  return words;
}

/** Ansible's join_args: the words back together, a space between them except after a line break. */
export function joinArgs(words: string[]): string {
  let out = '';
  for (const w of words) out += out === '' || out.endsWith('\n') ? w : ` ${w}`;
  return out;
}

/** Ansible's unquote: only the outer quotes go (escapes were decoded before). */
function unquote(word: string): string {
  if (word.length >= 2 && (word[0] === '"' || word[0] === "'") && word[word.length - 1] === word[0]) return word.slice(1, -1);
  return word;
}

/**
 * Python string escapes that Ansible decodes in `k=v` words (`content="a\nb"`
 * holds a newline). Octal escapes are not among them: `replace='"\1"'` keeps
 * its back-reference.
 */
const ESCAPE = /\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|N\{[^}]+\}|[\\'"abfnrtv])/g;
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

export function decodeEscapes(text: string): string {
  return text.replace(ESCAPE, (whole, seq: string) => {
    if (seq in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[seq];
    if (seq[0] === 'U' || seq[0] === 'u' || seq[0] === 'x') return String.fromCodePoint(parseInt(seq.slice(1), 16));
    return whole; // \N{NAME}: no table of Unicode names here; kept as written
  });
}

/** The first `=` that is not escaped and not at the start, or -1. */
function separator(word: string): number {
  for (let pos = word.indexOf('=', 1); pos > 0; pos = word.indexOf('=', pos + 1)) if (word[pos - 1] !== '\\') return pos;
  return -1;
}

/**
 * Parse `k=v` text as Ansible's parse_kv does: escapes decoded, the key is
 * whatever comes before the first unescaped `=` (it may be a template:
 * `set_fact: "{{ name }}=x"`), the value unquoted. For free-form modules the
 * words that are not k=v (and k=v words whose key is not one of
 * `freeFormKeys`) stay in `_raw_params`, verbatim.
 */
export function parseKeyValue(text: string, where: SourcePosition, freeFormKeys?: Set<string>, options: { rawParams?: boolean } = {}): Record<string, unknown> {
  let words: string[];
  try {
    words = splitArgs(text);
  } catch (err) {
    throw new UserError(`cannot parse arguments '${text}': ${(err as Error).message}`, where);
  }
  const args: Record<string, unknown> = {};
  const raw: string[] = [];
  for (const word of words) {
    const decoded = decodeEscapes(word.replace(/\n+$/, ''));
    const pos = decoded.includes('=') ? separator(decoded) : -1;
    const key = pos > 0 ? decoded.slice(0, pos).trim() : undefined;
    if (key !== undefined && (!freeFormKeys || freeFormKeys.has(key))) args[key] = unquote(decoded.slice(pos + 1).trim());
    else if (freeFormKeys || options.rawParams) raw.push(pos < 0 && decoded.includes('\\=') ? word.replace(/\\=/g, '=') : word);
    else throw new UserError(`argument '${word}' is not of the form key=value`, where);
  }
  if ((freeFormKeys || options.rawParams) && raw.length) args._raw_params = joinArgs(raw);
  return args;
}
