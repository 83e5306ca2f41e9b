/**
 * The Jinja2 templating layer: Ansible 2.14's templating on our own Jinja2
 * engine. See templar.ts for the API, jinja/ for the engine, trust.ts for
 * the unsafe and secret tags values carry.
 */
export { TemplateError, templateModuleMessage, type TemplateErrorDetails } from './errors.js';
export { Templar, type RenderOptions, type TemplarOptions } from './templar.js';
export { lazyVars, plainViews } from './lazy.js';
