/**
 * Our nunjucks compiler: nunjucks' parser and code generator, with the
 * generated code routed through the `py` runtime (runtime.ts) wherever
 * Jinja2 and JavaScript disagree:
 * - variable and attribute lookups throw on undefined, except for the operand
 *   of `default`/`d`/`mandatory` and `is defined`/`is undefined`, which get an
 *   Undefined value to inspect ("soft" lookups);
 * - `if`, `not`, `and`, `or`, ternaries and loops use Python truthiness;
 * - `==`, `in`, `+`, `*`, `~` and `{k: v}` follow Python;
 * - `True`/`False`/`None`, slices `x[1:3]`, tuples `(a, b)`;
 * - string literals keep unknown backslash escapes (`'\d+'` stays `\d+`).
 */
import { compiler, lexer, nodes, parser, transformer, type NjNode, type NjTokenizer } from './nunjucks-internals.js';
import type { PyRuntime } from './runtime.js';

/** Filters whose first argument may be undefined. */
const SOFT_FILTERS = new Set(['default', 'd', 'mandatory']);
/** Tests whose operand may be undefined. */
const SOFT_TESTS = new Set(['defined', 'undefined']);
const PYTHON_CONSTANTS: Record<string, string> = {
  True: 'true', False: 'false', None: 'null', true: 'true', false: 'false', none: 'null',
};

const Slice = nodes.Node!.extend('Slice', { fields: ['start', 'stop', 'step'] });
/** `py.truthy(target)`: wraps conditions so `if []` is false. */
const Truthy = nodes.Node!.extend('PyTruthy', { fields: ['target'] });
/** `py.iterate(target)`: wraps `for` targets so dicts iterate their keys. */
const Iterate = nodes.Node!.extend('PyIterate', { fields: ['target'] });
/** Stores the expression's value for native evaluation instead of printing it. */
const NativeResult = nodes.Node!.extend('PyNativeResult', { fields: ['expr'] });

/** Node types only our compiler knows; nunjucks' expression type check would reject them. */
const OWN_NODE_TYPES = new Set(['Slice', 'PyTruthy', 'PyIterate']);

export const RESULT_KEY = '__uxsv_result';
export const VARS_KEY = '__uxsv_vars';

export interface CompileOptions {
  /** Name of the template file, for error messages; undefined for inline text. */
  name?: string;
  /** When the whole text is a single `{{ expr }}`, compile it to store the expression's value. */
  native?: boolean;
}

export interface CompiledTemplate {
  /** The render functions nunjucks' Template accepts as precompiled code. */
  props: Record<string, unknown>;
  /** True when the template stores its single expression's native value. */
  native: boolean;
}

const LEXER_OPTIONS = { trimBlocks: true, lstripBlocks: false };

/**
 * Python string literal escapes: \n \t \r \\ \' \" \xNN \uNNNN are decoded,
 * any other backslash is kept, so regexes like '\d+' and backrefs like '\1'
 * reach the filters intact.
 */
function parsePythonString(this: NjTokenizer, delimiter: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  this.forward();
  let out = '';
  while (!this.isFinished() && this.current() !== delimiter) {
    const ch = this.current();
    this.forward();
    if (ch !== '\\' || this.isFinished()) {
      out += ch;
      continue;
    }
    const next = this.current();
    const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : 0;
    if (Object.hasOwn(simple, next) && !(next === '0' && /\d/.test(peekAhead(this, 1)))) {
      out += simple[next];
      this.forward();
    } else if (hexLength > 0) {
      let hex = '';
      this.forward();
      for (let i = 0; i < hexLength && /[0-9a-fA-F]/.test(this.current()); i++) {
        hex += this.current();
        this.forward();
      }
      out += hex.length === hexLength ? String.fromCharCode(parseInt(hex, 16)) : `\\${next}${hex}`;
    } else {
      out += '\\';
    }
  }
  this.forward();
  return out;
}

function peekAhead(tokens: NjTokenizer, offset: number): string {
  const t = tokens as unknown as { str: string; index: number };
  return t.str.charAt(t.index + offset);
}

/** nunjucks' parser plus Python slices (`x[1:]`, `x[::-1]`). */
class AnsibleParser extends parser.Parser {
  constructor(tokens: NjTokenizer) {
    super(tokens);
  }

  parseAggregate(): NjNode | null {
    const tokens = this.tokens as { index: number; lineno: number; colno: number };
    const before = { index: tokens.index - 1, lineno: tokens.lineno, colno: tokens.colno - 1 };
    try {
      return super.parseAggregate();
    } catch (err) {
      const failedAt = { index: tokens.index, lineno: tokens.lineno, colno: tokens.colno };
      Object.assign(tokens, before);
      this.peeked = null;
      const slice = this.parseSliceBody();
      if (!slice) {
        Object.assign(tokens, failedAt);
        throw err;
      }
      return new nodes.Array!(slice.lineno, slice.colno, [slice]);
    }
  }

  /**
   * `x is test`, `x is test(args)` and Jinja2's one-argument form without
   * parentheses (`x is equalto 3`, `x is sameas false`); the test name may be
   * a keyword such as `in` or `none`.
   */
  parseIs(): NjNode {
    const node = this.parseCompare();
    if (!this.skipSymbol('is')) return node;
    const negated = this.skipSymbol('not');
    const nameTok = this.nextToken();
    if (!nameTok || !TEST_NAME_TOKENS.has(nameTok.type)) this.fail('expected a test name after "is"', node.lineno, node.colno);
    const name = new nodes.Symbol!(nameTok.lineno, nameTok.colno, String(nameTok.value));
    const next = this.peekToken();
    let right: NjNode = name;
    if (next && next.type === 'left-paren') {
      right = new nodes.FunCall!(nameTok.lineno, nameTok.colno, name, this.parseSignature());
    } else if (next && startsBareTestArgument(next)) {
      const arg = this.parsePrimary();
      right = new nodes.FunCall!(nameTok.lineno, nameTok.colno, name, new nodes.NodeList!(arg.lineno, arg.colno, [arg]));
    }
    const test = new nodes.Is!(node.lineno, node.colno, node, right);
    return negated ? new nodes.Not!(node.lineno, node.colno, test) : test;
  }

  /** `[start:stop:step]` after the bracket; null when there is no colon (not a slice). */
  private parseSliceBody(): NjNode | null {
    const open = this.nextToken();
    if (!open || open.type !== lexer.TOKEN_LEFT_BRACKET) return null;
    const parts: Array<NjNode | null> = [null, null, null];
    let part = 0;
    let sawColon = false;
    while (!this.skip(lexer.TOKEN_RIGHT_BRACKET)) {
      if (this.skip(lexer.TOKEN_COLON)) {
        sawColon = true;
        part++;
        if (part > 2) this.fail('too many slice components', open.lineno, open.colno);
        continue;
      }
      if (parts[part]) this.fail('expected : or ] in slice', open.lineno, open.colno);
      parts[part] = this.parseExpression();
    }
    if (!sawColon) return null;
    const nullLiteral = () => new nodes.Literal!(open.lineno, open.colno, null);
    return new Slice(open.lineno, open.colno, parts[0] ?? nullLiteral(), parts[1] ?? nullLiteral(), parts[2] ?? nullLiteral());
  }
}

const TEST_NAME_TOKENS = new Set(['symbol', 'none', 'boolean']);
const KEYWORDS = new Set(['and', 'or', 'not', 'if', 'else', 'in', 'is']);

/** Whether the token after `is name` begins a parenless argument (`is equalto 3`). */
function startsBareTestArgument(tok: { type: string; value: string }): boolean {
  if (['string', 'int', 'float', 'boolean', 'none', 'left-bracket', 'left-curly'].includes(tok.type)) return true;
  return tok.type === 'symbol' && !KEYWORDS.has(tok.value);
}

/** A readable form of an expression for error messages: `a.b`, `a[0]`, `a[...]`. */
function pathOf(node: NjNode): string {
  switch (node.typename) {
    case 'Symbol':
      return String(node.value);
    case 'LookupVal': {
      const target = pathOf(node.target);
      const key = node.val;
      if (key.typename === 'Literal' && typeof key.value === 'string' && /^[A-Za-z_]\w*$/.test(key.value)) return `${target}.${key.value}`;
      if (key.typename === 'Literal') return `${target}[${JSON.stringify(key.value)}]`;
      return `${target}[${key.typename === 'Symbol' ? key.value : '...'}]`;
    }
    case 'FunCall':
      return `${pathOf(node.name)}(...)`;
    default:
      return '(expression)';
  }
}

const BINARY_ARITH: Record<string, string> = { Sub: '-', Div: '/', FloorDiv: '//', Mod: '%', Pow: '**' };

class AnsibleCompiler extends compiler.Compiler {
  declare templateName: string | undefined;

  constructor(templateName: string | undefined) {
    super(templateName, false);
  }

  assertType(node: NjNode, ...types: unknown[]): void {
    if (OWN_NODE_TYPES.has(node.typename)) return;
    super.assertType(node, ...types);
  }

  _emitFuncEnd(noReturn?: boolean): void {
    // Same as nunjucks, but errors are annotated with the template and line here.
    if (!noReturn) this._emitLine(`cb(null, ${this.buffer});`);
    this._closeScopeLevels();
    this._emitLine('} catch (e) {');
    this._emitLine(`  cb(py.fault(e, lineno, colno, ${this._templateName()}));`);
    this._emitLine('}');
    this._emitLine('}');
    this.buffer = null;
  }

  private emitPosition(node: NjNode): void {
    this._emit(`lineno = ${node.lineno}, colno = ${node.colno}, `);
  }

  compileSymbol(node: NjNode, frame: unknown): void {
    this.emitSymbol(node, frame, false);
  }

  private emitSymbol(node: NjNode, frame: unknown, soft: boolean): void {
    const name = String(node.value);
    const local = (frame as { lookup(n: string): string | undefined }).lookup(name);
    if (local) {
      this._emit(local);
    } else if (Object.hasOwn(PYTHON_CONSTANTS, name)) {
      this._emit(PYTHON_CONSTANTS[name]!);
    } else {
      this._emit('(');
      this.emitPosition(node);
      this._emit(`py.lookup(context, frame, ${JSON.stringify(name)}, ${soft}))`);
    }
  }

  compileLookupVal(node: NjNode, frame: unknown): void {
    this.emitLookupVal(node, frame, false);
  }

  private emitLookupVal(node: NjNode, frame: unknown, soft: boolean): void {
    if (node.val instanceof Slice) {
      this._emit('py.slice(');
      this.compile(node.target, frame);
      for (const part of ['start', 'stop', 'step']) {
        this._emit(', ');
        this._compileExpression(node.val[part], frame);
      }
      this._emit(')');
      return;
    }
    this._emit('(');
    this.emitPosition(node);
    this._emit('py.member(');
    this.compileMaybeSoft(node.target, frame, soft);
    this._emit(', ');
    this._compileExpression(node.val, frame);
    this._emit(`, ${soft}, ${JSON.stringify(pathOf(node))}))`);
  }

  /** Compile an operand that `default`/`is defined` will inspect: missing names yield Undefined. */
  private compileMaybeSoft(node: NjNode, frame: unknown, soft: boolean): void {
    if (soft && node.typename === 'Symbol') this.emitSymbol(node, frame, true);
    else if (soft && node.typename === 'LookupVal') this.emitLookupVal(node, frame, true);
    else this.compile(node, frame);
  }

  compileFilter(node: NjNode, frame: unknown): void {
    // Fully qualified builtin names (`ansible.builtin.to_json`) are the same filters.
    const name = String(node.name.value).replace(/^ansible\.builtin\./, '');
    this._emit(`env.getFilter(${JSON.stringify(name)}).call(context, `);
    node.args.children.forEach((arg: NjNode, i: number) => {
      if (i > 0) this._emit(', ');
      this.compileMaybeSoft(arg, frame, i === 0 && SOFT_FILTERS.has(name));
    });
    this._emit(')');
  }

  compileIs(node: NjNode, frame: unknown): void {
    const right = node.right;
    // `x is none` parses the test name as a literal null; `x is True` as a symbol.
    const raw = right.name ? right.name.value : right.value;
    const name = raw === null ? 'none' : /^(True|False|None)$/.test(String(raw)) ? String(raw).toLowerCase() : String(raw);
    this._emit(`py.test(env, context, ${JSON.stringify(name)}, `);
    this.compileMaybeSoft(node.left, frame, SOFT_TESTS.has(name));
    this._emit(', [');
    if (right.args) this._compileAggregate(right.args, frame);
    this._emit('])');
  }

  compileOutput(node: NjNode, frame: unknown): void {
    for (const child of node.children) {
      if (child.typename === 'TemplateData') {
        if (child.value) {
          this._emit(`${this.buffer} += `);
          this.compileLiteral(child, frame);
          this._emitLine(';');
        }
      } else {
        this._emit(`${this.buffer} += py.output(`);
        this.compile(child, frame);
        this._emitLine(');');
      }
    }
  }

  compilePyNativeResult(node: NjNode, frame: unknown): void {
    this._emit(`context.ctx[${JSON.stringify(RESULT_KEY)}].value = `);
    this._compileExpression(node.expr, frame);
    this._emitLine(';');
  }

  compilePyTruthy(node: NjNode, frame: unknown): void {
    this._emit('py.truthy(');
    this.compile(node.target, frame);
    this._emit(')');
  }

  compilePyIterate(node: NjNode, frame: unknown): void {
    this._emit('py.iterate(');
    this.compile(node.target, frame);
    this._emit(')');
  }

  compileIf(node: NjNode, frame: unknown, async?: boolean): void {
    node.cond = new Truthy(node.cond.lineno, node.cond.colno, node.cond);
    super.compileIf(node, frame, async);
  }

  compileInlineIf(node: NjNode, frame: unknown): void {
    node.cond = new Truthy(node.cond.lineno, node.cond.colno, node.cond);
    super.compileInlineIf(node, frame);
  }

  compileFor(node: NjNode, frame: unknown): void {
    // Two loop names (`for k, v in ...`) keep nunjucks' handling of dicts and pairs.
    if (node.name.typename !== 'Array') node.arr = new Iterate(node.arr.lineno, node.arr.colno, node.arr);
    super.compileFor(node, frame);
  }

  compileNot(node: NjNode, frame: unknown): void {
    this._emit('!py.truthy(');
    this.compile(node.target, frame);
    this._emit(')');
  }

  /** Python's `and`/`or` return an operand, and short-circuit. */
  private emitShortCircuit(node: NjNode, frame: unknown, isAnd: boolean): void {
    this._emit('(function (l) { return py.truthy(l) ? ');
    if (isAnd) this.compile(node.right, frame);
    else this._emit('l');
    this._emit(' : ');
    if (isAnd) this._emit('l');
    else this.compile(node.right, frame);
    this._emit('; })(');
    this.compile(node.left, frame);
    this._emit(')');
  }

  compileAnd(node: NjNode, frame: unknown): void {
    this.emitShortCircuit(node, frame, true);
  }

  compileOr(node: NjNode, frame: unknown): void {
    this.emitShortCircuit(node, frame, false);
  }

  private emitCall(fn: string, args: NjNode[], frame: unknown, prefix = ''): void {
    this._emit(`py.${fn}(${prefix}`);
    args.forEach((arg, i) => {
      if (i > 0) this._emit(', ');
      this.compile(arg, frame);
    });
    this._emit(')');
  }

  compileCompare(node: NjNode, frame: unknown): void {
    this._emit('py.compareChain([');
    this.compile(node.expr, frame);
    for (const op of node.ops) {
      this._emit(', ');
      this.compile(op.expr, frame);
    }
    this._emit(`], ${JSON.stringify(node.ops.map((op: NjNode) => op.type))})`);
  }

  compileIn(node: NjNode, frame: unknown): void {
    this.emitCall('contains', [node.right, node.left], frame);
  }

  compileAdd(node: NjNode, frame: unknown): void {
    this.emitCall('add', [node.left, node.right], frame);
  }

  compileMul(node: NjNode, frame: unknown): void {
    this.emitCall('mul', [node.left, node.right], frame);
  }

  compileSub(node: NjNode, frame: unknown): void { this.emitArith(node, frame); }
  compileDiv(node: NjNode, frame: unknown): void { this.emitArith(node, frame); }
  compileFloorDiv(node: NjNode, frame: unknown): void { this.emitArith(node, frame); }
  compileMod(node: NjNode, frame: unknown): void { this.emitArith(node, frame); }
  compilePow(node: NjNode, frame: unknown): void { this.emitArith(node, frame); }

  private emitArith(node: NjNode, frame: unknown): void {
    this.emitCall('arith', [node.left, node.right], frame, `${JSON.stringify(BINARY_ARITH[node.typename])}, `);
  }

  compileConcat(node: NjNode, frame: unknown): void {
    this.emitCall('concat', [node.left, node.right], frame);
  }

  compileDict(node: NjNode, frame: unknown): void {
    // Jinja2 evaluates keys: `{name: 1}` uses the variable `name`, `{'name': 1}` the string.
    this._emit('py.dict([');
    node.children.forEach((pair: NjNode, i: number) => {
      if (i > 0) this._emit(', ');
      this._compileExpression(pair.key, frame);
      this._emit(', ');
      this._compileExpression(pair.value, frame);
    });
    this._emit('])');
  }

  compileKeywordArgs(node: NjNode, frame: unknown): void {
    // `f(name=value)`: here the keys are names, not variables.
    this._emit('runtime.makeKeywordArgs(py.dict([');
    node.children.forEach((pair: NjNode, i: number) => {
      if (i > 0) this._emit(', ');
      this._emit(`${JSON.stringify(String(pair.key.value))}, `);
      this._compileExpression(pair.value, frame);
    });
    this._emit(']))');
  }

  compileGroup(node: NjNode, frame: unknown): void {
    // `(a, b)` is a tuple in Jinja2; we represent tuples as lists.
    if (node.children.length > 1) this._compileAggregate(node, frame, '[', ']');
    else this._compileAggregate(node, frame, '(', ')');
  }
}

/**
 * Like Jinja2's lexer, `}}` closes a `{{ ... }}` only when the braces opened
 * inside it are balanced, so `{{ {'a': {'b': 1}} }}` works.
 */
function balanceBraces(tokens: NjTokenizer): void {
  const nextToken = tokens.nextToken.bind(tokens);
  const extractString = tokens._extractString.bind(tokens);
  let depth = 0;
  tokens.nextToken = () => {
    const tok = nextToken();
    if (tok?.type === lexer.TOKEN_VARIABLE_START) depth = 0;
    else if (tok?.type === lexer.TOKEN_LEFT_CURLY) depth++;
    else if (tok?.type === lexer.TOKEN_RIGHT_CURLY) depth--;
    return tok;
  };
  tokens._extractString = (str: string) => (depth > 0 && tokens.in_code && /^-?\}\}$/.test(str) ? null : extractString(str));
}

/** Parse with Python string escapes, balanced braces and slices. */
function parse(text: string): NjNode {
  const tokens = lexer.lex(text, LEXER_OPTIONS);
  tokens._parseString = parsePythonString;
  balanceBraces(tokens);
  const p = new AnsibleParser(tokens);
  return p.parseAsRoot();
}

/** The expression of a text that is exactly one `{{ expr }}`, or null. */
function singleExpression(root: NjNode): NjNode | null {
  if (root.children.length !== 1) return null;
  const output = root.children[0]!;
  if (output.typename !== 'Output' || output.children.length !== 1) return null;
  const expr = output.children[0]!;
  return expr.typename === 'TemplateData' ? null : expr;
}

/** Parse and compile template text. Throws nunjucks' TemplateError (with lineno) on syntax errors. */
export function compileTemplate(text: string, py: PyRuntime, options: CompileOptions = {}): CompiledTemplate {
  const root = transformer.transform(parse(text), [], options.name);
  let native = false;
  if (options.native) {
    const expr = singleExpression(root);
    if (expr) {
      root.children = [new NativeResult(expr.lineno, expr.colno, expr)];
      native = true;
    }
  }
  const c = new AnsibleCompiler(options.name);
  c.compile(root, null);
  const factory = new Function('py', c.getCode()) as (py: PyRuntime) => Record<string, unknown>;
  return { props: factory(py), native };
}
