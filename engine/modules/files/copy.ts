/**
 * copy and template: put content (inline, a local file or folder, a rendered
 * template, or a file already on the host) at `dest`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { posix } from 'node:path';
import type { FileDiff, Module, ModuleContext, Plan } from '../types.js';
import { readFileStates, resolveMode, type RemoteFileState } from '../lib/fileops.js';
import { quote } from '../../connection/quote.js';
import { boolSchema, fileAttributeProperties, pick, stringSchema, text, toBool } from '../lib/args.js';
import { md5, planContent, sha1, wantedAttributes } from './common.js';
import { decodeUtf8 } from '../../loader/yaml.js';

/** One file to put on the host. */
interface Item {
  dest: string;
  /** Local bytes (undefined for remote_src). */
  content?: Buffer;
  /** The remote source, for remote_src. */
  remoteSrc?: string;
}

interface CopyState {
  items: Item[];
  states: RemoteFileState[];
  /** Folders the items need (created before writing). */
  folders: string[];
  srcState?: RemoteFileState;
  /** Failure found while reading (missing dest folder, content into a directory...). */
  error?: string;
  src?: string;
}

interface CopyArgs {
  dest: string;
  src?: string;
  content?: string;
  remoteSrc: boolean;
  force: boolean;
  backup: boolean;
  validate?: string;
}

function normalise(args: Record<string, any>): CopyArgs {
  return {
    dest: String(args.dest),
    src: text(args.src),
    content: args.content === undefined ? undefined : typeof args.content === 'string' ? args.content : JSON.stringify(args.content),
    remoteSrc: toBool(args.remote_src, false),
    force: toBool(pick(args, 'force', 'thirsty'), true),
    backup: toBool(args.backup, false),
    validate: text(args.validate),
  };
}

/** Local files under a source folder; `src/` copies the contents, `src` the folder itself (rsync rule). */
function localTree(src: string, dest: string): { items: Item[]; folders: string[] } {
  const root = src.endsWith('/') ? dest : posix.join(dest, basename(src));
  const items: Item[] = [];
  const folders: string[] = [root];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      const full = join(dir, entry.name);
      const target = posix.join(root, relative(src, full).split(sep).join('/'));
      if (entry.isDirectory()) { folders.push(target); walk(full); }
      else if (entry.isFile() || entry.isSymbolicLink()) items.push({ dest: target, content: readFileSync(full) });
    }
  };
  walk(src);
  return { items, folders };
}

/** Resolve what goes where; one remote round trip for every state involved. */
async function readCopy(ctx: ModuleContext, a: CopyArgs, localContent: (src: string) => Buffer, kind: 'files' | 'templates'): Promise<CopyState> {
  if (a.content !== undefined && a.src !== undefined) return { items: [], states: [], folders: [], error: 'parameters are mutually exclusive: content|src' };
  if (a.content === undefined && a.src === undefined) return { items: [], states: [], folders: [], error: 'src (or content) is required' };
  const destIsFolderSyntax = a.dest.endsWith('/');
  if (a.remoteSrc) {
    const src = a.src!;
    const [srcState, destState, nested] = await readFileStates(ctx, [src, a.dest, posix.join(a.dest, posix.basename(src))]);
    if (!srcState!.exists) return { items: [], states: [], folders: [], error: `Source ${src} not found` };
    if (srcState!.type === 'directory') return { items: [], states: [], folders: [], error: `Remote copy of a directory (${src}) is not supported` };
    const intoFolder = destIsFolderSyntax || destState!.type === 'directory';
    const dest = intoFolder ? posix.join(a.dest, posix.basename(src)) : a.dest;
    return { items: [{ dest, remoteSrc: src }], states: [intoFolder ? nested! : destState!], folders: intoFolder ? [a.dest] : [], srcState, src };
  }
  if (a.content !== undefined) {
    const [destState] = await readFileStates(ctx, [a.dest], { content: ctx.diff });
    if (destState!.type === 'directory') return { items: [], states: [], folders: [], error: 'can not use content with a dir as dest' };
    return { items: [{ dest: a.dest, content: Buffer.from(a.content, 'utf8') }], states: [destState!], folders: [] };
  }
  const src = ctx.findFile(kind, a.src!);
  if (statSync(src).isDirectory()) {
    const { items, folders } = localTree(a.src!.endsWith('/') && !src.endsWith('/') ? `${src}/` : src, a.dest.replace(/\/+$/, '') || '/');
    const states = await readFileStates(ctx, items.map((i) => i.dest), { content: ctx.diff });
    return { items, states, folders, src };
  }
  const content = localContent(src);
  const nestedPath = posix.join(a.dest, basename(src));
  const [destState, nested, parent] = await readFileStates(ctx, [a.dest, nestedPath, posix.dirname(a.dest)], { content: ctx.diff });
  const intoFolder = destIsFolderSyntax || destState!.type === 'directory';
  const dest = intoFolder ? nestedPath : a.dest;
  if (!intoFolder && !parent!.exists) return { items: [], states: [], folders: [], error: `Destination directory ${posix.dirname(a.dest)} does not exist` };
  return { items: [{ dest, content }], states: [intoFolder ? nested! : destState!], folders: destIsFolderSyntax ? [a.dest] : [], src };
}

function planCopy(ctx: ModuleContext, args: Record<string, any>, state: CopyState): Plan {
  const a = normalise(args);
  if (state.error) return { changed: false, failed: true, msg: state.error };
  if (a.validate !== undefined && !a.validate.includes('%s')) return { changed: false, failed: true, msg: `validate must contain %s: ${a.validate}` };
  const attributes = wantedAttributes(args);
  const plans = state.items.map((item, i) => {
    const existing = state.states[i]!;
    if (existing.type === 'directory') return { changed: false, failed: true, msg: `${item.dest} is a directory` } as Plan;
    // force: false never replaces an existing file (attributes are still managed).
    const keep = !a.force && existing.exists;
    const contentChanged = keep ? false : item.remoteSrc ? !existing.exists || existing.sha1 !== state.srcState!.sha1 : undefined;
    return planContent(ctx, {
      path: item.dest,
      state: existing,
      content: keep ? undefined : item.content,
      contentChanged,
      sourcePath: item.remoteSrc,
      attributes,
      backup: a.backup,
      validate: a.validate,
    });
  });
  const failed = plans.find((p) => p.failed);
  if (failed) return failed;
  const changed = plans.some((p) => p.changed);
  const diff: FileDiff[] = plans.flatMap((p) => p.diff ?? []);
  const single = state.items.length === 1 ? state.items[0]! : undefined;
  const result: Record<string, unknown> = { dest: single ? single.dest : a.dest };
  if (state.src) result.src = state.src;
  if (single) {
    const checksum = single.content ? sha1(single.content) : state.srcState?.sha1;
    Object.assign(result, { checksum, size: single.content?.length ?? state.srcState?.size });
    if (single.content) result.md5sum = md5(single.content);
  }
  const existing = state.states[0];
  Object.assign(result, {
    mode: resolveMode(attributes.mode, existing?.exists ? existing.mode : undefined, false) ?? existing?.mode,
    owner: attributes.owner ?? existing?.owner,
    group: attributes.group ?? existing?.group,
    state: 'file',
  });
  const plan: Plan = { changed, result };
  if (diff.length) plan.diff = diff;
  if (!changed) return plan;
  plan.apply = async () => {
    await makeFolders(ctx, state.folders);
    const backups: string[] = [];
    for (const p of plans) {
      const out = p.apply ? await p.apply() : undefined;
      if (out && typeof out.backup_file === 'string') backups.push(out.backup_file);
    }
    return backups.length ? { backup_file: backups[0] } : {};
  };
  return plan;
}

async function makeFolders(ctx: ModuleContext, folders: string[]): Promise<void> {
  if (!folders.length) return;
  const res = await ctx.run(`mkdir -p -- ${folders.map(quote).join(' ')}`);
  if (res.rc !== 0) throw new Error(`cannot create ${folders.join(', ')}: ${res.stderr.toString().trim()}`);
}

const copySchemaProperties = {
  dest: stringSchema,
  src: stringSchema,
  backup: boolSchema,
  force: boolSchema,
  thirsty: boolSchema,
  validate: stringSchema,
  directory_mode: { type: ['string', 'integer'] },
  follow: boolSchema,
  local_follow: boolSchema,
  checksum: stringSchema,
  decrypt: boolSchema,
  ...fileAttributeProperties,
};

export const copy: Module<Record<string, any>, CopyState> = {
  name: 'copy',
  schema: {
    type: 'object',
    properties: { ...copySchemaProperties, content: {}, remote_src: boolSchema },
    required: ['dest'],
    additionalProperties: false,
  },
  doc: {
    description: 'Copy a local file (looked up in the role\'s files/ folder), a local folder (its regular files, recursively), inline `content`, or a file already on the host (remote_src) to `dest`. A dest ending in / or naming an existing folder receives dest/basename(src). Written atomically; `validate` checks the temp file first; force: false never replaces an existing file.',
    returns: { dest: 'the file written', checksum: 'sha1 of the content', md5sum: 'md5 of the content', size: 'bytes', mode: 'mode', backup_file: 'backup path, when backup is set and a file was replaced' },
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
  read: (ctx, args) => readCopy(ctx, normalise(args), (src) => readFileSync(src), 'files'),
  plan: planCopy,
};

export const template: Module<Record<string, any>, CopyState> = {
  name: 'template',
  schema: {
    type: 'object',
    properties: {
      ...copySchemaProperties,
      newline_sequence: { enum: ['\n', '\r\n', '\r'] },
      trim_blocks: boolSchema, lstrip_blocks: boolSchema,
      block_start_string: stringSchema, block_end_string: stringSchema,
      variable_start_string: stringSchema, variable_end_string: stringSchema,
      output_encoding: stringSchema,
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  doc: {
    description: 'Render a Jinja2 template (looked up in the role\'s templates/ folder) with the task\'s variables and put the result at `dest`, like copy (atomic write, validate, backup, owner/group/mode). `newline_sequence` converts line endings of the result.',
    returns: { dest: 'the file written', checksum: 'sha1 of the rendered content', size: 'bytes', backup_file: 'backup path, when backup is set' },
    example: [
      '- name: nginx site',
      '  template:',
      '    src: site.conf.j2',
      '    dest: /etc/nginx/sites-available/site.conf',
      "    mode: '0644'",
      '  notify: reload nginx',
    ].join('\n'),
  },
  read: (ctx, args) => readCopy(ctx, normalise(args), (src) => renderLocal(ctx, src, args), 'templates'),
  plan: planCopy,
};

function renderLocal(ctx: ModuleContext, src: string, args: Record<string, any>): Buffer {
  // Strict UTF-8 (Ansible refuses a Latin-1 template rather than write U+FFFD into a config file); errors name the task and the template.
  const shown = relative(process.cwd(), src).startsWith('..') ? src : relative(process.cwd(), src);
  const rendered = ctx.renderTemplate(decodeUtf8(readFileSync(src), shown), `${ctx.location}: template ${shown}`);
  const newline = typeof args.newline_sequence === 'string' ? args.newline_sequence : '\n';
  return Buffer.from(newline === '\n' ? rendered : rendered.replace(/\r\n|\r|\n/g, newline), 'utf8');
}
