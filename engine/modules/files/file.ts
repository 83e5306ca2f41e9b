/**
 * file: the state of a path (file, directory, link, hard, touch, absent), its
 * owner, group, mode, ext2 attributes and times, as Ansible's file module.
 * Everything the plan needs is read in one round trip (two with recurse or
 * the diff of a removed folder); the plan is pure; apply runs one command
 * and reports the path as it is afterwards.
 */
import { posix } from 'node:path';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readFacts, type FactRequest } from '../../facts/index.js';
import { fileFact, parseStatLineIn, statLineCommand, type FileQuery, type RemoteFileState } from '../../facts/file.js';
import { identityFact, type Identities } from '../../facts/identity.js';
import { treeFact, type Tree } from '../../facts/tree.js';
import { quote } from '../../connection/quote.js';
import { isSymbolicMode, resolveMode } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, modeSchema, pick, stringSchema, text, toBool } from '../lib/args.js';
import { ansibleMode, pathInfo } from './common.js';
import { timeChange, timeSpec, touchCommand, type TimeChange, type TimeSpec } from './file-times.js';

export type FileStateName = 'file' | 'directory' | 'link' | 'hard' | 'touch' | 'absent';
type PrevState = 'absent' | 'file' | 'directory' | 'link' | 'hard';

export interface FileArgs {
  path: string;
  state?: FileStateName;
  src?: string;
  recurse: boolean;
  force: boolean;
  follow: boolean;
  mode?: string | number;
  owner?: string;
  group?: string;
  attributes?: string;
  originalBasename?: string;
  diffPeek: boolean;
  mtime: string | undefined;
  mtimeFormat: string | undefined;
  atime: string | undefined;
  atimeFormat: string | undefined;
}

export function fileArgs(args: Record<string, any>): FileArgs {
  return {
    path: String(pick(args, 'path', 'dest', 'name') ?? ''),
    state: args.state,
    src: text(args.src),
    recurse: toBool(args.recurse, false),
    force: toBool(args.force, false),
    follow: toBool(args.follow, true),
    mode: pick<string | number>(args, 'mode'),
    owner: text(args.owner),
    group: text(args.group),
    attributes: text(pick(args, 'attributes', 'attr')),
    originalBasename: text(args._original_basename),
    diffPeek: args._diff_peek !== undefined && args._diff_peek !== null,
    mtime: text(args.modification_time),
    mtimeFormat: text(args.modification_time_format),
    atime: text(args.access_time),
    atimeFormat: text(args.access_time_format),
  };
}

export interface FileRead {
  /** The path worked on (a folder's path gets the src basename, as Ansible does). */
  path: string;
  self: RemoteFileState;
  followed: RemoteFileState;
  /** The path a link resolves to, read itself (state file/directory/touch with follow). */
  real?: RemoteFileState;
  /** link: the source as seen from the link's folder; hard: the source. */
  src?: RemoteFileState;
  /** recurse: everything below the folder. */
  tree?: Tree;
  ids?: Identities;
  /** For _diff_peek: the first bytes. */
  head?: Buffer;
  now: number;
}

function prevState(s: RemoteFileState): PrevState {
  if (!s.exists) return 'absent';
  if (s.type === 'link') return 'link';
  if (s.type === 'directory') return 'directory';
  return (s.nlink ?? 1) > 1 ? 'hard' : 'file';
}

function linkSourcePath(path: string, self: RemoteFileState, src: string): string {
  const base = self.type === 'directory' ? path : posix.dirname(path);
  return posix.isAbsolute(src) ? src : posix.join(base, src);
}

function identityRequest(a: FileArgs): FactRequest | undefined {
  const users = a.owner !== undefined ? [a.owner] : [];
  const groups = a.group !== undefined ? [a.group] : [];
  return users.length || groups.length ? [identityFact, { users, groups }] : undefined;
}

/** The first reads of the file module: the path (and the path inside it, for a folder given a src), and the ids of owner and group. */
function firstRequests(a: FileArgs): { requests: FactRequest[]; inside?: string; wantAttributes: boolean } {
  const basename = a.originalBasename ?? (a.src !== undefined ? posix.basename(a.src) : undefined);
  const inside = basename !== undefined && a.state !== 'link' && a.state !== 'absent' ? posix.join(a.path, basename) : undefined;
  const wantAttributes = a.attributes !== undefined;
  const queries: FileQuery[] = [
    { path: a.path, follow: false, checksum: false, attributes: wantAttributes },
    { path: a.path, follow: true, checksum: false, ...(a.diffPeek ? { content: true, contentLimit: 0 } : {}) },
  ];
  if (inside) queries.push({ path: inside, follow: false, checksum: false, attributes: wantAttributes }, { path: inside, follow: true, checksum: false });
  const ids = identityRequest(a);
  return { requests: ids ? [[fileFact, queries], ids] : [[fileFact, queries]], inside, wantAttributes };
}

/**
 * What a task reads, as far as its arguments tell: the first reads, and for
 * a link the source as readFile asks for it when the path is not a folder
 * (the usual case; a folder makes it read another path, by itself).
 */
function readAheadRequests(a: FileArgs): FactRequest[] {
  const { requests } = firstRequests(a);
  if ((a.state === 'link' || a.state === 'hard') && a.src !== undefined) {
    const source = a.state === 'link' ? linkSourcePath(a.path, { path: a.path, exists: false }, a.src) : a.src;
    requests.push([fileFact, [{ path: source, follow: true, checksum: false }]]);
  }
  return requests;
}

async function readFile(ctx: ModuleContext, args: Record<string, any>): Promise<FileRead> {
  const a = fileArgs(args);
  const { requests: first, inside, wantAttributes } = firstRequests(a);
  const [states, identities] = await readFacts(ctx, first as never) as unknown as [RemoteFileState[], Identities?];
  let [self, followed] = states as [RemoteFileState, RemoteFileState];
  let path = a.path;
  if (inside && followed.exists && followed.type === 'directory' && !followed.dangling) {
    path = inside;
    [self, followed] = [states[2]!, states[3]!];
  }
  const read: FileRead = { path, self, followed, now: Date.now() / 1000, ...(identities ? { ids: identities } : {}) };
  if (a.diffPeek) read.head = followed.head ?? followed.content ?? Buffer.alloc(0);
  // Second round trip only when needed: the link target or source, the tree below a folder.
  const more: FileQuery[] = [];
  const state = a.state ?? (prevState(self) === 'absent' ? (a.recurse ? 'directory' : 'file') : prevState(self));
  if (a.follow && self.type === 'link' && self.realPath && state !== 'link' && state !== 'hard' && state !== 'absent') {
    more.push({ path: self.realPath, follow: false, checksum: false, attributes: wantAttributes });
  }
  // A link without src keeps (with follow) the source it has.
  const src = a.src ?? (state === 'link' && a.follow && self.type === 'link' ? self.linkTarget : undefined);
  const srcPath = src !== undefined ? (state === 'link' ? linkSourcePath(path, self, src) : src) : undefined;
  if (srcPath !== undefined && (state === 'link' || state === 'hard')) more.push({ path: srcPath, follow: true, checksum: false });
  // The tree: for recurse, for the diff of a removed folder, and to tell whether a folder a link replaces is empty.
  const tree = (a.recurse && followed.type === 'directory') || (state === 'absent' && self.type === 'directory') || (state === 'link' && self.type === 'directory')
    ? [treeFact, { path: a.recurse && a.follow && self.realPath ? self.realPath : path, follow: a.recurse && a.follow }] as const : undefined;
  if (more.length || tree) {
    const requests = [...(more.length ? [[fileFact, more]] : []), ...(tree ? [tree] : [])];
    const values = await readFacts(ctx, requests as never) as unknown[];
    const found = more.length ? values[0] as RemoteFileState[] : [];
    let i = 0;
    if (more[0]?.path === self.realPath && more[0]?.follow === false && a.follow && self.type === 'link' && state !== 'link' && state !== 'hard' && state !== 'absent') read.real = found[i++];
    if (srcPath !== undefined && (state === 'link' || state === 'hard')) read.src = found[i++];
    if (tree) read.tree = values[values.length - 1] as Tree;
  }
  return read;
}

/** What the plan computes for one path's attributes. */
interface AttrPlan {
  commands: string[];
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  error?: string;
  warnings: string[];
}

function idOf(kind: 'user' | 'group', wanted: string, ids: Identities | undefined): number | undefined {
  if (/^\d+$/.test(wanted)) return Number(wanted);
  return kind === 'user' ? ids?.users[wanted] : ids?.groups[wanted];
}

/**
 * Ansible's set_fs_attributes_if_different and update_timestamp_for_file
 * for one existing path: the commands and the diff entries.
 */
function attributePlan(a: FileArgs, target: RemoteFileState, ids: Identities | undefined, times: TimeChange | undefined, opts: { noDereference?: boolean } = {}): AttrPlan {
  const p = quote(target.path);
  const plan: AttrPlan = { commands: [], before: {}, after: {}, warnings: [] };
  if (a.owner !== undefined) {
    const uid = idOf('user', a.owner, ids);
    if (uid === undefined) return { ...plan, error: `chown failed: failed to look up user ${a.owner}` };
    if (uid !== target.uid) {
      plan.before.owner = target.uid;
      plan.after.owner = uid;
      plan.commands.push(`chown -h ${uid} -- ${p}`);
    }
  }
  if (a.group !== undefined) {
    const gid = idOf('group', a.group, ids);
    if (gid === undefined) return { ...plan, error: `chgrp failed: failed to look up group ${a.group}` };
    if (gid !== target.gid) {
      plan.before.group = target.gid;
      plan.after.group = gid;
      plan.commands.push(`chown -h :${gid} -- ${p}`);
    }
  }
  if (a.mode !== undefined) {
    let mode: string | undefined;
    try {
      mode = resolveMode(a.mode, target.mode, target.type === 'directory');
    } catch (error) {
      return { ...plan, error: 'mode must be in octal or symbolic form' };
    }
    if (mode !== undefined && mode !== target.mode) {
      plan.before.mode = ansibleMode(target.mode);
      plan.after.mode = ansibleMode(mode);
      // chmod cannot change a link's own mode (Linux has no lchmod): Ansible then leaves it.
      if (target.type !== 'link') plan.commands.push(`chmod ${mode} -- ${p}`);
    }
  }
  if (a.attributes !== undefined) {
    const current = target.attributeFlags ?? '';
    const operator = a.attributes.startsWith('-') || a.attributes.startsWith('+') ? a.attributes[0]! : '=';
    const flags = operator === '=' ? a.attributes : a.attributes.slice(1);
    if (current !== flags || operator === '-') {
      plan.before.attributes = current;
      plan.after.attributes = `${operator}${flags}`;
      plan.commands.push(`chattr ${quote(`${operator}${flags}`)} -- ${p}`);
    }
  }
  if (times) {
    Object.assign(plan.before, times.before);
    Object.assign(plan.after, times.after);
    plan.commands.push(touchCommand(p, times, opts.noDereference === true));
  }
  return plan;
}

function changedBy(p: AttrPlan): boolean {
  return p.commands.length > 0;
}

function specs(a: FileArgs, state: FileStateName): { m: TimeSpec; at: TimeSpec } {
  return { m: timeSpec(a.mtime, a.mtimeFormat, state), at: timeSpec(a.atime, a.atimeFormat, state) };
}

/** The result with its diff dict: Ansible's file module always returns it (shown with --diff). */
function finish(_ctx: ModuleContext, plan: Plan, diff: { before: Record<string, unknown>; after: Record<string, unknown> }): Plan {
  plan.result = { ...(plan.result ?? {}), diff };
  return plan;
}

/** Runs the commands, then reports the path (`reportPath`) as it is. */
function applyCommands(ctx: ModuleContext, commands: string[], reportPath: string, failMessage: string, extra: Record<string, unknown> = {}) {
  return async (): Promise<Record<string, unknown>> => {
    const script = `${commands.map((c) => `${c} || exit`).join('\n')}\n${statLineCommand(quote(reportPath))}`;
    const res = await ctx.run(script);
    if (res.rc !== 0) return { failed: true, changed: false, msg: `${failMessage}${res.stderr.toString().trim()}`, ...extra };
    return pathInfo(parseStatLineIn(reportPath, res.stdout));
  };
}

function failure(msg: string, result: Record<string, unknown>): Plan {
  return { changed: false, failed: true, msg, result };
}

function planFile(ctx: ModuleContext, args: Record<string, any>, st: FileRead): Plan {
  const a = fileArgs(args);
  if (!a.path) return failure('missing required arguments: path', {});
  if (a.diffPeek) return { changed: false, result: { path: st.path, appears_binary: (st.head ?? Buffer.alloc(0)).includes(0), ...pathInfo(st.self) } };
  const prev = prevState(st.self);
  const state: FileStateName = a.state ?? (prev !== 'absent' ? prev : a.recurse ? 'directory' : 'file');
  if (a.recurse && state !== 'directory') return failure("recurse option requires state to be 'directory'", { path: st.path });
  if (a.src !== undefined && state !== 'link' && state !== 'hard') return failure("src option requires state to be 'link' or 'hard'", { path: st.path });
  let times: { m: TimeSpec; at: TimeSpec };
  try {
    times = specs(a, state);
  } catch (error) {
    return failure((error as Error).message, {});
  }
  const warnings = ctx.check && state !== 'absent' ? ownerWarnings(a, st.ids) : [];
  const plan = (() => {
    switch (state) {
      case 'absent': return planAbsent(ctx, st, prev);
      case 'touch': return planTouch(ctx, a, st, prev, times);
      case 'file': return planFileState(ctx, a, st, prev, times);
      case 'directory': return planDirectory(ctx, a, st, prev, times);
      case 'link': return planLink(ctx, a, st, prev, times);
      case 'hard': return planHard(ctx, a, st, prev, times);
    }
  })();
  if (warnings.length) plan.result = { ...(plan.result ?? {}), warnings };
  return plan;
}

/** Ansible's check_owner_exists / check_group_exists (check mode): names and numbers the host does not know. */
function ownerWarnings(a: FileArgs, ids: Identities | undefined): string[] {
  const out: string[] = [];
  const unknown = (kind: 'user' | 'group', value: string) => {
    const known = kind === 'user' ? ids?.users[value] : ids?.groups[value];
    if (known !== undefined) return;
    const numeric = /^\d+$/.test(value);
    out.push(`failed to look up ${kind} ${numeric ? `with ${kind === 'user' ? 'uid' : 'gid'} ` : ''}${value}. Create ${kind} up to this point in real play`);
  };
  if (a.owner !== undefined) unknown('user', a.owner);
  if (a.group !== undefined) unknown('group', a.group);
  return out;
}

function initialDiff(path: string, state: string, prev: string): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const diff = { before: { path } as Record<string, unknown>, after: { path } as Record<string, unknown> };
  if (prev !== state) {
    diff.before.state = prev;
    diff.after.state = state;
  }
  return diff;
}

/**
 * What goes with a removed folder, in os.walk's order: folder by folder from
 * the top, each one's sub-folders (links to folders included) then its files.
 */
export function walkList(path: string, tree: Tree): { directories: string[]; files: string[] } {
  const children = new Map<string, typeof tree.entries>();
  for (const e of tree.entries) {
    const parent = posix.dirname(e.rel) === '.' ? '' : posix.dirname(e.rel);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(e);
  }
  const out = { directories: [] as string[], files: [] as string[] };
  const visit = (rel: string): void => {
    const entries = children.get(rel) ?? [];
    const isDir = (e: (typeof entries)[number]) => e.type === 'directory' || (e.type === 'link' && e.targetType === 'directory');
    for (const e of entries) if (isDir(e)) out.directories.push(posix.join(path, e.rel));
    for (const e of entries) if (!isDir(e)) out.files.push(posix.join(path, e.rel));
    for (const e of entries) if (e.type === 'directory') visit(e.rel);
  };
  visit('');
  return out;
}

function planAbsent(ctx: ModuleContext, st: FileRead, prev: PrevState): Plan {
  const path = st.path;
  if (prev === 'absent') return { changed: false, result: { path, state: 'absent' } };
  const diff = initialDiff(path, 'absent', prev);
  if (prev === 'directory' && st.tree) diff.before.path_content = walkList(path, st.tree);
  const plan: Plan = {
    changed: true,
    // In check mode the path is still there: Ansible reports it as it is.
    result: { path, state: 'absent', ...(ctx.check ? pathInfo(st.self) : {}) },
    apply: async () => {
      const res = await ctx.run(prev === 'directory' ? `rm -rf -- ${quote(path)}` : `rm -f -- ${quote(path)}`);
      if (res.rc !== 0) {
        const msg = prev === 'directory' ? `rmtree failed: ${res.stderr.toString().trim()}` : `unlinking failed: ${res.stderr.toString().trim()} `;
        return { failed: true, changed: false, msg, path };
      }
      return {};
    },
  };
  return finish(ctx, plan, diff);
}

function planTouch(ctx: ModuleContext, a: FileArgs, st: FileRead, prev: PrevState, t: { m: TimeSpec; at: TimeSpec }): Plan {
  const path = st.path;
  if (prev === 'absent') {
    // Created empty (0666 & ~umask), then attributes and times.
    const created: RemoteFileState = { path, exists: true, type: 'file', mode: undefined, uid: undefined, gid: undefined };
    const attrs = attributePlan(a, created, st.ids, timeChange(t.m, t.at, {}, st.now));
    if (attrs.error && !ctx.check) return failure(attrs.error, { path });
    const diff = initialDiff(path, 'touch', prev);
    Object.assign(diff.before, attrs.before);
    Object.assign(diff.after, attrs.after);
    const commands = [`: >> ${quote(path)}`, ...attrs.commands.filter((c) => !c.startsWith('chown -h :') || a.group !== undefined)];
    const plan: Plan = {
      changed: true,
      result: { dest: path },
      apply: async () => {
        const out = await applyCommands(ctx, commands, path, 'Error, could not touch target: ', { path })();
        if (out.failed) await ctx.run(`rm -f -- ${quote(path)}`);
        return out;
      },
    };
    // Check mode returns before any diff is made.
    return ctx.check ? plan : finish(ctx, plan, diff);
  }
  const target = a.follow && prev === 'link' && st.real ? st.real : st.self;
  const times = timeChange(t.m, t.at, target, st.now);
  const attrs = attributePlan(a, target, st.ids, times, { noDereference: !a.follow });
  if (attrs.error) return failure(attrs.error, { path });
  const diff = initialDiff(path, 'touch', prev);
  Object.assign(diff.before, attrs.before);
  Object.assign(diff.after, attrs.after);
  const changed = changedBy(attrs);
  const plan: Plan = { changed, result: { dest: path, ...pathInfo(st.self) } };
  if (changed) plan.apply = applyCommands(ctx, attrs.commands, path, 'Error, could not touch target: ');
  return finish(ctx, plan, diff);
}

function planFileState(ctx: ModuleContext, a: FileArgs, st: FileRead, prev: PrevState, t: { m: TimeSpec; at: TimeSpec }): Plan {
  let path = st.path;
  let target = st.self;
  let state: PrevState = prev;
  if (prev !== 'file' && a.follow && prev === 'link') {
    if (st.real) {
      target = st.real;
      path = st.real.path;
      state = prevState(st.real);
    } else {
      state = 'absent';
    }
  }
  if (state !== 'file' && state !== 'hard') return failure(`file (${path}) is ${state}, cannot continue`, { path, state });
  const attrs = attributePlan(a, target, st.ids, timeChange(t.m, t.at, target, st.now));
  if (attrs.error) return failure(attrs.error, { path });
  const diff = initialDiff(path, 'file', state);
  Object.assign(diff.before, attrs.before);
  Object.assign(diff.after, attrs.after);
  const changed = changedBy(attrs);
  const plan: Plan = { changed, result: { path, ...pathInfo(target) } };
  if (changed) plan.apply = applyCommands(ctx, attrs.commands, path, '');
  return finish(ctx, plan, diff);
}

function planDirectory(ctx: ModuleContext, a: FileArgs, st: FileRead, prev: PrevState, t: { m: TimeSpec; at: TimeSpec }): Plan {
  let path = st.path;
  let target = st.self;
  let state: PrevState = prev;
  if (a.follow && prev === 'link') {
    if (st.real) {
      target = st.real;
      path = st.real.path;
      state = prevState(st.real);
    } else {
      path = st.self.realPath ?? path;
      state = 'absent';
    }
  }
  const diff = initialDiff(path, 'directory', state);
  if (state === 'absent') {
    // Every folder mkdir makes gets the attributes (and the times go to the last).
    const created: RemoteFileState = { path, exists: true, type: 'directory' };
    const attrs = attributePlan(a, created, st.ids, undefined);
    if (attrs.error && !ctx.check) return failure(attrs.error, { path });
    Object.assign(diff.before, attrs.before);
    Object.assign(diff.after, attrs.after);
    const plan: Plan = { changed: true, result: { path }, apply: createFolders(ctx, a, path, st) };
    return finish(ctx, plan, diff);
  }
  if (state !== 'directory') return failure(`${path} already exists as a ${state}`, { path });
  const attrs = attributePlan(a, target, st.ids, timeChange(t.m, t.at, target, st.now));
  if (attrs.error) return failure(attrs.error, { path });
  Object.assign(diff.before, attrs.before);
  Object.assign(diff.after, attrs.after);
  const commands = [...attrs.commands];
  let changed = changedBy(attrs);
  if (a.recurse && st.tree) {
    const below = recursiveCommands(a, path, st);
    if (below.length) {
      changed = true;
      commands.push(...below);
    }
  }
  const plan: Plan = { changed, result: { path, ...pathInfo(target) } };
  if (changed) plan.apply = applyCommands(ctx, commands, path, '');
  return finish(ctx, plan, diff);
}

/** recurse: chown/chmod the whole tree when some entry below differs (links themselves, their targets with follow). */
function recursiveCommands(a: FileArgs, path: string, st: FileRead): string[] {
  const tree = st.tree!;
  const uid = a.owner !== undefined ? idOf('user', a.owner, st.ids) : undefined;
  const gid = a.group !== undefined ? idOf('group', a.group, st.ids) : undefined;
  const differs = tree.entries.some((e) => {
    if (a.mode !== undefined && e.type !== 'link') {
      try {
        if (resolveMode(a.mode, e.mode, e.type === 'directory') !== e.mode) return true;
      } catch {
        return true;
      }
    }
    return false;
  }) || ownershipDiffersBelow(tree, uid, gid);
  if (!differs) return [];
  const p = quote(path);
  const out: string[] = [];
  if (uid !== undefined || gid !== undefined) {
    const spec = `${uid ?? ''}${gid !== undefined ? `:${gid}` : ''}`;
    // Every entry, links themselves included; with follow also what links lead to (links to nothing skipped).
    out.push(`chown -R -h -P ${spec} -- ${p}`);
    if (a.follow) out.push(`find -L ${p} ! -type l -exec chown ${spec} -- {} +`);
  }
  if (a.mode !== undefined) {
    const mode = isSymbolicMode(a.mode) ? String(a.mode).split(',').map((c) => (/^[-+=]/.test(c) ? `a${c}` : c)).join(',') : resolveMode(a.mode, undefined, true)!;
    // chmod -R skips links; with follow, find -L walks through them (and into linked folders).
    out.push(a.follow ? `find -L ${p} ! -type l -exec chmod ${quote(mode)} -- {} +` : `chmod -R ${quote(mode)} -- ${p}`);
  }
  return out;
}

/** The tree fact has no owners: with owner/group given the whole tree is re-owned unless the ids are known to match. */
function ownershipDiffersBelow(tree: Tree, uid: number | undefined, gid: number | undefined): boolean {
  if (uid === undefined && gid === undefined) return false;
  return tree.entries.some((e) => (uid !== undefined && e.uid !== uid) || (gid !== undefined && e.gid !== gid));
}

/** mkdir each missing component, each getting the attributes, as Ansible does. */
function createFolders(ctx: ModuleContext, a: FileArgs, path: string, st: FileRead) {
  return async (): Promise<Record<string, unknown>> => {
    const components = path.replace(/^\/+/, '').split('/').filter(Boolean);
    const absolute = path.startsWith('/');
    const lines: string[] = [];
    let current = absolute ? '' : '.';
    for (const part of components) {
      current = `${current}/${part}`;
      const p = quote(absolute ? current : current.slice(2));
      const attrs = attributePlan(a, { path: absolute ? current : current.slice(2), exists: true, type: 'directory' }, st.ids, undefined);
      const set = attrs.commands.map((c) => `${c} || exit`).join('; ');
      lines.push(`if [ ! -e ${p} ]; then mkdir -- ${p} || [ -d ${p} ] || exit; ${set ? `${set}; ` : ''}fi`);
    }
    const res = await ctx.run(`${lines.join('\n')}\n${statLineCommand(quote(path))}`);
    if (res.rc !== 0) return { failed: true, changed: false, msg: `There was an issue creating ${path} as requested: ${res.stderr.toString().trim()}`, path };
    return pathInfo(parseStatLineIn(path, res.stdout));
  };
}

function planLink(ctx: ModuleContext, a: FileArgs, st: FileRead, prev: PrevState, t: { m: TimeSpec; at: TimeSpec }): Plan {
  const path = st.path;
  let src = a.src;
  if (src === undefined && a.follow && st.followed.exists && !st.followed.dangling && st.self.type === 'link') src = st.self.linkTarget;
  const absrc = src !== undefined ? linkSourcePath(path, st.self, src) : undefined;
  if (!a.force && src !== undefined && !(st.src?.exists && !st.src.dangling)) {
    return failure(`src file does not exist, use "force=yes" if you really want to create the link: ${absrc}`, { path, src });
  }
  if (prev === 'directory') {
    if (!a.force) return failure(`refusing to convert from ${prev} to symlink for ${path}`, { path });
    if ((st.tree?.entries.length ?? 0) > 0) return failure(`the directory ${path} is not empty, refusing to convert it`, { path });
  } else if ((prev === 'file' || prev === 'hard') && !a.force) {
    return failure(`refusing to convert from ${prev} to symlink for ${path}`, { path });
  }
  const diff = initialDiff(path, 'link', prev);
  let changed = false;
  if (prev !== 'link') {
    if (src === undefined) return failure('src is required for creating new symlinks', {});
    changed = true;
  } else if (src !== undefined && st.self.linkTarget !== src) {
    diff.before.src = st.self.linkTarget;
    diff.after.src = src;
    changed = true;
  }
  const commands: string[] = [];
  if (changed) {
    const p = quote(path);
    if (prev === 'absent') commands.push(`ln -s -- ${quote(src!)} ${p}`);
    else {
      // Beside the path, then renamed over it: the old entry is replaced in one step.
      const tmp = quote(posix.join(posix.dirname(path), `.uxsv.${Date.now().toString(36)}.tmp`));
      commands.push(`${prev === 'directory' ? `rmdir -- ${p} && ` : ''}ln -s -- ${quote(src!)} ${tmp} && mv -Tf -- ${tmp} ${p} || { rm -f -- ${tmp}; false; }`);
    }
  }
  // Attributes go to the link itself (follow: false) or to what it points to.
  const leadsSomewhere = changed ? (st.src?.exists ?? false) : st.followed.exists && !st.followed.dangling;
  const target: RemoteFileState = changed
    ? { ...(a.follow && st.src?.exists ? st.src : { path, exists: true, type: 'link' as const, mode: '0777' }), path: a.follow ? (absrc ?? path) : path }
    : a.follow && leadsSomewhere ? { ...st.followed, path } : st.self;
  let warnings: string[] = [];
  let attrs: AttrPlan = { commands: [], before: {}, after: {}, warnings: [] };
  if (a.follow && !leadsSomewhere) {
    warnings = ['Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.'];
  } else {
    attrs = attributePlan(a, target, st.ids, timeChange(t.m, t.at, target, st.now), { noDereference: !a.follow });
    if (attrs.error && !(ctx.check && prev === 'absent')) return failure(attrs.error, { path });
    if (!a.follow) attrs.commands = attrs.commands.map((c) => c.replace(/^chmod .*$/, ':'));
    Object.assign(diff.before, attrs.before);
    Object.assign(diff.after, attrs.after);
    commands.push(...attrs.commands.filter((c) => c !== ':'));
    changed ||= changedBy(attrs);
  }
  const plan: Plan = {
    changed,
    result: { dest: path, src, ...(prev !== 'absent' ? pathInfo(st.self) : {}), ...(warnings.length ? { warnings } : {}) },
  };
  if (changed) plan.apply = applyCommands(ctx, commands, path, prev === 'absent' ? 'Error while linking: ' : 'Error while replacing: ', { path });
  return finish(ctx, plan, diff);
}

function planHard(ctx: ModuleContext, a: FileArgs, st: FileRead, prev: PrevState, t: { m: TimeSpec; at: TimeSpec }): Plan {
  const path = st.path;
  const src = a.src;
  if (prev !== 'hard' && src === undefined) return failure('src is required for creating new hardlinks', {});
  if (src !== undefined && !(st.src?.exists && !st.src.dangling)) return failure('src does not exist', { dest: path, src });
  const diff = initialDiff(path, 'hard', prev);
  const same = st.src !== undefined && st.followed.exists && st.followed.inode === st.src.inode && st.followed.dev === st.src.dev;
  let changed = false;
  if (prev === 'absent') changed = true;
  else if (prev === 'link') {
    if (st.self.linkTarget !== src) {
      diff.before.src = st.self.linkTarget;
      diff.after.src = src;
      changed = true;
    }
  } else if (prev === 'hard') {
    if (src !== undefined && !same) {
      changed = true;
      if (!a.force) return failure('Cannot link, different hard link exists at destination', { dest: path, src });
    }
  } else if (prev === 'file') {
    changed = true;
    if (!a.force) return failure(`Cannot link, ${prev} exists at destination`, { dest: path, src });
  } else if (prev === 'directory') {
    if (same) return { changed: false, result: { path } };
    changed = true;
    if (!a.force) return failure('Cannot link: different hard link exists at destination', { dest: path, src });
  }
  const commands: string[] = [];
  if (changed) {
    const p = quote(path);
    if (prev === 'absent') commands.push(`ln -- ${quote(src!)} ${p}`);
    else {
      const tmp = quote(posix.join(posix.dirname(path), `.uxsv.${Date.now().toString(36)}.tmp`));
      commands.push(`ln -- ${quote(src!)} ${tmp} && mv -Tf -- ${tmp} ${p} || { rm -f -- ${tmp}; false; }`);
    }
  }
  const target: RemoteFileState = changed ? { ...st.src!, path } : { ...st.followed, path };
  const attrs = attributePlan(a, target, st.ids, timeChange(t.m, t.at, target, st.now));
  if (attrs.error && !(ctx.check && prev === 'absent')) return failure(attrs.error, { path });
  Object.assign(diff.before, attrs.before);
  Object.assign(diff.after, attrs.after);
  commands.push(...attrs.commands);
  changed ||= changedBy(attrs);
  const plan: Plan = { changed, result: { dest: path, src, ...(prev !== 'absent' ? pathInfo(st.self) : {}) } };
  if (changed) plan.apply = applyCommands(ctx, commands, path, prev === 'absent' ? 'Error while linking: ' : 'Error while replacing: ', { path });
  return finish(ctx, plan, diff);
}

export const file: Module<Record<string, any>, FileRead> = {
  name: 'file',
  schema: {
    type: 'object',
    properties: {
      path: { ...stringSchema, description: 'The path to manage (aliases dest, name).' },
      dest: stringSchema, name: stringSchema,
      state: { enum: ['file', 'directory', 'link', 'hard', 'touch', 'absent'], description: 'What the path must be; default: what it is (file when absent, directory with recurse).' },
      src: { ...stringSchema, description: 'Target of a link (state link or hard); relative to the link\'s folder for a symbolic link.' },
      recurse: { ...boolSchema, description: 'state directory: set owner/group/mode on everything below.', default: false },
      force: { ...boolSchema, description: 'Replace a file or an empty folder by a link, or make a link to a missing target.', default: false },
      follow: { ...boolSchema, description: 'Work on the target of a symbolic link (false: the link itself).', default: true },
      modification_time: { ...stringSchema, description: "'now', 'preserve' or a time in modification_time_format." },
      modification_time_format: { ...stringSchema, description: 'strptime format of modification_time.', default: '%Y%m%d%H%M.%S' },
      access_time: { ...stringSchema, description: "'now', 'preserve' or a time in access_time_format." },
      access_time_format: { ...stringSchema, description: 'strptime format of access_time.', default: '%Y%m%d%H%M.%S' },
      _original_basename: stringSchema,
      _diff_peek: boolSchema,
      ...fileAttributeProperties,
      mode: { ...modeSchema, description: 'Octal (quote it) or symbolic (u+rwx,g-w).' },
      attributes: { ...stringSchema, description: 'ext2 attributes (chattr): =flags, +flags or -flags (alias attr).' },
      attr: stringSchema,
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Set the state of a path as Ansible\'s file: file (must exist; sets attributes), directory (each missing folder is made with the attributes; recurse applies them to the tree), link (symbolic; src relative to the link\'s folder), hard, touch (create or update times), absent (removes files and whole trees). owner/group/mode, ext2 attributes and modification/access times. The result always has Ansible\'s diff dict (before/after path, state, mode, owner, group, times).',
    returns: {
      path: 'the path (file, directory, absent)', dest: 'the path (link, hard, touch)', src: 'link target (link, hard)',
      state: 'what the path is now', mode: 'mode (0%03o)', owner: 'owner name', group: 'group name', uid: 'owner id', gid: 'group id', size: 'size',
      diff: 'before/after dicts (path, state, mode, owner, group, attributes, mtime, atime)', appears_binary: 'with _diff_peek',
    },
    example: [
      '- name: Spool folder',
      '  file:',
      '    path: /var/spool/uxsv',
      '    state: directory',
      '    owner: mail',
      "    mode: 'u=rwx,g=rx,o='",
    ].join('\n'),
  },
  read: readFile,
  readAhead: (_ctx, args) => readAheadRequests(fileArgs(args)),
  plan: planFile,
};
