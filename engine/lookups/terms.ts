/**
 * A lookup's terms as Ansible prepares them: templated (templar.template)
 * and made a list (listify_lookup_plugin_terms).
 */
import { isDict, isString, type Dict } from '../template/python.js';
import { ownTags, UNSAFE } from '../template/trust.js';
import type { LookupContext, Terms } from './types.js';

const TEMPLATE_MARKUP = /\{\{|\{%|\{#/;

/** True when the text holds template markup ({{, {%, {#). */
export function holdsTemplate(text: string): boolean {
  return TEMPLATE_MARKUP.test(text);
}

/**
 * Ansible's templar.template on a value: text with template markup is
 * rendered by `render`; lists and dicts are walked; unsafe values are left
 * as they are.
 */
export function templateValue(value: unknown, render: (text: string) => unknown): unknown {
  if (ownTags(value) & UNSAFE) return value;
  if (isString(value)) return holdsTemplate(String(value)) ? render(String(value)) : value;
  if (Array.isArray(value)) return value.map((item) => templateValue(item, render));
  if (isDict(value)) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value)) out[k] = templateValue(v, render);
    return out;
  }
  return value;
}

/**
 * Ansible's listify_lookup_plugin_terms: a string is stripped and
 * templated, anything else templated; a string or a scalar then becomes a
 * one-item list. A dict stays a dict (plugins iterate its keys).
 */
export function listifyTerms(value: unknown, ctx: Pick<LookupContext, 'template'>): Terms {
  const templated = isString(value) ? ctx.template(String(value).trim()) : ctx.template(value);
  if (Array.isArray(templated) || isDict(templated)) return templated;
  return [templated];
}

/** The terms as Python iterates them: a dict gives its keys. */
export function termList(terms: Terms): unknown[] {
  return Array.isArray(terms) ? terms : Object.keys(terms);
}
