import { UserError } from '../errors.js';

/**
 * POSIX shell quoting. Every value that reaches a remote shell goes through
 * `quote`: single quotes protect everything but a single quote, which is
 * closed, escaped and reopened. NUL bytes cannot be passed in argv at all.
 * Quoting does not stop a leading dash from reading as an option: callers put
 * `--` before operands that may start with one.
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote each word and join with spaces: `sh(['rm', '-f', path])`. */
export function shellJoin(words: Array<string | number>): string {
  return words.map(quote).join(' ');
}

/**
 * Split like a POSIX shell would (quotes, backslashes), without any expansion:
 * ssh's common args. (The command module splits with Python's shlex rules:
 * engine/modules/core/shlex.ts.)
 * `what` names the text in the error for an unterminated quote.
 */
export function shellWords(text: string, what: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new UserError(`unterminated single quote in ${what}: ${text}`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        // Inside double quotes a backslash only escapes these characters.
        if (text[i] === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) i++;
        word += text[i];
        i++;
      }
      if (i >= text.length) throw new UserError(`unterminated double quote in ${what}: ${text}`);
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
