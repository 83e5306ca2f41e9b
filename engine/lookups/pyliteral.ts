/**
 * Python's ast.literal_eval, as Ansible applies it to template output that
 * looks like a list, a dict or a bool (with JSON's true/false/null read as
 * Python's True/False/None): strings (all quote and prefix forms, escapes,
 * implicit concatenation), numbers, None/True/False, lists, tuples, dicts
 * and sets (tuples and sets become lists). Anything else is not a literal:
 * `parsePythonLiteral` returns undefined.
 */

class NotLiteral extends Error {}

const NAMES: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
const ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '' };

class Parser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const first = this.value();
    this.space();
    let result = first;
    // A top-level `a, b` is a tuple.
    if (this.peek() === ',') {
      const items = [first];
      while (this.eat(',')) {
        this.space();
        if (this.i >= this.text.length) break;
        items.push(this.value());
        this.space();
      }
      result = items;
    }
    this.space();
    if (this.i < this.text.length) throw new NotLiteral();
    return result;
  }

  private peek(): string {
    return this.text[this.i] ?? '';
  }

  private eat(c: string): boolean {
    this.space();
    if (this.text[this.i] === c) {
      this.i++;
      return true;
    }
    return false;
  }

  private space(): void {
    for (;;) {
      const m = /^(?:[ \t\r\n\f]+|#[^\n]*|\\\n)/.exec(this.text.slice(this.i));
      if (!m) return;
      this.i += m[0].length;
    }
  }

  private value(): unknown {
    this.space();
    const c = this.peek();
    if (c === '[') return this.list();
    if (c === '(') {
      this.i++;
      if (this.eat(')')) return [];
      const first = this.value();
      // A parenthesized value, or a tuple.
      if (this.eat(')')) return first;
      const items = [first];
      while (this.eat(',')) {
        if (this.eat(')')) return items;
        items.push(this.value());
      }
      if (!this.eat(')')) throw new NotLiteral();
      return items;
    }
    if (c === '{') return this.braces();
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.value();
      if (typeof v !== 'number') throw new NotLiteral();
      return c === '-' ? -v : v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    const name = /^[A-Za-z_]\w*/.exec(this.text.slice(this.i))?.[0];
    if (name && /^[rRuUbB]{1,2}$/.test(name) && /['"]/.test(this.text[this.i + name.length] ?? '')) return this.strings();
    if (c === "'" || c === '"') return this.strings();
    if (name !== undefined && Object.hasOwn(NAMES, name)) {
      this.i += name.length;
      return NAMES[name];
    }
    throw new NotLiteral();
  }

  private list(): unknown[] {
    this.i++;
    const items: unknown[] = [];
    for (;;) {
      if (this.eat(']')) return items;
      items.push(this.value());
      if (this.eat(']')) return items;
      if (!this.eat(',')) throw new NotLiteral();
    }
  }

  private braces(): unknown {
    this.i++;
    if (this.eat('}')) return {};
    const first = this.value();
    if (this.eat(':')) {
      const out: Record<string, unknown> = {};
      let key = first;
      for (;;) {
        const value = this.value();
        if (typeof key === 'object' && key !== null) throw new NotLiteral();
        out[key === null ? 'None' : key === true ? 'True' : key === false ? 'False' : String(key)] = value;
        if (this.eat('}')) return out;
        if (!this.eat(',')) throw new NotLiteral();
        if (this.eat('}')) return out;
        key = this.value();
        if (!this.eat(':')) throw new NotLiteral();
      }
    }
    // A set: its items, once each.
    const items = [first];
    for (;;) {
      if (this.eat('}')) return items;
      if (!this.eat(',')) throw new NotLiteral();
      if (this.eat('}')) return items;
      items.push(this.value());
    }
  }

  private number(): number {
    const rest = this.text.slice(this.i);
    const m = /^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?)/.exec(rest);
    const token = m?.[0] ?? '';
    if (!token || token === '.' || /^[jJ]/.test(rest.slice(token.length)) || /^\w/.test(rest.slice(token.length))) throw new NotLiteral();
    const clean = token.replace(/_/g, '');
    // Decimal integers may not have leading zeros (other than 0 itself).
    if (/^0\d/.test(clean) && !/[.eE]/.test(clean) && !/^0+$/.test(clean)) throw new NotLiteral();
    this.i += token.length;
    if (/^0[xX]/.test(clean)) return Number.parseInt(clean.slice(2), 16);
    if (/^0[oO]/.test(clean)) return Number.parseInt(clean.slice(2), 8);
    if (/^0[bB]/.test(clean)) return Number.parseInt(clean.slice(2), 2);
    return Number(clean);
  }

  /** One or more adjacent string literals, concatenated. */
  private strings(): string {
    let out = '';
    do {
      out += this.string();
      this.space();
    } while (/^(?:[rRuUbB]{0,2})['"]/.test(this.text.slice(this.i)));
    return out;
  }

  private string(): string {
    const prefix = /^[rRuUbB]{0,2}/.exec(this.text.slice(this.i))![0];
    const raw = /r/i.test(prefix);
    this.i += prefix.length;
    const quote = this.text.startsWith(this.text[this.i]!.repeat(3), this.i) ? this.text[this.i]!.repeat(3) : this.text[this.i]!;
    this.i += quote.length;
    let out = '';
    for (;;) {
      if (this.i >= this.text.length) throw new NotLiteral();
      if (this.text.startsWith(quote, this.i)) {
        this.i += quote.length;
        return out;
      }
      const c = this.text[this.i]!;
      if (c === '\n' && quote.length === 1) throw new NotLiteral();
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const next = this.text[this.i + 1] ?? '';
      if (raw) {
        out += c + next;
        this.i += 2;
        continue;
      }
      const hex = /^(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3})/.exec(this.text.slice(this.i + 1))?.[0];
      if (hex) {
        out += String.fromCodePoint(Number.parseInt(/^[0-7]/.test(hex) ? hex : hex.slice(1), /^[0-7]/.test(hex) ? 8 : 16));
        this.i += 1 + hex.length;
      } else if (Object.hasOwn(ESCAPES, next)) {
        out += ESCAPES[next];
        this.i += 2;
      } else {
        out += c;
        this.i++;
      }
    }
  }
}

/** The value of a Python literal, or undefined when the text is not one. */
export function parsePythonLiteral(text: string): { value: unknown } | undefined {
  try {
    return { value: new Parser(text).parse() };
  } catch (err) {
    if (err instanceof NotLiteral || err instanceof RangeError) return undefined;
    throw err;
  }
}
