/**
 * stat and slurp: read-only views of a remote path.
 */
import type { Module } from '../types.js';
import { readFileState, type RemoteFileState } from '../lib/fileops.js';
import { quote } from '../../connection/quote.js';
import { boolSchema, pick, stringSchema, toBool } from '../lib/args.js';

/** Ansible's stat dict (the common keys). */
export function statResult(s: RemoteFileState, getChecksum: boolean): Record<string, unknown> {
  if (!s.exists) return { exists: false };
  const mode = parseInt(s.mode ?? '0', 8);
  return {
    exists: true,
    path: s.path,
    mode: s.mode,
    isdir: s.type === 'directory',
    isreg: s.type === 'file',
    islnk: s.type === 'link' || s.linkTarget !== undefined,
    uid: s.uid,
    gid: s.gid,
    pw_name: s.owner,
    gr_name: s.group,
    size: s.size,
    mtime: s.mtime,
    inode: s.inode,
    dev: s.dev,
    xusr: (mode & 0o100) !== 0, rusr: (mode & 0o400) !== 0, wusr: (mode & 0o200) !== 0,
    xgrp: (mode & 0o010) !== 0, rgrp: (mode & 0o040) !== 0, wgrp: (mode & 0o020) !== 0,
    xoth: (mode & 0o001) !== 0, roth: (mode & 0o004) !== 0, woth: (mode & 0o002) !== 0,
    isuid: (mode & 0o4000) !== 0, isgid: (mode & 0o2000) !== 0,
    ...(getChecksum && s.sha1 ? { checksum: s.sha1 } : {}),
    ...(s.linkTarget !== undefined ? { lnk_source: s.realPath, lnk_target: s.linkTarget } : {}),
  };
}

export const stat: Module<Record<string, any>, RemoteFileState> = {
  name: 'stat',
  schema: {
    type: 'object',
    properties: {
      path: stringSchema, dest: stringSchema, name: stringSchema,
      follow: boolSchema, get_checksum: boolSchema,
      checksum_algorithm: { enum: ['sha1', 'sha'] }, checksum_algo: { enum: ['sha1', 'sha'] },
      get_mime: boolSchema, get_attributes: boolSchema, get_md5: boolSchema,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'Facts about a remote path: exists, type flags (isdir, isreg, islnk), mode, owner, size, mtime and the sha1 checksum of regular files. follow: yes describes a link\'s target. Never changes anything.',
    returns: { stat: 'dict: exists, path, mode, isdir, isreg, islnk, uid, gid, pw_name, gr_name, size, mtime, checksum, lnk_source, lnk_target' },
    example: [
      '- name: Is the mode file there?',
      '  stat:',
      '    path: /etc/uxsv/mode',
      '  register: mode_file',
    ].join('\n'),
  },
  read: (ctx, args) => readFileState(ctx, String(pick(args, 'path', 'dest', 'name')), { follow: toBool(args.follow, false) }),
  plan: (_ctx, args, state) => ({ changed: false, result: { stat: statResult(state, toBool(args.get_checksum, true)) } }),
};

interface SlurpState { exists: boolean; isDir: boolean; content: string; error?: string }

export const slurp: Module<Record<string, any>, SlurpState> = {
  name: 'slurp',
  schema: {
    type: 'object',
    properties: { src: stringSchema, path: stringSchema },
    anyOf: [{ required: ['src'] }, { required: ['path'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'Return a remote file\'s content, base64-encoded (decode with the b64decode filter). Never changes anything.',
    returns: { content: 'base64 content', encoding: "'base64'", source: 'the path read' },
    example: [
      '- slurp:',
      '    src: /etc/uxsv/mode',
      '  register: mode',
      "- debug: msg=\"{{ mode.content | b64decode }}\"",
    ].join('\n'),
  },
  async read(ctx, args) {
    const src = String(pick(args, 'src', 'path'));
    const res = await ctx.run(`p=${quote(src)}; if [ -d "$p" ]; then echo D; elif [ ! -e "$p" ]; then echo M; else base64 -w0 < "$p" && echo; fi`);
    const out = res.stdout.toString().trim();
    if (res.rc !== 0) return { exists: true, isDir: false, content: '', error: res.stderr.toString().trim() };
    return { exists: out !== 'M', isDir: out === 'D', content: out === 'M' || out === 'D' ? '' : out };
  },
  plan(_ctx, args, state) {
    const src = String(pick(args, 'src', 'path'));
    if (state.error) return { changed: false, failed: true, msg: `unable to slurp file: ${state.error}` };
    if (!state.exists) return { changed: false, failed: true, msg: `file not found: ${src}` };
    if (state.isDir) return { changed: false, failed: true, msg: `source is a directory and must be a file: ${src}` };
    return { changed: false, result: { content: state.content, encoding: 'base64', source: src } };
  },
};
