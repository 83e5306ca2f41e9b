/**
 * Putting bytes from the controller at a path on the host, as Ansible's copy
 * action and module decide it together (copy with content or a local src,
 * and template): where the file goes (into a folder, through a link with
 * follow), whether it changes (sha1), the diff, and the result keys. The
 * decision is pure; the read gathers every state it needs in one command,
 * and in diff mode one more for the content of the files that differ.
 */
import { posix } from 'node:path';
import type { FileDiff, ModuleContext, Plan } from '../types.js';
import { readFact } from '../../facts/index.js';
import { fileFact, type FileQuery, type RemoteFileState } from '../../facts/file.js';
import type { Identities } from '../../facts/identity.js';
import { quote } from '../../connection/quote.js';
import { resolveMode, ValidationError, writeFileAtomic } from '../lib/fileops.js';
import {
  attributeChange, attributeDiffEntry, fileContentDiff, hasChanges, MAX_DIFF_SIZE, md5, pathInfo, runAttributeCommands, sha1, type WantedAttributes,
} from './common.js';

/** One file to put on the host. */
export interface SourceFile {
  /** Its name relative to a destination folder (basename for a single file). */
  rel: string;
  bytes: Buffer;
  /** The local file it came from (absent for inline content). */
  localPath?: string;
  /** The local file's permissions, '0%03o' (mode: preserve). */
  localMode?: string;
}

/** The copy arguments that decide where and how a file is written. */
export interface PutOptions {
  /** dest as given (a trailing / means "into this folder"). */
  dest: string;
  force: boolean;
  follow: boolean;
  backup: boolean;
  validate?: string;
  /** The expected sha1 (copy's `checksum`): a transfer of anything else fails. */
  checksum?: string;
  attributes: WantedAttributes;
  /** Inline content cannot go into a folder. */
  isContent: boolean;
  /** Mode of folders created on the way (copy's directory_mode). */
  directoryMode?: string | number;
}

/** The host paths one file's decision needs, each read with and without following links. */
export function probePaths(o: Pick<PutOptions, 'dest'>, item: Pick<SourceFile, 'rel'>): { destFile: string; nested: string } {
  const nested = posix.join(o.dest, item.rel);
  return { destFile: o.dest.endsWith('/') ? nested : o.dest, nested };
}

/** What the read found for one file. */
export interface PutState {
  destFile: { self: RemoteFileState; followed: RemoteFileState; parent: RemoteFileState };
  nested: { self: RemoteFileState; followed: RemoteFileState; parent: RemoteFileState };
}

export type PutDecision =
  | { kind: 'fail'; msg: string; result?: Record<string, unknown> }
  | { kind: 'skip' }
  | { kind: 'write'; target: string; createParents: boolean; mode?: string; diff?: FileDiff; checksum: string; md5sum: string; error?: string }
  | { kind: 'attrs'; target: string; current: RemoteFileState; changes: ReturnType<typeof attributeChange>; diff?: FileDiff; checksum: string };

/**
 * The destination's sha1 as the action sees it: with follow, whatever the
 * path leads to; without, only a regular file (a link has none, so it is
 * always replaced). The followed read carries the hash.
 */
function destChecksum(probe: PutState['destFile'], follow: boolean): string | undefined {
  const f = probe.followed;
  if (!f.exists || f.dangling || f.type !== 'file') return undefined;
  return follow || probe.self.type === 'file' ? f.sha1 : undefined;
}

/** What the diff shows as before: the file a path leads to (Ansible reads it with open()). */
function diffState(probe: PutState['destFile']): RemoteFileState {
  return probe.followed.dangling ? { path: probe.followed.path, exists: false } : probe.followed;
}

/** Which probe the action compares the file with (dest, or the path inside it when dest is a folder), and the state it sees there. */
type PutTarget =
  | { kind: 'fail'; msg: string }
  | { kind: 'skip' }
  | { kind: 'compare'; probeName: keyof PutState; probe: PutState['destFile']; target: string; current: RemoteFileState };

function putTarget(o: PutOptions, item: Pick<SourceFile, 'rel'>, st: PutState): PutTarget {
  const { destFile, nested } = probePaths(o, item);
  // The action stats dest_file following links only with follow.
  const seen = o.follow ? st.destFile.followed : st.destFile.self;
  const intoFolder = seen.exists && seen.type === 'directory' && !seen.dangling;
  if (intoFolder && o.isContent) return { kind: 'fail', msg: 'can not use content with a dir as dest' };
  const probeName = intoFolder ? 'nested' : 'destFile';
  const probe = st[probeName];
  const current = o.follow ? probe.followed : probe.self;
  if (current.exists && !o.force) return { kind: 'skip' };
  return { kind: 'compare', probeName, probe, target: intoFolder ? nested : destFile, current };
}

/**
 * The probe whose content a diff of this file shows, when it is a regular
 * file whose content was not read: the content is read (readDiffContent)
 * only for a file that is written, never for one that stays as it is.
 */
export function diffContentNeeded(o: PutOptions, item: SourceFile, st: PutState): keyof PutState | undefined {
  const chosen = putTarget(o, item, st);
  if (chosen.kind !== 'compare' || sha1(item.bytes) === destChecksum(chosen.probe, o.follow)) return undefined;
  const before = diffState(chosen.probe);
  return before.exists && before.type === 'file' && before.content === undefined && before.head === undefined ? chosen.probeName : undefined;
}

/** One file to put: where and how, what it holds, and what the read found. */
export interface PutJob {
  o: PutOptions;
  item: SourceFile;
  state: PutState;
}

/**
 * Diff mode: the content of the destinations the diffs show, read after the
 * states (which carry no content, so a destination that stays as it is costs
 * no transfer) in one more round trip for all the files that differ, and put
 * into their states for the decision. Up to the diff's limit, as Ansible's
 * diff reads it: a larger file gives only its first 8 KiB (to tell binary).
 */
export async function readDiffContent(ctx: ModuleContext, jobs: readonly PutJob[]): Promise<PutState[]> {
  const needed = jobs.map(({ o, item, state }) => diffContentNeeded(o, item, state));
  const queries: FileQuery[] = [];
  needed.forEach((name, i) => {
    if (name === undefined) return;
    const probe = jobs[i]!.state[name];
    // Through a link only when the path is one: the diff shows the file it leads to.
    queries.push({ path: probe.followed.path, follow: probe.self.type === 'link', checksum: false, content: true, contentLimit: MAX_DIFF_SIZE });
  });
  if (!queries.length) return jobs.map((job) => job.state);
  const read = await readFact(ctx, fileFact, queries);
  let at = 0;
  return jobs.map(({ state }, i) => {
    const name = needed[i];
    if (name === undefined) return state;
    const found = read[at++]!;
    const followed: RemoteFileState = { ...state[name].followed };
    if (found.content !== undefined) followed.content = found.content;
    if (found.head !== undefined) followed.head = found.head;
    return { ...state, [name]: { ...state[name], followed } };
  });
}

/** Ansible's copy, action then module, for one file. Pure. */
export function decidePut(o: PutOptions, item: SourceFile, st: PutState, withDiff: boolean, ids?: Identities): PutDecision {
  const { nested } = probePaths(o, item);
  const chosen = putTarget(o, item, st);
  if (chosen.kind !== 'compare') return chosen;
  const { probe, target, current } = chosen;
  const localSha1 = sha1(item.bytes);
  const mode = o.attributes.mode === 'preserve' ? item.localMode : o.attributes.mode;
  const wanted: WantedAttributes = { ...o.attributes, mode };
  if (localSha1 !== destChecksum(probe, o.follow)) {
    // The module: into a folder (created when dest ends with /), through a link only with follow.
    let final = target;
    let createParents = false;
    if (o.dest.endsWith('/')) {
      final = nested;
      createParents = !st.nested.parent.exists;
    } else if (st.destFile.followed.exists && st.destFile.followed.type === 'directory' && !st.destFile.followed.dangling) {
      final = nested;
    }
    const finalState = final === nested ? st.nested : st.destFile;
    if (finalState.self.type === 'link' && o.follow && finalState.self.realPath) final = finalState.self.realPath;
    else if (!finalState.followed.exists && !finalState.self.exists && !createParents && !finalState.parent.exists) {
      // The module finds this only when it runs: check mode reports a change.
      const diff = withDiff ? fileContentDiff(target, diffState(probe), item.bytes, item.localPath ?? target) : undefined;
      return { kind: 'write', target: final, createParents, checksum: localSha1, md5sum: md5(item.bytes), error: `Destination directory ${posix.dirname(final)} does not exist`, ...(diff ? { diff } : {}) };
    }
    const diff = withDiff ? fileContentDiff(target, diffState(probe), item.bytes, item.localPath ?? target) : undefined;
    const resolved = resolveMode(mode, current.exists ? current.mode : undefined, false);
    return { kind: 'write', target: final, createParents, mode: resolved, checksum: localSha1, md5sum: md5(item.bytes), ...(diff ? { diff } : {}) };
  }
  // Same content: only the attributes (the file module, on the link's target with follow).
  let attrsTarget = target;
  let attrsState = current;
  if (o.follow && probe.self.type === 'link' && probe.self.realPath) {
    attrsTarget = probe.self.realPath;
    attrsState = { ...probe.followed, path: attrsTarget };
  }
  const changes = attributeChange(attrsState, wanted, false, ids);
  // The file module's diff dict, which Ansible returns whether diff mode is on or not.
  const diff = attributeDiffEntry({ path: attrsTarget, ...changes.before }, { path: attrsTarget, ...changes.after });
  return { kind: 'attrs', target: attrsTarget, current: attrsState, changes, checksum: localSha1, diff };
}

/** Applies one decision; returns the result keys Ansible's module gives after it ran. */
export async function applyPut(ctx: ModuleContext, o: PutOptions, item: SourceFile, d: PutDecision): Promise<Record<string, unknown>> {
  if (d.kind === 'write') {
    if (d.error) return failure(d.error, { checksum: d.checksum });
    if (o.checksum !== undefined && o.checksum !== d.checksum) {
      return failure('Copied file does not match the expected checksum. Transfer failed.', { checksum: d.checksum, expected_checksum: o.checksum });
    }
    if (d.createParents) await makeFolders(ctx, [posix.dirname(d.target)], o);
    let written;
    try {
      written = await writeFileAtomic(ctx, d.target, item.bytes, {
        mode: d.mode, owner: o.attributes.owner, group: o.attributes.group,
        validate: o.validate, backup: o.backup, followLink: false,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return failure('failed to validate', validationKeys(error, { checksum: d.checksum }));
    }
    return {
      dest: d.target,
      ...(item.localPath ? { src: item.localPath } : {}),
      md5sum: d.md5sum,
      checksum: d.checksum,
      ...pathInfo(written.final),
      ...(written.backup_file ? { backup_file: written.backup_file } : {}),
    };
  }
  if (d.kind === 'attrs') {
    const after = hasChanges(d.changes) ? await runAttributeCommands(ctx, d.target, d.changes.changes) : d.current;
    return pathInfo(after);
  }
  return {};
}

/** Ansible's keys for a rejected validation (stdout/stderr with their _lines). */
export function validationKeys(error: ValidationError, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const lines = (t: string) => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
  return {
    ...extra, exit_status: error.rc,
    stdout: error.validatorStdout, stdout_lines: lines(error.validatorStdout),
    stderr: error.validatorStderr, stderr_lines: lines(error.validatorStderr),
  };
}

/** A failure found while applying, with Ansible's extra keys (the driver merges them into the result). */
function failure(msg: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { failed: true, changed: false, msg, ...extra };
}

/** The result a decision gives before (or without) applying: what check mode reports. */
export function plannedResult(o: PutOptions, item: SourceFile, d: PutDecision): Record<string, unknown> {
  if (d.kind === 'skip') return { dest: o.dest, ...(item.localPath ? { src: item.localPath } : {}) };
  if (d.kind === 'attrs') return { dest: d.target, path: d.target, checksum: d.checksum, ...pathInfo(d.current), ...(d.diff ? { diff: d.diff } : {}) };
  if (d.kind === 'fail') return d.result ?? {};
  return {};
}

export function isChange(d: PutDecision): boolean {
  return d.kind === 'write' || (d.kind === 'attrs' && hasChanges(d.changes));
}

/** mkdir -p, then the folders' mode (directory_mode) and owner/group. */
export async function makeFolders(ctx: ModuleContext, folders: string[], o: Pick<PutOptions, 'directoryMode' | 'attributes'>): Promise<void> {
  if (!folders.length) return;
  const list = folders.map(quote).join(' ');
  const mode = o.directoryMode === undefined ? undefined : resolveMode(o.directoryMode, undefined, true);
  const owner = o.attributes.owner !== undefined || o.attributes.group !== undefined
    ? `chown ${quote(`${o.attributes.owner ?? ''}${o.attributes.group !== undefined ? `:${o.attributes.group}` : ''}`)} -- ${list}` : '';
  const lines = [`mkdir -p -- ${list}`, mode ? `chmod ${quote(mode)} -- ${list}` : '', owner].filter(Boolean);
  const res = await ctx.run(lines.join(' && '));
  if (res.rc !== 0) throw new Error(`cannot create ${folders.join(', ')}: ${res.stderr.toString().trim()}`);
}

/** Plan of a single file (copy with content or one src file, template). */
export function planPut(ctx: ModuleContext, o: PutOptions, item: SourceFile, st: PutState, ids?: Identities): Plan {
  const d = decidePut(o, item, st, ctx.diff, ids);
  if (d.kind === 'fail') return { changed: false, failed: true, msg: d.msg, result: plannedResult(o, item, d) };
  const changed = isChange(d);
  const plan: Plan = { changed, result: plannedResult(o, item, d) };
  // The content diff exists in diff mode only (the action adds it then).
  if (d.kind === 'write' && d.diff) plan.diff = [d.diff];
  if (changed) plan.apply = () => applyPut(ctx, o, item, d);
  return plan;
}
