/**
 * stat: everything Ansible's stat module says about a path, read with the
 * `file` fact in one command (type flags, permissions, ids and names, size,
 * float times, inode/device/links/blocks, access for the user running it,
 * link source/target, checksum, MIME type and charset, ext2 attributes).
 */
import type { Module } from '../types.js';
import { readFact } from '../../facts/index.js';
import { CHECKSUM_ALGORITHMS, fileFact, type ChecksumAlgorithm, type FileQuery, type RemoteFileState } from '../../facts/file.js';
import { boolSchema, pick, stringSchema, toBool } from '../lib/args.js';

/** Ansible's names for ext2 attribute letters (lsattr). */
export const FILE_ATTRIBUTE_NAMES: Record<string, string> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents', E: 'encrypted',
  h: 'blocksize', i: 'immutable', I: 'indexed', j: 'journalled', N: 'inline', s: 'zero', S: 'synchronous',
  t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};

export function attributeNames(flags: string): string[] {
  return [...flags].map((f) => FILE_ATTRIBUTE_NAMES[f]).filter((n): n is string => n !== undefined);
}

/** Permission and type flags of a mode, as Ansible's stat and find give them. */
export function modeFlags(s: RemoteFileState): Record<string, boolean> {
  const mode = parseInt(s.mode ?? '0', 8);
  return {
    isdir: s.kind === 'directory', ischr: s.kind === 'char', isblk: s.kind === 'block', isreg: s.kind === 'file',
    isfifo: s.kind === 'fifo', islnk: s.kind === 'link', issock: s.kind === 'socket',
    wusr: (mode & 0o200) !== 0, rusr: (mode & 0o400) !== 0, xusr: (mode & 0o100) !== 0,
    wgrp: (mode & 0o020) !== 0, rgrp: (mode & 0o040) !== 0, xgrp: (mode & 0o010) !== 0,
    woth: (mode & 0o002) !== 0, roth: (mode & 0o004) !== 0, xoth: (mode & 0o001) !== 0,
    isuid: (mode & 0o4000) !== 0, isgid: (mode & 0o2000) !== 0,
  };
}

export interface StatOptions {
  follow: boolean;
  checksum: ChecksumAlgorithm | false;
  md5: boolean;
  mime: boolean;
  attributes: boolean;
}

export function statOptions(args: Record<string, unknown>): StatOptions {
  const algorithm = String(pick(args, 'checksum_algorithm', 'checksum', 'checksum_algo') ?? 'sha1') as ChecksumAlgorithm;
  return {
    follow: toBool(args.follow, false),
    checksum: toBool(args.get_checksum, true) ? algorithm : false,
    md5: toBool(args.get_md5, false),
    mime: toBool(pick(args, 'get_mime', 'mime', 'mime_type', 'mime-type'), true),
    attributes: toBool(pick(args, 'get_attributes', 'attr', 'attributes'), true),
  };
}

/** What stat reads: the path, and its md5 when asked. */
function statQueries(args: Record<string, unknown>): FileQuery[] {
  const path = String(pick(args, 'path', 'dest', 'name'));
  const o = statOptions(args);
  const query: FileQuery = { path, follow: o.follow, checksum: o.checksum, access: true, mime: o.mime, attributes: o.attributes };
  return o.md5 ? [query, { path, follow: o.follow, checksum: 'md5' }] : [query];
}

export interface StatState { main: RemoteFileState; md5?: RemoteFileState }

/** Ansible's stat dict. */
export function statResult(state: StatState, o: StatOptions): Record<string, unknown> {
  const s = state.main;
  // Following a link to nothing is "no such file", as os.stat says.
  if (!s.exists || (o.follow && s.dangling)) return { exists: false };
  const out: Record<string, unknown> = {
    exists: true,
    path: s.path,
    mode: s.mode,
    ...modeFlags(s),
    uid: s.uid, gid: s.gid, size: s.size, inode: s.inode, dev: s.dev, nlink: s.nlink,
    atime: s.atime, mtime: s.mtime, ctime: s.ctime,
    blocks: s.blocks, block_size: s.blockSize, device_type: s.rdev,
    readable: s.access?.readable ?? false,
    writeable: s.access?.writeable ?? false,
    executable: s.access?.executable ?? false,
  };
  if (s.kind === 'link') {
    out.lnk_source = s.realPath;
    out.lnk_target = s.linkTarget;
  }
  if (s.owner !== undefined) out.pw_name = s.owner;
  if (s.group !== undefined) out.gr_name = s.group;
  if (s.kind === 'file' && s.access?.readable) {
    if (o.md5) out.md5 = state.md5?.checksum ?? null;
    if (o.checksum && s.checksum) out.checksum = s.checksum;
  }
  if (o.mime) {
    out.mimetype = s.mime?.mimetype ?? 'unknown';
    out.charset = s.mime?.charset ?? 'unknown';
  }
  if (o.attributes) {
    out.version = s.attributes?.version ?? null;
    out.attributes = attributeNames(s.attributes?.flags ?? '');
    out.attr_flags = s.attributes?.flags ?? '';
  }
  return out;
}

const checksumSchema = { enum: [...CHECKSUM_ALGORITHMS] };

export const stat: Module<Record<string, any>, StatState> = {
  name: 'stat',
  schema: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'The path to describe (aliases dest, name).' },
      dest: stringSchema, name: stringSchema,
      follow: { ...boolSchema, description: 'Describe the target of a symbolic link instead of the link.', default: false },
      get_checksum: { ...boolSchema, description: 'Return the checksum of a regular, readable file.', default: true },
      checksum_algorithm: { ...checksumSchema, description: 'Algorithm of the checksum (aliases checksum, checksum_algo).', default: 'sha1' },
      checksum: checksumSchema, checksum_algo: checksumSchema,
      get_mime: { ...boolSchema, description: 'Return mimetype and charset (from `file`; aliases mime, mime_type, mime-type).', default: true },
      mime: boolSchema, mime_type: boolSchema, 'mime-type': boolSchema,
      get_attributes: { ...boolSchema, description: 'Return the ext2 attributes from `lsattr` (aliases attr, attributes).', default: true },
      attr: boolSchema, attributes: boolSchema,
      get_md5: { ...boolSchema, description: 'Also return the md5 (deprecated in Ansible).', default: false },
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'Facts about a remote path, as Ansible\'s stat: exists, the type flags, permissions, ids and names, size, times, links, the checksum of a regular file, the MIME type and the ext2 attributes. follow: yes describes a link\'s target (a link to nothing then does not exist). Never changes anything.',
    returns: {
      'stat.exists': 'whether the path exists (only key when it does not)',
      'stat.path': 'the path',
      'stat.mode': 'permissions, 4 octal digits',
      'stat.isdir, isreg, islnk, ischr, isblk, isfifo, issock': 'the type',
      'stat.uid, gid, pw_name, gr_name': 'owner and group, numbers and names',
      'stat.size, inode, dev, nlink, blocks, block_size, device_type': 'the numbers of stat(2)',
      'stat.atime, mtime, ctime': 'times, seconds since the epoch as floats',
      'stat.rusr, wusr, xusr, rgrp, wgrp, xgrp, roth, woth, xoth, isuid, isgid': 'permission bits',
      'stat.readable, writeable, executable': 'what the user running the task may do',
      'stat.lnk_source, lnk_target': 'for a link: the resolved path and the link\'s text',
      'stat.checksum': 'checksum of a regular readable file (checksum_algorithm)',
      'stat.md5': 'with get_md5',
      'stat.mimetype, charset': 'from `file` (unknown without it)',
      'stat.attributes, attr_flags, version': 'from `lsattr`',
    },
    example: [
      '- name: Is the mode file there?',
      '  stat:',
      '    path: /etc/uxsv/mode',
      '  register: mode_file',
    ].join('\n'),
  },
  async read(ctx, args) {
    const [main, md5] = await readFact(ctx, fileFact, statQueries(args));
    return { main: main!, ...(md5 ? { md5 } : {}) };
  },
  readAhead: (_ctx, args) => [[fileFact, statQueries(args)]],
  plan: (_ctx, args, state) => ({ changed: false, result: { stat: statResult(state, statOptions(args)) } }),
};
