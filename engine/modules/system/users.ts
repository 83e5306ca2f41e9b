/**
 * user and group: local accounts like Ansible's user/group modules on Linux
 * (useradd/usermod/userdel, groupadd/groupmod/groupdel). One command reads the
 * passwd entry, the whole group database, the shadow hash and the home folder.
 */
import { quote, shellJoin } from '../../connection/quote.js';
import { boolSchema, pick, stringListSchema, toBool, toList } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { lines, readSections, runChecked } from './util.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(line: string): PasswdEntry | undefined {
  const f = line.replace(/\n$/, '').split(':');
  if (f.length < 7) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f[6]! };
}

export function parseGroups(out: string): GroupEntry[] {
  return lines(out).flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: f[3] ? f[3].split(',') : [] }];
  });
}

/** A group by name, or by gid when given digits (Ansible's group_info). */
export function findGroup(groups: GroupEntry[], nameOrGid: string): GroupEntry | undefined {
  return groups.find((g) => g.name === nameOrGid) ?? (/^\d+$/.test(nameOrGid) ? groups.find((g) => g.gid === Number(nameOrGid)) : undefined);
}

// ---------------------------------------------------------------- user

export interface UserArgs {
  name: string;
  user?: string;
  uid?: number | string;
  group?: string | number;
  groups?: string | string[];
  append?: unknown;
  home?: string;
  shell?: string;
  system?: unknown;
  create_home?: unknown;
  createhome?: unknown;
  move_home?: unknown;
  state?: 'present' | 'absent';
  remove?: unknown;
  force?: unknown;
  password?: string;
  update_password?: 'always' | 'on_create';
  comment?: string;
}

export interface UserState {
  user?: PasswdEntry;
  groups: GroupEntry[];
  /** The shadow password field. */
  password?: string;
  homeExists: boolean;
}

export async function readUser(ctx: ModuleContext, args: UserArgs): Promise<UserState> {
  const name = quote(userName(args));
  const out = await readSections(ctx, {
    passwd: `getent passwd ${name}`,
    group: 'getent group',
    shadow: `getent shadow ${name} | cut -d: -f2`,
    home: `h=$(getent passwd ${name} | cut -d: -f6); if [ -n "$h" ] && [ -e "$h" ]; then echo yes; fi`,
  });
  return parseUserState(out.passwd!.out, out.group!.out, out.shadow!.out, out.home!.out);
}

export function parseUserState(passwd: string, group: string, shadow: string, home: string): UserState {
  const state: UserState = { groups: parseGroups(group), homeExists: home.trim() === 'yes' };
  const user = parsePasswd(lines(passwd)[0] ?? '');
  if (user) state.user = user;
  const hash = lines(shadow)[0];
  if (hash !== undefined && user) state.password = hash;
  return state;
}

function userName(args: UserArgs): string {
  return pick<string>(args as unknown as Record<string, unknown>, 'name', 'user')!;
}

/** `groups` as Ansible joins it: undefined = leave alone, '' = no supplementary groups. */
function wantedGroups(args: UserArgs): string[] | undefined {
  if (args.groups === undefined || args.groups === null) return undefined;
  return toList(args.groups);
}

export interface UserCommands {
  commands: string[];
  error?: string;
  result: Record<string, unknown>;
}

/** The commands that bring the account to `args` (pure; exported for tests). */
export function userCommands(args: UserArgs, state: UserState): UserCommands {
  const name = userName(args);
  const present = (args.state ?? 'present') === 'present';
  const result: Record<string, unknown> = { name, state: args.state ?? 'present' };
  const groupOf = (g: string) => findGroup(state.groups, g);
  if (!present) {
    if (!state.user) return { commands: [], result };
    const options = [toBool(args.force, false) ? '-f' : '', toBool(args.remove, false) ? '-r' : ''].filter(Boolean);
    return { commands: [shellJoin(['userdel', ...options, name])], result: { ...result, remove: toBool(args.remove, false), force: toBool(args.force, false) } };
  }
  const group = args.group === undefined ? undefined : String(args.group);
  if (group !== undefined && !groupOf(group)) return { commands: [], error: `Group ${group} does not exist`, result };
  const groups = wantedGroups(args);
  for (const g of groups ?? []) if (!groupOf(g)) return { commands: [], error: `Group ${g} does not exist`, result };
  const createHome = toBool(pick(args as unknown as Record<string, unknown>, 'create_home', 'createhome'), true);
  const comment = args.comment;

  if (!state.user) {
    const cmd: string[] = ['useradd'];
    if (args.uid !== undefined) cmd.push('-u', String(args.uid));
    if (group !== undefined) cmd.push('-g', group);
    // A group named like the user exists: useradd must not try to create it (USERGROUPS_ENAB).
    else if (groupOf(name)) cmd.push('-N');
    if (groups && groups.length > 0) cmd.push('-G', groups.join(','));
    if (comment !== undefined) cmd.push('-c', comment);
    if (args.home !== undefined) cmd.push('-d', args.home);
    if (args.shell !== undefined) cmd.push('-s', args.shell);
    if (args.password !== undefined) cmd.push('-p', args.password);
    cmd.push(createHome ? '-m' : '-M');
    if (toBool(args.system, false)) cmd.push('-r');
    cmd.push(name);
    return { commands: [shellJoin(cmd)], result: { ...result, system: toBool(args.system, false), create_home: createHome, ...(groups ? { groups: groups.join(',') } : {}) } };
  }

  const user = state.user;
  const cmd: string[] = [];
  if (args.uid !== undefined && user.uid !== Number(args.uid)) cmd.push('-u', String(args.uid));
  if (group !== undefined && groupOf(group)!.gid !== user.gid) cmd.push('-g', group);
  if (groups !== undefined) {
    const append = toBool(args.append, false);
    // Membership as /etc/group lists it (the primary group only when listed too), like Ansible.
    const current = state.groups.filter((g) => g.members.includes(name)).map((g) => g.name);
    const wanted = groups.map((g) => groupOf(g)!.name);
    if (groups.length === 0) {
      if (current.length > 0 && !append) cmd.push('-G', '');
    } else {
      const difference = [...current.filter((g) => !wanted.includes(g)), ...wanted.filter((g) => !current.includes(g))];
      if (difference.length > 0) {
        if (append) {
          if (wanted.some((g) => difference.includes(g))) cmd.push('-a', '-G', wanted.join(','));
        } else {
          cmd.push('-G', wanted.join(','));
        }
      }
    }
  }
  if (comment !== undefined && user.comment !== comment) cmd.push('-c', comment);
  if (args.home !== undefined && user.home !== args.home) {
    cmd.push('-d', args.home);
    if (toBool(args.move_home, false)) cmd.push('-m');
  }
  if (args.shell !== undefined && user.shell !== args.shell) cmd.push('-s', args.shell);
  const updatePassword = (args.update_password ?? 'always') === 'always';
  if (updatePassword && args.password !== undefined && (state.password ?? '').replace(/^!+/, '') !== args.password.replace(/^!+/, '')) {
    cmd.push('-p', args.password);
  }
  const commands: string[] = [];
  if (cmd.length > 0) commands.push(shellJoin(['usermod', ...cmd, name]));
  // A missing home is created (from /etc/skel) when create_home is set, as Ansible does.
  const home = args.home ?? user.home;
  const homeMissing = args.home === undefined || args.home === user.home ? !state.homeExists : false;
  if (createHome && homeMissing && home) {
    const h = quote(home);
    commands.push(`mkdir -p -m 0755 -- ${h} && { [ -d /etc/skel ] && cp -a /etc/skel/. ${h}/ || true; } && chown -R ${quote(`${user.uid}:${user.gid}`)} -- ${h}`);
  }
  return { commands, result };
}

function describeUser(entry: PasswdEntry | undefined, result: Record<string, unknown>): Record<string, unknown> {
  if (!entry) return result;
  return { ...result, uid: entry.uid, group: entry.gid, comment: entry.comment, home: entry.home, shell: entry.shell };
}

function planUser(ctx: ModuleContext, args: UserArgs, state: UserState): Plan {
  const { commands, error, result } = userCommands(args, state);
  if (error) return { changed: false, failed: true, msg: error, result };
  if (args.password !== undefined) result.password = 'NOT_LOGGING_PASSWORD';
  const present = (args.state ?? 'present') === 'present';
  const changed = commands.length > 0;
  const known = present ? describeUser(state.user, result) : result;
  if (!changed || ctx.check) return { changed, result: known };
  return {
    changed,
    result: known,
    apply: async () => {
      for (const command of commands) await runChecked(ctx, command, command.split(' ')[0]!);
      if (!present) return {};
      const after = parsePasswd((await runChecked(ctx, `getent passwd ${quote(userName(args))}`, 'getent passwd')).stdout);
      return describeUser(after, {});
    },
  };
}

export const user: Module<UserArgs, UserState> = {
  name: 'user',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      user: { type: 'string' },
      uid: { type: ['integer', 'string'] },
      group: { type: ['string', 'integer'] },
      groups: stringListSchema,
      append: boolSchema,
      home: { type: 'string' },
      shell: { type: 'string' },
      system: boolSchema,
      create_home: boolSchema,
      createhome: boolSchema,
      move_home: boolSchema,
      state: { enum: ['present', 'absent'] },
      remove: boolSchema,
      force: boolSchema,
      password: { type: 'string' },
      update_password: { enum: ['always', 'on_create'] },
      comment: { type: 'string' },
    },
    anyOf: [{ required: ['name'] }, { required: ['user'] }],
  },
  doc: {
    description:
      'Manages a local account like Ansible\'s user module on Linux: uid, group, groups (+append; an empty list removes ' +
      'all supplementary groups), home (+move_home), shell, system, create_home (also creates a missing home from ' +
      '/etc/skel), password (a crypt hash; update_password always/on_create), comment, state present/absent ' +
      '(+remove, force). Read with getent in one command; applied with useradd/usermod/userdel.',
    returns: { name: 'user name', uid: 'uid', group: 'primary gid', home: 'home folder', shell: 'login shell', comment: 'GECOS' },
    example: '- name: Mirror account\n  user:\n    name: mirror\n    system: true\n    shell: /bin/bash\n    groups: [adm]\n    append: true\n',
  },
  read: readUser,
  plan: planUser,
};

// ---------------------------------------------------------------- group

export interface GroupArgs {
  name: string;
  gid?: number | string;
  system?: unknown;
  state?: 'present' | 'absent';
}

export interface GroupState {
  group?: GroupEntry;
}

export function groupCommand(args: GroupArgs, state: GroupState): string | undefined {
  if ((args.state ?? 'present') === 'absent') return state.group ? shellJoin(['groupdel', args.name]) : undefined;
  if (!state.group) {
    const cmd = ['groupadd'];
    if (args.gid !== undefined) cmd.push('-g', String(args.gid));
    if (toBool(args.system, false)) cmd.push('-r');
    return shellJoin([...cmd, args.name]);
  }
  if (args.gid !== undefined && state.group.gid !== Number(args.gid)) return shellJoin(['groupmod', '-g', String(args.gid), args.name]);
  return undefined;
}

export const group: Module<GroupArgs, GroupState> = {
  name: 'group',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string' },
      gid: { type: ['integer', 'string'] },
      system: boolSchema,
      state: { enum: ['present', 'absent'] },
      local: boolSchema,
      non_unique: boolSchema,
    },
  },
  doc: {
    description: 'Manages a local group like Ansible\'s group module: gid, system, state present/absent (groupadd/groupmod/groupdel).',
    returns: { name: 'group name', gid: 'group id (present)', state: 'present or absent', system: 'system group' },
    example: '- name: Group for list admins\n  group:\n    name: listadm\n    gid: 1500\n',
  },
  read: async (ctx, args) => {
    const out = await runChecked(ctx, `getent group ${quote(args.name)} || true`, 'getent group');
    return { group: parseGroups(out.stdout)[0] };
  },
  plan: (ctx, args, state) => {
    const command = groupCommand(args, state);
    const present = (args.state ?? 'present') === 'present';
    const result: Record<string, unknown> = { name: args.name, state: args.state ?? 'present', system: toBool(args.system, false) };
    if (present && state.group) result.gid = args.gid !== undefined ? Number(args.gid) : state.group.gid;
    if (!command || ctx.check) return { changed: command !== undefined, result };
    return {
      changed: true,
      result,
      apply: async () => {
        await runChecked(ctx, command, command.split(' ')[0]!);
        if (!present) return {};
        const after = parseGroups((await runChecked(ctx, `getent group ${quote(args.name)}`, 'getent group')).stdout)[0];
        return after ? { gid: after.gid } : {};
      },
    };
  },
};
