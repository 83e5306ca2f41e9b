/**
 * How Ansible's command module turns its text into argv, and how Python then
 * expands each word, rebuilt as shell words for the host:
 *   - `shlexSplit`: Python's shlex.split (POSIX mode, no comments);
 *   - `expandedWord`: os.path.expanduser(os.path.expandvars(word)) done by
 *     the host's shell: `$NAME`/`${NAME}` become the variable's value when it
 *     is set (even empty) and stay as written when not, a leading `~` or
 *     `~user` becomes the home folder; everything else is quoted;
 *   - `globWord`: the same for a path argument (creates/removes), with the
 *     glob characters left active, as glob.glob reads them.
 */
import { quote } from '../../connection/quote.js';
import { UserError } from '../../errors.js';

const WHITESPACE = ' \t\r\n';

/** Python's shlex.split(text): POSIX quoting, backslash escapes, no comments, no expansion. */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new UserError('No closing quotation');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new UserError('No closing quotation');
        const d = text[i]!;
        if (d === '"') break;
        // Inside double quotes a backslash escapes only `"` and itself.
        if (d === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          word += text[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new UserError('No escaped character');
      word += text[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `${NAME-literal}` in double quotes: the value when set, the reference as written when not. */
function variableWord(name: string, written: string): string {
  const fallback = written.replace(/[\\$`"}]/g, '\\$&');
  return `"\${${name}-${fallback}}"`;
}

/**
 * The pieces of a word after expandvars, as shell text: literal text quoted,
 * each `$NAME`/`${NAME}` (Python's `\$(\w+|\{[^}]*\})`) a parameter expansion.
 * `literal` quotes a piece of plain text (glob-aware for paths).
 */
function expandVars(word: string, literal: (text: string) => string): string {
  let out = '';
  let plain = '';
  const flush = () => {
    if (plain !== '') out += literal(plain);
    plain = '';
  };
  const pattern = /\$(\w+|\{[^}]*\})/gy;
  let i = 0;
  while (i < word.length) {
    if (word[i] === '$') {
      pattern.lastIndex = i;
      const m = pattern.exec(word);
      if (m) {
        const inner = m[1]!.startsWith('{') ? m[1]!.slice(1, -1) : m[1]!;
        if (NAME.test(inner) && /^[\x00-\x7f]*$/.test(m[1]!)) {
          flush();
          out += variableWord(inner, m[0]);
        } else {
          plain += m[0];
        }
        i += m[0].length;
        continue;
      }
    }
    plain += word[i];
    i++;
  }
  flush();
  return out === '' ? "''" : out;
}

/** A leading `~` or `~user` (portable user name) left unquoted so the shell expands it; the rest through `rest`. */
function withTilde(word: string, rest: (text: string) => string): string {
  const m = /^~([A-Za-z0-9._][A-Za-z0-9._-]*)?(?=\/|$)/.exec(word);
  if (!m) return rest(word);
  const remainder = word.slice(m[0].length);
  return remainder === '' ? m[0] : m[0] + rest(remainder);
}

/** One argv word as the command module passes it: vars and `~` expanded when `expand` (the default). */
export function expandedWord(word: string, expand = true): string {
  if (!expand) return quote(word);
  return withTilde(word, (rest) => expandVars(rest, quote));
}

/** A path with `~`, `$VAR` expanded (Ansible's type=path), quoted. */
export function pathWord(path: string): string {
  return expandedWord(path, true);
}

const SAFE_BRACKET = /^\[!?[A-Za-z0-9._^-]+\]/;

/** Plain text of a glob pattern: `*` and `?` and simple `[...]` stay active, the rest is quoted. */
function globLiteral(text: string): string {
  let out = '';
  let plain = '';
  const flush = () => {
    if (plain !== '') out += quote(plain);
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '*' || c === '?') {
      flush();
      out += c;
    } else if (c === '[' && SAFE_BRACKET.test(text.slice(i))) {
      const m = SAFE_BRACKET.exec(text.slice(i))!;
      flush();
      out += m[0];
      i += m[0].length - 1;
    } else {
      plain += c;
    }
  }
  flush();
  return out;
}

export function hasGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/** A path pattern (creates/removes): `~` and vars expanded, glob characters active. */
export function globWord(path: string): string {
  return withTilde(path, (rest) => expandVars(rest, globLiteral));
}

/** Python's str.splitlines(): every line boundary Python knows, no empty piece at the end. */
export function pySplitlines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/);
  if (/(\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029])$/.test(text)) parts.pop();
  return parts;
}
