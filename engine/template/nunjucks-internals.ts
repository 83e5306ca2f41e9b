/**
 * Typed access to the parts of nunjucks that are not in its public typings:
 * the lexer, parser, AST nodes, transformer, compiler and runtime. We compile
 * templates with our own compiler subclass (see compiler.ts) so that variable
 * lookups, truthiness and operators follow Jinja2/Ansible, without patching
 * nunjucks' shared prototypes.
 */
// Static imports, so the bundler (scripts/bundle.mjs) puts these modules in
// the same bundle as nunjucks itself: one copy of each, shared.
import lexerModule from 'nunjucks/src/lexer.js';
import parserModule from 'nunjucks/src/parser.js';
import nodesModule from 'nunjucks/src/nodes.js';
import transformerModule from 'nunjucks/src/transformer.js';
import compilerModule from 'nunjucks/src/compiler.js';
import runtimeModule from 'nunjucks/src/runtime.js';
import libModule from 'nunjucks/src/lib.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface NjNode {
  typename: string;
  lineno: number;
  colno: number;
  fields: string[];
  children: NjNode[];
  [field: string]: any;
}

export type NodeClass = (new (lineno: number, colno: number, ...fields: unknown[]) => NjNode) & {
  extend(name: string, props: Record<string, unknown>): NodeClass;
};

export interface NjTokenizer {
  forward(): void;
  back(): void;
  current(): string;
  isFinished(): boolean;
  _parseString(delimiter: string): string;
  _extractString(str: string): string | null;
  nextToken(): { type: string; value: string } | null;
  in_code: boolean;
}

export interface NjFrame {
  lookup(name: string): unknown;
  set(name: string, value: unknown, resolveUp?: boolean): void;
  push(isolateWrites?: boolean): NjFrame;
}

export interface NjContext {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

export const lexer: {
  lex(src: string, opts: Record<string, unknown>): NjTokenizer;
  TOKEN_LEFT_BRACKET: string;
  TOKEN_RIGHT_BRACKET: string;
  TOKEN_COLON: string;
  TOKEN_LEFT_CURLY: string;
  TOKEN_RIGHT_CURLY: string;
  TOKEN_VARIABLE_START: string;
} = lexerModule;

export const parser: { Parser: any } = parserModule;
export const nodes: Record<string, NodeClass> = nodesModule;
export const transformer: { transform(ast: NjNode, asyncFilters: string[], name?: string): NjNode } = transformerModule;
export const compiler: { Compiler: any } = compilerModule;
export const runtime: {
  SafeString: new (s: string) => object;
  Frame: new () => NjFrame;
} = runtimeModule;
export const lib: { TemplateError: new (...args: any[]) => Error } = libModule;
