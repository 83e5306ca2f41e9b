/**
 * Every filter: Jinja2's builtins and Ansible's ansible.builtin filters,
 * assembled from their families. Where both define a name (unique, random),
 * Ansible's version is the one, as in Ansible.
 */
import { coreFilters } from './core.js';
import { dateFilters } from './dates.js';
import { dictFilters } from './dicts.js';
import { hashingFilters } from './hashing.js';
import { htmlFilters } from './html.js';
import { iterationFilters } from './iteration.js';
import { listFilters } from './lists.js';
import { mathFilters } from './math.js';
import { pathFilters } from './paths.js';
import { regexFilters } from './regex.js';
import { serialiseFilters } from './serialise.js';
import { setFilters } from './sets.js';
import { stringFilters } from './strings.js';
import { withBuiltinNames, type FilterFn } from './support.js';
import { urlFilters } from './urls.js';
import { vaultFilters } from './vault.js';

export const filters: Record<string, FilterFn> = withBuiltinNames({
  ...coreFilters,
  ...stringFilters,
  ...htmlFilters,
  ...mathFilters,
  ...listFilters,
  ...iterationFilters,
  ...setFilters,
  ...dictFilters,
  ...pathFilters,
  ...urlFilters,
  ...hashingFilters,
  ...vaultFilters,
  ...serialiseFilters,
  ...regexFilters,
  ...dateFilters,
});
