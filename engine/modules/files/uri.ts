/**
 * uri: an HTTP request made on the host (curl, else wget) as Ansible's uri:
 * method, body (raw, json, form-urlencoded, form-multipart, or a file),
 * headers, credentials, redirects, expected status codes; the response's
 * status, headers (lower-cased, - as _), cookies, content and parsed JSON;
 * `dest` receives the body (atomically, checked, as every file write).
 * Skipped in check mode, as in Ansible.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { Module, ModuleContext, Plan } from '../types.js';
import { readFacts } from '../../facts/index.js';
import { fileFact, type RemoteFileState } from '../../facts/file.js';
import { quote } from '../../connection/quote.js';
import { pyJsonDumps } from '../../template/serialize.js';
import { privateTemp, resolveMode, writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, stringListSchema, stringSchema, text, toBool, toList } from '../lib/args.js';
import { checkModeSkip, pathInfo, wantedAttributes, type WantedAttributes } from './common.js';
import { cookiesOf, infoMessage, NO_TOOL, parseOutcome, requestScript, type HttpRequest } from './http.js';

const FOLLOW: Record<string, HttpRequest['followRedirects']> = { all: 'all', yes: 'all', none: 'none', no: 'none', safe: 'safe', urllib2: 'urllib2' };

/** Python's urllib.parse.urlencode(..., doseq=True) of a dict or a list of pairs. */
export function formUrlencoded(body: unknown): string {
  const pairs: Array<[string, unknown]> = Array.isArray(body)
    ? body.map((p) => (Array.isArray(p) ? [String(p[0]), p[1]] : [String(p), '']))
    : Object.entries(body as Record<string, unknown>);
  const enc = (v: unknown) => encodeURIComponent(typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)).replace(/%20/g, '+').replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%7E/g, '~');
  return pairs.flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${enc(k)}=${enc(x)}`) : [`${enc(k)}=${enc(v)}`])).join('&');
}

/** multipart/form-data of plain values and {content, filename, mime_type} parts. */
export function formMultipart(body: Record<string, unknown>): { contentType: string; data: Buffer } {
  const boundary = `===============${randomBytes(10).toString('hex')}==`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(body)) {
    let headers = `Content-Disposition: form-data; name="${name}"`;
    let content: Buffer;
    if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      const filename = text(v.filename);
      if (v.content === undefined && filename === undefined) throw new Error(`failed to parse body as form-multipart: ${name} needs content or filename`);
      content = v.content !== undefined ? Buffer.from(String(v.content)) : readFileSync(filename!);
      headers += `; filename="${posix.basename(filename ?? name)}"\r\nContent-Type: ${text(v.mime_type) ?? 'application/octet-stream'}`;
    } else {
      content = Buffer.from(String(value));
      headers += '\r\nContent-Type: text/plain';
    }
    parts.push(Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary="${boundary}"`, data: Buffer.concat(parts) };
}

interface UriArgs {
  url: string;
  method: string;
  body?: Buffer;
  headers: Record<string, string>;
  statusCodes: number[];
  returnContent: boolean;
  dest?: string;
  creates?: string;
  removes?: string;
  request: Omit<HttpRequest, 'url' | 'method' | 'hasBody'>;
  srcPath?: string;
  remoteSrc: boolean;
  attributes: WantedAttributes;
  error?: string;
}

function uriArgs(args: Record<string, any>): UriArgs {
  const headers: Record<string, string> = {};
  if (args.headers && typeof args.headers === 'object') for (const [k, v] of Object.entries(args.headers)) headers[k] = String(v);
  const method = String(args.method ?? 'GET').toUpperCase();
  const format = String(args.body_format ?? 'raw').toLowerCase();
  const hasHeader = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
  let body: Buffer | undefined;
  let error: string | undefined;
  if (!/^[A-Z]+$/.test(method)) error = "Parameter 'method' needs to be a single word in uppercase, like GET or POST.";
  if (args.body !== undefined && args.body !== null && args.src !== undefined && args.src !== null) error = 'parameters are mutually exclusive: body|src';
  try {
    if (format === 'json') {
      if (args.body !== undefined && args.body !== null) body = Buffer.from(typeof args.body === 'string' ? args.body : pyJsonDumps(args.body));
      if (!hasHeader('content-type')) headers['Content-Type'] = 'application/json';
    } else if (format === 'form-urlencoded') {
      if (args.body !== undefined && args.body !== null) body = Buffer.from(typeof args.body === 'string' ? args.body : formUrlencoded(args.body));
      if (!hasHeader('content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else if (format === 'form-multipart') {
      const { contentType, data } = formMultipart((args.body ?? {}) as Record<string, unknown>);
      body = data;
      headers['Content-Type'] = contentType;
    } else if (args.body !== undefined && args.body !== null) {
      body = Buffer.from(typeof args.body === 'string' ? args.body : pyJsonDumps(args.body));
    }
  } catch (e) {
    error = (e as Error).message.startsWith('failed to parse') ? (e as Error).message : `failed to parse body as ${format}: ${(e as Error).message}`;
  }
  return {
    url: String(args.url ?? ''),
    method, body, headers,
    statusCodes: toList(args.status_code ?? [200]).map(Number),
    returnContent: toBool(args.return_content, false),
    dest: text(args.dest), creates: text(args.creates), removes: text(args.removes),
    srcPath: text(args.src), remoteSrc: toBool(args.remote_src, false), attributes: wantedAttributes(args),
    request: {
      headers,
      username: text(args.url_username ?? args.user),
      password: text(args.url_password ?? args.password),
      forceBasicAuth: toBool(args.force_basic_auth, false),
      validateCerts: toBool(args.validate_certs, true),
      timeout: Number(args.timeout ?? 30),
      followRedirects: FOLLOW[String(args.follow_redirects ?? 'safe')] ?? 'safe',
      decompress: toBool(args.decompress, true),
      // The body is decoded here, not by curl (which would announce the encodings it accepts).
      curlDecompress: false,
      useProxy: toBool(args.use_proxy, true),
      useNetrc: toBool(args.use_netrc, true),
      agent: text(args.http_agent) ?? 'ansible-httpget',
      clientCert: text(args.client_cert), clientKey: text(args.client_key),
      ciphers: args.ciphers ? toList(args.ciphers) : undefined,
      unixSocket: text(args.unix_socket), caPath: text(args.ca_path),
    },
    ...(error ? { error } : {}),
  };
}

interface UriState { skip?: string; error?: string; dest?: RemoteFileState }

async function readUri(ctx: ModuleContext, args: Record<string, any>): Promise<UriState> {
  const a = uriArgs(args);
  if (!a.url) return { error: 'missing required arguments: url' };
  if (a.error) return { error: a.error };
  if (ctx.check) return {};
  const queries = [
    ...(a.creates ? [{ path: a.creates, checksum: false as const }] : []),
    ...(a.removes ? [{ path: a.removes, checksum: false as const }] : []),
    ...(a.dest ? [{ path: a.dest, checksum: false as const }] : []),
  ];
  if (!queries.length) return {};
  const [states] = await readFacts(ctx, [[fileFact, queries]] as const) as unknown as [RemoteFileState[]];
  let i = 0;
  if (a.creates && states![i++]!.exists) return { skip: `skipped, since '${a.creates}' exists` };
  if (a.removes && !states![i++]!.exists) return { skip: `skipped, since '${a.removes}' does not exist` };
  return a.dest ? { dest: states![i] } : {};
}

const JSON_CANDIDATES = ['json', 'javascript'];

function planUri(ctx: ModuleContext, args: Record<string, any>, st: UriState): Plan {
  if (ctx.check) return checkModeSkip('remote module (uri) does not support check mode');
  if (st.error) return { changed: false, failed: true, msg: st.error };
  if (st.skip) return { changed: false, result: { stdout: st.skip, stdout_lines: [st.skip] } };
  const a = uriArgs(args);
  return { changed: false, apply: () => request(ctx, a, st) };
}

async function request(ctx: ModuleContext, a: UriArgs, st: UriState): Promise<Record<string, unknown>> {
  let body = a.body;
  if (a.srcPath !== undefined && !a.remoteSrc) body = readFileSync(ctx.findFile('files', a.srcPath));
  const remoteBody = a.srcPath !== undefined && a.remoteSrc;
  const http: HttpRequest = { ...a.request, url: a.url, method: a.method, hasBody: body !== undefined || remoteBody };
  const temp = privateTemp('o');
  const script = [
    temp.name,
    `trap 'rm -f -- "$o" "$o.h" "$o.w" "$o.e" "$o.c"' EXIT`,
    temp.create,
    remoteBody ? `exec < ${quote(a.srcPath!)} || exit 1` : '',
    requestScript(http),
    "printf 'B %s\\n' \"$(base64 -w0 < \"$o\")\"",
  ].filter(Boolean).join('\n');
  const started = Date.now();
  const res = await ctx.run(script, body !== undefined ? { stdin: body } : {});
  const elapsed = Math.floor((Date.now() - started) / 1000);
  const out = res.stdout.toString();
  const o = parseOutcome(out, a.url);
  if (o.tool === 'none') return { failed: true, changed: false, msg: NO_TOOL };
  let content = Buffer.from(/^B (.*)$/m.exec(out)?.[1] ?? '', 'base64');
  // With decompress, a gzip-encoded body is decoded (curl is not asked to: urllib advertises no encoding).
  if (a.request.decompress && /gzip/i.test(o.headers['content-encoding'] ?? '')) {
    // zlib is loaded here only: loading it cost every run's start-up.
    const { gunzipSync } = await import('node:zlib');
    try {
      content = gunzipSync(content);
    } catch {
      // left as received
    }
  }
  const contentType = o.headers['content-type'] ?? (o.status === -1 ? 'application/octet-stream' : 'text/plain');
  const [mainType = '', subType = ''] = contentType.split(';')[0]!.trim().split('/');
  const suffix = subType.includes('+') ? subType.split('+')[1]! : subType;
  const maybeJson = mainType !== '' && JSON_CANDIDATES.includes(suffix.toLowerCase());
  const charset = /charset=([^;]+)/i.exec(contentType)?.[1]?.trim().toLowerCase() ?? 'utf-8';
  const text = charset === 'iso-8859-1' || charset === 'latin-1' ? content.toString('latin1') : content.toString('utf8');
  const resp: Record<string, unknown> = {
    redirected: o.url !== a.url,
    ...Object.fromEntries(Object.entries(o.headers).map(([k, v]) => [k.replace(/-/g, '_'), v])),
    // fetch_url gives cookies only with a successful response (an HTTP error has none).
    ...(o.status >= 200 && o.status < 300 ? cookiesOf(o.cookies) : {}),
    status: o.status,
    url: o.url,
    msg: infoMessage(o),
    elapsed,
    changed: false,
  };
  if (typeof resp.location === 'string') {
    try {
      resp.location = new URL(resp.location, a.url).toString();
    } catch {
      // left as sent
    }
  }
  if (a.dest !== undefined && o.status !== -1) {
    let path = a.dest;
    if (st.dest?.exists && st.dest.type === 'directory') {
      const named = /filename="?([^";]+)"?/.exec(o.headers['content-disposition'] ?? '')?.[1];
      path = posix.join(a.dest, named ? posix.basename(named) : 'index.html');
    }
    if (a.statusCodes.includes(o.status) && o.status !== 304) {
      const written = await writeFileAtomic(ctx, path, content, { followLink: false, ...(attrs(a)) });
      resp.changed = true;
      Object.assign(resp, pathInfo(written.final));
    }
    resp.path = path;
  }
  if (maybeJson) {
    try {
      resp.json = JSON.parse(text);
    } catch {
      // not JSON after all
    }
  }
  if (!a.statusCodes.includes(o.status)) {
    return { ...resp, failed: true, changed: false, msg: `Status code was ${o.status} and not [${a.statusCodes.join(', ')}]: ${resp.msg}`, ...(a.returnContent ? { content: text } : {}) };
  }
  return { ...resp, ...(a.returnContent ? { content: text } : {}) };
}

function attrs(a: UriArgs): { mode?: string; owner?: string; group?: string } {
  const w = a.attributes;
  return {
    ...(w.mode !== undefined ? { mode: resolveMode(w.mode, undefined, false) } : {}),
    ...(w.owner !== undefined ? { owner: w.owner } : {}),
    ...(w.group !== undefined ? { group: w.group } : {}),
  };
}

export const uri: Module<Record<string, any>, UriState> = {
  name: 'uri',
  schema: {
    type: 'object',
    properties: {
      url: { ...stringSchema, description: 'The URL (http, https).' },
      method: { ...stringSchema, description: 'HTTP method, one word in upper case.', default: 'GET' },
      body: { description: 'Request body: text, or data for body_format.' },
      body_format: { enum: ['raw', 'json', 'form-urlencoded', 'form-multipart'], description: 'How body is encoded (json and form-urlencoded set Content-Type).', default: 'raw' },
      src: { ...stringSchema, description: 'A file sent as the body (local, or on the host with remote_src).' },
      remote_src: boolSchema,
      headers: { type: 'object', description: 'Request headers.' },
      status_code: { anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'array' }], description: 'Statuses that count as success.', default: [200] },
      return_content: { ...boolSchema, description: 'Return the body as content (also when the status fails).', default: false },
      dest: { ...stringSchema, description: 'Write the body to this file (or into this folder).' },
      creates: { ...stringSchema, description: 'Skip when this path exists on the host.' },
      removes: { ...stringSchema, description: 'Skip unless this path exists on the host.' },
      follow_redirects: { enum: ['all', 'no', 'none', 'safe', 'urllib2', 'yes'], description: 'Which redirects to follow (safe: GET and HEAD only).', default: 'safe' },
      timeout: { type: 'integer', description: 'Seconds to connect, and of no progress.', default: 30 },
      url_username: { ...stringSchema, description: 'User for basic auth (alias user).' },
      user: stringSchema,
      url_password: { ...stringSchema, description: 'Password (alias password).' },
      password: stringSchema,
      force_basic_auth: { ...boolSchema, description: 'Send the credentials with the first request.', default: false },
      validate_certs: { ...boolSchema, description: 'Check TLS certificates.', default: true },
      use_proxy: boolSchema, http_agent: stringSchema, client_cert: stringSchema, client_key: stringSchema,
      unix_socket: stringSchema, ca_path: stringSchema, unredirected_headers: stringListSchema,
      decompress: boolSchema, ciphers: stringListSchema, use_netrc: boolSchema, use_gssapi: boolSchema,
      ...fileAttributeProperties,
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Make an HTTP request from the host (its curl, or wget) as Ansible\'s uri: any method, a body as text, JSON, form-urlencoded or multipart data, or a file; headers, basic auth, redirects, expected status codes. Returns the status, the response headers (names lower-cased, - as _), cookies, the content (return_content) and the parsed JSON. dest receives the body atomically. Skipped in check mode, as in Ansible.',
    returns: {
      status: 'HTTP status (-1 without a response)', url: 'the final URL', redirected: 'whether it differs from the one asked',
      msg: "'OK (N bytes)', the HTTP error, or why the request failed", content: 'the body (return_content)', json: 'the body parsed (JSON responses)',
      cookies: 'name -> value', cookies_string: 'the cookies as a Cookie header', '<header>': 'each response header, e.g. content_type, content_length',
      path: 'the file written (dest)', elapsed: 'seconds',
    },
    example: [
      '- name: Register with the directory',
      '  uri:',
      '    url: https://directory.example.org/api/hosts',
      '    method: POST',
      '    body_format: json',
      '    body: {name: "{{ inventory_hostname }}"}',
      '    status_code: [200, 201]',
      '  register: registration',
    ].join('\n'),
  },
  read: readUri,
  plan: planUri,
};
