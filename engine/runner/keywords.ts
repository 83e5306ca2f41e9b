/**
 * Task keywords as Ansible resolves them: a keyword set on the task wins,
 * else the nearest enclosing block, include, role or play that sets it.
 * `when` is the exception: every enclosing condition applies (AND).
 */
import type { BlockNode, IncludeNode, MetaNode, Node, Scope, TaskNode } from '../loader/model.js';

export type KeywordNode = TaskNode | IncludeNode | MetaNode | BlockNode;

export function location(node: { origin: { file: string; line?: number } }): string {
  return `${node.origin.file}${node.origin.line ? `:${node.origin.line}` : ''}`;
}

/** A keyword from the node, else the nearest enclosing scope that sets it. */
export function keyword(node: Node, name: string): unknown {
  if (node.kind !== 'block' && node.keywords[name] !== undefined) return node.keywords[name];
  for (let s: Scope | undefined = node.scope; s; s = s.parent) if (s.keywords[name] !== undefined) return s.keywords[name];
  return undefined;
}

/** The scopes from the play down to the node's own. */
export function scopeChain(scope: Scope): Scope[] {
  const chain: Scope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) chain.unshift(s);
  return chain;
}

/** Every `when` from the enclosing blocks, roles and static imports, then the node's own. */
export function conditionsOf(node: Node): unknown[] {
  const conditions: unknown[] = [];
  // A play's scope has a `when` only from the import_playbook that brought it.
  for (const s of scopeChain(node.scope)) if (s.keywords.when !== undefined) conditions.push(...asArray(s.keywords.when));
  const own = node.kind === 'block' ? undefined : node.keywords.when;
  if (own !== undefined) conditions.push(...asArray(own));
  return conditions;
}

/** environment: merged from the play down to the task, the nearest wins per variable. */
export function environmentLayers(node: TaskNode | IncludeNode): unknown[] {
  const layers: unknown[] = [];
  for (const s of scopeChain(node.scope)) if (s.keywords.environment !== undefined) layers.push(s.keywords.environment);
  if (node.keywords.environment !== undefined) layers.push(node.keywords.environment);
  return layers;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function asStringList(value: unknown): string[] {
  return asArray(value).map(String);
}

/** `role : name` for role tasks, the action as written for unnamed tasks, as Ansible titles them. */
export function taskTitle(node: KeywordNode): string {
  const own = 'name' in node && node.name ? node.name : undefined;
  const name = own ?? (node.kind === 'task' ? node.writtenAs ?? node.moduleName : node.kind === 'meta' ? 'meta' : node.kind);
  return node.scope.role ? `${node.scope.role.name} : ${name}` : name;
}
