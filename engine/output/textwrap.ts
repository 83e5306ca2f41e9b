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

/** Code points, not UTF-16 units: Python's len(). */
function length(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function sliceCodePoints(text: string, start: number, end?: number): string {
  return Array.from(text).slice(start, end).join('');
}

function isBlank(chunk: string): boolean {
  return chunk.trim() === '';
}

function splitChunks(text: string): string[] {
  return text.split(CHUNK).filter((chunk) => chunk !== undefined && chunk !== '');
}

/** The lines of `text` wrapped at `width`, as textwrap.wrap(text, width, drop_whitespace=...). */
export function wrap(text: string, width: number, options: WrapOptions = {}): string[] {
  const dropWhitespace = options.dropWhitespace ?? true;
  const munged = expandTabs(text).replace(/[\t\n\x0b\x0c\r]/g, ' ');
  // Consumed from the end, as a stack.
  const chunks = splitChunks(munged).reverse();
  const lines: string[] = [];
  const lineWidth = Math.max(1, width);
  while (chunks.length > 0) {
    const line: string[] = [];
    let used = 0;
    if (dropWhitespace && lines.length > 0 && isBlank(chunks[chunks.length - 1]!)) chunks.pop();
    while (chunks.length > 0) {
      const size = length(chunks[chunks.length - 1]!);
      if (used + size > lineWidth) break;
      line.push(chunks.pop()!);
      used += size;
    }
    if (chunks.length > 0 && length(chunks[chunks.length - 1]!) > lineWidth) {
      cutLongWord(chunks, line, used, lineWidth);
    }
    if (dropWhitespace && line.length > 0 && isBlank(line[line.length - 1]!)) line.pop();
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

/** Fills the rest of the line with the start of a word too long for any line (after its last fitting hyphen if any). */
function cutLongWord(chunks: string[], line: string[], used: number, width: number): void {
  const spaceLeft = width - used < 1 ? 1 : width - used;
  const chunk = chunks[chunks.length - 1]!;
  let end = spaceLeft;
  if (length(chunk) > spaceLeft) {
    const head = Array.from(chunk).slice(0, spaceLeft);
    const hyphen = head.lastIndexOf('-');
    if (hyphen > 0 && head.slice(0, hyphen).some((char) => char !== '-')) end = hyphen + 1;
  }
  line.push(sliceCodePoints(chunk, 0, end));
  chunks[chunks.length - 1] = sliceCodePoints(chunk, end);
}
