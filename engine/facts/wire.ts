/**
 * Pieces the facts' output formats share: a name carried as the hex of its
 * UTF-8 bytes (no name can then forge a separator), and outputs cut at a
 * marker made of a random token (`\n<token> <tail>\n`).
 */

export const hexOf = (text: string): string => Buffer.from(text, 'utf8').toString('hex');
export const fromHex = (hex: string): string => Buffer.from(hex, 'hex').toString('utf8');

/** The outputs before each `<marker><tail>\n` of `stream`, with their tails; a marker without its newline ends the list. */
export function splitOnToken(stream: Buffer, marker: Buffer): Array<{ out: Buffer; tail: string }> {
  const parts: Array<{ out: Buffer; tail: string }> = [];
  let start = 0;
  for (;;) {
    const at = stream.indexOf(marker, start);
    if (at === -1) return parts;
    const end = stream.indexOf(0x0a, at + marker.length);
    if (end === -1) return parts;
    parts.push({ out: stream.subarray(start, at), tail: stream.subarray(at + marker.length, end).toString() });
    start = end + 1;
  }
}
