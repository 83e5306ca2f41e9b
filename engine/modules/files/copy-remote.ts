/**
 * copy with remote_src: the source is already on the host. A file is copied
 * beside the destination, checked against the source's size and sha1 as read
 * before, and renamed over it (keeping the source's times, as copystat). A
 * folder is copied as Ansible's module does it: a new tree as a whole (links
 * kept), an existing one by adding what is missing and replacing files whose
 * content differs.
 */
import { posix } from 'node:path';
import type { FileDiff, ModuleContext, Plan } from '../types.js';
import { readFacts } from '../../facts/index.js';
import { fileFact, parseStatLineIn, statLineCommand, type RemoteFileState } from '../../facts/file.js';
import { treeFact, type Tree, type TreeEntry } from '../../facts/tree.js';
import type { Identities } from '../../facts/identity.js';
import { quote } from '../../connection/quote.js';
import { resolveMode, ValidationError, writeFileAtomic, RemoteCommandError } from '../lib/fileops.js';
import { ansibleMode, attributeChange, hasChanges, pathInfo, runAttributeCommands } from './common.js';
import type { CopyArgs } from './copy.js';
import { identityRequest } from './copy.js';
import { makeFolders, validationKeys } from './copy-local.js';

export interface RemoteCopyState {
  kind: 'remote';
  src: RemoteFileState;
  /** md5 of a regular source (Ansible's md5sum). */
  srcMd5?: string;
  /** dest as given, dest/basename(src), and their parents. */
  dest: RemoteFileState;
  destSelf: RemoteFileState;
  nested: RemoteFileState;
  nestedSelf: RemoteFileState;
  destParent: RemoteFileState;
  nestedParent: RemoteFileState;
  /** For a folder source: the source tree and the destination trees it may land in. */
  srcTree?: Tree;
  destTree?: Tree;
  nestedTree?: Tree;
  ids?: Identities;
}

export async function readRemoteCopy(ctx: ModuleContext, a: CopyArgs): Promise<RemoteCopyState> {
  const src = a.src!;
  const dest = a.dest!;
  const nested = posix.join(dest, posix.basename(src));
  const queries = [
    { path: src, access: true }, { path: src, checksum: 'md5' as const },
    { path: dest }, { path: dest, follow: false, checksum: false as const },
    { path: nested }, { path: nested, follow: false, checksum: false as const },
    { path: posix.dirname(dest.replace(/\/+$/, '') || '/') }, { path: posix.dirname(nested) },
  ];
  const ids = identityRequest(a.attributes);
  const trees = [
    [treeFact, { path: src, checksums: true }],
    [treeFact, { path: dest, checksums: true }],
    [treeFact, { path: nested, checksums: true }],
  ] as const;
  const [states, srcTree, destTree, nestedTree, identities] = await readFacts(ctx, [[fileFact, queries], ...trees, ...(ids ? [ids] : [])] as const) as unknown as
    [RemoteFileState[], Tree, Tree, Tree, Identities | undefined];
  const [srcState, srcMd5, destState, destSelf, nestedState, nestedSelf, destParent, nestedParent] = states;
  return {
    kind: 'remote', src: srcState!, srcMd5: srcMd5!.checksum, dest: destState!, destSelf: destSelf!, nested: nestedState!, nestedSelf: nestedSelf!,
    destParent: destParent!, nestedParent: nestedParent!,
    ...(srcState!.type === 'directory' ? { srcTree, destTree, nestedTree } : {}),
    ...(identities ? { ids: identities } : {}),
  };
}

export function planRemoteCopy(ctx: ModuleContext, a: CopyArgs, st: RemoteCopyState): Plan {
  const src = a.src!;
  if (!st.src.exists || st.src.dangling) return { changed: false, failed: true, msg: `Source ${src} not found` };
  if (!st.src.access?.readable) return { changed: false, failed: true, msg: `Source ${src} not readable` };
  if (st.src.type === 'directory') return planRemoteTree(ctx, a, st);
  if (st.src.type !== 'file') return { changed: false, failed: true, msg: `Cannot copy invalid source '${src}': not a file` };
  const checksum = st.src.sha1;
  if (a.checksum !== undefined && a.checksum !== checksum) {
    return { changed: false, failed: true, msg: 'Copied file does not match the expected checksum. Transfer failed.', result: { checksum, expected_checksum: a.checksum } };
  }
  let dest = a.dest!;
  let target = st.dest;
  let self = st.destSelf;
  let parent = st.destParent;
  let createParents = false;
  const destIsDir = st.dest.exists && st.dest.type === 'directory' && !st.dest.dangling;
  // dest ending in / is a folder (made when missing); an existing folder receives dest/basename(src).
  if (dest.endsWith('/') || destIsDir) {
    createParents = dest.endsWith('/') && !destIsDir;
    dest = posix.join(dest, posix.basename(src));
    target = st.nested;
    self = st.nestedSelf;
    parent = st.nestedParent;
  }
  const exists = target.exists && !target.dangling;
  if (exists && self.type === 'link' && a.follow && self.realPath) dest = self.realPath;
  const base = { dest, src, md5sum: st.srcMd5, checksum };
  if (exists && !a.force) return { changed: false, msg: 'file already exists', result: { src, dest } };
  if (!exists && !parent.exists && !createParents) {
    return { changed: false, failed: true, msg: `Destination directory ${posix.dirname(dest)} does not exist`, result: { checksum } };
  }
  const mode = a.attributes.mode === 'preserve' ? ansibleMode(st.src.mode) : a.attributes.mode;
  const contentChanged = !exists || target.type !== 'file' || target.sha1 !== checksum || (self.type === 'link' && !a.follow);
  const attrs = attributeChange(exists ? target : undefined, { ...a.attributes, mode }, false, st.ids);
  const changed = contentChanged || hasChanges(attrs);
  // The module reports the destination as it is (before in check mode, after once applied).
  const plan: Plan = { changed, result: { ...base, ...pathInfo(exists ? { ...self, exists: true } : undefined) } };
  if (!changed) return plan;
  plan.apply = async () => {
    if (!contentChanged) return pathInfo(await runAttributeCommands(ctx, dest, attrs.changes));
    if (createParents) await makeFolders(ctx, [posix.dirname(dest)], { directoryMode: a.directoryMode, attributes: a.attributes });
    try {
      const written = await writeFileAtomic(ctx, dest, Buffer.alloc(0), {
        sourcePath: src,
        expect: { size: st.src.size ?? 0, sha1: checksum ?? '' },
        keepSourceStat: true,
        mode: resolveMode(mode, exists ? target.mode : undefined, false),
        owner: a.attributes.owner,
        group: a.attributes.group,
        validate: a.validate,
        backup: a.backup,
        followLink: false,
      });
      return { ...pathInfo(written.final), ...(written.backup_file ? { backup_file: written.backup_file } : {}) };
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { failed: true, changed: false, msg: 'failed to validate', ...validationKeys(error) };
    }
  };
  return plan;
}

/**
 * One step of a folder copy, as shell text: a folder, a file (content, mode
 * and times; `plain` = content only, as shutil.copyfile), a link, or a linked
 * folder copied through the link (copytree without links).
 */
interface TreeOp { kind: 'mkdir' | 'file' | 'link' | 'deep'; rel: string; entry: TreeEntry; plain?: boolean }

function opsFor(srcRoot: string, destRoot: string, ops: TreeOp[]): string {
  return ops.map((op) => {
    const { kind, rel, entry } = op;
    const from = quote(posix.join(srcRoot, rel));
    const to = quote(posix.join(destRoot, rel));
    if (kind === 'mkdir') return `mkdir -p -- ${to} && chmod ${entry.mode} -- ${to}`;
    if (kind === 'link') return `ln -sfn -- ${quote(entry.linkTarget ?? '')} ${to}`;
    if (kind === 'deep') return `cp -RL -- ${from} ${to}`;
    // A file: beside the destination, then renamed over it (never through a link there).
    const keep = op.plain ? `chmod "$(printf %o $((0666 & ~0$(umask))))" -- "$t"` : `chmod --reference=${from} -- "$t" && touch -r ${from} -- "$t"`;
    return `t=$(mktemp -- ${to}.uxsv.XXXXXXXX) && { cat -- ${from} > "$t" && ${keep} && mv -f -- "$t" ${to} && t= || { rm -f -- "$t"; false; }; }`;
  }).join(' &&\n');
}

/**
 * Everything of a source tree, for a destination that does not exist yet
 * (copytree: links kept unless local_follow is true, then followed).
 */
function wholeTree(tree: Tree, localFollow: boolean | undefined): TreeOp[] {
  const ops: TreeOp[] = [];
  const deep: string[] = [];
  for (const e of tree.entries) {
    if (deep.some((d) => e.rel.startsWith(`${d}/`)) || e.type === 'other') continue;
    if (e.type === 'directory') ops.push({ kind: 'mkdir', rel: e.rel, entry: e });
    else if (e.type === 'file') ops.push({ kind: 'file', rel: e.rel, entry: e });
    else if (localFollow !== true || e.targetType === 'missing' || e.targetType === 'other') ops.push({ kind: 'link', rel: e.rel, entry: e });
    else if (e.targetType === 'file') ops.push({ kind: 'file', rel: e.rel, entry: e });
    else {
      deep.push(e.rel);
      ops.push({ kind: 'deep', rel: e.rel, entry: e });
    }
  }
  return ops;
}

/**
 * What a sync of an existing destination does (filecmp.dircmp, recursively):
 * files in both whose content differs are replaced, what only the source has unknown as
 * is copied (folders as a whole), links only when local_follow says how.
 */
function syncOps(srcTree: Tree, destTree: Tree, localFollow: boolean | undefined): TreeOp[] {
  const dest = new Map(destTree.entries.map((e) => [e.rel, e]));
  const ops: TreeOp[] = [];
  const copiedDirs: string[] = [];
  for (const e of srcTree.entries) {
    if (copiedDirs.some((d) => e.rel.startsWith(`${d}/`))) continue;
    const parent = posix.dirname(e.rel);
    // Below a folder that the destination has as something else: dircmp never gets there.
    if (parent !== '.' && dest.get(parent)?.type !== 'directory' && !copiedDirs.includes(parent)) continue;
    const there = dest.get(e.rel);
    if (!there) {
      if (e.type === 'directory') {
        copiedDirs.push(e.rel);
        ops.push(...wholeTree(srcTree, localFollow).filter((op) => op.rel === e.rel || op.rel.startsWith(`${e.rel}/`)));
      } else if (e.type === 'file') ops.push({ kind: 'file', rel: e.rel, entry: e });
      else if (e.type === 'link' && localFollow === false) ops.push({ kind: 'link', rel: e.rel, entry: e });
      else if (e.type === 'link' && localFollow === true && e.targetType === 'file') ops.push({ kind: 'file', rel: e.rel, entry: e, plain: true });
      else if (e.type === 'link' && localFollow === true && e.targetType === 'directory') {
        copiedDirs.push(e.rel);
        ops.push({ kind: 'deep', rel: e.rel, entry: e });
      }
      continue;
    }
    if (e.type === 'file' && there.type === 'file' && (e.size !== there.size || e.sha1 !== there.sha1)) ops.push({ kind: 'file', rel: e.rel, entry: e });
  }
  return ops;
}

function planRemoteTree(ctx: ModuleContext, a: CopyArgs, st: RemoteCopyState): Plan {
  const src = a.src!;
  const srcTree = st.srcTree!;
  const destIsDir = st.dest.exists && st.dest.type === 'directory';
  const srcRoot = src.replace(/\/+$/, '') || '/';
  let destRoot: string;
  let ops: TreeOp[];
  let createRoot = false;
  /** copytree keeps the source folder's mode; a folder made for a sync gets the default. */
  let rootMode: string | undefined;
  const localFollow = a.localFollowGiven ? a.localFollow : undefined;
  if (a.src!.endsWith('/') && destIsDir) {
    destRoot = a.dest!;
    ops = syncOps(srcTree, st.destTree!, localFollow);
  } else if (src.endsWith('/')) {
    destRoot = a.dest!;
    createRoot = true;
    rootMode = st.src.mode;
    ops = wholeTree(srcTree, localFollow);
  } else if (destIsDir) {
    destRoot = posix.join(a.dest!, posix.basename(srcRoot));
    if (st.nestedTree!.exists) ops = syncOps(srcTree, st.nestedTree!, localFollow);
    else {
      createRoot = true;
      rootMode = st.src.mode;
      ops = wholeTree(srcTree, localFollow);
    }
  } else {
    // A new destination receives the folder itself, filled like an existing one.
    destRoot = posix.join(a.dest!, posix.basename(srcRoot));
    createRoot = true;
    ops = syncOps(srcTree, { path: destRoot, exists: true, entries: [] }, localFollow);
  }
  const owner = a.attributes.owner !== undefined || a.attributes.group !== undefined;
  const changed = createRoot || ops.length > 0 || (owner && ownershipDiffers(st, a, destRoot));
  const result = { dest: a.dest, src, md5sum: null, checksum: null, ...pathInfo(st.dest.exists ? st.destSelf : undefined) };
  const plan: Plan = { changed, result };
  if (ctx.diff && ops.length) plan.diff = ops.map((op): FileDiff => ({ before_header: posix.join(destRoot, op.rel), after_header: posix.join(srcRoot, op.rel), before: '', after: '' }));
  if (!changed) return plan;
  plan.apply = async () => {
    const lines: string[] = [];
    if (createRoot) lines.push(`mkdir -p -- ${quote(destRoot)}${rootMode ? ` && chmod ${rootMode} -- ${quote(destRoot)}` : ''}`);
    if (ops.length) lines.push(opsFor(srcRoot, destRoot, ops));
    if (owner) {
      const spec = `${a.attributes.owner ?? ''}${a.attributes.group !== undefined ? `:${a.attributes.group}` : ''}`;
      lines.push(`chown -R -h ${quote(spec)} -- ${quote(destRoot)}`);
    }
    // A copy cut off (hang-up, broken pipe) leaves no temp file: the one in flight is removed.
    const traps = `t=; trap 'rm -f -- "$t"' EXIT; trap 'exit 129' HUP; trap 'exit 141' PIPE; trap 'exit 143' TERM`;
    const res = await ctx.run(`${traps}\n${lines.join(' &&\n')} || exit\n${statLineCommand(quote(a.dest!))}`);
    if (res.rc !== 0) throw new RemoteCommandError(`failed to copy: ${src} to ${a.dest}: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
    return pathInfo(parseStatLineIn(a.dest!, res.stdout));
  };
  return plan;
}

/** Whether some entry of the destination tree has another owner or group than wanted (numbers compared when given). */
function ownershipDiffers(st: RemoteCopyState, a: CopyArgs, _destRoot: string): boolean {
  // The tree fact has no owners: with owner/group given, a chown -R is planned when the root differs.
  const root = st.dest.type === 'directory' ? st.dest : undefined;
  if (!root) return true;
  return hasChanges(attributeChange(root, { owner: a.attributes.owner, group: a.attributes.group }, true, st.ids));
}
