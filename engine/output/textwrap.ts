/**
 * Python's textwrap.wrap, which Ansible uses for `[WARNING]` and
 * `[DEPRECATION WARNING]` messages: tabs expanded, each whitespace character
 * made a space, the text cut into chunks (words, runs of spaces, parts of
 * hyphenated words, em-dashes), chunks packed greedily into lines of at most
 * `width` code points, words longer than a line cut (after a hyphen when
 * there is one). Scripts grep these messages, so the line breaks must fall
 * where Ansible's do.
 */

export interface WrapOptions {
  /** Drop whitespace at the start and end of lines (default true). */
  dropWhitespace?: boolean;
}

const SPACE_CHARS = '\\t\\n\\x0b\\x0c\\r ';
const WHITESPACE = `[${SPACE_CHARS}]`;
const NOT_WHITESPACE = `[^${SPACE_CHARS}]`;
/** Python's `\w` for str patterns: letters, numbers, underscore. */
const WORD = '[\\p{L}\\p{N}_]';
/** A word character that is not a decimal digit (Python's `[^\d\W]`). */
const LETTER = '[\\p{L}\\p{Nl}\\p{No}_]';
const WORD_PUNCT = `[\\p{L}\\p{N}_!"'&.,?]`;

/**
 * One chunk per match: a whitespace run; an em-dash between words; or a word,
 * ending at a hyphen between letters, at whitespace or the end, or before an
 * em-dash. (The same chunking as Python's TextWrapper with break_on_hyphens.)
 */
const CHUNK = new RegExp(
  [
    `(${WHITESPACE}+`,
    `|(?<=${WORD_PUNCT})-{2,}(?=${WORD})`,
    `|${NOT_WHITESPACE}+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})|(?=${WHITESPACE}|$)|(?<=${WORD_PUNCT})(?=-{2,}${WORD})))`,
  ].join(''),
  'u',
);

function expandTabs(text: string, tabSize = 8): string {
  if (!text.includes('\t')) return text;
  let out = '';
  let column = 0;
  for (const char of text) {
    if (char === '\t') {
      const spaces = tabSize - (column % tabSize);
      out += ' '.repeat(spaces);
      column += spaces;
    } else {
      out += char;
      column = char === '\n' || char === '\r' ? 0 : column + 1;
    }
  }
  return out;
}

function isBlank(chunk: string): boolean {
  return chunk.trim() === '';
}

function splitChunks(text: string): string[] {
  return text.split(CHUNK).filter((chunk) => chunk !== undefined && chunk !== '');
}

/**
 * Python counts code points, JS strings UTF-16 units. Characters beyond the
 * BMP (emoji) are swapped for private-use characters the text does not hold,
 * so lengths and cuts work on plain units (linear in the text), and swapped
 * back in the result.
 */
function toSingleUnits(text: string): { text: string; restore: (line: string) => string } {
  if (!/[\ud800-\udfff]/.test(text)) return { text, restore: (line) => line };
  const used = new Set(text.match(/[\ue000-\uf8ff]/g) ?? []);
  const toPlaceholder = new Map<string, string>();
  const fromPlaceholder = new Map<string, string>();
  let next = 0xe000;
  const swapped = text.replace(/[\ud800-\udbff][\udc00-\udfff]/g, (pair) => {
    let placeholder = toPlaceholder.get(pair);
    if (placeholder !== undefined) return placeholder;
    while (next <= 0xf8ff && used.has(String.fromCharCode(next))) next++;
    // More distinct characters than placeholders: keep the rest as they are (counted as two).
    if (next > 0xf8ff) return pair;
    placeholder = String.fromCharCode(next++);
    toPlaceholder.set(pair, placeholder);
    fromPlaceholder.set(placeholder, pair);
    return placeholder;
  });
  return { text: swapped, restore: (line) => line.replace(/[\ue000-\uf8ff]/g, (char) => fromPlaceholder.get(char) ?? char) };
}

/** The lines of `text` wrapped at `width`, as textwrap.wrap(text, width, drop_whitespace=...). */
export function wrap(text: string, width: number, options: WrapOptions = {}): string[] {
  const dropWhitespace = options.dropWhitespace ?? true;
  const { text: units, restore } = toSingleUnits(text);
  const munged = expandTabs(units).replace(/[\t\n\x0b\x0c\r]/g, ' ');
  // Consumed from the end, as a stack.
  const chunks = splitChunks(munged).reverse();
  const lines: string[] = [];
  const lineWidth = Math.max(1, width);
  while (chunks.length > 0) {
    const line: string[] = [];
    let used = 0;
    if (dropWhitespace && lines.length > 0 && isBlank(chunks[chunks.length - 1]!)) chunks.pop();
    while (chunks.length > 0) {
      const size = chunks[chunks.length - 1]!.length;
      if (used + size > lineWidth) break;
      line.push(chunks.pop()!);
      used += size;
    }
    if (chunks.length > 0 && chunks[chunks.length - 1]!.length > lineWidth) cutLongWord(chunks, line, used, lineWidth);
    if (dropWhitespace && line.length > 0 && isBlank(line[line.length - 1]!)) line.pop();
    if (line.length > 0) lines.push(restore(line.join('')));
  }
  return lines;
}

/** Fills the rest of the line with the start of a word too long for any line (after its last fitting hyphen if any). */
function cutLongWord(chunks: string[], line: string[], used: number, width: number): void {
  const spaceLeft = width - used < 1 ? 1 : width - used;
  const chunk = chunks[chunks.length - 1]!;
  let end = spaceLeft;
  if (chunk.length > spaceLeft) {
    const hyphen = chunk.lastIndexOf('-', spaceLeft - 1);
    if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = hyphen + 1;
  }
  line.push(chunk.slice(0, end));
  chunks[chunks.length - 1] = chunk.slice(end);
}
