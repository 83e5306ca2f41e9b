/**
 * Python's text codecs for the names filters accept (`b64encode(encoding=
 * 'utf-16-le')`): encoding is strict, decoding turns bytes that are not
 * valid into lone surrogates, as Ansible's 'surrogate_or_strict' does.
 */

function codecName(encoding: string): string {
  return encoding.toLowerCase().replace(/[-_ ]/g, '');
}

/** The bytes of `text` in a Python codec; an unencodable character is Python's UnicodeEncodeError. */
export function encodeText(text: string, encoding = 'utf-8'): Buffer {
  const name = codecName(encoding);
  const fail = (reason: string) => new RangeError(`'${encoding}' codec can't encode: ${reason}`);
  switch (name) {
    case 'utf8':
    case 'u8':
    case 'utf':
      return encodeUtf8Surrogates(text);
    case 'utf16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf16be':
      return Buffer.from(text, 'utf16le').swap16();
    case 'latin1':
    case 'iso88591':
    case 'l1':
    case 'latin':
      if (/[^\x00-\xff]/.test(text)) throw fail('ordinal not in range(256)');
      return Buffer.from(text, 'latin1');
    case 'ascii':
    case 'usascii':
      if (/[^\x00-\x7f]/.test(text)) throw fail('ordinal not in range(128)');
      return Buffer.from(text, 'ascii');
    default:
      throw new RangeError(`unknown encoding: ${encoding}`);
  }
}

/** UTF-8, with lone surrogates (undecodable bytes read earlier) written back as those bytes. */
function encodeUtf8Surrogates(text: string): Buffer {
  if (!/[\udc80-\udcff]/.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    parts.push(code >= 0xdc80 && code <= 0xdcff ? Buffer.from([code - 0xdc00]) : Buffer.from(ch, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** UTF-8 decoding where each byte of an invalid sequence becomes U+DC80..U+DCFF (surrogateescape). */
export function decodeUtf8Surrogates(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need === 0) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let ok = need > 0;
    let code = need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (c & 0x3f);
    }
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    if (ok && code >= min && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
      out += String.fromCodePoint(code);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}

/** Bytes to text in a Python codec (UTF-8 with surrogateescape; others strict). */
export function decodeText(bytes: Buffer, encoding = 'utf-8'): string {
  const name = codecName(encoding);
  switch (name) {
    case 'utf8':
    case 'u8':
    case 'utf':
      return decodeUtf8Surrogates(bytes);
    case 'utf16': {
      if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
      return (bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.subarray(2) : bytes).toString('utf16le');
    }
    case 'utf16le':
      return bytes.toString('utf16le');
    case 'utf16be':
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 'latin1':
    case 'iso88591':
    case 'l1':
    case 'latin':
      return bytes.toString('latin1');
    case 'ascii':
    case 'usascii':
      return [...bytes].map((b) => String.fromCharCode(b < 0x80 ? b : 0xdc00 + b)).join('');
    default:
      throw new RangeError(`unknown encoding: ${encoding}`);
  }
}
