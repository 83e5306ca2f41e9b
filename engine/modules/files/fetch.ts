/**
 * fetch: copy a file from the host to the controller, into
 * dest/<inventory_hostname>/<src> or (flat) dest itself, as Ansible's fetch
 * action. The read compares the host's sha1 with the local file's; apply
 * transfers the bytes, checks their sha1 and writes them atomically beside
 * the destination (through a link there, as Ansible's open() does).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { posix } from 'node:path';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readFact } from '../../facts/index.js';
import { fileFact, type RemoteFileState } from '../../facts/file.js';
import { quote } from '../../connection/quote.js';
import { boolSchema, text, toBool } from '../lib/args.js';
import { checkModeSkip, md5 } from './common.js';

interface LocalState { path: string; isDir: boolean; sha1?: string; md5?: string }

interface FetchState {
  error?: string;
  remote?: RemoteFileState;
  /** The local destination as Ansible computes it (normalised). */
  dest?: string;
  local?: LocalState;
  /** dest given with flat names an existing folder without a trailing slash. */
  flatIntoFolder?: boolean;
}

function hashes(path: string): { sha1?: string; md5?: string } {
  try {
    if (!statSync(path).isFile()) return {};
    const bytes = readFileSync(path);
    return { sha1: createHash('sha1').update(bytes).digest('hex'), md5: md5(bytes) };
  } catch {
    return {};
  }
}

/** Ansible's path_dwim: a relative dest is taken from the playbook's folder. */
function fromPlaybook(ctx: ModuleContext, path: string): string {
  if (isAbsolute(path)) return path;
  const base = typeof ctx.vars.playbook_dir === 'string' ? ctx.vars.playbook_dir : process.cwd();
  return resolve(base, path);
}

export function fetchDestination(ctx: ModuleContext, src: string, dest: string, flat: boolean): string {
  const expanded = dest.startsWith('~') ? dest.replace(/^~(?=$|\/)/, process.env.HOME ?? '~') : dest;
  if (flat) {
    const into = expanded.endsWith(sep) ? join(expanded, posix.basename(src)) : expanded;
    return normalize(fromPlaybook(ctx, into));
  }
  const host = String(ctx.vars.inventory_hostname ?? ctx.host);
  return normalize(`${fromPlaybook(ctx, expanded)}/${host}/${src}`);
}

/** The action's own argument checks (Ansible makes them when the task runs, messages included). */
function argumentError(args: Record<string, any>): string | undefined {
  let msg: string | undefined;
  if (typeof args.src !== 'string') msg = 'Invalid type supplied for source option, it must be a string';
  if (typeof args.dest !== 'string') msg = 'Invalid type supplied for dest option, it must be a string';
  if (args.src === undefined || args.src === null || args.dest === undefined || args.dest === null) msg = 'src and dest are required';
  return msg;
}

async function readFetch(ctx: ModuleContext, args: Record<string, any>): Promise<FetchState> {
  const error = argumentError(args);
  if (error) return { error };
  const src = String(args.src);
  const dest = String(args.dest);
  const flat = toBool(args.flat, false);
  const [remote] = await readFact(ctx, fileFact, [{ path: src, follow: true, access: true, why: true }]);
  const target = fetchDestination(ctx, src, dest, flat);
  const flatIntoFolder = flat && !dest.endsWith(sep) && existsSync(target) && statSync(target).isDirectory();
  let isDir = false;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    isDir = false;
  }
  return { remote, dest: target, local: { path: target, isDir, ...hashes(target) }, flatIntoFolder };
}

function planFetch(ctx: ModuleContext, args: Record<string, any>, st: FetchState): Plan {
  // Ansible's fetch does not support check mode: the task is skipped whatever it would find.
  if (ctx.check) return checkModeSkip('check mode not (yet) supported for this module');
  if (st.error) return { changed: false, failed: true, msg: st.error };
  const src = text(args.src)!;
  const failOnMissing = toBool(args.fail_on_missing, true);
  const validate = toBool(pick2(args, 'validate_checksum', 'validate_md5'), true);
  const remote = st.remote!;
  // Ansible's fetch does not support check mode: every outcome is skipped there.
  if (remote.exists && !remote.dangling && remote.type === 'directory') {
    const msg = 'remote file is a directory, fetch cannot work on directories';
    return failOnMissing ? { changed: false, failed: true, msg } : { changed: false, msg: `${msg}, not transferring, ignored` };
  }
  if (remote.denied) {
    // Ansible stats first (its error is the message), or with become reads it directly (slurp's message).
    const msg = ctx.become ? `file is not readable: ${src}` : `Failed to get information on remote file (${src}): Permission denied`;
    return failOnMissing ? { changed: false, failed: true, msg, result: { file: src } } : { changed: false, msg: ctx.become ? undefined : `${msg}, ignored`, result: { file: src } };
  }
  if (!remote.exists || remote.dangling) {
    const msg = 'the remote file does not exist, not transferring, ignored';
    return failOnMissing
      ? { changed: false, failed: true, msg, result: { file: src } }
      : { changed: false, msg, result: { file: src } };
  }
  if (!remote.access?.readable) {
    return failOnMissing
      ? { changed: false, failed: true, msg: `file is not readable: ${src}` }
      : { changed: false, result: { file: src } };
  }
  if (st.flatIntoFolder) {
    return { changed: false, failed: true, msg: 'dest is an existing directory, use a trailing slash if you want to fetch src into that directory' };
  }
  const dest = st.dest!;
  const remoteChecksum = remote.sha1;
  if (remoteChecksum !== undefined && remoteChecksum === st.local!.sha1) {
    return { changed: false, result: { md5sum: st.local!.md5, file: src, dest, checksum: st.local!.sha1 } };
  }
  return {
    changed: true,
    apply: async () => {
      const res = await ctx.run(`cat -- ${quote(src)}`);
      if (res.rc !== 0) return { failed: true, changed: false, msg: `Failed to fetch the file: ${res.stderr.toString().trim()}`, file: src };
      const bytes = res.stdout;
      const got = createHash('sha1').update(bytes).digest('hex');
      if (validate && remoteChecksum !== undefined && got !== remoteChecksum) {
        return { failed: true, changed: false, md5sum: md5(bytes), msg: 'checksum mismatch', file: src, dest, remote_md5sum: null, checksum: got, remote_checksum: remoteChecksum };
      }
      try {
        writeLocalAtomic(dest, bytes);
      } catch (error) {
        return { failed: true, changed: false, msg: `Failed to fetch the file: ${(error as Error).message}` };
      }
      return { md5sum: md5(bytes), dest, remote_md5sum: null, checksum: got, remote_checksum: remoteChecksum ?? got };
    },
  };
}

function pick2(args: Record<string, unknown>, a: string, b: string): unknown {
  return args[a] ?? args[b];
}

const TEMP_PREFIX = '.uxsv-fetch.';

/** Temp files of runs that died before renaming them (their process is gone). */
function sweepStaleTemps(folder: string): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${TEMP_PREFIX.replace(/\./g, '\\.')}(\\d+)\\.`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      rmSync(join(folder, name), { force: true });
    }
  }
}

/**
 * Write beside the destination (its target when it is a link), check on disk
 * that exactly these bytes are there (size and sha1), then rename: a reader
 * never sees half a file, and a failure leaves no temp file.
 */
export function writeLocalAtomic(path: string, content: Buffer): void {
  let target = path;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
  } catch {
    // a link to nothing: written as the path itself
  }
  const folder = dirname(target);
  mkdirSync(folder, { recursive: true });
  sweepStaleTemps(folder);
  const temp = join(folder, `${TEMP_PREFIX}${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      for (let written = 0; written < content.length;) written += writeSync(fd, content, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const onDisk = readFileSync(temp);
    if (onDisk.length !== content.length || createHash('sha1').update(onDisk).digest('hex') !== createHash('sha1').update(content).digest('hex')) {
      throw new Error(`the written copy of ${path} is incomplete`);
    }
    // Keep the mode an existing file had; a new one gets 0666 minus the umask, as open() would.
    let mode = 0o666 & ~process.umask();
    try {
      mode = statSync(target).mode & 0o7777;
    } catch {
      // new file
    }
    chmodSync(temp, mode);
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export const fetch: Module<Record<string, any>, FetchState> = {
  name: 'fetch',
  schema: {
    type: 'object',
    properties: {
      src: { description: 'The file on the host (not a folder).' },
      dest: { description: 'Local folder (dest/<inventory_hostname>/<src>), or with flat the file itself (dest/basename(src) when it ends in /); relative to the playbook\'s folder.' },
      flat: { ...boolSchema, description: 'Put the file at dest instead of below dest/<host>/.', default: false },
      fail_on_missing: { ...boolSchema, description: 'Fail when src is missing or unreadable.', default: true },
      validate_checksum: { ...boolSchema, description: 'Check the transferred bytes against the host\'s sha1 (alias validate_md5).', default: true },
      validate_md5: boolSchema,
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Copy a file from the host to the controller, as Ansible\'s fetch: to dest/<inventory_hostname>/<src>, or with flat: yes to dest itself. Unchanged when the local copy has the same sha1. The local file is written atomically (temp file beside it, checked, renamed; through a link there). Skipped in check mode, as in Ansible.',
    returns: {
      dest: 'local path', file: 'the host path (unchanged or failed)', checksum: 'sha1 of the local file', remote_checksum: 'sha1 on the host',
      md5sum: 'md5 of the local file', remote_md5sum: 'always null',
    },
    example: [
      '- name: Keep a copy of the mail configuration',
      '  fetch:',
      '    src: /etc/exim4/exim4.conf',
      '    dest: backups/',
    ].join('\n'),
  },
  read: readFetch,
  plan: planFetch,
};
