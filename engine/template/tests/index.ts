/**
 * Every test: Jinja2's builtins and Ansible's ansible.builtin tests,
 * assembled from their families.
 */
import { withBuiltinNames, type TestFn } from '../filters/support.js';
import { ansibleTests } from './ansible.js';
import { coreTests } from './core.js';
import { fileTests } from './files.js';
import { resultTests } from './results.js';
import { setTests } from './sets.js';
import { uriTests } from './uri.js';
import { version } from './version.js';

export const tests: Record<string, TestFn> = withBuiltinNames({
  ...coreTests,
  ...resultTests,
  ...ansibleTests,
  ...fileTests,
  ...setTests,
  ...uriTests,
  version,
  version_compare: version,
});
