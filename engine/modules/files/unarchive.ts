/**
 * unarchive: unpack a zip or (GNU) tar archive, plain or compressed with
 * gzip, bzip2, xz or zstd, into a folder on the host with the host's own
 * tools, as Ansible's unarchive. The archive is local (sent to the host on
 * the command's stdin, checked and kept only while the command runs) or
 * already on the host (remote_src). Whether it is unpacked already is told
 * as Ansible tells it: tar --diff, or for zip each entry's type, mtime,
 * size, content, mode and owner.
 */
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readFacts } from '../../facts/index.js';
import { archiveFact, type ArchiveProbe, type ArchiveQuery } from '../../facts/archive.js';
import { fileFact, type RemoteFileState } from '../../facts/file.js';
import { identityFact, type Identities } from '../../facts/identity.js';
import { quote } from '../../connection/quote.js';
import { privateTemp, resolveMode } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, stringListSchema, stringSchema, text, toBool, toList } from '../lib/args.js';
import { attributeChange, checkModeSkip, hasChanges, pathInfo, wantedAttributes, type WantedAttributes } from './common.js';
import { strptime } from './file-times.js';
import { LocalSourceError, readLocalSource } from './local-source.js';
import { infoMessage, NO_TOOL, parseOutcome, requestScript, type HttpRequest } from './http.js';

interface UnarchiveArgs {
  src?: string;
  dest?: string;
  remoteSrc: boolean;
  creates?: string;
  listFiles: boolean;
  keepNewer: boolean;
  excludes: string[];
  includes: string[];
  extraOpts: string[];
  decrypt: boolean;
  attributes: WantedAttributes;
  error?: string;
}

function unarchiveArgs(args: Record<string, any>): UnarchiveArgs {
  let remoteSrc = toBool(args.remote_src, false);
  let error: string | undefined;
  if (args.copy !== undefined && args.copy !== null) {
    if (args.remote_src !== undefined && args.remote_src !== null) error = "parameters are mutually exclusive: ('copy', 'remote_src')";
    remoteSrc = !toBool(args.copy, true);
  }
  const excludes = toList(args.exclude);
  const includes = toList(args.include);
  if (excludes.length && includes.length) error ??= 'parameters are mutually exclusive: include|exclude';
  if (args.src === undefined || args.src === null || args.dest === undefined || args.dest === null) error ??= 'src (or content) and dest are required';
  return {
    src: text(args.src), dest: text(args.dest), remoteSrc, creates: text(args.creates),
    listFiles: toBool(args.list_files, false), keepNewer: toBool(args.keep_newer, false),
    excludes, includes, extraOpts: toList(args.extra_opts), decrypt: toBool(args.decrypt, true),
    attributes: wantedAttributes(args), ...(error ? { error } : {}),
  };
}

interface Host { uid: number; gid: number; umask: number }

interface UnarchiveState {
  error?: string;
  skip?: string;
  /** The archive's bytes when it is local (sent again to unpack). */
  local?: Buffer;
  /** The archive as named in results. */
  shown: string;
  probe?: ArchiveProbe;
  host?: Host;
  dest?: RemoteFileState;
  /** lstat of each listed file and top folder (when attributes are managed). */
  targets?: RemoteFileState[];
  targetNames?: string[];
  ids?: Identities;
}

/** A path for a command line: one starting with a dash gets ./ in front. */
function safePath(path: string): string {
  return path.startsWith('-') ? `./${path}` : path;
}

/**
 * The archive on the host for one command: a local one arrives on stdin, is
 * checked (size, sha1) and removed when the command ends, however it ends.
 */
export function withArchive(local: Buffer | undefined, remotePath: string | undefined, body: string, download?: HttpRequest): { script: string; stdin?: Buffer } {
  if (download) {
    // A URL: fetched on the host into a private temp file first (Ansible's fetch_file), removed at the end.
    const temp = privateTemp('a');
    return {
      script: [
        temp.name,
        `trap 'rm -f -- "$a" "$a.h" "$a.w" "$a.e" "$a.c"' EXIT`,
        "trap 'exit 129' HUP; trap 'exit 141' PIPE; trap 'exit 143' TERM",
        temp.create,
        `o="$a"`,
        requestScript(download),
        'if [ "$rc" != 0 ] || [ "$(cut -d" " -f1 < "$a.w")" != 200 ]; then printf "DOWNLOAD FAILED\\n"; exit 0; fi',
        `( ${body}\n)`,
      ].join('\n'),
    };
  }
  if (!local) return { script: `a=${quote(safePath(remotePath!))}\n${body}` };
  const sha1 = createHash('sha1').update(local).digest('hex');
  const temp = privateTemp('a');
  return {
    stdin: local,
    script: [
      temp.name,
      `trap 'rm -f -- "$a"' EXIT`,
      "trap 'exit 129' HUP; trap 'exit 141' PIPE; trap 'exit 143' TERM",
      temp.create,
      'cat > "$a" || exit 1',
      `[ "$(stat -c %s -- "$a")" = ${local.length} ] && [ "$(sha1sum < "$a" | cut -c1-40)" = ${sha1} ] || { echo "the archive arrived incomplete" >&2; exit 98; }`,
      `( ${body}\n)`,
    ].join('\n'),
  };
}

function probeQuery(a: UnarchiveArgs, listOnly: boolean): ArchiveQuery {
  return {
    archive: '"$a"', shown: a.src ?? '', dest: a.dest!, excludes: a.excludes, includes: a.includes, extraOpts: a.extraOpts,
    owner: a.attributes.owner, group: a.attributes.group, keepNewer: a.keepNewer, listOnly,
  };
}

const HOST_LINE = "printf 'U\\0%s %s %s\\0' \"$(id -u)\" \"$(id -g)\" \"$(umask)\"";

function parseHost(out: Buffer): Host | undefined {
  const m = /U\0(\d+) (\d+) (\d+)\0/.exec(out.toString('latin1'));
  return m ? { uid: Number(m[1]), gid: Number(m[2]), umask: parseInt(m[3]!, 8) } : undefined;
}

/**
 * Names tar prints escaped (\n, \\, octal bytes of non-ASCII names): decoded
 * to bytes, then read as UTF-8, as Ansible's codecs.escape_decode then to_native.
 */
export function tarName(name: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const m = /^\\(\\|n|t|[0-7]{1,3})/.exec(name.slice(i));
    if (m) {
      const e = m[1]!;
      bytes.push(e === '\\' ? 0x5c : e === 'n' ? 0x0a : e === 't' ? 0x09 : parseInt(e, 8) & 0xff);
      i += m[0].length - 1;
    } else {
      const char = String.fromCodePoint(name.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Ansible's files_in_archive: leading / dropped, excludes (fnmatch) left out. */
function filesInArchive(probe: ArchiveProbe, excludes: string[]): string[] {
  const isTar = probe.handler !== undefined && !probe.handler.startsWith('Zip');
  const globs = excludes.map((e) => new RegExp(`^${e.replace(/\/+$/, '').replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return probe.files
    .map((n) => (isTar ? tarName(n) : n).replace(/^\//, ''))
    .filter((n) => !(isTar && globs.some((g) => g.test(n))));
}

function topFolders(files: string[]): string[] {
  return [...new Set(files.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!))];
}

async function readUnarchive(ctx: ModuleContext, args: Record<string, any>): Promise<UnarchiveState> {
  const a = unarchiveArgs(args);
  const shown = a.src ?? '';
  if (a.error) return { error: a.error, shown };
  if (a.creates !== undefined) {
    const [created] = await readFacts(ctx, [[fileFact, [{ path: a.creates, checksum: false }]]] as const) as unknown as [RemoteFileState[]];
    if (created![0]!.exists) return { skip: `skipped, since ${a.creates} exists`, shown };
  }
  let local: Buffer | undefined;
  const queries = [{ path: a.dest!, checksum: false as const }];
  if (!a.remoteSrc) {
    try {
      const path = ctx.findFile('files', a.src!);
      if (statSync(path).isDirectory()) return { error: `Source '${path}' is not a file`, shown };
      local = readLocalSource(path, a.decrypt);
    } catch (error) {
      return { error: error instanceof LocalSourceError ? error.message : (error as Error).message, shown };
    }
  }
  const url = a.remoteSrc && a.src!.includes('://') ? a.src! : undefined;
  const states = await readFacts(ctx, [[fileFact, a.remoteSrc && !url ? [...queries, { path: a.src!, access: true, checksum: false as const }] : queries]] as const) as unknown as [RemoteFileState[]];
  const [dest, src] = states[0]!;
  if (!dest!.exists || dest!.type !== 'directory' || dest!.dangling) return { error: `dest '${a.dest}' must be an existing dir`, shown };
  if (a.remoteSrc && !url) {
    if (!src!.exists || src!.dangling) return { error: `Source '${a.src}' does not exist`, shown };
    if (!src!.access?.readable) return { error: `Source '${a.src}' not readable`, shown };
    if (src!.size === 0) return { error: `Invalid archive '${a.src}', the file is 0 bytes`, shown };
  } else if (local && local.length === 0) {
    return { error: `Invalid archive '${a.src}', the file is 0 bytes`, shown };
  }
  // Ansible's tar handlers stop at check mode: only the handler is needed then.
  const download = url ? downloadRequest(url, args) : undefined;
  const { script, stdin } = withArchive(local, a.remoteSrc ? a.src : undefined, `${HOST_LINE}\n${archiveFact.command(probeQuery(a, ctx.check))}`, download);
  const res = await ctx.run(script, stdin ? { stdin } : {});
  if (res.rc !== 0) return { error: `cannot read ${shown}: ${res.stderr.toString().trim() || `rc ${res.rc}`}`, shown };
  if (url && /^DOWNLOAD FAILED$/m.test(res.stdout.toString())) {
    const outcome = parseOutcome(res.stdout.toString(), url);
    return { error: outcome.tool === 'none' ? NO_TOOL : `Failure downloading ${url}, ${infoMessage(outcome)}`, shown };
  }
  const probe = archiveFact.parse({ rc: res.rc, stdout: res.stdout, stderr: res.stderr.toString() }, probeQuery(a, ctx.check));
  const state: UnarchiveState = { shown, probe, host: parseHost(res.stdout), dest: dest!, ...(local ? { local } : {}) };
  const wanted = a.attributes;
  if (probe.handler && (wanted.mode !== undefined || wanted.owner !== undefined || wanted.group !== undefined)) {
    const files = filesInArchive(probe, a.excludes);
    const names = [...files, ...topFolders(files)];
    const ids = wanted.owner !== undefined || wanted.group !== undefined
      ? [identityFact, { users: wanted.owner !== undefined ? [wanted.owner] : [], groups: wanted.group !== undefined ? [wanted.group] : [] }] as const : undefined;
    const values = await readFacts(ctx, [[fileFact, names.map((n) => ({ path: posix.join(a.dest!, n), follow: false, checksum: false as const }))], ...(ids ? [ids] : [])] as never) as unknown[];
    state.targets = values[0] as RemoteFileState[];
    state.targetNames = names;
    if (ids) state.ids = values[1] as Identities;
  }
  return state;
}

/** Ansible's ZipArchive._permstr_to_octal (no s/t bits: unzip does not set them). */
function permstrToOctal(perm: string, umask: number): number {
  const rev = [...perm].reverse();
  let mode = 0;
  for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) if ('rwxst'.includes(rev[i + 3 * j]!)) mode += 2 ** (i + 3 * j);
  return mode & ~umask;
}

/** Ansible's ZipArchive.is_unarchived, on the entries the probe compared. Returns the itemized diff too. */
export function zipUnarchived(probe: ArchiveProbe, a: UnarchiveArgs, host: Host, ids: Identities | undefined): { unarchived: boolean; diff: string } {
  let unarchived = probe.zipinfoRc === 0;
  let diff = '';
  const futUid = a.attributes.owner !== undefined ? ids?.users[a.attributes.owner] ?? (/^\d+$/.test(a.attributes.owner) ? Number(a.attributes.owner) : host.uid) : host.uid;
  const futGid = a.attributes.group !== undefined ? ids?.groups[a.attributes.group] ?? (/^\d+$/.test(a.attributes.group) ? Number(a.attributes.group) : host.gid) : host.gid;
  for (const e of probe.zipEntries) {
    if (e.perm.length !== 7 && e.perm.length !== 10) continue;
    if (e.stamp.length !== 15) continue;
    if (a.excludes.includes(e.path)) continue;
    const ztype = e.perm[0]!;
    let permstr = e.perm.slice(1);
    const ftype = e.path.endsWith('/') ? 'd' : ztype === 'l' ? 'L' : 'f';
    let fileUmask = 0;
    if (permstr.length === 6) {
      permstr = e.path.endsWith('/') || permstr === 'rwx---' ? 'rwxrwxrwx' : 'rw-rw-rw-';
      fileUmask = host.umask;
    }
    const st = e.stat;
    const note = (flag: string) => {
      unarchived = false;
      diff += `${flag}${ftype}++++++.?? ${e.path}\n`;
    };
    if (!st) { note('>'); continue; }
    const kind = st.mode & 0o170000;
    if (ftype === 'd' && kind !== 0o040000) { note('c'); continue; }
    if (ftype === 'f' && kind !== 0o100000) { note('c'); continue; }
    if (ftype === 'L' && kind !== 0o120000) { note('c'); continue; }
    const itemized = [...`.${ftype}.......??`];
    let change = false;
    if (kind === 0o100000) {
      const stamp = strptime(e.stamp, '%Y%m%d.%H%M%S').getTime() / 1000;
      if (a.keepNewer) {
        if (stamp > st.mtime) { change = true; itemized[4] = 't'; } else if (stamp < st.mtime) continue;
      } else if (stamp !== st.mtime) { change = true; itemized[4] = 't'; }
      if (e.size !== st.size) { change = true; itemized[3] = 's'; }
      if (e.same === false) { change = true; itemized[2] = 'c'; }
    }
    if (ftype !== 'L') {
      let mode: number;
      if (a.attributes.mode !== undefined) {
        mode = parseInt(resolveMode(a.attributes.mode, st.perms.toString(8), ftype === 'd')!, 8);
      } else mode = permstrToOctal(permstr, ztype === '?' ? 0 : fileUmask);
      if (mode !== (st.perms & 0o7777)) { change = true; itemized[5] = 'p'; }
    }
    if (st.uid !== futUid) { change = true; itemized[6] = 'o'; }
    if (st.gid !== futGid) { change = true; itemized[7] = 'g'; }
    if (change) {
      unarchived = false;
      diff += `${itemized.join('')} ${e.path}\n`;
    }
  }
  return { unarchived, diff };
}

/** Ansible's TgzArchive.is_unarchived: the tar --diff lines that count. */
export function tarUnarchived(lines: string[], a: UnarchiveArgs, host: Host): boolean {
  for (const line of lines) {
    if (/: : Warning: Cannot stat: No such file or directory$/.test(line)) continue;
    if (host.uid === 0 && !a.attributes.owner && /: Uid differs$/.test(line)) return false;
    if (host.uid === 0 && !a.attributes.group && /: Gid differs$/.test(line)) return false;
    if (a.attributes.mode === undefined && /: Mode differs$/.test(line)) return false;
    if (/: Mod time differs$/.test(line) || /: Warning: Cannot stat: No such file or directory$/.test(line)) return false;
    if (/: Invalid owner/.test(line) || /: Invalid group/.test(line)) return false;
  }
  return true;
}

function extractCommand(probe: ArchiveProbe, a: UnarchiveArgs): { shell: string; words: string[] } {
  const dest = safePath(a.dest!);
  let words: string[];
  if (probe.handler!.startsWith('Zip')) {
    words = [probe.program ?? 'unzip', '-o', ...a.extraOpts, '$a', ...(a.excludes.length ? ['-x', ...a.excludes] : []), ...a.includes, '-d', dest];
  } else {
    const flag = { TgzArchive: '-z', TarArchive: '', TarBzipArchive: '-j', TarXzArchive: '-J', TarZstdArchive: '--use-compress-program=zstd' }[probe.handler as 'TgzArchive'];
    words = [
      probe.program ?? 'tar', '--extract', '-C', dest, ...(flag ? [flag] : []),
      ...(a.extraOpts.length ? ['--show-transformed-names', ...a.extraOpts] : []),
      ...(a.attributes.owner ? [`--owner=${a.attributes.owner}`] : []), ...(a.attributes.group ? [`--group=${a.attributes.group}`] : []),
      ...(a.keepNewer ? ['--keep-newer-files'] : []),
      ...a.excludes.map((e) => `--exclude=${e.replace(/\/+$/, '')}`), '-f', '$a', ...a.includes,
    ];
  }
  return { words, shell: words.map((w) => (w === '$a' ? '"$a"' : quote(w))).join(' ') };
}

/** fetch_file's request for a URL source (validate_certs honoured). */
function downloadRequest(url: string, args: Record<string, any>): HttpRequest {
  return {
    url, method: 'GET', headers: {}, forceBasicAuth: false, validateCerts: toBool(args.validate_certs, true), timeout: 10,
    followRedirects: 'urllib2', decompress: true, useProxy: true, useNetrc: true, agent: 'ansible-httpget', hasBody: false,
  };
}

function planUnarchive(ctx: ModuleContext, args: Record<string, any>, st: UnarchiveState): Plan {
  if (st.skip) return { changed: false, msg: st.skip, result: { skipped: true } };
  if (st.error) return { changed: false, failed: true, msg: st.error };
  const a = unarchiveArgs(args);
  const probe = st.probe!;
  if (!probe.handler) {
    const reasons = [...new Set(probe.reasons)].join('\n');
    return { changed: false, failed: true, msg: `Failed to find handler for "${st.shown}". Make sure the required command to extract the file is installed.\n${reasons}` };
  }
  const isZip = probe.handler.startsWith('Zip');
  if (!isZip && ctx.check) return checkModeSkip('remote module (unarchive) does not support check mode when using gtar');
  const host = st.host ?? { uid: 0, gid: 0, umask: 0o022 };
  const zip = isZip ? zipUnarchived(probe, a, host, st.ids) : undefined;
  const unarchived = zip ? zip.unarchived : tarUnarchived(probe.diffLines, a, host);
  const files = filesInArchive(probe, a.excludes);
  // After unpacking, every listed file and top folder gets the wanted attributes.
  const attrChanges = (st.targets ?? []).map((t, i) => ({ path: posix.join(a.dest!, st.targetNames![i]!), change: attributeChange(t.exists ? t : undefined, a.attributes, t.type === 'directory', st.ids) }))
    .filter((c) => hasChanges(c.change));
  const changed = !unarchived || attrChanges.length > 0;
  const result: Record<string, unknown> = {
    handler: probe.handler, dest: a.dest, src: st.shown, ...pathInfo(st.dest),
    ...(a.listFiles ? { files } : {}),
    ...(zip?.diff ? { diff: { prepared: zip.diff } } : {}),
  };
  const plan: Plan = { changed, result };
  if (!changed) return plan;
  plan.apply = async () => {
    const out: Record<string, unknown> = {};
    if (!unarchived) {
      const cmd = extractCommand(probe, a);
      const body = `${cmd.shell}; rc=$?; exit $rc`;
      const url = a.remoteSrc && a.src!.includes('://') ? a.src! : undefined;
      const { script, stdin } = withArchive(st.local, a.remoteSrc ? a.src : undefined, body, url ? downloadRequest(url, args) : undefined);
      const res = await ctx.run(script, stdin ? { stdin } : {});
      const extract = { cmd: cmd.words.map((w) => (w === '$a' ? st.shown : w)), rc: res.rc, out: res.stdout.toString(), err: res.stderr.toString() };
      out.extract_results = extract;
      if (res.rc !== 0) return { ...out, failed: true, changed: false, msg: `failed to unpack ${st.shown} to ${a.dest}` };
    }
    const attrs = attributeScript(a, files, st);
    if (attrs) {
      const res = await ctx.run(attrs);
      if (res.rc !== 0) return { ...out, failed: true, changed: false, msg: `Unexpected error when accessing exploded file: ${res.stderr.toString().trim()}` };
    }
    return out;
  };
  return plan;
}

/** chown/chmod of every listed file and top folder (set after unpacking, as Ansible does). */
function attributeScript(a: UnarchiveArgs, files: string[], _st: UnarchiveState): string | undefined {
  const w = a.attributes;
  if (w.mode === undefined && w.owner === undefined && w.group === undefined) return undefined;
  const paths = [...files, ...topFolders(files)].map((f) => posix.join(a.dest!, f));
  const lines: string[] = [];
  for (const p of paths) {
    const q = quote(p);
    if (w.owner !== undefined || w.group !== undefined) lines.push(`chown -h ${quote(`${w.owner ?? ''}${w.group !== undefined ? `:${w.group}` : ''}`)} -- ${q} || exit`);
    if (w.mode !== undefined) {
      const mode = typeof w.mode === 'string' && !/^0?[0-7]{1,4}$/.test(w.mode) ? w.mode.split(',').map((c) => (/^[-+=]/.test(c) ? `a${c}` : c)).join(',') : resolveMode(w.mode, undefined, false)!;
      lines.push(`[ -L ${q} ] || chmod ${quote(mode)} -- ${q} || exit`);
    }
  }
  return lines.join('\n');
}

export const unarchive: Module<Record<string, any>, UnarchiveState> = {
  name: 'unarchive',
  schema: {
    type: 'object',
    properties: {
      src: { ...stringSchema, description: 'The archive: local (looked up in files/) or, with remote_src, on the host.' },
      dest: { ...stringSchema, description: 'Existing folder to unpack into.' },
      remote_src: { ...boolSchema, description: 'src is on the host.', default: false },
      copy: boolSchema,
      creates: { ...stringSchema, description: 'Skip the task when this path exists on the host.' },
      list_files: { ...boolSchema, description: 'Return the archive\'s file names (files).', default: false },
      keep_newer: { ...boolSchema, description: 'Do not replace files newer than the archive\'s.', default: false },
      exclude: { ...stringListSchema, description: 'Entries to leave out (globs).' },
      include: { ...stringListSchema, description: 'Only these entries (not with exclude).' },
      extra_opts: { ...stringListSchema, description: 'More options for tar or unzip.' },
      validate_certs: boolSchema,
      io_buffer_size: { type: 'integer' },
      decrypt: { ...boolSchema, description: 'Decrypt a vault-encrypted local archive.', default: true },
      ...fileAttributeProperties,
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Unpack a zip or tar archive (plain, gzip, bzip2, xz, zstd) into an existing folder on the host with unzip/zipinfo or GNU tar, as Ansible\'s unarchive: a local archive (sent to the host, checked, removed right after) or one on the host (remote_src); creates skips the task; exclude/include, keep_newer, extra_opts, list_files; owner/group/mode set on every unpacked file. Changed only when the folder does not already hold the archive (tar --diff, or zip entry by entry). tar archives are skipped in check mode, as in Ansible.',
    returns: {
      handler: 'ZipArchive, TgzArchive, TarArchive, TarBzipArchive, TarXzArchive or TarZstdArchive', dest: 'the folder', src: 'the archive',
      extract_results: 'cmd, rc, out, err of the unpacking (when it ran)', files: 'names in the archive (list_files)',
      diff: 'zip: {prepared: itemized differences}', mode: 'folder mode', owner: 'folder owner', group: 'folder group', state: 'directory',
    },
    example: [
      '- name: Unpack the site',
      '  unarchive:',
      '    src: site.tar.gz',
      '    dest: /srv/www',
      '    owner: www-data',
      '    creates: /srv/www/index.html',
    ].join('\n'),
  },
  read: readUnarchive,
  plan: planUnarchive,
};


