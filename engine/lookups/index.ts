/**
 * The lookup plugins, by name: Ansible 2.14's builtin lookups that work
 * without a network, each under its short name and `ansible.builtin.` name.
 */
import { pipe, lines } from './commands.js';
import { config } from './config.js';
import { csvfile } from './csvfile.js';
import { file, fileglob, firstFound, unvault } from './files.js';
import { ini } from './ini.js';
import { inventoryHostnames } from './inventory.js';
import { dict, indexedItems, items, list, nested, randomChoice, subelements, together } from './lists.js';
import { password } from './password.js';
import { sequence } from './sequence.js';
import { template } from './template.js';
import type { LookupPlugin } from './types.js';
import { env, vars, varnames } from './variables.js';

export type { LookupContext, LookupHost, LookupPlugin, Terms } from './types.js';

const PLUGINS: readonly LookupPlugin[] = [
  config, csvfile, dict, env, file, fileglob, firstFound, indexedItems, ini, inventoryHostnames, items, lines, list,
  nested, password, pipe, randomChoice, sequence, subelements, template, together, unvault, varnames, vars,
];

const BY_NAME = new Map<string, LookupPlugin>(PLUGINS.flatMap((p) => [[p.name, p], [`ansible.builtin.${p.name}`, p]]));

/** The plugin called `name` (`file` or `ansible.builtin.file`), if there is one. */
export function findLookup(name: string): LookupPlugin | undefined {
  return BY_NAME.get(name);
}
