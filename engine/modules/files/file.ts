/**
 * file: the state of a path (file, directory, link, hard link, touched,
 * absent) and its owner/group/mode, as Ansible's file module.
 */
import { posix } from 'node:path';
import type { FileDiff, Module, ModuleContext, Plan } from '../types.js';
import { attributeDiff, isSymbolicMode, readFileStates, RemoteCommandError, resolveMode, type RemoteFileState } from '../lib/fileops.js';
import { quote } from '../../connection/quote.js';
import { boolSchema, fileAttributeProperties, pick, stringSchema, text, toBool } from '../lib/args.js';
import { attributeChange, hasChanges, runAttributeCommands, wantedAttributes, type AttributeChange } from './common.js';

type FileStateName = 'file' | 'directory' | 'link' | 'hard' | 'touch' | 'absent';

interface FileState {
  /** lstat of the path. */
  self: RemoteFileState;
  /** stat of the path following links (for follow and state=file on a link). */
  followed: RemoteFileState;
  /** The link source (link/hard), resolved against the link's folder. */
  src?: RemoteFileState;
  /** For recurse: everything below a directory, as [type, mode, uid, gid, owner, group]. */
  tree?: TreeEntry[];
}

interface TreeEntry { type: string; mode: string; uid: number; gid: number; owner: string; group: string }

interface FileArgs {
  path: string;
  state?: FileStateName;
  src?: string;
  recurse: boolean;
  force: boolean;
  follow: boolean;
}

function normalise(args: Record<string, any>): FileArgs {
  return {
    path: String(pick(args, 'path', 'dest', 'name')),
    state: args.state,
    src: text(args.src),
    recurse: toBool(args.recurse, false),
    force: toBool(args.force, false),
    follow: toBool(args.follow, true),
  };
}

/** What Ansible calls prev_state. */
function previousState(self: RemoteFileState): 'absent' | 'file' | 'directory' | 'link' | 'hard' {
  if (!self.exists) return 'absent';
  if (self.type === 'link') return 'link';
  if (self.type === 'directory') return 'directory';
  return 'file';
}

function linkSource(a: FileArgs): string | undefined {
  if (a.src === undefined) return undefined;
  return posix.isAbsolute(a.src) ? a.src : posix.join(posix.dirname(a.path), a.src);
}

async function readTree(ctx: ModuleContext, path: string): Promise<TreeEntry[]> {
  const res = await ctx.run(`find ${quote(path)} -mindepth 1 -printf '%y %m %U %G %u %g\\n'`);
  if (res.rc !== 0) throw new RemoteCommandError(`cannot list ${path}: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
  return res.stdout.toString().split('\n').filter(Boolean).map((line) => {
    const [type, mode, uid, gid, owner, group] = line.split(' ');
    return { type: type!, mode: mode!.padStart(4, '0'), uid: Number(uid), gid: Number(gid), owner: owner!, group: group! };
  });
}

function failure(msg: string, path: string): Plan {
  return { changed: false, failed: true, msg, result: { path } };
}

export const file: Module<Record<string, any>, FileState> = {
  name: 'file',
  schema: {
    type: 'object',
    properties: {
      path: stringSchema, dest: stringSchema, name: stringSchema,
      state: { enum: ['file', 'directory', 'link', 'hard', 'touch', 'absent'] },
      src: stringSchema, recurse: boolSchema, force: boolSchema, follow: boolSchema,
      modification_time: stringSchema, access_time: stringSchema,
      modification_time_format: stringSchema, access_time_format: stringSchema,
      ...fileAttributeProperties,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'Set the state of a path: file (must exist; sets attributes), directory (mkdir -p; recurse applies owner/group/mode to the whole tree), link (symbolic, src = target), hard, touch (create or update times; always changed), absent (removes files and whole trees). mode takes a quoted octal string \'0644\', an unquoted YAML 1.1 octal 0644, or symbolic u+rwx,g-w.',
    returns: { path: 'the path', state: 'the resulting state', mode: 'octal mode', owner: 'owner', group: 'group', src: 'link target (link/hard)' },
    example: [
      '- name: Spool folder',
      '  file:',
      '    path: /var/spool/uxsv',
      '    state: directory',
      '    owner: mail',
      "    mode: 'u=rwx,g=rx,o='",
    ].join('\n'),
  },
  async read(ctx, args) {
    const a = normalise(args);
    const src = (a.state === 'link' || a.state === 'hard') ? linkSource(a) : undefined;
    const paths = [a.path, a.path, ...(src ? [src] : [])];
    const [self, followed, srcState] = await readFileStates(ctx, paths, { follow: [false, true, true] });
    if (!self || !followed) throw new Error(`cannot stat ${a.path}`);
    const state: FileState = { self, followed, ...(srcState ? { src: srcState } : {}) };
    if (a.recurse && followed.type === 'directory') state.tree = await readTree(ctx, a.path);
    return state;
  },
  plan(ctx, args, st) {
    const a = normalise(args);
    const prev = previousState(st.self);
    const wanted = wantedAttributes(args);
    const state: FileStateName = a.state ?? (prev === 'absent' ? (a.recurse ? 'directory' : 'file') : prev === 'hard' ? 'file' : prev);
    if (a.recurse && state !== 'directory') return failure('recurse option requires state to be \'directory\'', a.path);
    if ((state === 'link' || state === 'hard') && a.src === undefined) return failure(`src is required for creating new ${state === 'link' ? 'symlinks' : 'hard links'}`, a.path);
    switch (state) {
      case 'absent': return planAbsent(ctx, a, st, prev);
      case 'file': return planFile(ctx, a, st, prev, wanted);
      case 'directory': return planDirectory(ctx, a, st, prev, wanted);
      case 'touch': return planTouch(ctx, a, st, prev, wanted);
      case 'link': return planLink(ctx, a, st, prev, wanted);
      case 'hard': return planHard(ctx, a, st, prev, wanted);
    }
  },
};

function stateDiff(ctx: ModuleContext, path: string, before: Record<string, unknown>, after: Record<string, unknown>): FileDiff[] | undefined {
  if (!ctx.diff) return undefined;
  return [attributeDiff(path, { path, ...before }, { path, ...after })];
}

function resultFor(path: string, state: string, target: RemoteFileState | undefined, change: AttributeChange | undefined): Record<string, unknown> {
  return {
    path,
    state,
    ...(target?.exists || change ? {
      mode: change?.changes.mode ?? target?.mode,
      owner: change?.changes.owner ?? target?.owner,
      group: change?.changes.group ?? target?.group,
      uid: target?.uid,
      gid: target?.gid,
      size: target?.size,
    } : {}),
  };
}

function planAbsent(ctx: ModuleContext, a: FileArgs, st: FileState, prev: string): Plan {
  if (prev === 'absent') return { changed: false, result: { path: a.path, state: 'absent' } };
  return {
    changed: true,
    diff: stateDiff(ctx, a.path, { state: prev }, { state: 'absent' }),
    result: { path: a.path, state: 'absent' },
    apply: async () => {
      const res = await ctx.run(`rm -rf -- ${quote(a.path)}`);
      if (res.rc !== 0) throw new RemoteCommandError(`rmtree failed: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
    },
  };
}

/** Attribute-only plan on an existing path. */
function attributesPlan(ctx: ModuleContext, path: string, stateName: string, target: RemoteFileState, change: AttributeChange, options: { recurse?: boolean; follow?: boolean; treeChanged?: boolean } = {}): Plan {
  const changed = hasChanges(change) || !!options.treeChanged;
  const plan: Plan = { changed, result: resultFor(path, stateName, target, change) };
  if (!changed) return plan;
  plan.diff = stateDiff(ctx, path, change.before, change.after);
  plan.apply = async () => { await runAttributeCommands(ctx, path, change.changes, options); };
  return plan;
}

function planFile(ctx: ModuleContext, a: FileArgs, st: FileState, prev: string, wanted: ReturnType<typeof wantedAttributes>): Plan {
  if (prev === 'absent') return failure(`file (${a.path}) is absent, cannot continue`, a.path);
  const target = a.follow && prev === 'link' ? st.followed : st.self;
  if (target.type !== 'file' && !(prev === 'link' && !a.follow)) return failure(`file (${a.path}) is ${target.type === 'directory' ? 'directory' : prev}, cannot continue`, a.path);
  return attributesPlan(ctx, a.path, 'file', target, attributeChange(target, wanted), { follow: a.follow });
}

function planDirectory(ctx: ModuleContext, a: FileArgs, st: FileState, prev: string, wanted: ReturnType<typeof wantedAttributes>): Plan {
  const target = a.follow && prev === 'link' ? st.followed : st.self;
  if (prev === 'absent') {
    const change = attributeChange(undefined, wanted, true);
    return {
      changed: true,
      diff: stateDiff(ctx, a.path, { state: 'absent' }, { state: 'directory', ...change.after }),
      result: resultFor(a.path, 'directory', undefined, change),
      apply: async () => {
        const res = await ctx.run(`mkdir -p -- ${quote(a.path)}`);
        if (res.rc !== 0) throw new RemoteCommandError(`There was an issue creating ${a.path} as requested: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
        await runAttributeCommands(ctx, a.path, change.changes, { recurse: a.recurse });
      },
    };
  }
  if (target.type !== 'directory') return failure(`${a.path} already exists as a ${prev}`, a.path);
  const change = attributeChange(target, wanted, true);
  const treeChanged = a.recurse && (st.tree ?? []).some((entry) => hasChanges(attributeChange(
    { path: '', exists: true, mode: entry.mode, uid: entry.uid, gid: entry.gid, owner: entry.owner, group: entry.group },
    wanted,
    entry.type === 'd',
  )));
  if (!a.recurse || !(hasChanges(change) || treeChanged)) return attributesPlan(ctx, a.path, 'directory', target, change);
  // Recursing re-applies every given attribute to the whole tree; a symbolic
  // mode stays symbolic so chmod -R computes it per entry, as Ansible does.
  const recursive: AttributeChange['changes'] = { owner: wanted.owner, group: wanted.group };
  if (wanted.mode !== undefined) recursive.mode = isSymbolicMode(wanted.mode) ? String(wanted.mode) : resolveMode(wanted.mode, undefined, true);
  return attributesPlan(ctx, a.path, 'directory', target, { ...change, changes: recursive }, { recurse: true, treeChanged });
}

function planTouch(ctx: ModuleContext, a: FileArgs, st: FileState, prev: string, wanted: ReturnType<typeof wantedAttributes>): Plan {
  const target = a.follow && prev === 'link' ? st.followed : st.self;
  const isDir = target.type === 'directory';
  const change = attributeChange(target.exists ? target : undefined, wanted, isDir);
  return {
    changed: true,
    diff: stateDiff(ctx, a.path, { state: prev, ...change.before }, { state: prev === 'absent' ? 'touch' : prev, ...change.after }),
    result: resultFor(a.path, prev === 'absent' ? 'file' : prev, target, change),
    apply: async () => {
      const res = await ctx.run(`touch ${a.follow ? '' : '-h '}-- ${quote(a.path)}`);
      if (res.rc !== 0) throw new RemoteCommandError(`Error, could not touch target: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
      await runAttributeCommands(ctx, a.path, change.changes, { follow: a.follow });
    },
  };
}

function planLink(ctx: ModuleContext, a: FileArgs, st: FileState, prev: string, wanted: ReturnType<typeof wantedAttributes>): Plan {
  const src = a.src!;
  if (!a.force && st.src && !st.src.exists) {
    return failure(`src file does not exist, use "force=yes" if you really want to create the link: ${linkSource(a)}`, a.path);
  }
  // Links have no mode of their own; owner/group are set with chown -h.
  const ownership = { owner: wanted.owner, group: wanted.group };
  if (prev === 'link' && st.self.linkTarget === src) {
    return attributesPlan(ctx, a.path, 'link', st.self, attributeChange(st.self, ownership), { follow: false });
  }
  if (prev === 'directory') {
    if (!a.force) return failure(`refusing to convert from directory to symlink for ${a.path}`, a.path);
  } else if ((prev === 'file' || prev === 'hard') && !a.force) {
    return failure(`refusing to convert from ${prev} to symlink for ${a.path}`, a.path);
  }
  const change = attributeChange(undefined, ownership);
  return {
    changed: true,
    diff: stateDiff(ctx, a.path, { state: prev, ...(prev === 'link' ? { src: st.self.linkTarget } : {}) }, { state: 'link', src }),
    result: { path: a.path, state: 'link', src },
    apply: async () => {
      // A directory in the way must be empty (rmdir refuses otherwise, as Ansible does).
      const clear = prev === 'directory' ? `rmdir -- ${quote(a.path)} && ` : '';
      const res = await ctx.run(`${clear}ln -sfn -- ${quote(src)} ${quote(a.path)}`);
      if (res.rc !== 0) throw new RemoteCommandError(`Error while linking: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
      await runAttributeCommands(ctx, a.path, change.changes, { follow: false });
    },
  };
}

function planHard(ctx: ModuleContext, a: FileArgs, st: FileState, prev: string, wanted: ReturnType<typeof wantedAttributes>): Plan {
  const src = linkSource(a)!;
  if (!st.src?.exists) return failure(`src does not exist: ${src}`, a.path);
  const same = st.self.exists && st.self.inode === st.src.inode && st.self.dev === st.src.dev;
  if (same) return attributesPlan(ctx, a.path, 'hard', st.self, attributeChange(st.self, wanted), {});
  if (prev === 'directory') return failure(`refusing to convert from directory to hard link for ${a.path}`, a.path);
  if (prev !== 'absent' && !a.force) return failure(`Cannot link, ${prev} exists at destination`, a.path);
  const change = attributeChange(st.src, wanted);
  return {
    changed: true,
    diff: stateDiff(ctx, a.path, { state: prev }, { state: 'hard', src }),
    result: { path: a.path, state: 'hard', src },
    apply: async () => {
      const res = await ctx.run(`ln -f -- ${quote(src)} ${quote(a.path)}`);
      if (res.rc !== 0) throw new RemoteCommandError(`Error while linking: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
      await runAttributeCommands(ctx, a.path, change.changes);
    },
  };
}
