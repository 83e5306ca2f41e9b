/**
 * The inventory_hostnames lookup: the inventory's hosts matching host
 * patterns (`webservers:!web3`, `group01:&group02`, `t?s?03`), in
 * inventory order. It needs the run's inventory: outside a run it is an
 * error. A pattern that matches nothing gives an empty list.
 */
import { splitPattern } from '../inventory/patterns.js';
import { pyStr } from '../template/python.js';
import { LookupError } from './errors.js';
import { termList } from './terms.js';
import type { LookupPlugin } from './types.js';

export const inventoryHostnames: LookupPlugin = {
  name: 'inventory_hostnames',
  run(terms, _options, ctx) {
    if (!ctx.hostsMatching) throw new LookupError('the inventory_hostnames lookup needs the inventory of a run');
    // Ansible matches the list as one pattern, each term split on its own: ['a:!b', 'c'] is `a,!b,c`.
    const pattern = termList(terms).map(pyStr).flatMap(splitPattern).join(',');
    try {
      return ctx.hostsMatching(pattern);
    } catch {
      return [];
    }
  },
};
