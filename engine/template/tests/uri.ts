/** URI tests: uri (optionally of given schemes), url (with a host, or file:) and urn. */
import { isString, pyStr } from '../python.js';
import { urlsplitParts, type SplitUrl } from '../filters/urls.js';
import { bindArgs, strict, type TestFn } from '../filters/support.js';

function parsed(value: unknown): SplitUrl | undefined {
  if (!isString(strict(value))) return undefined;
  try {
    return urlsplitParts(String(value));
  } catch {
    return undefined;
  }
}

function isUri(value: unknown, schemes: unknown): boolean {
  const parts = parsed(value);
  if (!parts) return false;
  if (schemes === null || schemes === undefined || (Array.isArray(schemes) && schemes.length === 0)) return true;
  return Array.isArray(schemes) ? schemes.map(pyStr).includes(parts.scheme) : pyStr(schemes).includes(parts.scheme);
}

export const uriTests: Record<string, TestFn> = {
  uri: (v, ...args) => isUri(v, bindArgs('uri', args, ['schemes'])[0]),
  url: (v, ...args) => {
    if (!isUri(v, bindArgs('url', args, ['schemes'])[0])) return false;
    const parts = parsed(v)!;
    return parts.netloc !== '' || parts.scheme === 'file';
  },
  urn: (v) => isUri(v, ['urn']),
};
