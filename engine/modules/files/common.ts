/**
 * What the content-managing file modules (copy, template, lineinfile,
 * blockinfile, replace) share: comparing owner/group/mode with the wanted
 * ones, and turning "this file should contain X" into a Plan.
 */
import { createHash } from 'node:crypto';
import type { FileDiff, Plan } from '../types.js';
import type { ModuleContext } from '../types.js';
import { attributeCommands, attributeDiff, contentDiff, RemoteCommandError, resolveMode, writeFileAtomic, type RemoteFileState } from '../lib/fileops.js';
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
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** A user or group given by name or by number matches either form. */
function sameIdentity(wanted: string, name: string | undefined, id: number | undefined): boolean {
  return wanted === name || (/^\d+$/.test(wanted) && Number(wanted) === id);
}

/** Compare wanted attributes with a file's current ones (a missing file differs in every given one). */
export function attributeChange(state: RemoteFileState | undefined, wanted: WantedAttributes, isDirectory = state?.type === 'directory'): AttributeChange {
  const changes: AttributeChange['changes'] = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  const mode = resolveMode(wanted.mode, state?.mode, isDirectory);
  if (mode !== undefined && mode !== state?.mode) {
    changes.mode = mode;
    before.mode = state?.mode;
    after.mode = mode;
  }
  if (wanted.owner !== undefined && !sameIdentity(wanted.owner, state?.owner, state?.uid)) {
    changes.owner = wanted.owner;
    before.owner = state?.owner;
    after.owner = wanted.owner;
  }
  if (wanted.group !== undefined && !sameIdentity(wanted.group, state?.group, state?.gid)) {
    changes.group = wanted.group;
    before.group = state?.group;
    after.group = wanted.group;
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
  /** Copy from a remote file instead of `content` (copy remote_src). */
  sourcePath?: string;
  /** Whether content differs, when `content` is not available (remote_src). */
  contentChanged?: boolean;
  msg?: string;
  /** Append Ansible's "ownership, perms or SE linux context changed" to msg (lineinfile, blockinfile, replace). */
  attributeMessage?: boolean;
  result?: Record<string, unknown>;
}

/**
 * A Plan that writes the content (atomically, with the wanted attributes on
 * the temp file) when it differs, or else only fixes the attributes.
 */
export function planContent(ctx: ModuleContext, input: ContentPlanInput): Plan {
  const { path, state } = input;
  const contentChanged = input.contentChanged ?? (input.content !== undefined && (!state.exists || state.sha1 !== sha1(input.content)));
  const attrs = attributeChange(state.exists ? state : undefined, input.attributes, false);
  // A file we write gets its attributes on the temp file; otherwise they are fixed in place.
  // Nothing to set attributes on when the file neither exists nor gets written.
  const attrsChanged = (state.exists || contentChanged) && hasChanges(attrs);
  const diff: FileDiff[] = [];
  if (ctx.diff && contentChanged && input.content !== undefined) {
    const before = state.content ?? Buffer.alloc(0);
    if (isText(before) && isText(input.content)) {
      diff.push(contentDiff(path, state.exists ? before.toString('utf8') : '', input.content.toString('utf8'), input.diffHeader ?? path));
    } else {
      diff.push({ before_header: path, after_header: path, before: '', after: '', prepared: `Binary files ${path} differ\n` });
    }
  }
  if (ctx.diff && attrsChanged && state.exists) diff.push(attributeDiff(path, attrs.before, attrs.after, `${path} (file attributes)`));
  const changed = contentChanged || attrsChanged;
  const msg = input.attributeMessage ? withAttributeMessage(input.msg ?? '', contentChanged, attrsChanged) : input.msg;
  const plan: Plan = { changed, result: input.result ?? {}, ...(msg !== undefined ? { msg } : {}) };
  if (diff.length) plan.diff = diff;
  if (!changed) return plan;
  plan.apply = async () => {
    if (contentChanged) {
      const resolvedMode = resolveMode(input.attributes.mode, state.exists ? state.mode : undefined, false);
      return writeFileAtomic(ctx, path, input.content ?? Buffer.alloc(0), {
        mode: resolvedMode,
        owner: input.attributes.owner,
        group: input.attributes.group,
        validate: input.validate,
        backup: input.backup,
        createParents: input.createParents,
        sourcePath: input.sourcePath,
      });
    }
    await runAttributeCommands(ctx, path, attrs.changes);
    return {};
  };
  return plan;
}

export async function runAttributeCommands(ctx: ModuleContext, path: string, changes: AttributeChange['changes'], options: { recurse?: boolean; follow?: boolean } = {}): Promise<void> {
  const command = attributeCommands(path, changes, options);
  if (!command) return;
  const res = await ctx.run(command);
  if (res.rc !== 0) throw new RemoteCommandError(`cannot set attributes of ${path}: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
}

/** Ansible appends the attribute part of the message after the content part. */
export function withAttributeMessage(msg: string, contentChanged: boolean, attrsChanged: boolean): string {
  if (!attrsChanged) return msg;
  return `${contentChanged && msg ? `${msg} and ` : ''}ownership, perms or SE linux context changed`;
}
