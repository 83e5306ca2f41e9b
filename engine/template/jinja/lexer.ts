/**
 * The Jinja2 lexer, as Jinja2 3.x tokenizes: template data and the three
 * kinds of tags, whitespace control (`{%-`, `-%}`, `{%+`, `+%}`), trim_blocks
 * (the newline after a block or comment tag goes), lstrip_blocks (the
 * indentation before one goes), `{% raw %}`, configurable delimiters, and
 * newlines normalised to the newline sequence (a single trailing newline is
 * dropped unless keep_trailing_newline). Inside tags: names, numbers,
 * strings with Python escapes, operators; an end delimiter counts only when
 * the brackets opened inside the tag are closed (`{{ {'a': {'b': 1}} }}`).
 */
import { TemplateSyntaxError } from './errors.js';

export interface SyntaxOptions {
  blockStart: string;
  blockEnd: string;
  variableStart: string;
  variableEnd: string;
  commentStart: string;
  commentEnd: string;
  trimBlocks: boolean;
  lstripBlocks: boolean;
  newlineSequence: string;
  keepTrailingNewline: boolean;
  /** Line statements (`# for x in y`), off unless set (Ansible: a template's `#jinja2:` header). */
  lineStatementPrefix?: string;
  lineCommentPrefix?: string;
}

/** Jinja2's defaults as Ansible sets them (trim_blocks on). */
export const ANSIBLE_SYNTAX: SyntaxOptions = {
  blockStart: '{%',
  blockEnd: '%}',
  variableStart: '{{',
  variableEnd: '}}',
  commentStart: '{#',
  commentEnd: '#}',
  trimBlocks: true,
  lstripBlocks: false,
  newlineSequence: '\n',
  keepTrailingNewline: false,
};

export type TokenType =
  | 'data' | 'variable_begin' | 'variable_end' | 'block_begin' | 'block_end'
  | 'name' | 'string' | 'integer' | 'float' | 'eof' | 'error'
  | 'add' | 'sub' | 'div' | 'floordiv' | 'mul' | 'mod' | 'pow' | 'tilde'
  | 'lbracket' | 'rbracket' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace'
  | 'eq' | 'ne' | 'gt' | 'gteq' | 'lt' | 'lteq' | 'assign' | 'dot' | 'colon' | 'pipe' | 'comma' | 'semicolon';

export interface Token {
  type: TokenType;
  /** Names and data as text; strings decoded; numbers as numbers (`float` keeps its text in `raw`). */
  value: string | number;
  line: number;
  /** The token's text in the (newline-normalised) source, and where it starts there. */
  raw: string;
  start: number;
  /** Only for string tokens: inside a `{{ }}` tag. */
  inVariable?: boolean;
}

const OPERATORS: Array<[string, TokenType]> = [
  ['//', 'floordiv'], ['**', 'pow'], ['==', 'eq'], ['!=', 'ne'], ['>=', 'gteq'], ['<=', 'lteq'],
  ['+', 'add'], ['-', 'sub'], ['/', 'div'], ['*', 'mul'], ['%', 'mod'], ['~', 'tilde'],
  ['[', 'lbracket'], [']', 'rbracket'], ['(', 'lparen'], [')', 'rparen'], ['{', 'lbrace'], ['}', 'rbrace'],
  ['>', 'gt'], ['<', 'lt'], ['=', 'assign'], ['.', 'dot'], [':', 'colon'], ['|', 'pipe'], [',', 'comma'], [';', 'semicolon'],
];
const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

const WHITESPACE = /\s+/y;
/** The end of a line statement: Jinja2's `\s*(\n|$)`, blank lines after it included. */
const LINE_END = /\s*(?:\n|$)/y;
const FLOAT = /(?<!\.)(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?[eE][+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/y;
const INTEGER = /(?:0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0[xX](?:_?[\da-fA-F])+|[1-9](?:_?\d)*|0(?:_?0)*)/y;
const NAME = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const STRING = /'([^'\\]*(?:\\[\s\S][^'\\]*)*)'|"([^"\\]*(?:\\[\s\S][^"\\]*)*)"/y;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function matchAt(re: RegExp, text: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(text);
}

/** Python's `int(text, 0)` for the literals the lexer accepts. */
function parseInteger(text: string): number {
  const digits = text.replace(/_/g, '');
  if (/^0[bB]/.test(digits)) return parseInt(digits.slice(2), 2);
  if (/^0[oO]/.test(digits)) return parseInt(digits.slice(2), 8);
  if (/^0[xX]/.test(digits)) return parseInt(digits.slice(2), 16);
  return Number(digits);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

/** Python's unicode-escape decoding of a string literal's body; unknown escapes keep their backslash. */
export function decodeEscapes(body: string, line: number): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i === body.length - 1) {
      out += c;
      continue;
    }
    const next = body[i + 1]!;
    if (Object.hasOwn(SIMPLE_ESCAPES, next)) {
      out += SIMPLE_ESCAPES[next];
      i++;
    } else if (/[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(oct, 8));
      i += oct.length;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const size = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + size);
      if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) {
        throw new TemplateSyntaxError(`(unicode error) 'unicodeescape' codec can't decode bytes: truncated \\${next}${'X'.repeat(size)} escape`, line);
      }
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + size;
    } else {
      out += c;
    }
  }
  return out;
}

interface RootMatch {
  /** Where the tag starts. */
  at: number;
  kind: 'raw' | 'variable' | 'block' | 'comment' | 'linestatement' | 'linecomment';
  /** The whole opening text (delimiter and whitespace-control sign; for raw, the whole `{% raw %}`). */
  open: string;
  sign: '' | '-' | '+';
}

export class Lexer {
  private readonly openers: Array<{ kind: RootMatch['kind']; re: RegExp }>;
  private readonly commentEnd: RegExp;
  private readonly blockEnd: RegExp;
  private readonly variableEnd: RegExp;
  private readonly rawEnd: RegExp;
  private readonly lineOpeners: Array<{ kind: 'linestatement' | 'linecomment'; re: RegExp; length: number }> = [];

  constructor(private readonly options: SyntaxOptions) {
    const e = escapeRe;
    const trim = options.trimBlocks ? '\\n?' : '';
    const starts: Array<{ kind: RootMatch['kind']; text: string }> = [
      { kind: 'variable' as const, text: options.variableStart },
      { kind: 'comment' as const, text: options.commentStart },
      { kind: 'block' as const, text: options.blockStart },
    ].sort((a, b) => b.text.length - a.text.length);
    this.openers = [
      { kind: 'raw', re: new RegExp(`${e(options.blockStart)}([-+]?)\\s*raw\\s*(?:-${e(options.blockEnd)}\\s*|${e(options.blockEnd)})`, 'y') },
      ...starts.map((s) => ({ kind: s.kind, re: new RegExp(`${e(s.text)}([-+]?)`, 'y') })),
    ];
    this.commentEnd = new RegExp(`\\+${e(options.commentEnd)}|-${e(options.commentEnd)}\\s*|${e(options.commentEnd)}${trim}`, 'g');
    this.blockEnd = new RegExp(`\\+${e(options.blockEnd)}|-${e(options.blockEnd)}\\s*|${e(options.blockEnd)}${trim}`, 'y');
    this.variableEnd = new RegExp(`-${e(options.variableEnd)}\\s*|${e(options.variableEnd)}`, 'y');
    if (options.lineStatementPrefix) {
      this.lineOpeners.push({ kind: 'linestatement', re: new RegExp(`^[ \\t\\v]*${e(options.lineStatementPrefix)}`, 'gm'), length: options.lineStatementPrefix.length });
    }
    if (options.lineCommentPrefix) {
      this.lineOpeners.push({ kind: 'linecomment', re: new RegExp(`(?:^|(?<=\\S))[^\\S\\r\\n]*${e(options.lineCommentPrefix)}`, 'gm'), length: options.lineCommentPrefix.length });
    }
    this.rawEnd = new RegExp(`${e(options.blockStart)}([-+]?)\\s*endraw\\s*(?:\\+${e(options.blockEnd)}|-${e(options.blockEnd)}\\s*|${e(options.blockEnd)}${trim})`, 'g');
  }

  /** The source as the lexer sees it: newlines as `\n`, a single trailing newline dropped unless kept. */
  normalize(source: string): string {
    const lines = source.split(/\r\n|\r|\n/);
    if (!this.options.keepTrailingNewline && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }

  /**
   * The tokens. A lexing error becomes an `error` token at the end: Jinja2
   * lexes lazily, so a parse error before that point is the one reported.
   */
  tokenize(source: string): Token[] {
    const tokens: Token[] = [];
    try {
      this.tokenizeInto(source, tokens);
    } catch (err) {
      if (!(err instanceof TemplateSyntaxError)) throw err;
      tokens.push({ type: 'error', value: err.message, line: err.line, raw: '', start: -1 });
    }
    return tokens;
  }

  private tokenizeInto(source: string, tokens: Token[]): void {
    const text = this.normalize(source);
    const nl = this.options.newlineSequence;
    const data = (value: string, line: number, start: number) => {
      if (value) tokens.push({ type: 'data', value: nl === '\n' ? value : value.replace(/\n/g, nl), line, raw: value, start });
    };
    let pos = 0;
    let line = 1;
    let lineStarting = true;
    const seen = new Map<string | RegExp, number>();
    while (pos < text.length) {
      const found = this.nextOpener(text, pos, seen);
      if (!found) {
        data(text.slice(pos), line, pos);
        break;
      }
      let before = text.slice(pos, found.at);
      if (found.kind === 'linestatement' || found.kind === 'linecomment') {
        data(before, line, pos);
        line += countNewlines(before) + countNewlines(found.open);
        pos = found.at + found.open.length;
        if (found.kind === 'linecomment') {
          const eol = text.indexOf('\n', pos);
          pos = eol < 0 ? text.length : eol;
          lineStarting = false;
        } else {
          tokens.push({ type: 'block_begin', value: found.open, line, raw: found.open, start: found.at });
          const after = this.tag(text, pos, line, 'line', tokens);
          line = after.line;
          lineStarting = text.slice(pos, after.pos).endsWith('\n');
          pos = after.pos;
        }
        continue;
      }
      if (found.sign === '-') before = before.replace(/\s+$/, '');
      else if (found.sign !== '+' && this.options.lstripBlocks && found.kind !== 'variable') {
        const lineStart = before.lastIndexOf('\n') + 1;
        if ((lineStart > 0 || lineStarting) && /^[^\S\n]+$/.test(before.slice(lineStart))) before = before.slice(0, lineStart);
      }
      data(before, line, pos);
      line += countNewlines(text.slice(pos, found.at));
      pos = found.at + found.open.length;
      lineStarting = found.open.endsWith('\n');
      if (found.kind === 'comment') {
        this.commentEnd.lastIndex = pos;
        const end = this.commentEnd.exec(text);
        if (!end) throw new TemplateSyntaxError('Missing end of comment tag', line);
        line += countNewlines(text.slice(pos, end.index + end[0].length));
        pos = end.index + end[0].length;
        lineStarting = end[0].endsWith('\n');
      } else if (found.kind === 'raw') {
        line += countNewlines(found.open);
        this.rawEnd.lastIndex = pos;
        const end = this.rawEnd.exec(text);
        if (!end) throw new TemplateSyntaxError('Missing end of raw directive', line);
        let body = text.slice(pos, end.index);
        if (end[1] === '-') body = body.replace(/\s+$/, '');
        else if (end[1] !== '+' && this.options.lstripBlocks) {
          const lineStart = body.lastIndexOf('\n') + 1;
          if ((lineStart > 0 || lineStarting) && /^[^\S\n]+$/.test(body.slice(lineStart))) body = body.slice(0, lineStart);
        }
        data(body, line, pos);
        line += countNewlines(text.slice(pos, end.index + end[0].length));
        pos = end.index + end[0].length;
        lineStarting = end[0].endsWith('\n');
      } else {
        tokens.push({ type: found.kind === 'block' ? 'block_begin' : 'variable_begin', value: found.open, line, raw: found.open, start: found.at });
        const after = this.tag(text, pos, line, found.kind, tokens);
        line = after.line;
        lineStarting = text.slice(pos, after.pos).endsWith('\n');
        pos = after.pos;
      }
    }
    tokens.push({ type: 'eof', value: '', line, raw: '', start: text.length });
  }

  /** The earliest tag opening at or after `pos` (the longest delimiter wins at one position). */
  private nextOpener(text: string, pos: number, seen: Map<string | RegExp, number>): RootMatch | null {
    let best: RootMatch | null = null;
    let bestLength = 0;
    // Where each delimiter next occurs, remembered: searching the rest of the text for one
    // that is not there again at every tag would make a long template quadratic.
    const next = (key: string | RegExp, find: () => number): number => {
      const known = seen.get(key);
      if (known !== undefined && (known === -1 || known >= pos)) return known;
      const found = find();
      seen.set(key, found);
      return found;
    };
    const first = Math.min(
      ...[this.options.blockStart, this.options.variableStart, this.options.commentStart].map((s) => {
        const i = next(s, () => text.indexOf(s, pos));
        return i < 0 ? Infinity : i;
      }),
    );
    if (first !== Infinity) {
      for (let at = first; at < text.length && !best; at++) {
        for (const opener of this.openers) {
          const m = matchAt(opener.re, text, at);
          if (m) {
            best = { at, kind: opener.kind, open: m[0], sign: (m[1] ?? '') as RootMatch['sign'] };
            bestLength = opener.kind === 'raw' ? Infinity : m[0].length - (m[1] ?? '').length;
            break;
          }
        }
      }
    }
    // Line statements and comments compete by position, then by the length of their prefix.
    for (const opener of this.lineOpeners) {
      const at = next(opener.re, () => {
        opener.re.lastIndex = pos;
        return opener.re.exec(text)?.index ?? -1;
      });
      if (at < 0) continue;
      opener.re.lastIndex = at;
      const m = opener.re.exec(text)!;
      if (!best || m.index < best.at || (m.index === best.at && opener.length > bestLength)) {
        best = { at: m.index, kind: opener.kind, open: m[0], sign: '' };
        bestLength = opener.length;
      }
    }
    return best;
  }

  /** The tokens of one `{{ }}` or `{% %}` tag, up to and including its end. */
  private tag(text: string, start: number, line: number, kind: 'variable' | 'block' | 'line', tokens: Token[]): { pos: number; line: number } {
    const endRe = kind === 'block' ? this.blockEnd : kind === 'line' ? LINE_END : this.variableEnd;
    const balance: string[] = [];
    let pos = start;
    while (pos < text.length) {
      if (balance.length === 0) {
        const end = matchAt(endRe, text, pos);
        if (end) {
          tokens.push({ type: kind === 'variable' ? 'variable_end' : 'block_end', value: end[0], line, raw: end[0], start: pos });
          return { pos: pos + end[0].length, line: line + countNewlines(end[0]) };
        }
      }
      const ws = matchAt(WHITESPACE, text, pos);
      if (ws) {
        line += countNewlines(ws[0]);
        pos += ws[0].length;
        continue;
      }
      let m: RegExpExecArray | null;
      if ((m = matchAt(FLOAT, text, pos))) {
        tokens.push({ type: 'float', value: Number(m[0].replace(/_/g, '')), line, raw: m[0], start: pos });
      } else if ((m = matchAt(INTEGER, text, pos))) {
        tokens.push({ type: 'integer', value: parseInteger(m[0]), line, raw: m[0], start: pos });
      } else if ((m = matchAt(NAME, text, pos))) {
        tokens.push({ type: 'name', value: m[0], line, raw: m[0], start: pos });
      } else if ((m = matchAt(STRING, text, pos))) {
        const body = (m[1] ?? m[2] ?? '').replace(/\n/g, this.options.newlineSequence);
        tokens.push({ type: 'string', value: decodeEscapes(body, line), line, raw: m[0], start: pos, inVariable: kind === 'variable' });
      } else {
        const op = OPERATORS.find(([o]) => text.startsWith(o, pos));
        if (!op) throw new TemplateSyntaxError(`unexpected char ${pyRepr(text[pos]!)} at ${pos}`, line);
        m = [op[0]] as unknown as RegExpExecArray;
        if (CLOSING[op[0]]) balance.push(CLOSING[op[0]]!);
        else if (op[0] === ')' || op[0] === ']' || op[0] === '}') {
          const expected = balance.pop();
          if (!expected) throw new TemplateSyntaxError(`unexpected '${op[0]}'`, line);
          if (expected !== op[0]) throw new TemplateSyntaxError(`unexpected '${op[0]}', expected '${expected}'`, line);
        }
        tokens.push({ type: op[1], value: op[0], line, raw: op[0], start: pos });
      }
      line += countNewlines(m[0]);
      pos += m[0].length;
    }
    // A line statement on the last line ends with the text.
    if (kind === 'line' && balance.length === 0) tokens.push({ type: 'block_end', value: '', line, raw: '', start: pos });
    return { pos, line };
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function pyRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Ansible's backslash rule for values (not for the template module): inside
 * `{{ }}`, a string literal's backslashes are literal, so `'\d+'` reaches a
 * filter as `\d+`. Ansible does it by doubling them in the source before
 * parsing; so do we (token by token, which keeps its quirks: `'it\'s'`
 * then ends at the second quote).
 */
export function escapeBackslashes(source: string, lexer: Lexer): string {
  if (!source.includes('\\') || !source.includes('{{')) return source;
  const text = lexer.normalize(source);
  let out = '';
  let at = 0;
  for (const token of lexer.tokenize(source)) {
    if (token.type === 'error') return source;
    if (token.type !== 'string' || !token.inVariable) continue;
    out += text.slice(at, token.start) + token.raw.replace(/\\/g, '\\\\');
    at = token.start + token.raw.length;
  }
  // What normalising dropped (a trailing newline) is dropped again by the next tokenize.
  return out + text.slice(at);
}
