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

function unquote(word: string): string {
  if (word.length >= 2 && (word[0] === '"' || word[0] === "'") && word[word.length - 1] === word[0]) {
    const inner = word.slice(1, -1);
    return word[0] === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
  }
  return word;
}

const KEY = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * Parse `k=v` text. For free-form modules the non-k=v words (and k=v words
 * whose key is not one of `freeFormKeys`) stay in `_raw_params`, verbatim.
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
    const m = KEY.exec(word.replace(/\n+$/, ''));
    if (m && (!freeFormKeys || freeFormKeys.has(m[1]))) args[m[1]] = unquote(m[2]);
    else if (freeFormKeys) raw.push(word);
    else throw new UserError(`argument '${word}' is not of the form key=value`, where);
  }
  if (freeFormKeys && raw.length) args._raw_params = raw.join(' ');
  return args;
}
