/**
 * Python's textwrap.wrap as Jinja2's `wordwrap` calls it (tabs and
 * whitespace kept, whitespace at line ends dropped): the text is cut into
 * chunks (whitespace runs, words, the parts of hyphenated words) and lines
 * are filled greedily; a word longer than the width is broken, at a hyphen
 * when there is one.
 */

export interface WrapOptions {
  width: number;
  breakLongWords: boolean;
  breakOnHyphens: boolean;
}

const WS = '[\\t\\n\\x0b\\x0c\\r ]';
const NOWS = '[^\\t\\n\\x0b\\x0c\\r ]';
const WORD_PUNCT = `[\\p{L}\\p{N}_!"'&.,?]`;
const LETTER = '[\\p{L}\\p{Nl}\\p{No}_]';
const WORD = '[\\p{L}\\p{N}_]';

/** textwrap's wordsep_re: whitespace, em-dashes between words, words split after their hyphens. */
const WORD_SEPARATOR = new RegExp(
  `(${WS}+` +
    `|(?<=${WORD_PUNCT})-{2,}(?=${WORD})` +
    `|${NOWS}+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})|(?=${WS}|(?![\\s\\S]))|(?<=${WORD_PUNCT})(?=-{2,}${WORD})))`,
  'u',
);
const SIMPLE_SEPARATOR = new RegExp(`(${WS}+)`, 'u');

function chunksOf(text: string, breakOnHyphens: boolean): string[] {
  return text.split(breakOnHyphens ? WORD_SEPARATOR : SIMPLE_SEPARATOR).filter((c) => c !== undefined && c !== '');
}

const len = (s: string) => [...s].length;
const isBlank = (s: string) => /^[\s]*$/u.test(s);

/** Cut a word too long for any line; returns nothing, it edits the chunk stack and the current line. */
function handleLongWord(stack: string[], line: string[], lineLength: number, width: number, options: WrapOptions): void {
  const spaceLeft = width < 1 ? 1 : width - lineLength;
  if (options.breakLongWords) {
    let end = spaceLeft;
    const chunk = [...stack[stack.length - 1]!];
    if (options.breakOnHyphens && chunk.length > spaceLeft) {
      const hyphen = chunk.slice(0, spaceLeft).lastIndexOf('-');
      if (hyphen > 0 && chunk.slice(0, hyphen).some((c) => c !== '-')) end = hyphen + 1;
    }
    line.push(chunk.slice(0, end).join(''));
    stack[stack.length - 1] = chunk.slice(end).join('');
  } else if (line.length === 0) {
    line.push(stack.pop()!);
  }
}

export function textwrap(text: string, options: WrapOptions): string[] {
  const width = options.width;
  if (width <= 0) throw new RangeError(`invalid width ${width} (must be > 0)`);
  const stack = chunksOf(text, options.breakOnHyphens).reverse();
  const lines: string[] = [];
  while (stack.length > 0) {
    const line: string[] = [];
    let lineLength = 0;
    if (isBlank(stack[stack.length - 1]!) && lines.length > 0) stack.pop();
    while (stack.length > 0) {
      const l = len(stack[stack.length - 1]!);
      if (lineLength + l > width) break;
      line.push(stack.pop()!);
      lineLength += l;
    }
    if (stack.length > 0 && len(stack[stack.length - 1]!) > width) {
      handleLongWord(stack, line, lineLength, width, options);
      lineLength = line.reduce((n, c) => n + len(c), 0);
    }
    if (line.length > 0 && isBlank(line[line.length - 1]!)) {
      lineLength -= len(line[line.length - 1]!);
      line.pop();
    }
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}
