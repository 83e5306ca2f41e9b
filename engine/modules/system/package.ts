/**
 * package: the generic package module. uxsv manages Debian hosts only, so it
 * is apt restricted to Ansible's common arguments (name, state).
 */
import { stringListSchema } from '../lib/args.js';
import type { Module } from '../types.js';
import { apt, planApt, readAptState, type AptArgs, type AptState } from './apt.js';

interface PackageArgs {
  name: string | string[];
  state?: AptArgs['state'];
  use?: string;
}

function toAptArgs(args: PackageArgs): AptArgs {
  return { name: args.name, state: args.state };
}

/** Ansible picks the backend from ansible_pkg_mgr; only apt exists here. */
function backend(use: string | undefined, vars: Record<string, unknown>): string {
  if (use !== undefined && use !== 'auto') return use;
  const fact = vars.ansible_pkg_mgr;
  return typeof fact === 'string' && fact !== '' ? fact : 'apt';
}

export const packageModule: Module<PackageArgs, AptState> = {
  name: 'package',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: stringListSchema,
      state: { enum: ['present', 'absent', 'latest', 'installed', 'removed'] },
      use: { type: 'string' },
    },
  },
  doc: {
    description:
      'Generic package manager front end. On the Debian hosts uxsv manages it is `apt` with the arguments name and state ' +
      '(present/installed, absent/removed, latest); see apt for the behaviour.',
    returns: apt.doc.returns,
    example: '- name: Install rsync\n  package:\n    name: rsync\n    state: present\n',
  },
  read: (ctx, args) => readAptState(ctx, toAptArgs(args)),
  plan: (ctx, args, state) => {
    const manager = backend(args.use, ctx.vars);
    if (manager !== 'apt') return { changed: false, failed: true, msg: `package manager ${manager} is not supported (uxsv supports apt)` };
    return planApt(ctx, toAptArgs(args), state);
  },
};
