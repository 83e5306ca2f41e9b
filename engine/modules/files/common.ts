/**
 * What the file modules share: comparing owner/group/mode with the wanted
 * ones, Ansible's diff entries (content and file attributes), the path
 * information every file result carries, and turning "this file should
 * contain X" into a Plan.
 */
import { createHash } from 'node:crypto';
import type { FileDiff, ModuleContext, Plan } from '../types.js';
import type { Identities } from '../../facts/identity.js';
import { parseStatLineIn, statLineCommand, type RemoteFileState } from '../../facts/file.js';
import { attributeCommands, RemoteCommandError, resolveMode, writeFileAtomic, type WriteOptions } from '../lib/fileops.js';
import { quote } from '../../connection/quote.js';
import { pick, text } from '../lib/args.js';

export interface WantedAttributes {
  mode?: string | number;
  owner?: string;
  group?: string;
}

export function wantedAttributes(args: Record<string, unknown>): WantedAttributes {
  return { mode: pick<string | number>(args, 'mode'), owner: text(args.owner), group: text(args.group) };
}

export interface AttributeChange {
  /** Only the attributes that differ, mode resolved to octal. */
  changes: { mode?: string; owner?: string; group?: string };
  /** Ansible's diff dicts: mode as '0%03o', owner/group as numeric ids (names when the id is unknown). */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** A user or group given by name or by number matches either form. */
function sameIdentity(wanted: string, name: string | undefined, id: number | undefined, known?: number): boolean {
  if (wanted === name) return true;
  if (/^\d+$/.test(wanted)) return Number(wanted) === id;
  return known !== undefined && known === id;
}

/** Ansible prints modes as '0%03o' in results and diffs ('0644', '01777'). */
export function ansibleMode(mode: string | undefined): string | undefined {
  if (mode === undefined) return undefined;
  return `0${parseInt(mode, 8).toString(8).padStart(3, '0')}`;
}

/** Compare wanted attributes with a file's current ones (a missing file differs in every given one). */
export function attributeChange(
  state: RemoteFileState | undefined,
  wanted: WantedAttributes,
  isDirectory = state?.type === 'directory',
  ids?: Identities,
): AttributeChange {
  const changes: AttributeChange['changes'] = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const mode = resolveMode(wanted.mode, state?.mode, isDirectory);
  if (mode !== undefined && mode !== state?.mode) {
    changes.mode = mode;
    before.mode = ansibleMode(state?.mode);
    after.mode = ansibleMode(mode);
  }
  if (wanted.owner !== undefined && !sameIdentity(wanted.owner, state?.owner, state?.uid, ids?.users[wanted.owner])) {
    changes.owner = wanted.owner;
    before.owner = state?.uid;
    after.owner = ids?.users[wanted.owner] ?? (/^\d+$/.test(wanted.owner) ? Number(wanted.owner) : wanted.owner);
  }
  if (wanted.group !== undefined && !sameIdentity(wanted.group, state?.group, state?.gid, ids?.groups[wanted.group])) {
    changes.group = wanted.group;
    before.group = state?.gid;
    after.group = ids?.groups[wanted.group] ?? (/^\d+$/.test(wanted.group) ? Number(wanted.group) : wanted.group);
  }
  return { changes, before, after };
}

export function hasChanges(change: AttributeChange): boolean {
  return Object.keys(change.changes).length > 0;
}

export function sha1(content: Buffer | string): string {
  return createHash('sha1').update(content).digest('hex');
}

export function md5(content: Buffer | string): string {
  return createHash('md5').update(content).digest('hex');
}

/** Content is shown in a diff only when it is text (Ansible shows binary files as such). */
export function isText(content: Buffer): boolean {
  return !content.includes(0);
}

/** Ansible's MAX_FILE_SIZE_FOR_DIFF: larger files are not diffed. */
export const MAX_DIFF_SIZE = 104448;

/**
 * The diff of a file's content as Ansible's copy/template give it: before is
 * the destination (empty when missing; dst_binary/dst_larger instead when it
 * is binary or large), after the new content (src_binary/src_larger).
 */
export function fileContentDiff(dest: string, destState: RemoteFileState, content: Buffer, afterHeader: string): FileDiff {
  const entry: FileDiff & Record<string, unknown> = {};
  if (!destState.exists) entry.before = '';
  else if ((destState.content ?? destState.head ?? Buffer.alloc(0)).subarray(0, 8192).includes(0)) entry.dst_binary = 1;
  else if (destState.content === undefined && (destState.size ?? 0) > MAX_DIFF_SIZE) entry.dst_larger = MAX_DIFF_SIZE;
  else {
    entry.before_header = dest;
    entry.before = (destState.content ?? Buffer.alloc(0)).toString('utf8');
  }
  if (content.length > MAX_DIFF_SIZE) entry.src_larger = MAX_DIFF_SIZE;
  else if (content.includes(0)) entry.src_binary = 1;
  else {
    entry.after_header = afterHeader;
    entry.after = content.toString('utf8');
  }
  return entry;
}

/** A diff of text with Ansible's headers ("before: header"); lineinfile and friends use "path (content)". */
export function textDiff(header: string, before: string, after: string): FileDiff {
  return { before_header: header, after_header: header, before, after };
}

/** before/after attribute dicts (the output shows them as Ansible's callback does: indented JSON, diffed). */
export function attributeDiffEntry(before: Record<string, unknown>, after: Record<string, unknown>, header?: string): FileDiff {
  const entry = { before, after } as unknown as FileDiff;
  if (header !== undefined) {
    entry.before_header = header;
    entry.after_header = header;
  }
  return entry;
}

/**
 * Ansible's add_path_info: what every result about an existing path carries
 * (uid, gid, owner, group, mode as '0%03o', state, size), from an lstat.
 */
export function pathInfo(state: RemoteFileState | undefined): Record<string, unknown> {
  if (!state?.exists) return {};
  const kind = state.type === 'link' ? 'link' : state.type === 'directory' ? 'directory' : (state.nlink ?? 1) > 1 ? 'hard' : 'file';
  return {
    uid: state.uid,
    gid: state.gid,
    owner: state.owner ?? String(state.uid),
    group: state.group ?? String(state.gid),
    mode: ansibleMode(state.mode),
    state: kind,
    size: state.size,
  };
}

/** Applies attribute changes and returns the path's state afterwards. */
export async function runAttributeCommands(
  ctx: ModuleContext,
  path: string,
  changes: AttributeChange['changes'],
  options: { recurse?: boolean; follow?: boolean } = {},
): Promise<RemoteFileState> {
  const command = attributeCommands(path, changes, options);
  const res = await ctx.run(`${command ? `${command} || exit\n` : ''}${statLineCommand(quote(path))}`);
  if (res.rc !== 0) throw new RemoteCommandError(`cannot set attributes of ${path}: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
  return parseStatLineIn(path, res.stdout);
}

/** Ansible appends the attribute part of the message after the content part. */
export function withAttributeMessage(msg: string, contentChanged: boolean, attrsChanged: boolean): string {
  if (!attrsChanged) return msg;
  return `${contentChanged && msg ? `${msg} and ` : ''}ownership, perms or SE linux context changed`;
}

export interface ContentPlanInput {
  path: string;
  state: RemoteFileState;
  /** New content, or undefined when only attributes are managed. */
  content?: Buffer;
  attributes: WantedAttributes;
  backup?: boolean;
  validate?: string;
  createParents?: boolean;
  /** Header of the content diff (lineinfile uses "path (content)"). */
  diffHeader?: string;
  /** Whether content differs, when `content` is not given. */
  contentChanged?: boolean;
  msg?: string;
  /** Append Ansible's "ownership, perms or SE linux context changed" to msg (lineinfile, blockinfile, replace). */
  attributeMessage?: boolean;
  result?: Record<string, unknown>;
  /** Write through a symbolic link (default true: lineinfile, blockinfile and replace edit the link's target). */
  followLink?: boolean;
  /**
   * 'pair' (lineinfile, blockinfile): [content, file attributes] always, the
   * texts only in diff mode; 'replace': the content dict in diff mode when it changed.
   */
  diffStyle?: 'pair' | 'replace';
}

/** The `diff` result key as each line-editing module gives it. */
function contentPlanDiff(ctx: ModuleContext, input: ContentPlanInput, before: string, after: string, contentChanged: boolean, attrs: AttributeChange | undefined): unknown {
  const path = input.path;
  if (input.diffStyle === 'replace') {
    return ctx.diff && contentChanged ? { before_header: path, before, after_header: path, after } : undefined;
  }
  const header = input.diffHeader ?? `${path} (content)`;
  const content = { before: ctx.diff ? before : '', after: ctx.diff ? after : '', before_header: header, after_header: header };
  // In check mode a file that does not exist yet has no attributes to compare.
  if (ctx.check && !input.state.exists) return content;
  const attrHeader = `${path} (file attributes)`;
  const attributesEntry = attrs
    ? { before: attrs.before, after: attrs.after, before_header: attrHeader, after_header: attrHeader }
    : { before_header: attrHeader, after_header: attrHeader };
  return [content, attributesEntry];
}

/**
 * The plan of the line-editing modules (lineinfile, blockinfile, replace):
 * write the content when it differs (atomically, the wanted attributes on
 * the temp file), or else only fix the attributes. The diff is Ansible's pair
 * "path (content)" and "path (file attributes)".
 */
export function planContent(ctx: ModuleContext, input: ContentPlanInput): Plan {
  const { path, state } = input;
  const contentChanged = input.contentChanged ?? (input.content !== undefined && (!state.exists || state.sha1 !== sha1(input.content)));
  const attrs = attributeChange(state.exists ? state : undefined, input.attributes, false);
  // Nothing to set attributes on when the file neither exists nor gets written; in check
  // mode Ansible stops before comparing the attributes of a file it would create.
  const attrsChanged = (state.exists || (contentChanged && !ctx.check)) && hasChanges(attrs);
  const before = state.exists ? (state.content ?? Buffer.alloc(0)).toString('utf8') : '';
  const after = contentChanged && input.content !== undefined ? input.content.toString('utf8') : before;
  const resultDiff = contentPlanDiff(ctx, input, before, after, contentChanged, attrsChanged ? attrs : undefined);
  const changed = contentChanged || attrsChanged;
  const msg = input.attributeMessage ? withAttributeMessage(input.msg ?? '', contentChanged, attrsChanged) : input.msg;
  const plan: Plan = { changed, result: { ...(input.result ?? {}), ...(resultDiff !== undefined ? { diff: resultDiff } : {}) }, ...(msg !== undefined ? { msg } : {}) };
  if (!changed) return plan;
  plan.apply = async () => {
    if (contentChanged) {
      const options: WriteOptions = {
        mode: resolveMode(input.attributes.mode, state.exists ? state.mode : undefined, false),
        owner: input.attributes.owner,
        group: input.attributes.group,
        validate: input.validate,
        backup: input.backup,
        createParents: input.createParents,
        followLink: input.followLink !== false,
      };
      const { backup_file } = await writeFileAtomic(ctx, path, input.content ?? Buffer.alloc(0), options);
      return backup_file ? { backup_file } : {};
    }
    await runAttributeCommands(ctx, path, attrs.changes);
    return {};
  };
  return plan;
}

/**
 * The plan of a module Ansible does not run in check mode: skipped, with
 * Ansible's message for it (each says it its own way).
 */
export function checkModeSkip(msg: string): Plan {
  return { changed: false, msg, skipInCheckMode: true };
}
