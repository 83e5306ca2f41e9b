/**
 * Python's text rules that lookups rely on: which characters `strip()`
 * removes, where `splitlines()` breaks, and decoding bytes with Python's
 * encoding names.
 */
import { LookupError } from './errors.js';

/** str.isspace() characters (Python's str.strip() removes these). */
const PY_WHITESPACE = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

export function pyRstrip(text: string): string {
  let end = text.length;
  while (end > 0 && PY_WHITESPACE.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}

export function pyLstrip(text: string): string {
  let start = 0;
  while (start < text.length && PY_WHITESPACE.includes(text[start]!)) start++;
  return text.slice(start);
}

export function pyStrip(text: string): string {
  return pyLstrip(pyRstrip(text));
}

/** bytes.splitlines(): breaks at \n, \r\n and \r only; no trailing empty line. */
export function splitByteLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** str.splitlines(keepends=True): every Unicode line boundary, each line with its ending. */
export function splitLinesKeepEnds(text: string): string[] {
  return text.match(/[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])|[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+$/g) ?? [];
}

const LATIN1 = new Set(['latin1', 'latin-1', 'iso8859-1', 'iso-8859-1', 'iso88591', 'l1', 'cp819', '8859', 'latin']);
const UTF8 = new Set(['utf8', 'utf-8', 'u8', 'utf', 'cp65001']);

/**
 * Bytes to text with a Python encoding name (utf-8, latin-1, iso8859-15,
 * cp1252, utf-16, ascii...). With `strict`, invalid bytes are an error, as
 * in Python's strict decoding; else they become U+FFFD (Ansible reads files
 * with surrogateescape, which keeps them as unpaired surrogates instead).
 */
export function decodeBytes(data: Buffer, encoding: string, strict = false): string {
  const name = encoding.trim().toLowerCase().replace(/_/g, '-');
  if (UTF8.has(name)) return decodeWith('utf-8', data, encoding, strict);
  if (LATIN1.has(name)) return data.toString('latin1');
  if (name === 'ascii' || name === 'us-ascii' || name === '646') {
    const bad = data.findIndex((b) => b > 0x7f);
    if (bad >= 0 && strict) throw new LookupError(`'ascii' codec can't decode byte 0x${data[bad]!.toString(16)} in position ${bad}: ordinal not in range(128)`, 'UnicodeDecodeError');
    return data.toString(bad >= 0 ? 'utf8' : 'latin1');
  }
  // Python writes iso8859-15, WHATWG iso-8859-15; cp1252 is windows-1252.
  const label = name.replace(/^iso(\d)/, 'iso-$1').replace(/^cp(125\d)$/, 'windows-$1');
  return decodeWith(label, data, encoding, strict);
}

function decodeWith(label: string, data: Buffer, pythonName: string, strict: boolean): string {
  let decoder: TextDecoder;
  try {
    // Python's utf-8 keeps a byte order mark (only utf-8-sig drops it).
    decoder = new TextDecoder(label, { fatal: strict, ignoreBOM: label === 'utf-8' });
  } catch {
    throw new LookupError(`unknown encoding: ${pythonName}`, 'LookupError');
  }
  try {
    return decoder.decode(data);
  } catch {
    throw new LookupError(`'${pythonName}' codec can't decode the data: invalid bytes`, 'UnicodeDecodeError');
  }
}
