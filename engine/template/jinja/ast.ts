/** The parsed template: Jinja2's node kinds, as the parser builds them and the compiler reads them. */

export interface Base {
  line: number;
}

export type Expr =
  | (Base & { kind: 'const'; value: unknown; float?: boolean })
  | (Base & { kind: 'name'; name: string })
  | (Base & { kind: 'tuple'; items: Expr[] })
  | (Base & { kind: 'list'; items: Expr[] })
  | (Base & { kind: 'dict'; pairs: Array<[Expr, Expr]> })
  | (Base & { kind: 'getattr'; node: Expr; attr: string })
  | (Base & { kind: 'getitem'; node: Expr; arg: Expr })
  | (Base & { kind: 'slice'; start: Expr | null; stop: Expr | null; step: Expr | null })
  | (Base & { kind: 'call'; node: Expr } & CallArgs)
  | (Base & { kind: 'filter'; node: Expr | null; name: string } & CallArgs)
  | (Base & { kind: 'test'; node: Expr; name: string } & CallArgs)
  | (Base & { kind: 'condexpr'; test: Expr; expr1: Expr; expr2: Expr | null })
  | (Base & { kind: 'and' | 'or'; left: Expr; right: Expr })
  | (Base & { kind: 'not' | 'neg' | 'pos'; node: Expr })
  | (Base & { kind: 'binop'; op: BinaryOperator; left: Expr; right: Expr })
  | (Base & { kind: 'concat'; items: Expr[] })
  | (Base & { kind: 'compare'; expr: Expr; ops: Array<[CompareOperator, Expr]> })
  | (Base & { kind: 'nsref'; name: string; attr: string });

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**';
export type CompareOperator = 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq' | 'in' | 'notin';

export interface CallArgs {
  args: Expr[];
  kwargs: Array<[string, Expr]>;
  dynArgs: Expr | null;
  dynKwargs: Expr | null;
}

export type ExprOf<K extends Expr['kind']> = Extract<Expr, { kind: K }>;

/** A macro's or call block's parameters. */
export interface Signature {
  args: string[];
  defaults: Expr[];
}

export type Stmt =
  | (Base & { kind: 'output'; items: Array<Expr | (Base & { kind: 'data'; text: string })> })
  | (Base & { kind: 'for'; target: Expr; iter: Expr; body: Stmt[]; else_: Stmt[]; test: Expr | null; recursive: boolean })
  | (Base & { kind: 'if'; test: Expr; body: Stmt[]; elifs: Array<{ test: Expr; body: Stmt[] }>; else_: Stmt[] })
  | (Base & { kind: 'macro'; name: string; body: Stmt[] } & Signature)
  | (Base & { kind: 'callblock'; call: ExprOf<'call'>; body: Stmt[] } & Signature)
  | (Base & { kind: 'filterblock'; filter: ExprOf<'filter'>; body: Stmt[] })
  | (Base & { kind: 'set'; target: Expr; expr: Expr })
  | (Base & { kind: 'setblock'; target: Expr; filter: ExprOf<'filter'> | null; body: Stmt[] })
  | (Base & { kind: 'with'; targets: Expr[]; values: Expr[]; body: Stmt[] })
  | (Base & { kind: 'block'; name: string; scoped: boolean; required: boolean; body: Stmt[] })
  | (Base & { kind: 'extends'; template: Expr })
  | (Base & { kind: 'include'; template: Expr; ignoreMissing: boolean; withContext: boolean })
  | (Base & { kind: 'import'; template: Expr; target: string; withContext: boolean })
  | (Base & { kind: 'fromimport'; template: Expr; names: Array<[string, string]>; withContext: boolean })
  | (Base & { kind: 'do'; expr: Expr })
  | (Base & { kind: 'break' | 'continue' })
  | (Base & { kind: 'scope'; body: Stmt[] });

export type StmtOf<K extends Stmt['kind']> = Extract<Stmt, { kind: K }>;

export interface TemplateNode {
  body: Stmt[];
}
