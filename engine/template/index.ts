/**
 * The Jinja2 templating layer: Ansible's template semantics on nunjucks.
 * See templar.ts for the API and compiler.ts for how Jinja2 semantics are
 * obtained.
 */
export { TemplateError, type TemplateErrorDetails } from './errors.js';
export { Templar, type TemplarOptions } from './templar.js';
export { lazyVars } from './lazy.js';
