/**
 * Our Jinja2 engine (Jinja2 3.x as Ansible 2.14 configures it): lexer.ts
 * tokenizes with the environment's delimiters and whitespace rules,
 * parser.ts builds the tree, compile.ts turns it into closures, output.ts
 * decides what the output becomes. templar.ts is its user.
 */
import type { TemplateNode } from './ast.js';
import { compile, type CompiledTemplate, type Environment } from './compile.js';
import { ANSIBLE_SYNTAX, Lexer, escapeBackslashes, type SyntaxOptions } from './lexer.js';
import { parse } from './parser.js';

export { CompiledTemplate, type Environment, type RenderState } from './compile.js';
export { RenderError, TemplateNotFound, TemplateSyntaxError } from './errors.js';
export { ANSIBLE_SYNTAX, type SyntaxOptions } from './lexer.js';
export { Output, keepAsText, type ConcatMode } from './output.js';
export { literalEval } from './literal.js';
export { namespace, joiner, Cycler, LoopContext, Macro, Namespace } from './objects.js';

export interface ParseOptions {
  syntax: SyntaxOptions;
  extensions: ReadonlySet<string>;
  /** Ansible's rule for values: backslashes in `{{ }}` string literals are literal. */
  escapeBackslashes: boolean;
}

const lexers = new Map<string, Lexer>();

/** One lexer per set of syntax options (they are few: the defaults and the template module's). */
export function lexerFor(syntax: SyntaxOptions): Lexer {
  const key = syntaxKey(syntax);
  let lexer = lexers.get(key);
  if (!lexer) {
    lexer = new Lexer(syntax);
    lexers.set(key, lexer);
  }
  return lexer;
}

const keys = new WeakMap<SyntaxOptions, string>();

/** A key for caches, computed once per options object. */
export function syntaxKey(syntax: SyntaxOptions): string {
  let key = keys.get(syntax);
  if (key === undefined) {
    key = JSON.stringify(syntax);
    keys.set(syntax, key);
  }
  return key;
}

export function parseTemplate(text: string, options: ParseOptions): TemplateNode {
  const lexer = lexerFor(options.syntax);
  const source = options.escapeBackslashes ? escapeBackslashes(text, lexer) : text;
  return parse(lexer.tokenize(source), { extensions: options.extensions });
}

export function compileTemplate(text: string, name: string | undefined, options: ParseOptions, env: Environment): CompiledTemplate {
  return compile(parseTemplate(text, options), name, env);
}

export const DEFAULT_SYNTAX = ANSIBLE_SYNTAX;
