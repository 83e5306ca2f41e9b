/**
 * URLs: urlencode (Jinja2's: strings quoted for a path, dicts and pairs as
 * a query string), urldecode (Python's unquote_plus) and urlsplit (Python's
 * urllib.parse.urlsplit and the components of its result).
 */
import { isDict, isString, pyStr, type Dict } from '../python.js';
import { decodeUtf8Surrogates, encodeText } from './encoding.js';
import { FilterError, asList, bindArgs, strict, text, type FilterFn } from './support.js';

const ALWAYS_SAFE = /[A-Za-z0-9_.\-~]/;

/** urllib.parse.quote_from_bytes. */
function quoteBytes(bytes: Buffer, safe: string): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += b < 0x80 && (ALWAYS_SAFE.test(ch) || safe.includes(ch)) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Jinja2's url_quote: '/' kept in paths; in a query string a space is '+'. */
function urlQuote(value: unknown, forQuery = false): string {
  const quoted = quoteBytes(encodeText(pyStr(value), 'utf-8'), forQuery ? '' : '/');
  return forQuery ? quoted.replace(/%20/g, '+') : quoted;
}

function urlencode(value: unknown): string {
  strict(value);
  if (isString(value) || !(Array.isArray(value) || isDict(value))) return urlQuote(value);
  const pairs = isDict(value) ? Object.entries(value as Dict) : asList(value).map((p) => asList(p));
  return pairs.map(([k, v]) => `${urlQuote(k, true)}=${urlQuote(v, true)}`).join('&');
}

/** urllib.parse.unquote_plus: '+' is a space, %XX bytes decoded as UTF-8 (bad bytes replaced). */
function urldecode(value: unknown): string {
  const s = text(value).replace(/\+/g, ' ');
  if (!s.includes('%')) return s;
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
    return decodeUtf8Surrogates(bytes).replace(/[\udc80-\udcff]/g, '\ufffd');
  });
}

const SCHEME_CHARS = /^[A-Za-z0-9+\-.]+$/;

export interface SplitUrl {
  scheme: string;
  netloc: string;
  path: string;
  query: string;
  fragment: string;
}

/** urllib.parse.urlsplit (Python 3.11). */
export function urlsplitParts(input: string): SplitUrl {
  let url = input.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  let netloc = '';
  let query = '';
  let fragment = '';
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z]/.test(url) && SCHEME_CHARS.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  if (url.startsWith('//')) {
    let end = url.length;
    for (const c of '/?#') {
      const at = url.indexOf(c, 2);
      if (at >= 0) end = Math.min(end, at);
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
    if (netloc.includes('[') !== netloc.includes(']')) throw new RangeError('Invalid IPv6 URL');
  }
  const hash = url.indexOf('#');
  if (hash >= 0) {
    fragment = url.slice(hash + 1);
    url = url.slice(0, hash);
  }
  const question = url.indexOf('?');
  if (question >= 0) {
    query = url.slice(question + 1);
    url = url.slice(0, question);
  }
  return { scheme, netloc, path: url, query, fragment };
}

function hostinfo(netloc: string): [string, string | null] {
  const info = netloc.slice(netloc.lastIndexOf('@') + 1);
  const open = info.indexOf('[');
  let host: string;
  let port: string;
  if (open >= 0) {
    const bracketed = info.slice(open + 1);
    const close = bracketed.indexOf(']');
    host = close >= 0 ? bracketed.slice(0, close) : bracketed;
    const after = close >= 0 ? bracketed.slice(close + 1) : '';
    const c = after.indexOf(':');
    port = c >= 0 ? after.slice(c + 1) : '';
  } else {
    const c = info.indexOf(':');
    host = c >= 0 ? info.slice(0, c) : info;
    port = c >= 0 ? info.slice(c + 1) : '';
  }
  return [host, port === '' ? null : port];
}

/** The attributes of Python's SplitResult, as Ansible's urlsplit returns them. */
function urlComponents(url: string): Dict {
  const parts = urlsplitParts(url);
  const at = parts.netloc.lastIndexOf('@');
  let username: string | null = null;
  let password: string | null = null;
  if (at >= 0) {
    const userinfo = parts.netloc.slice(0, at);
    const c = userinfo.indexOf(':');
    username = c >= 0 ? userinfo.slice(0, c) : userinfo;
    password = c >= 0 ? userinfo.slice(c + 1) : null;
  }
  const [host, portText] = hostinfo(parts.netloc);
  let hostname: string | null = null;
  if (host) {
    const percent = host.indexOf('%');
    hostname = percent >= 0 ? host.slice(0, percent).toLowerCase() + host.slice(percent) : host.toLowerCase();
  }
  let port: number | null = null;
  if (portText !== null) {
    if (!/^[0-9]+$/.test(portText)) throw new RangeError(`Port could not be cast to integer value as '${portText}'`);
    port = Number(portText);
    if (port > 65535) throw new RangeError('Port out of range 0-65535');
  }
  return {
    fragment: parts.fragment, hostname, netloc: parts.netloc, password, path: parts.path, port, query: parts.query, scheme: parts.scheme, username,
  };
}

function urlsplit(value: unknown, ...args: unknown[]): unknown {
  const [query = ''] = bindArgs('urlsplit', args, ['query']);
  const components = urlComponents(text(value));
  if (query !== null && query !== '' && query !== false) {
    const key = pyStr(query);
    if (!Object.hasOwn(components, key)) throw new FilterError(`urlsplit: unknown URL component: ${key}`);
    return components[key];
  }
  return components;
}

export const urlFilters: Record<string, FilterFn> = {
  urlencode,
  urldecode,
  urlsplit,
};
