/**
 * fetch: copy a remote file to the controller, into
 * dest/<inventory_hostname>/<src path> (or exactly dest with flat: yes).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { posix } from 'node:path';
import type { Module, ModuleContext } from '../types.js';
import { readFileState, type RemoteFileState } from '../lib/fileops.js';
import { quote } from '../../connection/quote.js';
import { boolSchema, stringSchema, toBool } from '../lib/args.js';
import { md5, sha1 } from './common.js';

interface FetchState { remote: RemoteFileState; localPath: string; localSha1?: string }

export function fetchDestination(src: string, dest: string, host: string, flat: boolean): string {
  if (flat) return resolve(dest.endsWith('/') ? join(dest, posix.basename(src)) : dest);
  return resolve(join(dest, host, posix.normalize(src.startsWith('/') ? src : `/${src}`)));
}

function localSha1(path: string): string | undefined {
  if (!existsSync(path) || !statSync(path).isFile()) return undefined;
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

/** Write beside the destination, then rename: a reader never sees half a file. */
function writeLocalAtomic(path: string, content: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.uxsv-${process.pid}-${Date.now()}`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}

export const fetch: Module<Record<string, any>, FetchState> = {
  name: 'fetch',
  schema: {
    type: 'object',
    properties: { src: stringSchema, dest: stringSchema, flat: boolSchema, fail_on_missing: boolSchema, validate_checksum: boolSchema, validate_md5: boolSchema },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  doc: {
    description: 'Copy a remote file to the controller: to dest/<inventory_hostname>/<src> or, with flat: yes, to dest itself (dest/basename(src) when dest ends in /). Unchanged when the local copy has the same sha1.',
    returns: { dest: 'local path', checksum: 'sha1 of the fetched file', remote_checksum: 'sha1 on the host', md5sum: 'md5 of the local file' },
    example: [
      '- name: Keep a copy of the mail configuration',
      '  fetch:',
      '    src: /etc/exim4/exim4.conf',
      '    dest: backups/',
    ].join('\n'),
  },
  async read(ctx, args) {
    const localPath = fetchDestination(String(args.src), String(args.dest), ctx.host, toBool(args.flat, false));
    const remote = await readFileState(ctx, String(args.src));
    return { remote, localPath, localSha1: localSha1(localPath) };
  },
  plan(ctx: ModuleContext, args, state) {
    const src = String(args.src);
    const { remote, localPath } = state;
    const failOnMissing = toBool(args.fail_on_missing, true);
    if (!remote.exists) {
      const msg = 'the remote file does not exist, not transferring, ignored';
      return failOnMissing ? { changed: false, failed: true, msg, result: { file: src } } : { changed: false, msg, result: { file: src } };
    }
    if (remote.type === 'directory') return { changed: false, failed: true, msg: 'remote file is a directory, fetch cannot work on directories', result: { file: src } };
    const result = { dest: localPath, file: src, remote_checksum: remote.sha1, checksum: remote.sha1 };
    if (state.localSha1 === remote.sha1) return { changed: false, result: { ...result, md5sum: md5(readFileSync(localPath)) } };
    return {
      changed: true,
      result,
      apply: async () => {
        const res = await ctx.run(`cat -- ${quote(src)}`);
        if (res.rc !== 0) throw new Error(`cannot read ${src}: ${res.stderr.toString().trim()}`);
        const got = sha1(res.stdout);
        if (toBool(args.validate_checksum, true) && remote.sha1 && got !== remote.sha1) {
          throw new Error(`checksum mismatch: the file changed on the host while it was fetched (${got} != ${remote.sha1})`);
        }
        writeLocalAtomic(localPath, res.stdout);
        return { checksum: got, md5sum: md5(res.stdout) };
      },
    };
  },
};
