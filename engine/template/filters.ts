/**
 * Jinja2 and Ansible filters, with their Python behaviour; the families are
 * in filters/. Each receives the piped value first; keyword arguments
 * arrive as nunjucks' trailing keyword-arguments object.
 */
export { filters } from './filters/index.js';
export { bindArgs, getAttribute, type FilterContext } from './filters/support.js';
