/**
 * package: the generic package module. Ansible's package action picks the
 * host's manager (ansible_pkg_mgr) and hands it name and state; uxsv manages
 * Debian hosts, so the manager is apt.
 */
import { stringListSchema } from '../lib/args.js';
import type { Module } from '../types.js';
import { apt, planApt, readApt, type AptArgs, type AptReadState } from './apt.js';

interface PackageArgs {
  name: string | string[];
  state?: string;
  use?: string;
}

function toAptArgs(args: PackageArgs): AptArgs {
  return { name: args.name, state: args.state as AptArgs['state'] };
}

/** Ansible picks the backend from ansible_pkg_mgr; only apt exists here. */
function backend(use: string | undefined, vars: Record<string, unknown>): string {
  if (use !== undefined && use !== 'auto') return use;
  const fact = vars.ansible_pkg_mgr ?? (vars.ansible_facts as Record<string, unknown> | undefined)?.pkg_mgr;
  return typeof fact === 'string' && fact !== '' && fact !== 'unknown' ? fact : 'apt';
}

export const packageModule: Module<PackageArgs, AptReadState> = {
  name: 'package',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { ...stringListSchema, description: 'Package names (with apt: `name=version` too)' },
      state: { type: 'string', description: 'present (installed), absent (removed), latest; the backend\'s default (present) when omitted, as the package action passes it on' },
      use: { type: 'string', description: 'The package manager module (default auto: ansible_pkg_mgr, apt here)' },
    },
  },
  doc: {
    description:
      'Generic package manager front end. On the Debian hosts uxsv manages it is `apt` with the arguments name and state ' +
      '(present/installed, absent/removed, latest); see apt for the behaviour.',
    returns: apt.doc.returns,
    example: '- name: Install rsync\n  package:\n    name: rsync\n    state: present\n',
  },
  read: (ctx, args) => readApt(ctx, toAptArgs(args)),
  plan: (ctx, args, state) => {
    const manager = backend(args.use, ctx.vars);
    if (manager !== 'apt') return { changed: false, failed: true, msg: `package manager ${manager} is not supported (uxsv supports apt)` };
    if (args.state !== undefined && !['present', 'installed', 'absent', 'removed', 'latest'].includes(args.state)) {
      return { changed: false, failed: true, msg: `value of state must be one of: absent, build-dep, fixed, latest, present, got: ${args.state}` };
    }
    return planApt(ctx, toAptArgs(args), state);
  },
};
