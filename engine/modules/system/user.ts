/**
 * user: a local account as Ansible's user module on Linux. One read (passwd,
 * shadow, the group database, the home folder, the ssh key); a pure plan of
 * commands (userdel, useradd, usermod, the home folder from the skeleton,
 * ssh-keygen, chage); apply runs them and reports the account as it is after.
 */
import { posix } from 'node:path';
import { quote, shellJoin } from '../../connection/quote.js';
import { accountFact, findGroup, parsePasswdLine, type AccountParams, type AccountState, type GroupEntry } from '../../facts/accounts.js';
import { readFact } from '../../facts/index.js';
import { lines } from '../../facts/sections.js';
import { boolSchema, pick, stringListSchema, text, toBool, toList } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';
import { pySplitlines } from '../core/shlex.js';

export interface UserArgs {
  name: string;
  user?: string;
  state?: 'present' | 'absent';
  uid?: number | string;
  non_unique?: unknown;
  group?: string | number;
  groups?: string | string[] | null;
  append?: unknown;
  comment?: string;
  home?: string;
  shell?: string;
  password?: string;
  password_lock?: unknown;
  update_password?: 'always' | 'on_create';
  password_expire_max?: number | string;
  password_expire_min?: number | string;
  expires?: number | string;
  system?: unknown;
  create_home?: unknown;
  createhome?: unknown;
  move_home?: unknown;
  skeleton?: string;
  umask?: string;
  seuser?: string;
  force?: unknown;
  remove?: unknown;
  local?: unknown;
  generate_ssh_key?: unknown;
  ssh_key_bits?: number | string;
  ssh_key_type?: string;
  ssh_key_file?: string;
  ssh_key_comment?: string;
  ssh_key_passphrase?: string;
  [other: string]: unknown;
}

export function userName(args: UserArgs): string {
  return String(pick(args as Record<string, unknown>, 'name', 'user'));
}

function sshKeyFile(args: UserArgs): string {
  return args.ssh_key_file ?? posix.join('.ssh', `id_${args.ssh_key_type ?? 'rsa'}`);
}

/** What the user's read asks the host for (readUser, and the reads of the tasks ahead). */
function accountParams(args: UserArgs): AccountParams {
  return {
    name: userName(args),
    ...(args.home !== undefined ? { home: args.home } : {}),
    ...(toBool(args.generate_ssh_key, false) ? { sshKeyFile: sshKeyFile(args) } : {}),
  };
}

export async function readUser(ctx: ModuleContext, args: UserArgs): Promise<AccountState> {
  return readFact(ctx, accountFact, accountParams(args));
}

/** Ansible's strftime('%Y-%m-%d') of gmtime(expires). */
function expiryDate(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().slice(0, 10);
}

/** `groups` joined as Ansible does: undefined = leave alone, '' = no supplementary groups. */
function wantedGroups(args: UserArgs): string[] | undefined {
  if (args.groups === undefined || args.groups === null) return undefined;
  return toList(args.groups).map((g) => g.trim()).filter(Boolean);
}

export interface UserSteps {
  /** Commands in order; each may carry stdin. */
  commands: Array<{ command: string; stdin?: string }>;
  /** The main command changed the account (useradd/usermod/userdel ran). */
  accountChanged: boolean;
  error?: string;
  result: Record<string, unknown>;
  warnings: string[];
}

function groupError(groups: GroupEntry[], names: string[]): string | undefined {
  const missing = names.find((g) => !findGroup(groups, g));
  return missing !== undefined ? `Group ${missing} does not exist` : undefined;
}

/** The home folder made like Ansible's create_homedir: a copy of the skeleton (or an empty folder), then owned by the user. */
function homeCommand(home: string, skeleton: string | undefined, uid: number | string, gid: number | string): string {
  const h = quote(home);
  const skel = quote(skeleton ?? '/etc/skel');
  return [
    `if [ ! -e ${h} ]; then`,
    `  if [ -e ${skel} ]; then mkdir -p -- "$(dirname -- ${h})" && cp -a -- ${skel} ${h}; else mkdir -p -- ${h}; fi || exit 1`,
    "  m=$(sed -n 's/^UMASK[[:space:]]\\{1,\\}\\([0-7]\\{1,\\}\\)[[:space:]]*$/\\1/p' /etc/login.defs 2>/dev/null | tail -n 1)",
    `  if [ -n "$m" ]; then chmod "$(printf '%o' $(( 0777 & ~0$m )))" -- ${h}; fi`,
    'fi',
    `chown -R ${quote(`${uid}:${gid}`)} -- ${h}`,
  ].join('\n');
}

/** The commands that bring the account to `args` (pure). */
export function userSteps(args: UserArgs, state: AccountState): UserSteps {
  const name = userName(args);
  const present = (args.state ?? 'present') === 'present';
  const result: Record<string, unknown> = { name, state: args.state ?? 'present' };
  const warnings: string[] = [];
  const commands: UserSteps['commands'] = [];
  const fail = (error: string): UserSteps => ({ commands: [], accountChanged: false, error, result, warnings });
  if (toBool(args.local, false)) return fail('Failed to find required executable "luseradd" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  const groups = wantedGroups(args);
  if (groups === undefined && toBool(args.append, false)) {
    warnings.push("'append' is set, but no 'groups' are specified. Use 'groups' for appending new groups.This will change to an error in Ansible 2.14.");
  }
  if (!present) {
    if (!state.user) return { commands, accountChanged: false, result, warnings };
    const force = toBool(args.force, false);
    const remove = toBool(args.remove, false);
    const cmd = ['userdel', ...(force ? ['-f'] : []), ...(remove ? ['-r'] : []), '--', name];
    return { commands: [{ command: shellJoin(cmd) }], accountChanged: true, result: { ...result, force, remove }, warnings };
  }

  const group = text(args.group);
  const createHome = toBool(pick(args as Record<string, unknown>, 'create_home', 'createhome'), true);
  const password = args.password;
  const lock = args.password_lock === undefined || args.password_lock === null ? undefined : toBool(args.password_lock, false);
  const expires = args.expires === undefined || args.expires === null ? undefined : Number(args.expires);
  const uid = args.uid === undefined || args.uid === null ? undefined : Number(args.uid);
  if (group !== undefined && !findGroup(state.groups, group)) return fail(`Group ${group} does not exist`);
  const missingGroup = groupError(state.groups, groups ?? []);
  if (missingGroup) return fail(missingGroup);
  if (password !== undefined && !looksHashed(password)) {
    warnings.push("The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly.");
  }
  let accountChanged = false;

  if (!state.user) {
    const cmd: string[] = ['useradd'];
    if (uid !== undefined) {
      cmd.push('-u', String(uid));
      if (toBool(args.non_unique, false)) cmd.push('-o');
    }
    if (args.seuser !== undefined) cmd.push('-Z', args.seuser);
    if (group !== undefined) cmd.push('-g', group);
    // A group named like the user exists: useradd must not try to create it.
    else if (findGroup(state.groups, name)) cmd.push('-N');
    if (groups && groups.length > 0) cmd.push('-G', [...new Set(groups)].join(','));
    if (args.comment !== undefined) cmd.push('-c', String(args.comment));
    if (args.home !== undefined) cmd.push('-d', args.home);
    if (args.shell !== undefined) cmd.push('-s', args.shell);
    if (expires !== undefined) cmd.push('-e', expires < 0 ? '' : expiryDate(expires));
    if (password !== undefined) cmd.push('-p', lock ? `!${password}` : password);
    if (createHome) {
      cmd.push('-m');
      if (args.skeleton !== undefined) cmd.push('-k', args.skeleton);
      if (args.umask !== undefined) cmd.push('-K', `UMASK=${args.umask}`);
    } else {
      cmd.push('-M');
    }
    if (toBool(args.system, false)) cmd.push('-r');
    cmd.push('--', name);
    // A home whose parent is missing: Ansible creates the parents first.
    const parentFirst = args.home !== undefined && createHome ? `mkdir -p -- "$(dirname -- ${quote(args.home)})" && ` : '';
    commands.push({ command: parentFirst + shellJoin(cmd) });
    accountChanged = true;
    result.system = toBool(args.system, false);
    result.create_home = createHome;
  } else {
    const user = state.user;
    const shadow = state.shadow?.hash ?? (user.password.length > 1 ? user.password : '');
    const cmd: string[] = [];
    if (uid !== undefined && user.uid !== uid) {
      cmd.push('-u', String(uid));
      if (toBool(args.non_unique, false)) cmd.push('-o');
    }
    if (group !== undefined) {
      const wanted = findGroup(state.groups, group)!;
      if (user.gid !== wanted.gid) cmd.push('-g', String(wanted.gid));
    }
    if (groups !== undefined) {
      const append = toBool(args.append, false);
      // Membership as /etc/group lists it, the primary group only when listed too (Ansible's exclude_primary=False).
      const current = state.groups.filter((g) => g.members.includes(name)).map((g) => g.name);
      const wanted = [...new Set(groups.map((g) => findGroup(state.groups, g)!.name))];
      let needed = false;
      if (wanted.length === 0) {
        needed = current.length > 0 && !append;
      } else {
        const difference = [...current.filter((g) => !wanted.includes(g)), ...wanted.filter((g) => !current.includes(g))];
        if (difference.length > 0) {
          if (append) {
            if (wanted.some((g) => difference.includes(g))) {
              cmd.push('-a');
              needed = true;
            }
          } else {
            needed = true;
          }
        }
      }
      if (needed) cmd.push('-G', wanted.join(','));
    }
    if (args.comment !== undefined && user.comment !== String(args.comment)) cmd.push('-c', String(args.comment));
    if (args.home !== undefined && user.home !== args.home) {
      cmd.push('-d', args.home);
      if (toBool(args.move_home, false)) cmd.push('-m');
    }
    if (args.shell !== undefined && user.shell !== args.shell) cmd.push('-s', args.shell);
    if (expires !== undefined) {
      const current = state.shadow && state.shadow.expire !== '' ? Number(state.shadow.expire) : -1;
      if (expires < 0) {
        if (current >= 0) cmd.push('-e', '');
      } else if (current < 0 || expiryDate(current * 86400) !== expiryDate(expires)) {
        cmd.push('-e', expiryDate(expires));
      }
    }
    if (lock === true && !shadow.startsWith('!')) cmd.push('-L');
    else if (lock === false && shadow.startsWith('!')) cmd.push('-U');
    if ((args.update_password ?? 'always') === 'always' && password !== undefined && shadow.replace(/^!+/, '') !== password.replace(/^!+/, '')) {
      const kept = cmd.filter((c) => c !== '-L' && c !== '-U');
      cmd.length = 0;
      cmd.push(...kept, '-p', lock ? `!${password}` : password);
    }
    if (cmd.length > 0) {
      commands.push({ command: shellJoin(['usermod', ...cmd, '--', name]) });
      accountChanged = true;
    }
    result.append = toBool(args.append, false);
    result.move_home = toBool(args.move_home, false);
    const uidNow = uid ?? user.uid;
    const gidNow = group !== undefined ? findGroup(state.groups, group)!.gid : user.gid;
    const home = args.home ?? user.home;
    const moved = args.home !== undefined && args.home !== user.home && toBool(args.move_home, false);
    // A missing home folder is made when create_home is set (a change), as Ansible does.
    if (createHome && home !== '' && !state.homeExists && !moved) {
      commands.push({ command: homeCommand(home, args.skeleton, uidNow, gidNow) });
    }
  }
  if (password !== undefined) result.password = 'NOT_LOGGING_PASSWORD';
  if (groups !== undefined) result.groups = groups.join(',');
  return { commands, accountChanged, result, warnings };
}

/** Ansible's check_password_encrypted, without the hash-length details: a crypt hash has `$id$...` fields. */
function looksHashed(password: string): boolean {
  if (['*', '!', '*************'].includes(password)) return true;
  if (/[:*!]/.test(password) || !password.includes('$')) return false;
  const fields = password.split('$');
  if (fields.length < 3) return false;
  const last = fields[fields.length - 1]!;
  if (/[^a-zA-Z0-9./=]/.test(last)) return false;
  const lengths: Record<string, number> = { 1: 22, 5: 43, 6: 86 };
  return lengths[fields[1]!] === undefined || last.length === lengths[fields[1]!];
}

interface KeyPlan {
  command?: string;
  /** ssh-keygen's answer when the key exists (no change). */
  message?: string;
}

function sshKeyPlan(args: UserArgs, state: AccountState, name: string): KeyPlan {
  if (!toBool(args.generate_ssh_key, false)) return {};
  const file = sshKeyFile(args);
  const path = file.startsWith('/') ? quote(file) : `"$(getent passwd -- ${quote(name)} | cut -d: -f6)"/${quote(file)}`;
  if (state.sshKey?.exists && !toBool(args.force, false)) return { message: 'Key already exists, use "force: yes" to overwrite' };
  const words = ['-t', args.ssh_key_type ?? 'rsa'];
  const bits = Number(args.ssh_key_bits ?? 0);
  if (bits > 0) words.push('-b', String(bits));
  const comment = args.ssh_key_comment === undefined ? '-C "ansible-generated on $(hostname)"' : shellJoin(['-C', args.ssh_key_comment]);
  const keyWords = shellJoin(words);
  const uid = quote(name);
  return {
    command: [
      `k=${path}; d=$(dirname -- "$k")`,
      `if [ ! -d "$d" ]; then mkdir -m 0700 -- "$d" && chown -- "$(id -u -- ${uid}):$(id -g -- ${uid})" "$d" || exit 1; fi`,
      `yes y 2>/dev/null | ssh-keygen ${keyWords} ${comment} -f "$k" -N ${quote(args.ssh_key_passphrase ?? '')} >/dev/null || exit 1`,
      `chown -- "$(id -u -- ${uid}):$(id -g -- ${uid})" "$k" "$k.pub"`,
    ].join('\n'),
  };
}

function chageCommand(args: UserArgs, state: AccountState, name: string): string | undefined {
  const min = args.password_expire_min === undefined || args.password_expire_min === null ? undefined : Number(args.password_expire_min);
  const max = args.password_expire_max === undefined || args.password_expire_max === null ? undefined : Number(args.password_expire_max);
  const shadowMin = state.shadow && state.shadow.min !== '' ? Number(state.shadow.min) : -1;
  const shadowMax = state.shadow && state.shadow.max !== '' ? Number(state.shadow.max) : -1;
  const words: string[] = [];
  if (min !== undefined && (!state.shadow || min !== shadowMin)) words.push('-m', String(min));
  if (max !== undefined && (!state.shadow || max !== shadowMax)) words.push('-M', String(max));
  return words.length > 0 ? shellJoin(['chage', ...words, '--', name]) : undefined;
}

function describe(entry: { uid: number; gid: number; comment: string; home: string; shell: string } | undefined): Record<string, unknown> {
  if (!entry) return {};
  return { uid: entry.uid, group: entry.gid, comment: entry.comment, home: entry.home, shell: entry.shell };
}

export function planUser(ctx: ModuleContext, args: UserArgs, state: AccountState): Plan {
  const name = userName(args);
  const steps = userSteps(args, state);
  const warnings = steps.warnings.length > 0 ? { warnings: steps.warnings } : {};
  if (steps.error) return { changed: false, failed: true, msg: steps.error, result: { ...steps.result, ...warnings } };
  const present = (args.state ?? 'present') === 'present';
  const key = present ? sshKeyPlan(args, state, name) : {};
  const chage = present ? chageCommand(args, state, name) : undefined;
  const commands = [...steps.commands];
  if (key.command) commands.push({ command: key.command });
  if (chage) commands.push({ command: chage });
  const changed = commands.length > 0;
  const known: Record<string, unknown> = { ...steps.result, ...warnings, ...(present ? describe(state.user) : {}) };
  if (present && toBool(args.generate_ssh_key, false) && state.sshKey?.exists) {
    if (state.sshKey.publicKey) known.ssh_public_key = state.sshKey.publicKey;
  }
  if (key.message && !key.command) known.stdout = key.message;
  return {
    changed,
    result: known,
    apply: changed ? async () => applyUser(ctx, args, name, commands, present) : undefined,
  };
}

async function applyUser(ctx: ModuleContext, args: UserArgs, name: string, commands: Array<{ command: string }>, present: boolean): Promise<Record<string, unknown>> {
  const outputs: string[] = [];
  const errors: string[] = [];
  for (const step of commands) {
    const res = await runText(ctx, step.command);
    if (res.rc !== 0) return { failed: true, name, msg: res.stderr.trim(), rc: res.rc };
    outputs.push(res.stdout);
    errors.push(res.stderr);
  }
  const extra: Record<string, unknown> = {};
  const out = outputs.join('');
  const err = errors.join('');
  // As Ansible's action adds them to any module result with stdout/stderr.
  if (out) Object.assign(extra, { stdout: out, stdout_lines: pySplitlines(out) });
  if (err) Object.assign(extra, { stderr: err, stderr_lines: pySplitlines(err) });
  if (!present) return extra;
  const after = await runText(ctx, `getent passwd -- ${quote(name)}`);
  Object.assign(extra, describe(parsePasswdLine(lines(after.stdout)[0] ?? '')));
  if (toBool(args.generate_ssh_key, false)) {
    const file = sshKeyFile(args);
    const path = file.startsWith('/') ? quote(file) : `"$(getent passwd -- ${quote(name)} | cut -d: -f6)"/${quote(file)}`;
    const key = await runText(ctx, `k=${path}; printf '%s\\n' "$k"; ssh-keygen -l -f "$k" 2>&1; echo @@; cat -- "$k.pub" 2>/dev/null`);
    const [keyPath = '', ...rest] = key.stdout.split('\n');
    const [fingerprint = '', pub = ''] = rest.join('\n').split('@@\n');
    Object.assign(extra, { ssh_key_file: keyPath, ssh_fingerprint: fingerprint.trim(), ssh_public_key: pub.trim() || null });
  }
  return extra;
}

const bool = (description: string) => ({ ...boolSchema, description });

export const user: Module<UserArgs, AccountState> = {
  name: 'user',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'The account name' },
      user: { type: 'string', description: 'Alias of name' },
      state: { enum: ['present', 'absent'] },
      uid: { type: ['integer', 'string'] },
      non_unique: bool('Allow a uid already in use (-o)'),
      group: { type: ['string', 'integer'], description: 'Primary group (name or gid)' },
      groups: { anyOf: [stringListSchema, { type: 'null' }], description: 'Supplementary groups; an empty list removes them all (unless append)' },
      append: bool('Add to groups instead of setting them'),
      comment: { type: ['string', 'number'], description: 'GECOS field' },
      home: { type: 'string' },
      shell: { type: 'string' },
      password: { type: 'string', description: 'A crypt(3) hash' },
      password_lock: bool('Lock (-L) or unlock (-U) the password'),
      update_password: { enum: ['always', 'on_create'] },
      password_expire_max: { type: ['integer', 'string'], description: 'Maximum days between password changes (chage -M)' },
      password_expire_min: { type: ['integer', 'string'], description: 'Minimum days between password changes (chage -m)' },
      expires: { type: ['number', 'string'], description: 'Account expiry, epoch seconds (negative: never)' },
      system: bool('A system account (only on creation)'),
      create_home: bool('Make the home folder (default true); also makes a missing one for an existing user'),
      createhome: boolSchema,
      move_home: bool('Move the home folder\'s content when home changes'),
      skeleton: { type: 'string', description: 'Skeleton folder for a new home' },
      umask: { type: 'string', description: 'Mode mask of a new home folder' },
      seuser: { type: 'string', description: 'SELinux user (-Z)' },
      force: bool('userdel -f; overwrite an existing ssh key'),
      remove: bool('userdel -r'),
      local: bool('Not supported (luseradd)'),
      generate_ssh_key: bool('Make an ssh key pair for the user'),
      ssh_key_bits: { type: ['integer', 'string'] },
      ssh_key_type: { type: 'string', description: 'default rsa' },
      ssh_key_file: { type: 'string', description: 'default .ssh/id_TYPE in the home folder' },
      ssh_key_comment: { type: 'string' },
      ssh_key_passphrase: { type: 'string' },
      hidden: boolSchema,
      login_class: { type: 'string' },
      profile: { type: 'string' },
      authorization: { type: 'string' },
      role: { type: 'string' },
    },
    anyOf: [{ required: ['name'] }, { required: ['user'] }],
  },
  doc: {
    description:
      'Manages a local account like Ansible\'s user module on Linux: useradd/usermod/userdel with uid (+non_unique), ' +
      'group, groups (+append), comment, home (+move_home), shell, password (a hash; update_password, password_lock), ' +
      'expires, password_expire_min/max (chage), system, create_home (also creates a missing home from the skeleton), ' +
      'ssh key generation, state present/absent (+remove, force). Read with getent in one command.',
    returns: {
      name: 'user name', state: 'present or absent', uid: 'uid', group: 'primary gid', comment: 'GECOS', home: 'home folder',
      shell: 'login shell', groups: 'the groups asked for (comma separated)', system: 'on creation', create_home: 'on creation',
      append: 'for an existing user', move_home: 'for an existing user', password: 'NOT_LOGGING_PASSWORD when given',
      ssh_fingerprint: 'with generate_ssh_key', ssh_key_file: 'with generate_ssh_key', ssh_public_key: 'with generate_ssh_key',
      force: 'on removal', remove: 'on removal',
    },
    example: '- name: Mirror account\n  user:\n    name: mirror\n    system: true\n    shell: /bin/bash\n    groups: [adm]\n    append: true\n',
  },
  read: readUser,
  // The same read, so an account that is already right keeps what was read ahead for the next tasks.
  readAhead: (_ctx, args) => [[accountFact, accountParams(args)]],
  plan: planUser,
};
