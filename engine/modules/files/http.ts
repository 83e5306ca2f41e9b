/**
 * HTTP requests made on the host (get_url, uri) with curl, or wget when curl
 * is missing, as Ansible's fetch_url would make them from the host. Secrets
 * (passwords, headers) go in a config file read from a descriptor (a
 * here-document), never on a command line. The response comes back as
 * tagged lines: the tool's exit code, the status line facts, the headers and
 * the tool's error text, base64-encoded.
 */
import { quote } from '../../connection/quote.js';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  username?: string;
  password?: string;
  forceBasicAuth: boolean;
  validateCerts: boolean;
  /** Seconds. */
  timeout: number;
  /** Follow redirects: 'all', 'none', 'safe' (GET/HEAD only), 'urllib2' (GET/HEAD, and POST turned into GET). */
  followRedirects: 'all' | 'none' | 'safe' | 'urllib2';
  decompress: boolean;
  /** Let curl decode (and so announce) compressed responses; default: as decompress. */
  curlDecompress?: boolean;
  useProxy: boolean;
  useNetrc: boolean;
  agent: string;
  ifModifiedSince?: Date;
  clientCert?: string;
  clientKey?: string;
  ciphers?: string[];
  unixSocket?: string;
  caPath?: string;
  /** The request body is on the command's stdin. */
  hasBody: boolean;
}

/** curl's config syntax: a double-quoted value with \ and " escaped. */
function curlValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** wgetrc values run to the end of the line: no newline may be in one. */
function wgetValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('a header or credential for wget cannot contain a newline');
  return value;
}

/** The If-Modified-Since date as Ansible writes it. */
export function httpDate(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${p(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} GMT`;
}

function follows(r: HttpRequest): boolean {
  if (r.followRedirects === 'all') return true;
  if (r.followRedirects === 'none') return false;
  return r.method === 'GET' || r.method === 'HEAD' || (r.followRedirects === 'urllib2' && r.method === 'POST');
}

function curlConfig(r: HttpRequest): string {
  const lines = [
    `url = ${curlValue(r.url)}`,
    `user-agent = ${curlValue(r.agent)}`,
    `connect-timeout = ${r.timeout}`,
    // A transfer that stalls for the timeout is given up, as a socket timeout would.
    `speed-time = ${r.timeout}`, 'speed-limit = 1',
  ];
  if (r.method === 'HEAD') lines.push('head');
  // A POST with a body is what curl sends anyway; naming it would keep POST across a 302 (urllib turns it into GET).
  else if (!(r.method === 'GET' && !r.hasBody) && !(r.method === 'POST' && r.hasBody)) lines.push(`request = ${curlValue(r.method)}`);
  // urllib's request headers: no Accept, identity encoding (unless curl decodes), one request per connection.
  lines.push('header = "Accept:"', 'header = "Connection: close"');
  if (!(r.curlDecompress ?? r.decompress)) lines.push('header = "Accept-Encoding: identity"');
  for (const [name, value] of Object.entries(r.headers)) lines.push(`header = ${curlValue(`${name}: ${value}`)}`);
  if (r.ifModifiedSince) lines.push(`header = ${curlValue(`If-Modified-Since: ${httpDate(r.ifModifiedSince)}`)}`);
  if (r.username !== undefined) {
    lines.push(`user = ${curlValue(`${r.username}:${r.password ?? ''}`)}`);
    // Without force_basic_auth the credentials go only after a 401, as urllib's handlers do.
    lines.push(r.forceBasicAuth ? 'basic' : 'anyauth');
  } else if (r.useNetrc) lines.push('netrc-optional');
  if (!r.validateCerts) lines.push('insecure');
  if (!r.useProxy) lines.push('noproxy = "*"');
  if (r.curlDecompress ?? r.decompress) lines.push('compressed');
  if (follows(r)) lines.push('location', 'max-redirs = 10');
  if (r.clientCert) lines.push(`cert = ${curlValue(r.clientCert)}`);
  if (r.clientKey) lines.push(`key = ${curlValue(r.clientKey)}`);
  if (r.ciphers?.length) lines.push(`ciphers = ${curlValue(r.ciphers.join(':'))}`);
  if (r.unixSocket) lines.push(`unix-socket = ${curlValue(r.unixSocket)}`);
  if (r.caPath) lines.push(`cacert = ${curlValue(r.caPath)}`);
  if (r.hasBody) lines.push('data-binary = "@-"');
  return lines.join('\n');
}

function wgetConfig(r: HttpRequest): string {
  const lines = [`user_agent = ${wgetValue(r.agent)}`, `timeout = ${r.timeout}`, 'tries = 1', 'server_response = on'];
  for (const [name, value] of Object.entries(r.headers)) lines.push(`header = ${wgetValue(`${name}: ${value}`)}`);
  if (r.ifModifiedSince) lines.push(`header = If-Modified-Since: ${httpDate(r.ifModifiedSince)}`);
  if (r.username !== undefined) {
    lines.push(`http_user = ${wgetValue(r.username)}`, `http_password = ${wgetValue(r.password ?? '')}`);
    if (r.forceBasicAuth) lines.push('auth_no_challenge = on');
  }
  if (!r.validateCerts) lines.push('check_certificate = off');
  if (!r.useProxy) lines.push('use_proxy = off');
  lines.push(`max_redirect = ${follows(r) ? 10 : 0}`);
  if (r.decompress) lines.push('compression = auto');
  return lines.join('\n');
}

/** A here-document delimiter that no line of the text can end early. */
function delimiter(text: string): string {
  let d = 'UXSV_HTTP_CONFIG';
  while (text.split('\n').includes(d)) d += '_';
  return d;
}

/**
 * Shell text making the request: the body to "$o" (created by the caller),
 * the response headers to "$o.h" (the caller removes "$o" "$o.h" "$o.w" "$o.e" "$o.c"). Prints `T <tool>`, `C <exit code>`,
 * `W <base64 of status, final url and redirect count>` and `E <base64 of the tool's errors>`.
 */
export function requestScript(r: HttpRequest): string {
  const curl = curlConfig(r);
  const cd = delimiter(curl);
  let wget = '';
  try {
    wget = wgetConfig(r);
  } catch {
    wget = '';
  }
  const wd = delimiter(wget);
  const wgetMethod = r.method === 'GET' ? '' : r.method === 'HEAD' ? ' --spider' : ` --method=${quote(r.method)}`;
  const wgetBody = r.hasBody ? ' --body-file=/dev/stdin' : '';
  return [
    'if command -v curl >/dev/null 2>&1; then',
    "  printf 'T curl\\n'",
    `  curl -sS -o "$o" -D "$o.h" -w '%{http_code} %{num_redirects} %{url_effective}' -K /dev/fd/3 3<<'${cd}' > "$o.w" 2> "$o.e"`,
    curl,
    cd,
    '  rc=$?',
    'elif command -v wget >/dev/null 2>&1; then',
    "  printf 'T wget\\n'",
    wget === ''
      ? `  echo 'a header or credential contains a newline, which wget cannot send' > "$o.e"; rc=2`
      : [
        // wget reads its config only from a regular file: a private one, removed at once.
        `  (umask 077; cat > "$o.c") <<'${wd}'`,
        wget,
        wd,
        `  wget -q -O "$o"${wgetMethod}${wgetBody} --config="$o.c" ${quote(r.url)} 2> "$o.h"`,
        '  rc=$?; rm -f -- "$o.c"',
        // wget prints the responses' headers indented on stderr: the status line and final url come from them.
        '  sed -n \'s/^  HTTP\\/[0-9.]* \\([0-9]*\\).*/\\1/p\' "$o.h" | tail -n 1 | tr -d \'\\n\' > "$o.w"',
        `  printf ' %s %s' "$(grep -c '^  Location:' "$o.h")" ${quote(r.url)} >> "$o.w"`,
        '  sed -i \'s/^  //\' "$o.h"',
      ].join('\n'),
    "else printf 'T none\\n'; exit 0; fi",
    "printf 'C %s\\n' \"$rc\"",
    "printf 'W %s\\n' \"$(base64 -w0 < \"$o.w\")\"",
    "printf 'E %s\\n' \"$(base64 -w0 < \"$o.e\" 2>/dev/null)\"",
    "printf 'H %s\\n' \"$(base64 -w0 < \"$o.h\" 2>/dev/null)\"",
  ].join('\n');
}

export interface HttpOutcome {
  tool: 'curl' | 'wget' | 'none';
  exitCode: number;
  /** -1 when no response came (Ansible's status for a failed request). */
  status: number;
  url: string;
  redirects: number;
  /** The last response's headers, names lower-cased. */
  headers: Record<string, string>;
  /** Raw Set-Cookie values of every response. */
  cookies: string[];
  error: string;
}

function tagged(text: string, tag: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${tag} `));
  return line ? Buffer.from(line.slice(tag.length + 1), 'base64').toString('utf8') : '';
}

/** The last header block of a headers dump (every response of a redirect chain is in it). */
export function parseHeaders(dump: string): { headers: Record<string, string>; cookies: string[]; reason: string } {
  const blocks = dump.replace(/\r/g, '').split(/\n(?=HTTP\/)/).filter((b) => b.trim() !== '');
  const cookies: string[] = [];
  let headers: Record<string, string> = {};
  let reason = '';
  for (const block of blocks) {
    headers = {};
    const [statusLine, ...lines] = block.split('\n');
    reason = /^HTTP\/\S+\s+\d+\s*(.*)$/.exec(statusLine ?? '')?.[1] ?? '';
    for (const line of lines) {
      const at = line.indexOf(':');
      if (at <= 0) continue;
      const name = line.slice(0, at).trim().toLowerCase();
      const value = line.slice(at + 1).trim();
      if (name === 'set-cookie') cookies.push(value);
      headers[name] = headers[name] !== undefined ? `${headers[name]}, ${value}` : value;
    }
  }
  return { headers, cookies, reason };
}

export function parseOutcome(stdout: string, requested: string): HttpOutcome & { reason: string } {
  const tool = (/^T (\w+)$/m.exec(stdout)?.[1] ?? 'none') as HttpOutcome['tool'];
  const exitCode = Number(/^C (-?\d+)$/m.exec(stdout)?.[1] ?? -1);
  const w = tagged(stdout, 'W').trim().split(' ');
  const { headers, cookies, reason } = parseHeaders(tagged(stdout, 'H'));
  const statusText = w[0] ?? '';
  const status = /^\d{3}$/.test(statusText) && statusText !== '000' ? Number(statusText) : -1;
  return {
    tool, exitCode, status, redirects: Number(w[1] ?? 0) || 0, url: w.slice(2).join(' ') || requested,
    headers, cookies, reason, error: tagged(stdout, 'E').trim(),
  };
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

/** fetch_url's info msg: "OK (N bytes)", "HTTP Error 404: Not Found", or why there was no response. */
export function infoMessage(o: HttpOutcome & { reason?: string }): string {
  if (o.status === -1) {
    const why = o.tool === 'curl' ? curlFailure(o.exitCode, o.error) : o.error || `wget exited with ${o.exitCode}`;
    return `Request failed: <urlopen error ${why}>`;
  }
  if (o.status >= 200 && o.status < 300) return `OK (${o.headers['content-length'] ?? 'unknown'} bytes)`;
  return `HTTP Error ${o.status}: ${o.reason || REASONS[o.status] || ''}`;
}

function curlFailure(code: number, error: string): string {
  if (code === 6) return '[Errno -2] Name or service not known';
  if (code === 7) return '[Errno 111] Connection refused';
  if (code === 28) return 'timed out';
  if (code === 60) return `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (${error.replace(/^curl: \(\d+\) /, '')})`;
  return error.replace(/^curl: \(\d+\) /, '') || `curl exited with ${code}`;
}

export const NO_TOOL = 'neither curl nor wget is installed on the host; get_url and uri run one of them there';

/** Ansible's cookies dict (name -> value) from Set-Cookie headers, and its cookies_string. */
export function cookiesOf(setCookies: string[]): { cookies: Record<string, string>; cookies_string: string } {
  const cookies: Record<string, string> = {};
  for (const c of setCookies) {
    const [pair] = c.split(';');
    const at = pair!.indexOf('=');
    if (at > 0) cookies[pair!.slice(0, at).trim()] = pair!.slice(at + 1).trim();
  }
  return { cookies, cookies_string: Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ') };
}
