/**
 * assemble: concatenate the files of a folder (sorted by name, optionally
 * filtered by a regexp, hidden ones skipped on request) into one file, with
 * an optional delimiter between them, as Ansible's assemble. The folder is on
 * the host (remote_src, the default) or on the controller. The fragments are
 * read, the file is built here and written atomically (and checked) only
 * when it differs.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileDiff, Module, ModuleContext, Plan } from '../types.js';
import { readFacts } from '../../facts/index.js';
import { fileFact, type RemoteFileState } from '../../facts/file.js';
import { fragmentsFact, type Fragments } from '../../facts/fragments.js';
import type { Identities } from '../../facts/identity.js';
import { resolveMode, ValidationError, writeFileAtomic } from '../lib/fileops.js';
import { pyRegex } from '../lib/pyregex.js';
import { boolSchema, fileAttributeProperties, stringSchema, text, toBool } from '../lib/args.js';
import { attributeChange, checkModeSkip, fileContentDiff, hasChanges, MAX_DIFF_SIZE, md5, pathInfo, runAttributeCommands, sha1, wantedAttributes } from './common.js';
import { identityRequest } from './copy.js';
import { LocalSourceError, readLocalSource } from './local-source.js';

/** Python's codecs.escape_decode: \n, \t, \\, \xhh, \ooo... (unknown escapes stay as they are). */
export function escapeDecode(value: string): Buffer {
  const simple: Record<string, number> = { '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11 };
  const out: number[] = [];
  const bytes = Buffer.from(value, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x5c || i + 1 >= bytes.length) {
      out.push(c);
      continue;
    }
    const next = String.fromCharCode(bytes[i + 1]!);
    if (next in simple) {
      out.push(simple[next]!);
      i += 1;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(String.fromCharCode(bytes[i + 2] ?? 0, bytes[i + 3] ?? 0))) {
      out.push(parseInt(String.fromCharCode(bytes[i + 2]!, bytes[i + 3]!), 16));
      i += 3;
    } else if (/[0-7]/.test(next)) {
      let digits = '';
      while (digits.length < 3 && i + 1 < bytes.length && /[0-7]/.test(String.fromCharCode(bytes[i + 1]!))) digits += String.fromCharCode(bytes[++i]!);
      out.push(parseInt(digits, 8) & 0xff);
    } else if (next === '\n') {
      i += 1;   // a backslash-newline is dropped
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

export interface AssembleOptions { delimiter?: string; regexp?: string; ignoreHidden: boolean }

/** The assembled file: fragments in name order, a newline after one that lacks it, the delimiter between them. */
export function assembleFragments(names: string[], files: Map<string, Buffer>, o: AssembleOptions): Buffer {
  const filter = o.regexp !== undefined ? pyRegex(o.regexp) : undefined;
  const parts: Buffer[] = [];
  let first = true;
  let addNewline = false;
  const delimiter = o.delimiter ? escapeDecode(o.delimiter) : undefined;
  for (const name of [...names].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (filter && !filter.test(name)) continue;
    const content = files.get(name);
    if (content === undefined || (o.ignoreHidden && name.startsWith('.'))) continue;
    if (addNewline) parts.push(Buffer.from('\n'));
    if (!first && delimiter) {
      parts.push(delimiter);
      if (delimiter.length === 0 || delimiter[delimiter.length - 1] !== 10) parts.push(Buffer.from('\n'));
    }
    parts.push(content);
    first = false;
    addNewline = !(content.length > 0 && content[content.length - 1] === 10);
  }
  return Buffer.concat(parts);
}

interface AssembleState {
  error?: string;
  remote: boolean;
  fragments?: Fragments;
  /** dest (followed, with content for the diff of local fragments) and dest itself. */
  dest?: RemoteFileState;
  destSelf?: RemoteFileState;
  ids?: Identities;
}

function localFragments(dir: string, decrypt: boolean): Fragments {
  const names = readdirSync(dir);
  const files = new Map<string, Buffer>();
  for (const name of names) {
    let isFile = false;
    try {
      isFile = statSync(join(dir, name)).isFile();
    } catch {
      isFile = false;   // a dangling link is not a file
    }
    if (isFile) files.set(name, readLocalSource(join(dir, name), decrypt));
  }
  return { path: dir, names, files };
}

async function readAssemble(ctx: ModuleContext, args: Record<string, any>): Promise<AssembleState> {
  const src = text(args.src);
  const dest = text(args.dest);
  const remote = toBool(args.remote_src, true);
  // Ansible skips the task in check mode before it reads anything (planAssemble says so): nothing to read.
  if (ctx.check) return { remote };
  if (src === undefined || dest === undefined) return { remote, error: 'src and dest are required' };
  let local: Fragments | undefined;
  if (!remote) {
    let found: string;
    try {
      found = ctx.findFile('files', src);
    } catch (err) {
      return { remote, error: err instanceof Error ? err.message : String(err) };
    }
    if (!statSync(found).isDirectory()) return { remote, error: `Source (${found}) is not a directory` };
    try {
      local = localFragments(found, toBool(args.decrypt, true));
    } catch (error) {
      if (error instanceof LocalSourceError) return { remote, error: error.message };
      throw error;
    }
  }
  // Only the controller's fragments give a content diff (the module on the host gives none): only then is the content needed.
  const withContent = ctx.diff && !remote;
  const queries = [{ path: dest, follow: true, ...(withContent ? { content: true, contentLimit: MAX_DIFF_SIZE } : {}) }, { path: dest, follow: false, checksum: false as const }];
  const ids = identityRequest(wantedAttributes(args));
  const requests = [[fileFact, queries], ...(remote ? [[fragmentsFact, { path: src }]] : []), ...(ids ? [ids] : [])] as const;
  const values = await readFacts(ctx, requests as never) as unknown[];
  const [states] = values as [RemoteFileState[]];
  const fragments = remote ? values[1] as Fragments : local!;
  const identities = ids ? values[values.length - 1] as Identities : undefined;
  return { remote, fragments, dest: states[0], destSelf: states[1], ...(identities ? { ids: identities } : {}) };
}

function planAssemble(ctx: ModuleContext, args: Record<string, any>, st: AssembleState): Plan {
  // Ansible's assemble does not support check mode: the task is skipped.
  if (ctx.check) return checkModeSkip('check mode is not supported for this task.');
  if (st.error) return { changed: false, failed: true, msg: st.error };
  const src = text(args.src)!;
  const dest = text(args.dest)!;
  const fragments = st.fragments!;
  if (fragments.problem === 'missing') return { changed: false, failed: true, msg: `Source (${src}) does not exist` };
  if (fragments.problem === 'not-directory') return { changed: false, failed: true, msg: `Source (${src}) is not a directory` };
  const validate = text(args.validate);
  if (validate !== undefined && !validate.includes('%s')) return { changed: false, failed: true, msg: `validate must contain %s: ${validate}` };
  let content: Buffer;
  try {
    content = assembleFragments(fragments.names, fragments.files, { delimiter: text(args.delimiter), regexp: text(args.regexp), ignoreHidden: toBool(args.ignore_hidden, false) });
  } catch (err) {
    return { changed: false, failed: true, msg: `Invalid Regexp (${(err as Error).message}) in "${text(args.regexp)}"` };
  }
  const destState = st.dest!;
  const self = st.destSelf!;
  const checksum = sha1(content);
  const current = destState.exists && !destState.dangling && destState.type === 'file' ? destState.sha1 : undefined;
  const contentChanged = checksum !== current;
  const wanted = wantedAttributes(args);
  // An unchanged file keeps its attributes in check; a new one gets them on the temp file.
  const attrs = attributeChange(destState.exists && !destState.dangling ? destState : undefined, wanted, false, st.ids);
  const changed = contentChanged || hasChanges(attrs);
  const base: Record<string, unknown> = st.remote ? { src, dest, checksum, md5sum: md5(content), msg: 'OK' } : { dest, checksum };
  const diff: FileDiff[] = [];
  // Only the local variant diffs the content (in diff mode); the module on the host gives none.
  if (ctx.diff && contentChanged && !st.remote) diff.push(fileContentDiff(dest, destState.dangling ? { path: dest, exists: false } : destState, content, src));
  const plan: Plan = { changed, result: { ...base, ...pathInfo(self.exists ? self : undefined) } };
  if (diff.length) plan.diff = diff;
  if (!changed) return plan;
  plan.apply = async () => {
    if (!contentChanged) return pathInfo(await runAttributeCommands(ctx, dest, attrs.changes));
    try {
      const written = await writeFileAtomic(ctx, dest, content, {
        mode: resolveMode(wanted.mode, destState.exists ? destState.mode : undefined, false),
        owner: wanted.owner, group: wanted.group, validate, backup: toBool(args.backup, false) && current !== undefined, followLink: false,
      });
      return {
        md5sum: md5(content), ...pathInfo(written.final),
        ...(written.backup_file ? { backup_file: written.backup_file } : {}),
        ...(validate !== undefined ? { validation: { rc: 0, stdout: '', stderr: '' } } : {}),
      };
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { failed: true, changed: false, msg: `failed to validate: rc:${error.rc} error:${error.validatorStderr}` };
    }
  };
  return plan;
}

export const assemble: Module<Record<string, any>, AssembleState> = {
  name: 'assemble',
  schema: {
    type: 'object',
    properties: {
      src: { ...stringSchema, description: 'Folder of fragments (on the host with remote_src, the default; else local, looked up in files/).' },
      dest: { ...stringSchema, description: 'The file to write.' },
      delimiter: { ...stringSchema, description: 'Written between fragments (escapes such as \\n are decoded; a newline is added after it).' },
      regexp: { ...stringSchema, description: 'Only fragments whose name this Python regex finds (re.search).' },
      ignore_hidden: { ...boolSchema, description: 'Skip fragments whose name starts with a dot.', default: false },
      remote_src: { ...boolSchema, description: 'The fragments are on the host.', default: true },
      backup: { ...boolSchema, description: 'Keep the replaced file (backup_file).', default: false },
      validate: { ...stringSchema, description: 'Command with %s run on the new file before it replaces dest.' },
      follow: boolSchema,
      decrypt: boolSchema,
      ...fileAttributeProperties,
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Build a file from the fragments in a folder (sorted by name; regexp filters names; ignore_hidden skips dot files; delimiter between fragments) on the host (remote_src, the default) or on the controller, and write it atomically when it differs. A dest that is a symbolic link is replaced by the file. Skipped in check mode, as in Ansible.',
    returns: { dest: 'the file', src: 'the folder (remote_src)', checksum: 'sha1 of the assembled file', md5sum: 'its md5', msg: "'OK' (remote_src)", backup_file: 'backup path, with backup', mode: 'mode', owner: 'owner', group: 'group', size: 'bytes' },
    example: [
      '- name: sshd configuration from its parts',
      '  assemble:',
      '    src: /etc/ssh/sshd_config.d',
      '    dest: /etc/ssh/sshd_config',
      "    validate: /usr/sbin/sshd -t -f %s",
    ].join('\n'),
  },
  read: readAssemble,
  plan: planAssemble,
};
