/**
 * Python's `ast.literal_eval` for what templates render: strings, numbers,
 * True/False/None, lists, tuples, dicts and sets (as lists), unary signs.
 * Ansible evaluates a rendered text this way to turn `"[1, 2]"` back into a
 * list; with `json` it also reads `true`/`false`/`null`, as Ansible's
 * non-native templating does.
 */
import { decodeEscapes } from './lexer.js';
import { dictKey, pyFloat, tuple } from '../python.js';

class NotALiteral extends Error {}

const TOKEN = /\s*(?:(#[^\n]*)|([-+])|([[\](){},:])|((?:[rR][bB]|[bB][rR]|[rRuUbB])?(?:'''[\s\S]*?'''|"""[\s\S]*?"""|'(?:[^'\\\n]|\\[\s\S])*'|"(?:[^"\\\n]|\\[\s\S])*"))|(0[xX](?:_?[\da-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][-+]?\d(?:_?\d)*)?[jJ]?|\.\d(?:_?\d)*(?:[eE][-+]?\d(?:_?\d)*)?[jJ]?)|([A-Za-z_]\w*)|\\\n)/y;

interface Tok {
  kind: 'op' | 'sign' | 'string' | 'number' | 'name';
  text: string;
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let pos = 0;
  while (pos < text.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m || m[0].length === 0) {
      if (/^\s*$/.test(text.slice(pos))) break;
      throw new NotALiteral();
    }
    pos = TOKEN.lastIndex;
    if (m[2]) out.push({ kind: 'sign', text: m[2] });
    else if (m[3]) out.push({ kind: 'op', text: m[3] });
    else if (m[4]) out.push({ kind: 'string', text: m[4] });
    else if (m[5]) out.push({ kind: 'number', text: m[5] });
    else if (m[6]) out.push({ kind: 'name', text: m[6] });
  }
  return out;
}

function stringValue(token: string): string {
  const prefix = /^[rRuUbB]*/.exec(token)![0];
  if (/[bB]/.test(prefix)) throw new NotALiteral(); // bytes
  const body = token.slice(prefix.length);
  const quote = body.startsWith('"""') || body.startsWith("'''") ? 3 : 1;
  const inner = body.slice(quote, body.length - quote);
  return /[rR]/.test(prefix) ? inner : decodeEscapes(inner, 1);
}

function numberValue(token: string): unknown {
  if (/[jJ]$/.test(token)) throw new NotALiteral(); // complex
  const digits = token.replace(/_/g, '');
  if (/^0[xX]/.test(digits)) return parseInt(digits.slice(2), 16);
  if (/^0[oO]/.test(digits)) return parseInt(digits.slice(2), 8);
  if (/^0[bB]/.test(digits)) return parseInt(digits.slice(2), 2);
  if (/[.eE]/.test(digits)) return pyFloat(Number(digits));
  if (/^0\d/.test(digits) && !/^0+$/.test(digits)) throw new NotALiteral(); // 0123 is a syntax error in Python 3
  return Number(digits);
}

class LiteralParser {
  private i = 0;
  constructor(private readonly tokens: Tok[], private readonly json: boolean) {}

  parseAll(): unknown {
    const value = this.parseExpr();
    if (this.i !== this.tokens.length) throw new NotALiteral();
    return value;
  }

  private peek(): Tok | undefined {
    return this.tokens[this.i];
  }

  private take(text?: string): Tok {
    const token = this.tokens[this.i];
    if (!token || (text !== undefined && token.text !== text)) throw new NotALiteral();
    this.i++;
    return token;
  }

  private parseExpr(): unknown {
    const token = this.peek();
    if (!token) throw new NotALiteral();
    if (token.kind === 'sign') {
      this.i++;
      const operand = this.parseExpr();
      if (typeof operand !== 'number' && !(operand instanceof Number)) throw new NotALiteral();
      return token.text === '-' ? (operand instanceof Number ? pyFloat(-Number(operand)) : -operand) : operand;
    }
    if (token.kind === 'string') {
      let value = '';
      while (this.peek()?.kind === 'string') value += stringValue(this.take().text);
      return value;
    }
    if (token.kind === 'number') return numberValue(this.take().text);
    if (token.kind === 'name') {
      this.i++;
      if (token.text === 'True' || (this.json && token.text === 'true')) return true;
      if (token.text === 'False' || (this.json && token.text === 'false')) return false;
      if (token.text === 'None' || (this.json && token.text === 'null')) return null;
      throw new NotALiteral();
    }
    if (token.text === '[') return this.sequence(']');
    if (token.text === '(') {
      this.i++;
      if (this.peek()?.text === ')') {
        this.i++;
        return tuple([]);
      }
      const first = this.parseExpr();
      if (this.peek()?.text === ')') {
        this.i++;
        return first;
      }
      const items = [first];
      while (this.peek()?.text === ',') {
        this.i++;
        if (this.peek()?.text === ')') break;
        items.push(this.parseExpr());
      }
      this.take(')');
      return tuple(items);
    }
    if (token.text === '{') return this.mapping();
    throw new NotALiteral();
  }

  private sequence(close: string): unknown[] {
    this.take();
    const items: unknown[] = [];
    while (this.peek()?.text !== close) {
      items.push(this.parseExpr());
      if (this.peek()?.text === ',') this.i++;
      else break;
    }
    this.take(close);
    return items;
  }

  private mapping(): unknown {
    this.take('{');
    if (this.peek()?.text === '}') {
      this.i++;
      return {};
    }
    const first = this.parseExpr();
    if (this.peek()?.text !== ':') {
      // A set literal: Ansible's JSON output shows it as a list.
      const items = [first];
      while (this.peek()?.text === ',') {
        this.i++;
        if (this.peek()?.text === '}') break;
        items.push(this.parseExpr());
      }
      this.take('}');
      return items;
    }
    const out: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.take(':');
      out[dictKey(key)] = this.parseExpr();
      if (this.peek()?.text !== ',') break;
      this.i++;
      if (this.peek()?.text === '}') break;
      key = this.parseExpr();
    }
    this.take('}');
    return out;
  }
}

/**
 * The value of a Python literal, or `undefined` when the text is not one.
 * Leading whitespace makes it not one (Python's parser refuses an indented
 * expression); trailing whitespace and a comment are fine.
 */
export function literalEval(text: string, options: { json?: boolean } = {}): unknown {
  if (/^[ \t\f]/.test(text)) return undefined;
  try {
    return new LiteralParser(tokenize(text), options.json ?? false).parseAll();
  } catch (err) {
    if (err instanceof NotALiteral || err instanceof SyntaxError || err instanceof TypeError) return undefined;
    throw err;
  }
}
