/**
 * get_url: download a file on the host (curl, else wget) as Ansible's
 * get_url: into a temp file beside the destination, checked (the transfer's
 * own length check, and `checksum` when given) before it is renamed over the
 * destination, never left behind. A dest folder receives the name from
 * Content-Disposition or the URL. Without force an existing file is kept
 * when its checksum matches, and asked for with If-Modified-Since otherwise.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readFacts } from '../../facts/index.js';
import { fileFact, parseStatLineIn, statLineCommand, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type FileQuery, type RemoteFileState } from '../../facts/file.js';
import { quote } from '../../connection/quote.js';
import { privateTemp, resolveMode } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, pick, stringListSchema, stringSchema, text, toBool, toList } from '../lib/args.js';
import { pathInfo, wantedAttributes, type WantedAttributes } from './common.js';
import { infoMessage, NO_TOOL, parseOutcome, requestScript, type HttpRequest } from './http.js';

interface GetUrlArgs {
  url: string;
  dest: string;
  backup: boolean;
  force: boolean;
  checksum?: { algorithm: ChecksumAlgorithm; value?: string; url?: string };
  checksumError?: string;
  timeout: number;
  headers: Record<string, string>;
  tmpDest?: string;
  request: Omit<HttpRequest, 'url' | 'method' | 'hasBody' | 'ifModifiedSince'>;
  attributes: WantedAttributes;
}

export function urlFilename(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.split('?')[0]!;
  }
  const name = posix.basename(decodeURIComponent(path));
  return name === '' ? 'index.html' : name;
}

function getUrlArgs(args: Record<string, any>): GetUrlArgs {
  const headers: Record<string, string> = {};
  if (args.headers && typeof args.headers === 'object') for (const [k, v] of Object.entries(args.headers)) headers[k] = String(v);
  const a: GetUrlArgs = {
    url: String(args.url ?? ''),
    dest: String(args.dest ?? ''),
    backup: toBool(args.backup, false),
    force: toBool(pick(args, 'force', 'thirsty'), false),
    timeout: Number(args.timeout ?? 10),
    headers,
    tmpDest: text(args.tmp_dest),
    attributes: wantedAttributes(args),
    request: {
      headers,
      username: text(pick(args, 'url_username', 'username')),
      password: text(pick(args, 'url_password', 'password')),
      forceBasicAuth: toBool(args.force_basic_auth, false),
      validateCerts: toBool(args.validate_certs, true),
      timeout: Number(args.timeout ?? 10),
      followRedirects: 'urllib2',
      decompress: toBool(args.decompress, true),
      useProxy: toBool(args.use_proxy, true),
      useNetrc: toBool(args.use_netrc, true),
      agent: text(args.http_agent) ?? 'ansible-httpget',
      clientCert: text(args.client_cert),
      clientKey: text(args.client_key),
      ciphers: args.ciphers ? toList(args.ciphers) : undefined,
    },
  };
  const checksum = text(args.checksum) ?? '';
  if (checksum !== '') {
    const at = checksum.indexOf(':');
    if (at === -1) a.checksumError = 'The checksum parameter has to be in format <algorithm>:<checksum>';
    else {
      const algorithm = checksum.slice(0, at) as ChecksumAlgorithm;
      const value = checksum.slice(at + 1);
      if (!CHECKSUM_ALGORITHMS.includes(algorithm)) a.checksumError = `Unsupported hash algorithm: ${algorithm}`;
      else if (/^(https?|ftp|file):\/\//.test(value)) a.checksum = { algorithm, url: value };
      else {
        const clean = value.replace(/\W+/g, '').toLowerCase();
        if (!/^[0-9a-f]+$/.test(clean)) a.checksumError = 'The checksum format is invalid';
        a.checksum = { algorithm, value: clean };
      }
    }
  }
  return a;
}

interface GetUrlState {
  error?: string;
  dest?: RemoteFileState;
  /** dest itself (a link is reported as one) and its folder. */
  destSelf?: RemoteFileState;
  parent?: RemoteFileState;
  tmpDest?: RemoteFileState;
  /** The checksum found at checksum's URL. */
  checksum?: string;
  /** Check mode: what a HEAD request said. */
  head?: ReturnType<typeof parseOutcome>;
}

/** The checksum file's line for the URL's file name (sha256sum output, or a lone hash). */
export function checksumFromList(list: string, filename: string): string | undefined {
  const lines = list.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  if (lines.length === 1 && lines[0]!.trim().split(/\s+/).length === 1) return lines[0]!.trim();
  for (const line of lines) {
    const at = line.indexOf(' ');
    if (at === -1) continue;
    let name = line.slice(at + 1);
    if (name.startsWith(' ') || name.startsWith('*')) name = name.slice(1);
    if (name.replace(/^[./]+/, '') === filename) return line.slice(0, at);
  }
  return undefined;
}

/** One request whose body is only read (checksum lists, HEAD probes): a private temp file removed at the end. */
async function probe(ctx: ModuleContext, request: HttpRequest, withBody: boolean): Promise<{ outcome: ReturnType<typeof parseOutcome>; body: Buffer }> {
  const temp = privateTemp('o');
  const script = [
    temp.name,
    `trap 'rm -f -- "$o" "$o.h" "$o.w" "$o.e" "$o.c"' EXIT`,
    temp.create,
    requestScript(request),
    withBody ? "printf 'B %s\\n' \"$(base64 -w0 < \"$o\")\"" : '',
  ].join('\n');
  const res = await ctx.run(script);
  const out = res.stdout.toString();
  const body = /^B (.*)$/m.exec(out)?.[1];
  return { outcome: parseOutcome(out, request.url), body: Buffer.from(body ?? '', 'base64') };
}

async function readGetUrl(ctx: ModuleContext, args: Record<string, any>): Promise<GetUrlState> {
  const a = getUrlArgs(args);
  if (!a.url || !a.dest) return { error: `missing required arguments: ${[!a.url ? 'url' : '', !a.dest ? 'dest' : ''].filter(Boolean).join(', ')}` };
  if (a.checksumError) return { error: a.checksumError };
  const queries: FileQuery[] = [
    { path: a.dest, checksum: a.checksum?.algorithm ?? 'sha1' }, { path: a.dest, checksum: 'sha1' },
    { path: a.dest, follow: false, checksum: false }, { path: posix.dirname(a.dest), checksum: false },
  ];
  if (a.tmpDest) queries.push({ path: a.tmpDest, checksum: false });
  const [states] = await readFacts(ctx, [[fileFact, queries]] as const) as unknown as [RemoteFileState[]];
  const state: GetUrlState = {
    dest: { ...states![0]!, sha1: states![1]!.sha1 }, destSelf: states![2]!, parent: states![3]!,
    ...(a.tmpDest ? { tmpDest: states![4] } : {}),
  };
  if (a.checksum?.url) {
    const { outcome, body } = await probe(ctx, { ...a.request, url: a.checksum.url, method: 'GET', hasBody: false }, true);
    if (outcome.tool === 'none') return { error: NO_TOOL };
    if (outcome.status !== 200) return { error: outcome.status === -1 ? infoMessage(outcome) : 'Request failed' };
    const found = checksumFromList(body.toString('utf8'), urlFilename(a.url));
    if (found === undefined) return { error: `Unable to find a checksum for file '${urlFilename(a.url)}' in '${a.checksum.url}'` };
    state.checksum = found.replace(/\W+/g, '').toLowerCase();
  }
  if (ctx.check) {
    const keep = !a.force && state.dest!.exists && state.dest!.type !== 'directory';
    const { outcome } = await probe(ctx, { ...a.request, url: a.url, method: 'HEAD', hasBody: false, ifModifiedSince: keep && state.dest!.mtime ? new Date(state.dest!.mtime * 1000) : undefined }, false);
    state.head = outcome;
  }
  return state;
}

function planGetUrl(ctx: ModuleContext, args: Record<string, any>, st: GetUrlState): Plan {
  const a = getUrlArgs(args);
  if (a.checksumError) return { changed: false, failed: true, msg: a.checksumError, result: { url: a.url, dest: a.dest, elapsed: 0, checksum_dest: null, checksum_src: null } };
  if (st.error) return { changed: false, failed: true, msg: st.error };
  const dest = st.dest!;
  const destIsDir = dest.exists && dest.type === 'directory' && !dest.dangling;
  const expected = st.checksum ?? a.checksum?.value;
  const base = { url: a.url, dest: a.dest, elapsed: 0, checksum_dest: null as string | null, checksum_src: null as string | null };
  if (a.tmpDest && st.tmpDest && !(st.tmpDest.exists && st.tmpDest.type === 'directory')) {
    return { changed: false, failed: true, msg: st.tmpDest.exists ? `${a.tmpDest} is a file but should be a directory.` : `${a.tmpDest} directory does not exist.` };
  }
  const exists = dest.exists && !destIsDir && !dest.dangling;
  if (exists && !a.force && expected !== undefined && dest.checksum === expected) {
    // Kept: only the attributes (the file module's rules).
    return { changed: false, msg: 'file already exists', result: { ...base, ...pathInfo(dest) } };
  }
  const force = a.force || (exists && expected !== undefined && dest.checksum !== expected);
  const ifModifiedSince = exists && !force && dest.mtime !== undefined ? new Date(dest.mtime * 1000) : undefined;
  if (st.head) {
    const h = st.head;
    if (h.tool === 'none') return { changed: false, failed: true, msg: NO_TOOL };
    if (h.status === 304) return { changed: false, msg: infoMessage(h), result: { url: a.url, dest: a.dest, status_code: 304, elapsed: 0 } };
    if (h.status === -1) return { changed: false, failed: true, msg: infoMessage(h), result: { url: a.url, dest: a.dest, elapsed: 0 } };
    if (h.status !== 200) return { changed: false, failed: true, msg: 'Request failed', result: { status_code: h.status, response: infoMessage(h), url: a.url, dest: a.dest, elapsed: 0 } };
    // Ansible's check mode compares the destination with the (empty) body of its HEAD request.
    const empty = createHash('sha1').update('').digest('hex');
    if (destIsDir) {
      const named = /attachment; ?filename="?([^"]+)/.exec(h.headers['content-disposition'] ?? '')?.[1];
      const path = posix.join(a.dest, named ? posix.basename(named) : urlFilename(h.url));
      return { changed: true, msg: infoMessage(h), result: { ...base, dest: path, checksum_src: empty } };
    }
    if (!exists && !st.parent?.exists) {
      return { changed: false, failed: true, msg: `Destination ${posix.dirname(a.dest)} does not exist`, result: { ...base, checksum_src: empty } };
    }
    return {
      changed: !exists || dest.sha1 !== empty,
      msg: infoMessage(h),
      result: { ...base, checksum_src: empty, ...(exists ? { checksum_dest: dest.sha1 ?? null } : {}), ...pathInfo(st.destSelf) },
    };
  }
  const request: HttpRequest = { ...a.request, url: a.url, method: 'GET', hasBody: false, ...(ifModifiedSince ? { ifModifiedSince } : {}) };
  // Whether the download changes anything is known once it is made (as with Ansible's module).
  return { changed: true, apply: () => download(ctx, a, request, destIsDir, expected, dest) };
}

/**
 * The one command of a download: request into a temp file beside the
 * destination, the final name, the checksums, then (when the content
 * differs and any checksum matched) backup, attributes and rename.
 */
async function download(ctx: ModuleContext, a: GetUrlArgs, request: HttpRequest, destIsDir: boolean, expected: string | undefined, destState: RemoteFileState): Promise<Record<string, unknown>> {
  const folder = destIsDir ? a.dest : posix.dirname(a.dest);
  const w = a.attributes;
  const mode = w.mode === undefined ? undefined : resolveMode(w.mode, undefined, false);
  const script = [
    `d=${quote(folder)}`,
    // Ansible downloads first and then finds the folder missing; the temp file here needs the folder.
    'if [ ! -d "$d" ]; then printf "X nodir\\n"; exit 0; fi',
    `o="$d/.uxsv.${Math.random().toString(16).slice(2, 14)}"`,
    `trap 'rm -f -- "$o" "$o.h" "$o.w" "$o.e" "$o.c"' EXIT`,
    "trap 'exit 129' HUP; trap 'exit 141' PIPE; trap 'exit 143' TERM",
    'um=$(umask); umask 077; set -C; { : > "$o"; } || { o=; exit 1; }; set +C; umask "$um"',
    requestScript(request),
    // Only a complete 200 goes further.
    'if [ "$rc" != 0 ] || [ "$(cut -d" " -f1 < "$o.w")" != 200 ]; then exit 0; fi',
    destIsDir
      ? [
        // The name: Content-Disposition's filename, else the final URL's last path part.
        `n=$(tr -d '\\r' < "$o.h" | sed -n 's/^[Cc]ontent-[Dd]isposition: *attachment; \\{0,1\\}filename="\\{0,1\\}\\([^"]*\\).*/\\1/p' | tail -n 1)`,
        'n=${n##*/}',
        'if [ -z "$n" ]; then u=$(cut -d" " -f3- < "$o.w"); u=${u%%[?#]*}; u=${u#*://*/}; case "$u" in */*) n=${u##*/};; *://*) n=;; *) n=$u;; esac; [ -n "$n" ] || n=index.html; fi',
        'p="${d%/}/$n"',
      ].join('\n')
      : `p=${quote(a.dest)}`,
    'printf "P %s\\n" "$(printf %s "$p" | base64 -w0)"',
    'printf "S %s\\n" "$(sha1sum < "$o" | cut -c1-40)"',
    'printf "M %s\\n" "$(md5sum < "$o" | cut -c1-32)"',
    'if [ -f "$p" ]; then printf "D %s\\n" "$(sha1sum < "$p" | cut -c1-40)"; elif [ ! -d "$d" ]; then printf "X nodir\\n"; exit 0; fi',
    expected !== undefined ? `k=$(${a.checksum!.algorithm}sum < "$o" | cut -d" " -f1); printf "K %s\\n" "$k"; [ "$k" = ${quote(expected)} ] || exit 0` : '',
    'printf "B "; ' + statLineCommand('"$p"').replace("printf 'S '; ", ''),
    // Content first (when it differs), then the attributes.
    'if [ "$(sha1sum < "$o" | cut -c1-40)" != "$(sha1sum < "$p" 2>/dev/null | cut -c1-40)" ]; then',
    a.backup ? '  if [ -e "$p" ]; then b="$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$p" "$b" && printf "U %s\\n" "$(printf %s "$b" | base64 -w0)"; fi' : '  :',
    '  if [ -e "$p" ]; then chmod --reference="$p" -- "$o"; chown --reference="$p" -- "$o" 2>/dev/null || :; else chmod "$(printf %o $((0666 & ~0$um)))" -- "$o"; fi',
    '  mv -f -- "$o" "$p" || exit 1',
    'fi',
    w.owner !== undefined || w.group !== undefined ? `chown ${quote(`${w.owner ?? ''}${w.group !== undefined ? `:${w.group}` : ''}`)} -- "$p" || exit 1` : '',
    mode ? `chmod ${quote(mode)} -- "$p" || exit 1` : '',
    'printf "A "; ' + statLineCommand('"$p"').replace("printf 'S '; ", ''),
  ].filter(Boolean).join('\n');
  const started = Date.now();
  const res = await ctx.run(script);
  const elapsed = Math.floor((Date.now() - started) / 1000);
  const out = res.stdout.toString();
  if (res.rc !== 0) return { failed: true, changed: false, msg: `failed to create temporary content file: ${res.stderr.toString().trim()}`, elapsed };
  const outcome = parseOutcome(out, a.url);
  const base = { url: a.url, dest: a.dest, elapsed };
  if (/^X nodir$/m.test(out)) return { failed: true, changed: false, msg: `Destination ${folder.replace(/(.)\/+$/, '$1')} does not exist`, ...base, checksum_dest: null, checksum_src: null };
  if (outcome.tool === 'none') return { failed: true, changed: false, msg: NO_TOOL };
  if (outcome.status === 304) return { changed: false, msg: infoMessage(outcome), status_code: 304, ...base, ...pathInfo(destState) };
  if (outcome.status === -1) return { failed: true, changed: false, msg: infoMessage(outcome), ...base };
  if (outcome.status !== 200) return { failed: true, changed: false, msg: 'Request failed', status_code: outcome.status, response: infoMessage(outcome), ...base };
  if (outcome.exitCode !== 0) return { failed: true, changed: false, msg: `failed to create temporary content file: ${outcome.error}`, ...base };
  const lines = out.split('\n');
  const tag = (t: string) => lines.find((l) => l.startsWith(`${t} `))?.slice(t.length + 1);
  const path = Buffer.from(tag('P') ?? '', 'base64').toString('utf8') || a.dest;
  const checksumSrc = tag('S') ?? null;
  const checksumDest = tag('D') ?? null;
  const result: Record<string, unknown> = { ...base, dest: path, checksum_src: checksumSrc, checksum_dest: checksumDest };
  const got = tag('K');
  if (expected !== undefined && got !== expected) {
    return { failed: true, changed: false, msg: `The checksum for ${path} did not match ${expected}; it was ${got}.`, ...result };
  }
  const before = parseStatLineIn(path, `S ${tag('B') ?? ''}`);
  const after = parseStatLineIn(path, `S ${tag('A') ?? ''}`);
  const contentChanged = checksumSrc !== checksumDest;
  const attrsChanged = before.exists && (before.mode !== after.mode || before.uid !== after.uid || before.gid !== after.gid);
  const backup = tag('U');
  return {
    ...result,
    changed: contentChanged || attrsChanged,
    msg: infoMessage(outcome),
    status_code: outcome.status,
    md5sum: tag('M') ?? null,
    ...pathInfo(after),
    ...(backup ? { backup_file: Buffer.from(backup, 'base64').toString('utf8') } : {}),
  };
}

export const getUrl: Module<Record<string, any>, GetUrlState> = {
  name: 'get_url',
  schema: {
    type: 'object',
    properties: {
      url: { ...stringSchema, description: 'http, https or ftp URL to download.' },
      dest: { ...stringSchema, description: 'File to write, or an existing folder (the name then comes from Content-Disposition or the URL).' },
      backup: { ...boolSchema, description: 'Keep the replaced file (backup_file).', default: false },
      force: { ...boolSchema, description: 'Download every time; false keeps an existing file whose checksum matches, and asks with If-Modified-Since (alias thirsty).', default: false },
      thirsty: boolSchema,
      checksum: { ...stringSchema, description: 'algorithm:hash, or algorithm:URL of a checksum list; the download must match.' },
      timeout: { type: 'integer', description: 'Seconds to connect, and of no progress.', default: 10 },
      headers: { type: 'object', description: 'Request headers.' },
      tmp_dest: { ...stringSchema, description: 'Must be an existing folder when given (the download itself goes beside dest, so the rename is atomic).' },
      url_username: { ...stringSchema, description: 'Basic auth user (alias username); sent after a 401 unless force_basic_auth.' },
      username: stringSchema,
      url_password: { ...stringSchema, description: 'Basic auth password (alias password).' },
      password: stringSchema,
      force_basic_auth: { ...boolSchema, description: 'Send the credentials with the first request.', default: false },
      validate_certs: { ...boolSchema, description: 'Check TLS certificates.', default: true },
      use_proxy: { ...boolSchema, description: 'Use the host\'s proxy settings.', default: true },
      http_agent: { ...stringSchema, description: 'User-Agent.', default: 'ansible-httpget' },
      client_cert: stringSchema, client_key: stringSchema,
      decompress: { ...boolSchema, description: 'Decode a gzip Content-Encoding.', default: true },
      ciphers: stringListSchema,
      use_netrc: { ...boolSchema, description: 'Use ~/.netrc credentials when none are given.', default: true },
      unredirected_headers: stringListSchema,
      use_gssapi: boolSchema,
      ...fileAttributeProperties,
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Download a file on the host as Ansible\'s get_url, with the host\'s curl (or wget): written to a temp file beside dest and renamed only when complete and (with checksum) matching; a dest that is a symbolic link is replaced by the file. Fails clearly when the host has neither curl nor wget.',
    returns: {
      url: 'the URL', dest: 'the file written', status_code: 'HTTP status', msg: "'OK (N bytes)' or the HTTP error", checksum_src: 'sha1 of the download',
      checksum_dest: 'sha1 of the file it replaced', md5sum: 'md5 of the file', elapsed: 'seconds', backup_file: 'with backup', mode: 'mode', owner: 'owner', size: 'bytes',
    },
    example: [
      '- name: Fetch the release',
      '  get_url:',
      '    url: https://example.org/app-1.2.tar.gz',
      '    dest: /opt/app-1.2.tar.gz',
      '    checksum: sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
      "    mode: '0644'",
    ].join('\n'),
  },
  read: readGetUrl,
  plan: planGetUrl,
};
