/**
 * uxsv.placement: validates the placement matrix (every mode, every rule of
 * docs/design.md §1) and sets facts for the requested mode, so a playbook refuses a
 * broken matrix before it touches any host. Runs on the controller.
 */
import type { Module } from '../engine/modules/types.js';
import { placementProblems } from '../module_utils/placement.js';

interface Args {
  modes: Record<string, unknown>;
  mode: string;
  hosts: string[];
  addresses: Record<string, string>;
}

const placement: Module<Args, void> = {
  name: 'uxsv.placement',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      modes: { type: 'object', description: 'The placement matrix (cluster_modes)' },
      mode: { type: 'string', description: 'The mode to converge to (cluster_mode)' },
      hosts: { type: 'array', items: { type: 'string' }, description: 'The cluster hosts' },
      addresses: { type: 'object', description: 'Address names to addresses (cluster_addresses)' },
    },
    required: ['modes', 'mode', 'hosts', 'addresses'],
    additionalProperties: false,
  },
  doc: {
    description: 'Checks the placement matrix against its invariants (one DNS primary and one DHCP server per mode, mail/POP/lists together, at most one web site per host, NTP on every live host, the down host carries nothing, every address one holder) and returns the row of the mode. Never changes anything.',
    returns: { placement: "the mode's row", live_hosts: 'the hosts up in the mode', down_host: 'the host that is out, or null' },
    example: '- uxsv.placement:\n    modes: "{{ cluster_modes }}"\n    mode: "{{ cluster_mode }}"\n    hosts: "{{ cluster_hosts }}"\n    addresses: "{{ cluster_addresses }}"',
  },
  async read() {},
  plan(_ctx, args) {
    const problems = placementProblems(args.modes, args.hosts, Object.keys(args.addresses));
    if (problems.length) return { changed: false, failed: true, msg: `the placement matrix is broken: ${problems.map((p) => `mode ${p.mode}: ${p.rule}: ${p.detail}`).join('; ')}` };
    const row = args.modes[args.mode] as { down: string | null } | undefined;
    if (!row) return { changed: false, failed: true, msg: `unknown mode '${args.mode}' (known: ${Object.keys(args.modes).join(', ')})` };
    return { changed: false, result: { placement: row, live_hosts: args.hosts.filter((h) => h !== row.down), down_host: row.down } };
  },
};

export default placement;
