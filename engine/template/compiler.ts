/**
 * Where the templates' call context keeps the render's variables, for code
 * that reads them from a filter or global function (globals.ts).
 */
export { VARS_KEY } from './runtime.js';
