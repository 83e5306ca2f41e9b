/**
 * The Jinja2 grammar (3.x): statements, expressions with Jinja2's
 * precedence, and Jinja2's syntax error messages, since Ansible shows them
 * to users ("expected token 'end of print statement', got 'x'",
 * "Encountered unknown tag 'do'."). The `do`, `break` and `continue` tags
 * exist only when their extensions are enabled, as in Jinja2.
 */
import type { BinaryOperator, CallArgs, CompareOperator, Expr, ExprOf, Signature, Stmt, StmtOf, TemplateNode } from './ast.js';
import { TemplateSyntaxError } from './errors.js';
import type { Token, TokenType } from './lexer.js';

export interface ParserOptions {
  /** Jinja2 extensions: `jinja2.ext.do`, `jinja2.ext.loopcontrols`. */
  extensions?: ReadonlySet<string>;
}

const STATEMENT_KEYWORDS = new Set(['for', 'if', 'block', 'extends', 'print', 'macro', 'include', 'from', 'import', 'set', 'with', 'autoescape']);
const COMPARE_TOKENS: Partial<Record<TokenType, CompareOperator>> = { eq: 'eq', ne: 'ne', lt: 'lt', lteq: 'lteq', gt: 'gt', gteq: 'gteq' };
const MATH1: Partial<Record<TokenType, BinaryOperator>> = { add: '+', sub: '-' };
const MATH2: Partial<Record<TokenType, BinaryOperator>> = { mul: '*', div: '/', floordiv: '//', mod: '%' };

const TOKEN_NAMES: Partial<Record<TokenType, string>> = {
  add: '+', sub: '-', div: '/', floordiv: '//', mul: '*', mod: '%', pow: '**', tilde: '~',
  lbracket: '[', rbracket: ']', lparen: '(', rparen: ')', lbrace: '{', rbrace: '}',
  eq: '==', ne: '!=', gt: '>', gteq: '>=', lt: '<', lteq: '<=', assign: '=', dot: '.', colon: ':', pipe: '|', comma: ',', semicolon: ';',
  block_begin: 'begin of statement block', block_end: 'end of statement block',
  variable_begin: 'begin of print statement', variable_end: 'end of print statement',
  data: 'template data / text', eof: 'end of template',
};

function describeType(type: string): string {
  return TOKEN_NAMES[type as TokenType] ?? type;
}

function describeToken(token: Token): string {
  return token.type === 'name' ? String(token.value) : describeType(token.type);
}

/** `name:endfor` → `endfor`; `block_end` → `end of statement block`. */
function describeExpr(expr: string): string {
  const [type, value] = expr.split(/:(.*)/s);
  if (value !== undefined && type === 'name') return value;
  return describeType(type!);
}

/** Python's repr of a short text, as Jinja2's messages quote names. */
function quote(text: string): string {
  return text.includes("'") && !text.includes('"') ? `"${text}"` : `'${text}'`;
}

class TokenStream {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  /** A token; reaching a lexing error raises it. */
  private at(index: number): Token {
    const token = this.tokens[Math.min(index, this.tokens.length - 1)]!;
    if (token.type === 'error') throw new TemplateSyntaxError(String(token.value), token.line);
    return token;
  }

  get current(): Token {
    return this.at(this.index);
  }

  /** The current token's type (a method, so that TypeScript does not narrow it across calls). */
  type(): TokenType {
    return this.at(this.index).type;
  }

  look(): Token {
    return this.at(this.index + 1);
  }

  next(): Token {
    const token = this.current;
    if (token.type !== 'eof') this.index++;
    return token;
  }

  skip(n = 1): void {
    for (let i = 0; i < n; i++) this.next();
  }

  test(expr: string, token = this.current): boolean {
    const [type, value] = expr.split(/:(.*)/s);
    return token.type === type && (value === undefined || token.value === value);
  }

  testAny(exprs: readonly string[]): boolean {
    return exprs.some((e) => this.test(e));
  }

  skipIf(expr: string): boolean {
    if (!this.test(expr)) return false;
    this.next();
    return true;
  }

  expect(expr: string): Token {
    if (this.test(expr)) return this.next();
    const token = this.current;
    if (token.type === 'eof') throw new TemplateSyntaxError(`unexpected end of template, expected ${quote(describeExpr(expr))}.`, token.line);
    throw new TemplateSyntaxError(`expected token ${quote(describeExpr(expr))}, got ${quote(describeToken(token))}`, token.line);
  }
}

export class Parser {
  private readonly stream: TokenStream;
  private readonly extensions: ReadonlySet<string>;
  private readonly tagStack: string[] = [];
  private readonly endTokenStack: string[][] = [];

  constructor(tokens: Token[], options: ParserOptions = {}) {
    this.stream = new TokenStream(tokens);
    this.extensions = options.extensions ?? new Set();
  }

  parse(): TemplateNode {
    return { body: this.subparse(null) };
  }

  private fail(message: string, line = this.stream.current.line): never {
    throw new TemplateSyntaxError(message, line);
  }

  private failUnknownTag(name: string | null, endTokens: string[][], line: number): never {
    const expected = new Set(endTokens.flat().map(describeExpr));
    const looking = endTokens.length ? endTokens[endTokens.length - 1]!.map((e) => quote(describeExpr(e))).join(' or ') : null;
    const message = [name === null ? 'Unexpected end of template.' : `Encountered unknown tag ${quote(name)}.`];
    if (looking) {
      if (name !== null && expected.has(name)) message.push(`You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for ${looking}.`);
      else message.push(`Jinja was looking for the following tags: ${looking}.`);
    }
    if (this.tagStack.length) message.push(`The innermost block that needs to be closed is ${quote(this.tagStack[this.tagStack.length - 1]!)}.`);
    this.fail(message.join(' '), line);
  }

  private failEof(endTokens: string[] | null, line?: number): never {
    const stack = [...this.endTokenStack];
    if (endTokens) stack.push(endTokens);
    this.failUnknownTag(null, stack, line ?? this.stream.current.line);
  }

  // ---- statements ----

  private subparse(endTokens: string[] | null): Stmt[] {
    const body: Stmt[] = [];
    let output: StmtOf<'output'> | null = null;
    const add = (item: StmtOf<'output'>['items'][number]) => {
      if (!output) {
        output = { kind: 'output', line: item.line, items: [] };
        body.push(output);
      }
      output.items.push(item);
    };
    if (endTokens) this.endTokenStack.push(endTokens);
    try {
      while (this.stream.type() !== 'eof') {
        const token = this.stream.current;
        if (token.type === 'data') {
          add({ kind: 'data', text: String(token.value), line: token.line });
          this.stream.next();
        } else if (token.type === 'variable_begin') {
          this.stream.next();
          add(this.parseTuple({ withCondexpr: true }));
          this.stream.expect('variable_end');
        } else if (token.type === 'block_begin') {
          output = null;
          this.stream.next();
          if (endTokens && this.stream.testAny(endTokens)) return body;
          body.push(...this.parseStatement());
          this.stream.expect('block_end');
        } else {
          this.fail('internal parsing error');
        }
      }
    } finally {
      if (endTokens) this.endTokenStack.pop();
    }
    return body;
  }

  private parseStatement(): Stmt[] {
    const token = this.stream.current;
    if (token.type !== 'name') this.fail('tag name expected', token.line);
    const name = String(token.value);
    this.tagStack.push(name);
    let popTag = true;
    try {
      if (STATEMENT_KEYWORDS.has(name)) return [this.statement(name)];
      if (name === 'call') return [this.parseCallBlock()];
      if (name === 'filter') return [this.parseFilterBlock()];
      if (name === 'do' && this.extensions.has('jinja2.ext.do')) {
        const line = this.stream.next().line;
        return [{ kind: 'do', expr: this.parseTuple(), line }];
      }
      if ((name === 'break' || name === 'continue') && this.extensions.has('jinja2.ext.loopcontrols')) {
        return [{ kind: name, line: this.stream.next().line }];
      }
      this.tagStack.pop();
      popTag = false;
      return this.failUnknownTag(name, this.endTokenStack, token.line);
    } finally {
      if (popTag) this.tagStack.pop();
    }
  }

  private statement(name: string): Stmt {
    switch (name) {
      case 'for': return this.parseFor();
      case 'if': return this.parseIf();
      case 'block': return this.parseBlock();
      case 'extends': {
        const line = this.stream.next().line;
        return { kind: 'extends', template: this.parseExpression(), line };
      }
      case 'print': {
        const line = this.stream.next().line;
        const items: Expr[] = [];
        while (this.stream.type() !== 'block_end') {
          if (items.length) this.stream.expect('comma');
          items.push(this.parseExpression());
        }
        return { kind: 'output', items, line };
      }
      case 'macro': return this.parseMacro();
      case 'include': return this.parseInclude();
      case 'from': return this.parseFrom();
      case 'import': return this.parseImport();
      case 'set': return this.parseSet();
      case 'with': return this.parseWith();
      default: {
        // autoescape: Ansible renders without escaping; the block is a plain scope.
        const line = this.stream.next().line;
        this.parseExpression();
        return { kind: 'scope', body: this.parseStatements(['name:endautoescape'], true), line };
      }
    }
  }

  private parseStatements(endTokens: string[], dropNeedle = false): Stmt[] {
    this.stream.skipIf('colon');
    this.stream.expect('block_end');
    const body = this.subparse(endTokens);
    if (this.stream.type() === 'eof') this.failEof(endTokens);
    if (dropNeedle) this.stream.next();
    return body;
  }

  private parseSet(): Stmt {
    const line = this.stream.next().line;
    const target = this.parseAssignTarget({ withNamespace: true });
    if (this.stream.skipIf('assign')) return { kind: 'set', target, expr: this.parseTuple(), line };
    const filter = this.parseFilter(null) as ExprOf<'filter'> | null;
    const body = this.parseStatements(['name:endset'], true);
    return { kind: 'setblock', target, filter, body, line };
  }

  private parseFor(): Stmt {
    const line = this.stream.expect('name:for').line;
    const target = this.parseAssignTarget({ extraEndRules: ['name:in'] });
    this.stream.expect('name:in');
    const iter = this.parseTuple({ withCondexpr: false, extraEndRules: ['name:recursive'] });
    const test = this.stream.skipIf('name:if') ? this.parseExpression() : null;
    const recursive = this.stream.skipIf('name:recursive');
    const body = this.parseStatements(['name:endfor', 'name:else']);
    const else_ = this.stream.next().value === 'endfor' ? [] : this.parseStatements(['name:endfor'], true);
    return { kind: 'for', target, iter, body, else_, test, recursive, line };
  }

  private parseIf(): Stmt {
    const line = this.stream.expect('name:if').line;
    const node: StmtOf<'if'> = { kind: 'if', test: null as unknown as Expr, body: [], elifs: [], else_: [], line };
    let branch: { test: Expr; body: Stmt[] } = node;
    for (;;) {
      branch.test = this.parseTuple({ withCondexpr: false });
      branch.body = this.parseStatements(['name:elif', 'name:else', 'name:endif']);
      const token = this.stream.next();
      if (this.stream.test('name:elif', token)) {
        branch = { test: null as unknown as Expr, body: [] };
        node.elifs.push(branch);
        continue;
      }
      if (this.stream.test('name:else', token)) node.else_ = this.parseStatements(['name:endif'], true);
      break;
    }
    return node;
  }

  private parseWith(): Stmt {
    const line = this.stream.next().line;
    const targets: Expr[] = [];
    const values: Expr[] = [];
    while (this.stream.type() !== 'block_end') {
      if (targets.length) this.stream.expect('comma');
      targets.push(this.parseAssignTarget());
      this.stream.expect('assign');
      values.push(this.parseExpression());
    }
    return { kind: 'with', targets, values, body: this.parseStatements(['name:endwith'], true), line };
  }

  private parseBlock(): Stmt {
    const line = this.stream.next().line;
    const name = String(this.stream.expect('name').value);
    const scoped = this.stream.skipIf('name:scoped');
    const required = this.stream.skipIf('name:required');
    if (this.stream.type() === 'sub') {
      this.fail('Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.');
    }
    const body = this.parseStatements(['name:endblock'], true);
    if (required && !body.every((s) => s.kind === 'output' && s.items.every((i) => i.kind === 'data' && /^\s*$/.test(i.text)))) {
      this.fail('Required blocks can only contain comments or whitespace');
    }
    this.stream.skipIf(`name:${name}`);
    return { kind: 'block', name, scoped, required, body, line };
  }

  private parseContext(fallback: boolean): boolean {
    if (this.stream.testAny(['name:with', 'name:without']) && this.stream.test('name:context', this.stream.look())) {
      const withContext = this.stream.next().value === 'with';
      this.stream.skip();
      return withContext;
    }
    return fallback;
  }

  private parseInclude(): Stmt {
    const line = this.stream.next().line;
    const template = this.parseExpression();
    let ignoreMissing = false;
    if (this.stream.test('name:ignore') && this.stream.test('name:missing', this.stream.look())) {
      ignoreMissing = true;
      this.stream.skip(2);
    }
    return { kind: 'include', template, ignoreMissing, withContext: this.parseContext(true), line };
  }

  private parseImport(): Stmt {
    const line = this.stream.next().line;
    const template = this.parseExpression();
    this.stream.expect('name:as');
    const target = String(this.stream.expect('name').value);
    return { kind: 'import', template, target, withContext: this.parseContext(false), line };
  }

  private parseFrom(): Stmt {
    const line = this.stream.next().line;
    const template = this.parseExpression();
    this.stream.expect('name:import');
    const names: Array<[string, string]> = [];
    let withContext: boolean | undefined;
    const context = (): boolean => {
      if ((this.stream.current.value === 'with' || this.stream.current.value === 'without') && this.stream.test('name:context', this.stream.look())) {
        withContext = this.stream.next().value === 'with';
        this.stream.skip();
        return true;
      }
      return false;
    };
    for (;;) {
      if (names.length) this.stream.expect('comma');
      if (this.stream.type() !== 'name') {
        this.stream.expect('name');
        break;
      }
      if (context()) break;
      const token = this.stream.expect('name');
      const name = String(token.value);
      if (name.startsWith('_')) this.fail('names starting with an underline can not be imported', token.line);
      const alias = this.stream.skipIf('name:as') ? String(this.stream.expect('name').value) : name;
      names.push([name, alias]);
      if (context() || this.stream.type() !== 'comma') break;
    }
    return { kind: 'fromimport', template, names, withContext: withContext ?? false, line };
  }

  private parseSignature(): Signature {
    const args: string[] = [];
    const defaults: Expr[] = [];
    this.stream.expect('lparen');
    while (this.stream.type() !== 'rparen') {
      if (args.length) this.stream.expect('comma');
      const name = String(this.stream.expect('name').value);
      if (this.stream.skipIf('assign')) defaults.push(this.parseExpression());
      else if (defaults.length) this.fail('non-default argument follows default argument');
      args.push(name);
    }
    this.stream.expect('rparen');
    return { args, defaults };
  }

  private parseMacro(): Stmt {
    const line = this.stream.next().line;
    const name = String(this.stream.expect('name').value);
    const signature = this.parseSignature();
    return { kind: 'macro', name, ...signature, body: this.parseStatements(['name:endmacro'], true), line };
  }

  private parseCallBlock(): Stmt {
    const line = this.stream.next().line;
    const signature = this.stream.type() === 'lparen' ? this.parseSignature() : { args: [], defaults: [] };
    const call = this.parseExpression();
    if (call.kind !== 'call') this.fail('expected call', line);
    return { kind: 'callblock', call, ...signature, body: this.parseStatements(['name:endcall'], true), line };
  }

  private parseFilterBlock(): Stmt {
    const line = this.stream.next().line;
    const filter = this.parseFilter(null, true) as ExprOf<'filter'>;
    return { kind: 'filterblock', filter, body: this.parseStatements(['name:endfilter'], true), line };
  }

  private parseAssignTarget(options: { withNamespace?: boolean; extraEndRules?: string[] } = {}): Expr {
    let target: Expr;
    if (options.withNamespace && this.stream.look().type === 'dot') {
      const token = this.stream.expect('name');
      this.stream.next();
      const attr = this.stream.expect('name');
      target = { kind: 'nsref', name: String(token.value), attr: String(attr.value), line: token.line };
    } else {
      target = this.parseTuple({ simplified: true, extraEndRules: options.extraEndRules });
    }
    const assignable = (e: Expr): boolean => e.kind === 'name' || e.kind === 'nsref' || (e.kind === 'tuple' && e.items.every(assignable));
    if (!assignable(target)) this.fail(`can't assign to ${quote(target.kind)}`, target.line);
    return target;
  }

  // ---- expressions ----

  parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): Expr {
    let line = this.stream.current.line;
    let expr1 = this.parseOr();
    while (this.stream.skipIf('name:if')) {
      const test = this.parseOr();
      const expr2 = this.stream.skipIf('name:else') ? this.parseCondexpr() : null;
      expr1 = { kind: 'condexpr', test, expr1, expr2, line };
      line = this.stream.current.line;
    }
    return expr1;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.stream.test('name:or')) {
      const line = this.stream.next().line;
      left = { kind: 'or', left, right: this.parseAnd(), line };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.stream.test('name:and')) {
      const line = this.stream.next().line;
      left = { kind: 'and', left, right: this.parseNot(), line };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.stream.test('name:not')) {
      const line = this.stream.next().line;
      return { kind: 'not', node: this.parseNot(), line };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const line = this.stream.current.line;
    const expr = this.parseMath1();
    const ops: Array<[CompareOperator, Expr]> = [];
    for (;;) {
      const op = COMPARE_TOKENS[this.stream.type()];
      if (op) {
        this.stream.next();
        ops.push([op, this.parseMath1()]);
      } else if (this.stream.skipIf('name:in')) {
        ops.push(['in', this.parseMath1()]);
      } else if (this.stream.test('name:not') && this.stream.test('name:in', this.stream.look())) {
        this.stream.skip(2);
        ops.push(['notin', this.parseMath1()]);
      } else break;
    }
    return ops.length ? { kind: 'compare', expr, ops, line } : expr;
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    for (let op = MATH1[this.stream.type()]; op; op = MATH1[this.stream.type()]) {
      const line = this.stream.next().line;
      left = { kind: 'binop', op, left, right: this.parseConcat(), line };
    }
    return left;
  }

  private parseConcat(): Expr {
    const line = this.stream.current.line;
    const items = [this.parseMath2()];
    while (this.stream.type() === 'tilde') {
      this.stream.next();
      items.push(this.parseMath2());
    }
    return items.length === 1 ? items[0]! : { kind: 'concat', items, line };
  }

  private parseMath2(): Expr {
    let left = this.parsePow();
    for (let op = MATH2[this.stream.type()]; op; op = MATH2[this.stream.type()]) {
      const line = this.stream.next().line;
      left = { kind: 'binop', op, left, right: this.parsePow(), line };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary();
    while (this.stream.type() === 'pow') {
      const line = this.stream.next().line;
      left = { kind: 'binop', op: '**', left, right: this.parseUnary(), line };
    }
    return left;
  }

  private parseUnary(withFilter = true): Expr {
    const token = this.stream.current;
    let node: Expr;
    if (token.type === 'sub' || token.type === 'add') {
      this.stream.next();
      node = { kind: token.type === 'sub' ? 'neg' : 'pos', node: this.parseUnary(false), line: token.line };
    } else {
      node = this.parsePrimary();
    }
    node = this.parsePostfix(node);
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  private parsePrimary(): Expr {
    const token = this.stream.current;
    if (token.type === 'name') {
      this.stream.next();
      const name = String(token.value);
      if (name === 'true' || name === 'True' || name === 'false' || name === 'False') return { kind: 'const', value: name === 'true' || name === 'True', line: token.line };
      if (name === 'none' || name === 'None') return { kind: 'const', value: null, line: token.line };
      return { kind: 'name', name, line: token.line };
    }
    if (token.type === 'string') {
      this.stream.next();
      let value = String(token.value);
      while (this.stream.type() === 'string') value += String(this.stream.next().value);
      return { kind: 'const', value, line: token.line };
    }
    if (token.type === 'integer' || token.type === 'float') {
      this.stream.next();
      return { kind: 'const', value: token.value, float: token.type === 'float', line: token.line };
    }
    if (token.type === 'lparen') {
      this.stream.next();
      const node = this.parseTuple({ explicitParentheses: true });
      this.stream.expect('rparen');
      return node;
    }
    if (token.type === 'lbracket') return this.parseList();
    if (token.type === 'lbrace') return this.parseDict();
    this.fail(`unexpected ${quote(describeToken(token))}`, token.line);
  }

  parseTuple(options: { simplified?: boolean; withCondexpr?: boolean; extraEndRules?: string[]; explicitParentheses?: boolean } = {}): Expr {
    const line = this.stream.current.line;
    const { simplified = false, withCondexpr = true, extraEndRules, explicitParentheses = false } = options;
    const parse = simplified ? () => this.parsePrimary() : () => this.parseExpression(withCondexpr);
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length) this.stream.expect('comma');
      if (this.isTupleEnd(extraEndRules)) break;
      items.push(parse());
      if (this.stream.type() === 'comma') isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length) return items[0]!;
      if (!explicitParentheses) this.fail(`Expected an expression, got ${quote(describeToken(this.stream.current))}`);
    }
    return { kind: 'tuple', items, line };
  }

  private isTupleEnd(extraEndRules?: string[]): boolean {
    const type = this.stream.type();
    if (type === 'variable_end' || type === 'block_end' || type === 'rparen') return true;
    return extraEndRules ? this.stream.testAny(extraEndRules) : false;
  }

  private parseList(): Expr {
    const line = this.stream.expect('lbracket').line;
    const items: Expr[] = [];
    while (this.stream.type() !== 'rbracket') {
      if (items.length) this.stream.expect('comma');
      if (this.stream.type() === 'rbracket') break;
      items.push(this.parseExpression());
    }
    this.stream.expect('rbracket');
    return { kind: 'list', items, line };
  }

  private parseDict(): Expr {
    const line = this.stream.expect('lbrace').line;
    const pairs: Array<[Expr, Expr]> = [];
    while (this.stream.type() !== 'rbrace') {
      if (pairs.length) this.stream.expect('comma');
      if (this.stream.type() === 'rbrace') break;
      const key = this.parseExpression();
      this.stream.expect('colon');
      pairs.push([key, this.parseExpression()]);
    }
    this.stream.expect('rbrace');
    return { kind: 'dict', pairs, line };
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      const type = this.stream.type();
      if (type === 'dot' || type === 'lbracket') node = this.parseSubscript(node);
      else if (type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      const token = this.stream.current;
      if (token.type === 'pipe') node = this.parseFilter(node) as Expr;
      else if (token.type === 'name' && token.value === 'is') node = this.parseTest(node);
      else if (token.type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const token = this.stream.next();
    if (token.type === 'dot') {
      const attr = this.stream.next();
      if (attr.type === 'name') return { kind: 'getattr', node, attr: String(attr.value), line: token.line };
      if (attr.type !== 'integer') this.fail('expected name or number', attr.line);
      return { kind: 'getitem', node, arg: { kind: 'const', value: attr.value, line: attr.line }, line: token.line };
    }
    const args: Expr[] = [];
    while (this.stream.type() !== 'rbracket') {
      if (args.length) this.stream.expect('comma');
      args.push(this.parseSubscribed());
    }
    this.stream.expect('rbracket');
    const arg: Expr = args.length === 1 ? args[0]! : { kind: 'tuple', items: args, line: token.line };
    return { kind: 'getitem', node, arg, line: token.line };
  }

  private parseSubscribed(): Expr {
    const line = this.stream.current.line;
    const parts: Array<Expr | null> = [];
    if (this.stream.type() === 'colon') {
      this.stream.next();
      parts.push(null);
    } else {
      const node = this.parseExpression();
      if (this.stream.type() !== 'colon') return node;
      this.stream.next();
      parts.push(node);
    }
    if (this.stream.type() === 'colon') parts.push(null);
    else if (this.stream.type() !== 'rbracket' && this.stream.type() !== 'comma') parts.push(this.parseExpression());
    else parts.push(null);
    if (this.stream.type() === 'colon') {
      this.stream.next();
      parts.push(this.stream.type() !== 'rbracket' && this.stream.type() !== 'comma' ? this.parseExpression() : null);
    } else parts.push(null);
    return { kind: 'slice', start: parts[0]!, stop: parts[1]!, step: parts[2]!, line };
  }

  private parseCallArgs(): CallArgs {
    const open = this.stream.expect('lparen');
    const result: CallArgs = { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
    const ensure = (ok: boolean) => {
      if (!ok) this.fail('invalid syntax for function call expression', open.line);
    };
    let requireComma = false;
    while (this.stream.type() !== 'rparen') {
      if (requireComma) {
        this.stream.expect('comma');
        if (this.stream.type() === 'rparen') break;
      }
      if (this.stream.type() === 'mul') {
        ensure(result.dynArgs === null && result.dynKwargs === null);
        this.stream.next();
        result.dynArgs = this.parseExpression();
      } else if (this.stream.type() === 'pow') {
        ensure(result.dynKwargs === null);
        this.stream.next();
        result.dynKwargs = this.parseExpression();
      } else if (this.stream.type() === 'name' && this.stream.look().type === 'assign') {
        ensure(result.dynKwargs === null);
        const key = String(this.stream.current.value);
        this.stream.skip(2);
        result.kwargs.push([key, this.parseExpression()]);
      } else {
        ensure(result.dynArgs === null && result.dynKwargs === null && result.kwargs.length === 0);
        result.args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.stream.expect('rparen');
    return result;
  }

  private parseCall(node: Expr): Expr {
    const line = this.stream.current.line;
    return { kind: 'call', node, ...this.parseCallArgs(), line };
  }

  private dottedName(): string {
    let name = String(this.stream.expect('name').value);
    while (this.stream.type() === 'dot') {
      this.stream.next();
      name += `.${String(this.stream.expect('name').value)}`;
    }
    return name;
  }

  private parseFilter(node: Expr | null, startInline = false): Expr | null {
    while (this.stream.type() === 'pipe' || startInline) {
      if (!startInline) this.stream.next();
      const line = this.stream.current.line;
      const name = this.dottedName();
      const args = this.stream.type() === 'lparen' ? this.parseCallArgs() : { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
      node = { kind: 'filter', node: node as Expr, name, ...args, line };
      startInline = false;
    }
    return node;
  }

  private parseTest(node: Expr): Expr {
    const line = this.stream.next().line;
    const negated = this.stream.skipIf('name:not');
    const name = this.dottedName();
    let args: CallArgs = { args: [], kwargs: [], dynArgs: null, dynKwargs: null };
    const current = this.stream.current;
    if (current.type === 'lparen') {
      args = this.parseCallArgs();
    } else if (['name', 'string', 'integer', 'float', 'lparen', 'lbracket', 'lbrace'].includes(current.type) && !this.stream.testAny(['name:else', 'name:or', 'name:and'])) {
      if (this.stream.test('name:is')) this.fail('You cannot chain multiple tests with is');
      args.args = [this.parsePostfix(this.parsePrimary())];
    }
    const test: Expr = { kind: 'test', node, name, ...args, line };
    return negated ? { kind: 'not', node: test, line } : test;
  }
}

/** Parses a token list into a template. */
export function parse(tokens: Token[], options: ParserOptions = {}): TemplateNode {
  return new Parser(tokens, options).parse();
}
