/**
 * copy: put inline content, a local file or a local folder (looked up in the
 * role's files/), or a file or folder already on the host (remote_src), at
 * `dest`, as Ansible's copy action and module do.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { posix } from 'node:path';
import type { FileDiff, Module, ModuleContext, Plan, ReadAheadContext } from '../types.js';
import { readFacts, type FactRequest } from '../../facts/index.js';
import { fileFact, type FileQuery, type RemoteFileState } from '../../facts/file.js';
import { identityFact, type Identities } from '../../facts/identity.js';
import { quote } from '../../connection/quote.js';
import { pyJsonDumps } from '../../template/serialize.js';
import { boolSchema, fileAttributeProperties, modeSchema, pick, text, toBool } from '../lib/args.js';
import { ansibleMode, attributeChange, attributeDiffEntry, hasChanges, runAttributeCommands, wantedAttributes, type AttributeChange, type WantedAttributes } from './common.js';
import {
  applyPut, decidePut, isChange, makeFolders, planPut, plannedResult, probePaths, readDiffContent, type PutDecision, type PutOptions, type PutState, type SourceFile,
} from './copy-local.js';
import { walkLocalTree } from './copy-tree.js';
import { LocalSourceError, readLocalSource } from './local-source.js';
import { planRemoteCopy, readRemoteCopy, type RemoteCopyState } from './copy-remote.js';

export interface CopyArgs {
  dest?: string;
  src?: string;
  content?: unknown;
  remoteSrc: boolean;
  force: boolean;
  backup: boolean;
  validate?: string;
  directoryMode?: string | number;
  localFollow: boolean;
  /** local_follow was given (remote folder copies treat links by it only then). */
  localFollowGiven: boolean;
  follow: boolean;
  checksum?: string;
  /** Decrypt vault-encrypted local sources (default true). */
  decrypt: boolean;
  attributes: WantedAttributes;
}

export function copyArgs(args: Record<string, any>): CopyArgs {
  return {
    dest: text(args.dest),
    src: text(args.src),
    content: args.content,
    remoteSrc: toBool(args.remote_src, false),
    force: toBool(pick(args, 'force', 'thirsty'), true),
    backup: toBool(args.backup, false),
    validate: text(args.validate),
    directoryMode: pick<string | number>(args, 'directory_mode'),
    localFollow: toBool(args.local_follow, true),
    localFollowGiven: args.local_follow !== undefined && args.local_follow !== null,
    follow: toBool(args.follow, false),
    checksum: text(args.checksum),
    decrypt: toBool(args.decrypt, true),
    attributes: wantedAttributes(args),
  };
}

/** The copy action's own checks, before anything is read. */
export function argumentError(a: CopyArgs): string | undefined {
  // Ansible tests truthiness: an empty src is no src.
  if (!a.src && a.content === undefined) return 'src (or content) is required';
  if (a.dest === undefined || a.dest === '') return 'dest is required';
  if (a.src && a.content !== undefined) return 'src and content are mutually exclusive';
  if (a.content !== undefined && a.dest.endsWith('/')) return 'can not use content with a dir as dest';
  if (a.validate !== undefined && !a.validate.includes('%s')) return `validate must contain %s: ${a.validate}`;
  return undefined;
}

/** content as Ansible writes it: text as is, a dict or list as Python's json.dumps. */
export function contentBytes(content: unknown): Buffer {
  if (typeof content === 'object' && content !== null) return Buffer.from(pyJsonDumps(content), 'utf8');
  return Buffer.from(text(content) ?? '', 'utf8');
}

function localMode(path: string): string {
  return ansibleMode((statSync(path).mode & 0o7777).toString(8))!;
}

export interface LocalCopyState {
  kind: 'local';
  error?: string;
  /** dest as the action uses it (a / added for a folder source). */
  dest: string;
  /** The source as shown in results. */
  src?: string;
  isTree: boolean;
  files: Array<{ item: SourceFile; state: PutState }>;
  directories: Array<{ path: string; state: RemoteFileState }>;
  symlinks: Array<{ target: string; path: string; state: RemoteFileState }>;
  ids?: Identities;
}

export type CopyState = LocalCopyState | RemoteCopyState;

/**
 * The file queries of one SourceFile (see PutState), and how to put the
 * answers back together. No content: a diff's is read afterwards, only for
 * the files that differ (readDiffContent).
 */
export function putQueries(dest: string, item: Pick<SourceFile, 'rel'>): FileQuery[] {
  const { destFile, nested } = probePaths({ dest }, item);
  return [
    { path: destFile, follow: false, checksum: false }, { path: destFile, follow: true }, { path: posix.dirname(destFile) },
    { path: nested, follow: false, checksum: false }, { path: nested, follow: true }, { path: posix.dirname(nested) },
  ];
}

export function putState(states: RemoteFileState[]): PutState {
  const [a, b, c, d, e, f] = states;
  return { destFile: { self: a!, followed: b!, parent: c! }, nested: { self: d!, followed: e!, parent: f! } };
}

/** Identity lookups for owner/group names (for the diff's numeric ids). */
export function identityRequest(attributes: WantedAttributes): FactRequest | undefined {
  const users = attributes.owner !== undefined && !/^\d+$/.test(attributes.owner) ? [attributes.owner] : [];
  const groups = attributes.group !== undefined && !/^\d+$/.test(attributes.group) ? [attributes.group] : [];
  return users.length || groups.length ? [identityFact, { users, groups }] : undefined;
}

type LocalItems = { dirs: string[]; links: Array<[string, string]>; dest: string; src?: string; isTree: boolean };

/** The reads of a copy from the controller: every file, folder and link at the destination, and the ids of owner and group. */
function localCopyRequests(a: CopyArgs, items: Array<Pick<SourceFile, 'rel'>>, extra: LocalItems): FactRequest[] {
  const queries = [
    ...items.flatMap((item) => putQueries(extra.dest, item)),
    ...extra.dirs.map((path) => ({ path })),
    ...extra.links.map(([, path]) => ({ path, follow: false, checksum: false as const })),
  ];
  const ids = identityRequest(a.attributes);
  return ids ? [[fileFact, queries], ids] : [[fileFact, queries]];
}

/** One round trip for every file, folder and link of the copy (and one more in diff mode for the content of the files that differ). */
async function readLocalCopy(ctx: ModuleContext, a: CopyArgs, items: SourceFile[], extra: LocalItems): Promise<LocalCopyState> {
  const [states, identities] = await readFacts(ctx, localCopyRequests(a, items, extra) as never) as unknown as [RemoteFileState[], Identities?];
  let files = items.map((item, i) => ({ item, state: putState(states.slice(i * 6, i * 6 + 6)) }));
  if (ctx.diff) {
    const o = localPutOptions(a, extra);
    const withContent = await readDiffContent(ctx, files.map(({ item, state }) => ({ o, item, state })));
    files = files.map((file, i) => ({ ...file, state: withContent[i]! }));
  }
  let at = items.length * 6;
  const directories = extra.dirs.map((path) => ({ path, state: states[at++]! }));
  const symlinks = extra.links.map(([target, path]) => ({ target, path, state: states[at++]! }));
  return { kind: 'local', dest: extra.dest, src: extra.src, isTree: extra.isTree, files, directories, symlinks, ...(identities ? { ids: identities } : {}) };
}

/**
 * What a copy of inline content or of one controller file reads (as
 * readCopy does); a folder or a remote source is left to its read.
 */
function copyReadAhead(ctx: ReadAheadContext, args: Record<string, any>): FactRequest[] | undefined {
  const a = copyArgs(args);
  if (argumentError(a) || a.remoteSrc) return undefined;
  const single = (rel: string, src?: string) => localCopyRequests(a, [{ rel }], { dirs: [], links: [], dest: a.dest!, src, isTree: false });
  if (a.content !== undefined) return single('content');
  const src = ctx.findFile('files', a.src!);
  if (a.src!.endsWith('/') || statSync(src).isDirectory()) return undefined;
  return single(basename(src), src);
}

async function readCopy(ctx: ModuleContext, args: Record<string, any>): Promise<CopyState> {
  const a = copyArgs(args);
  const error = argumentError(a);
  const failed = (msg: string): LocalCopyState => ({ kind: 'local', error: msg, dest: a.dest ?? '', isTree: false, files: [], directories: [], symlinks: [] });
  if (error) return failed(error);
  const dest = a.dest!;
  if (a.content !== undefined) {
    const item: SourceFile = { rel: 'content', bytes: contentBytes(a.content) };
    return readLocalCopy(ctx, a, [item], { dirs: [], links: [], dest, isTree: false });
  }
  if (a.remoteSrc) return readRemoteCopy(ctx, a);
  let src: string;
  try {
    src = ctx.findFile('files', a.src!);
  } catch (err) {
    return failed(err instanceof Error ? err.message : String(err));
  }
  // The lookup drops a trailing slash; it still means "the folder's contents".
  if (a.src!.endsWith('/') && !src.endsWith('/')) src = `${src}/`;
  try {
    if (!statSync(src).isDirectory()) {
      const item: SourceFile = { rel: basename(src), bytes: readLocalSource(src, a.decrypt), localPath: src, localMode: localMode(src) };
      return await readLocalCopy(ctx, a, [item], { dirs: [], links: [], dest, src, isTree: false });
    }
  } catch (error) {
    if (error instanceof LocalSourceError) return failed(error.message);
    throw error;
  }
  const tree = walkLocalTree(src, a.localFollow);
  const treeDest = dest.endsWith('/') ? dest : `${dest}/`;
  let items: SourceFile[];
  try {
    items = tree.files.map(([path, rel]): SourceFile => ({ rel, bytes: readLocalSource(path, a.decrypt), localPath: path, localMode: localMode(path) }));
  } catch (error) {
    if (error instanceof LocalSourceError) return failed(error.message);
    throw error;
  }
  return readLocalCopy(ctx, a, items, {
    dirs: tree.directories.map(([, rel]) => posix.join(treeDest, rel)),
    links: tree.symlinks.map(([target, rel]) => [target, posix.join(treeDest, rel)]),
    dest: treeDest,
    src,
    isTree: true,
  });
}

/** How a file from the controller is put (copy's arguments; template puts its rendered file the same way). */
export function putOptions(a: CopyArgs, dest: string, isContent: boolean, follow: boolean): PutOptions {
  return {
    dest, force: a.force, follow, backup: a.backup, validate: a.validate, checksum: a.checksum,
    attributes: a.attributes, isContent, directoryMode: a.directoryMode,
  };
}

/** How a copy from the controller puts its files: each file of a folder as a file into it, a single file (or content) as asked. */
function localPutOptions(a: CopyArgs, st: Pick<LocalCopyState, 'dest' | 'isTree'>): PutOptions {
  return st.isTree ? putOptions(a, st.dest, false, false) : putOptions(a, st.dest, a.content !== undefined, a.follow);
}

/** A folder of a copied tree: created (with directory_mode) or its attributes fixed, as the file module would. */
function folderChange(state: RemoteFileState, a: CopyArgs, ids?: Identities): { missing: boolean; change: AttributeChange } {
  const wanted: WantedAttributes = { mode: a.directoryMode, owner: a.attributes.owner, group: a.attributes.group };
  return { missing: !state.exists, change: attributeChange(state.exists ? state : undefined, wanted, true, ids) };
}

function planTree(ctx: ModuleContext, a: CopyArgs, st: LocalCopyState): Plan {
  const o = localPutOptions(a, st);
  const decisions: Array<{ file: LocalCopyState['files'][number]; d: PutDecision }> = st.files.map((file) => ({ file, d: decidePut(o, file.item, file.state, ctx.diff, st.ids) }));
  const failed = decisions.find(({ d }) => d.kind === 'fail');
  if (failed && failed.d.kind === 'fail') return { changed: false, failed: true, msg: failed.d.msg };
  const folders = st.directories.map(({ path, state }) => ({ path, ...folderChange(state, a, st.ids) }));
  const links = st.symlinks.filter(({ target, state }) => !(state.type === 'link' && state.linkTarget === target));
  const changed = decisions.some(({ d }) => isChange(d)) || folders.some((f) => f.missing || hasChanges(f.change)) || links.length > 0;
  const diff: FileDiff[] = [];
  for (const { d } of decisions) if (d.kind === 'write' && d.diff) diff.push(d.diff);
  for (const f of folders) {
    if (!ctx.diff) continue;
    if (f.missing) diff.push(attributeDiffEntry({ path: f.path, state: 'absent' }, { path: f.path, state: 'directory', ...f.change.after }));
    else if (hasChanges(f.change)) diff.push(attributeDiffEntry({ path: f.path, ...f.change.before }, { path: f.path, ...f.change.after }));
  }
  const plan: Plan = { changed, result: { dest: st.dest, src: st.src } };
  if (diff.length) plan.diff = diff;
  if (!changed) return plan;
  plan.apply = async () => {
    // Folders first (the module creates them on the way), then files, then links.
    await makeFolders(ctx, folders.filter((f) => f.missing).map((f) => f.path), { directoryMode: a.directoryMode, attributes: a.attributes });
    for (const f of folders) if (!f.missing && hasChanges(f.change)) await runAttributeCommands(ctx, f.path, f.change.changes);
    for (const { file, d } of decisions) {
      const out = await applyPut(ctx, o, file.item, d);
      if (out.failed) return out;
    }
    if (links.length) {
      const res = await ctx.run(links.map(({ target, path }) => `ln -sfn -- ${quote(target)} ${quote(path)}`).join(' && '));
      if (res.rc !== 0) return { failed: true, changed: false, msg: `Error while linking: ${res.stderr.toString().trim()}` };
    }
    return {};
  };
  return plan;
}

function planCopy(ctx: ModuleContext, args: Record<string, any>, state: CopyState): Plan {
  const a = copyArgs(args);
  if (state.kind === 'remote') return planRemoteCopy(ctx, a, state);
  if (state.error) return { changed: false, failed: true, msg: state.error };
  if (state.isTree) return planTree(ctx, a, state);
  const file = state.files[0]!;
  return planPut(ctx, localPutOptions(a, state), file.item, file.state, state.ids);
}

export const copySchemaProperties = {
  dest: { type: 'string', description: 'Where to put the file; a path ending in / (or an existing folder) receives dest/<basename of src>.' },
  src: { type: 'string', description: 'Local file or folder (looked up in the role\'s files/); with remote_src, a path on the host. A folder ending in / copies its contents.' },
  backup: { ...boolSchema, description: 'Keep the replaced file as dest.<pid>.<timestamp>~ (backup_file).', default: false },
  force: { ...boolSchema, description: 'Replace a file whose content differs; false only creates missing files (alias thirsty).', default: true },
  thirsty: boolSchema,
  validate: { type: 'string', description: 'A command with %s run on the new file before it replaces dest.' },
  directory_mode: { ...modeSchema, description: 'Mode of folders created for a folder copy.' },
  follow: { ...boolSchema, description: 'A dest that is a symbolic link: write its target. Otherwise the link itself is replaced by the file.', default: false },
  local_follow: { ...boolSchema, description: 'Follow symbolic links in a local source folder (else copy them as links).', default: true },
  checksum: { type: 'string', description: 'sha1 the source must have; the copy fails otherwise.' },
  decrypt: boolSchema,
  ...fileAttributeProperties,
  mode: { ...modeSchema, description: 'Mode of the file: octal (quote it), symbolic (u+rw), or preserve (the source\'s).' },
};

export const copy: Module<Record<string, any>, CopyState> = {
  name: 'copy',
  schema: {
    type: 'object',
    properties: {
      ...copySchemaProperties,
      content: { description: 'Inline content instead of src (a dict or list is written as JSON).' },
      remote_src: { ...boolSchema, description: 'src is on the host (a file or a folder).', default: false },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Copy inline `content`, a local file or folder (looked up in the role\'s files/ folder) or, with remote_src, a file or folder on the host to `dest`, as Ansible\'s copy. Written atomically and checked (size, sha1) on the host before it replaces the old file; a dest that is a symbolic link is replaced by the file unless follow: yes. `validate` checks the new file first; force: false never replaces an existing file.',
    returns: {
      dest: 'the file written', src: 'the source', checksum: 'sha1 of the content', md5sum: 'md5 of the content (when written)',
      size: 'bytes', mode: 'mode (0%03o)', owner: 'owner name', group: 'group name', uid: 'owner id', gid: 'group id', state: 'file',
      backup_file: 'backup path, when backup is set and a file was replaced',
    },
    example: [
      '- name: Install the exim configuration',
      '  copy:',
      '    src: exim4.conf',
      '    dest: /etc/exim4/exim4.conf',
      "    mode: '0644'",
      '    validate: exim -bV -C %s',
      '    backup: true',
    ].join('\n'),
  },
  read: readCopy,
  readAhead: copyReadAhead,
  plan: planCopy,
};

export { plannedResult };
