/**
 * group: a local group as Ansible's group module (groupadd, groupmod -g,
 * groupdel), read with one getent.
 */
import { shellJoin } from '../../connection/quote.js';
import { groupFact, type GroupEntry } from '../../facts/accounts.js';
import { readFact } from '../../facts/index.js';
import { boolSchema, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';
import { pySplitlines } from '../core/shlex.js';

export interface GroupArgs {
  name: string;
  gid?: number | string;
  system?: unknown;
  state?: 'present' | 'absent';
  local?: unknown;
  non_unique?: unknown;
}

export interface GroupState {
  group?: GroupEntry;
}

/** The command bringing the group to `args`, or undefined when it is already there (pure). */
export function groupCommand(args: GroupArgs, state: GroupState): string | undefined {
  const present = (args.state ?? 'present') === 'present';
  const gid = args.gid === undefined || args.gid === null ? undefined : String(Number(args.gid));
  const unique = toBool(args.non_unique, false) ? ['-o'] : [];
  if (!present) return state.group ? shellJoin(['groupdel', '--', args.name]) : undefined;
  if (!state.group) {
    const cmd = ['groupadd'];
    if (gid !== undefined) cmd.push('-g', gid, ...unique);
    if (toBool(args.system, false)) cmd.push('-r');
    return shellJoin([...cmd, '--', args.name]);
  }
  if (gid !== undefined && state.group.gid !== Number(gid)) return shellJoin(['groupmod', '-g', gid, ...unique, '--', args.name]);
  return undefined;
}

export function planGroup(ctx: ModuleContext, args: GroupArgs, state: GroupState): Plan {
  if (toBool(args.non_unique, false) && (args.gid === undefined || args.gid === null)) {
    return { changed: false, failed: true, msg: 'non_unique is True but all of the following are missing: gid' };
  }
  if (toBool(args.local, false)) return { changed: false, failed: true, msg: 'Failed to find required executable "lgroupadd" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  const command = groupCommand(args, state);
  const present = (args.state ?? 'present') === 'present';
  const result: Record<string, unknown> = { name: args.name, state: args.state ?? 'present' };
  if (state.group && present) Object.assign(result, { system: toBool(args.system, false), gid: state.group.gid });
  if (!command) return { changed: false, result };
  return {
    changed: true,
    result,
    apply: async () => {
      const res = await runText(ctx, command);
      if (res.rc !== 0) return { failed: true, name: args.name, msg: res.stderr.trim() };
      const extra: Record<string, unknown> = {};
      if (res.stdout) Object.assign(extra, { stdout: res.stdout, stdout_lines: pySplitlines(res.stdout) });
      if (res.stderr) Object.assign(extra, { stderr: res.stderr, stderr_lines: pySplitlines(res.stderr) });
      if (present) {
        const after = await readFact(ctx, groupFact, { name: args.name });
        if (after) Object.assign(extra, { system: toBool(args.system, false), gid: after.gid });
      }
      return extra;
    },
  };
}

export const group: Module<GroupArgs, GroupState> = {
  name: 'group',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', description: 'The group name' },
      gid: { type: ['integer', 'string'], description: 'The group id (changed with groupmod when it differs)' },
      system: { ...boolSchema, description: 'A system group (on creation)' },
      state: { enum: ['present', 'absent'] },
      local: { ...boolSchema, description: 'Not supported (lgroupadd)' },
      non_unique: { ...boolSchema, description: 'Allow a gid already in use (-o); needs gid' },
    },
  },
  doc: {
    description: 'Manages a local group like Ansible\'s group module: gid (+non_unique), system, state present/absent (groupadd/groupmod/groupdel).',
    returns: { name: 'group name', gid: 'group id (present)', state: 'present or absent', system: 'system group (present)' },
    example: '- name: Group for list admins\n  group:\n    name: listadm\n    gid: 1500\n',
  },
  read: async (ctx, args) => ({ group: await readFact(ctx, groupFact, { name: args.name }) }),
  // The same read, so a group that is already there keeps what was read ahead for the next tasks.
  readAhead: (_ctx, args) => [[groupFact, { name: args.name }]],
  plan: planGroup,
};
