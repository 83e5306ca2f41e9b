/**
 * Jinja2 and Ansible tests (`x is defined`, `select('match', ...)`,
 * `result is failed`); the families are in tests/.
 */
export { tests } from './tests/index.js';
