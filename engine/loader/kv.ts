/**
 * Ansible's `k=v` argument strings: `file: path=/tmp/x state=directory` and
 * free-form modules (`command: ls -l chdir=/tmp`). Quotes group words; a
 * value keeps inner `=`; words that are not k=v form the free-form text.
 */
import { UserError, type SourcePosition } from '../errors.js';

/** Split on unquoted whitespace, keeping quotes inside words (Ansible's split_args keeps them, and Jinja2 blocks stay whole). */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | null = null;
  let jinjaDepth = 0;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%')) jinjaDepth++;
    if (!quote && jinjaDepth > 0 && (two === '}}' || two === '%}')) jinjaDepth--;
    if (quote) {
      if (c === '\\' && i + 1 < text.length) {
        current += c + text[++i];
        continue;
      }
      if (c === quote) quote = null;
      current += c;
    } else if ((c === '"' || c === "'") && jinjaDepth === 0) {
      quote = c;
      current += c;
      started = true;
    } else if (c === '\n' && jinjaDepth === 0) {
      // Like Ansible's split_args, a line break stays in the text (multi-line `shell: |` scripts).
      if (started) {
        words.push(current + '\n');
      } else if (words.length) words[words.length - 1] += '\n';
      current = '';
      started = false;
    } else if (/\s/.test(c) && jinjaDepth === 0) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote`);
  if (started) words.push(current);
  return words;
}

/** Ansible's unquote: only the outer quotes go (escapes were decoded before). */
function unquote(word: string): string {
  if (word.length >= 2 && (word[0] === '"' || word[0] === "'") && word[word.length - 1] === word[0]) return word.slice(1, -1);
  return word;
}

/** Python string escapes that Ansible decodes in `k=v` words (`content="a\nb"` holds a newline). */
const ESCAPE = /\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|N\{[^}]+\}|[\\'"abfnrtv])/g;
const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

export function decodeEscapes(text: string): string {
  return text.replace(ESCAPE, (whole, seq: string) => {
    if (seq in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[seq];
    if (seq[0] === 'U' || seq[0] === 'u' || seq[0] === 'x') return String.fromCodePoint(parseInt(seq.slice(1), 16));
    if (seq[0] === 'N') return whole;
    return String.fromCharCode(parseInt(seq, 8));
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
export function parseKeyValue(text: string, where: SourcePosition, freeFormKeys?: Set<string>): Record<string, unknown> {
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
    else if (freeFormKeys) raw.push(pos < 0 && decoded.includes('\\=') ? word.replace(/\\=/g, '=') : word);
    else throw new UserError(`argument '${word}' is not of the form key=value`, where);
  }
  if (freeFormKeys && raw.length) args._raw_params = raw.join(' ');
  return args;
}
