/**
 * ansible-playbook's screen primitives: its colours (ANSI codes per line, as
 * Ansible writes them), banners padded with stars to the screen width,
 * `[WARNING]` and `[DEPRECATION WARNING]` texts wrapped like Ansible's, and
 * the display width of text (wide East Asian characters take two columns).
 */
import { wrap } from './textwrap.js';

/** Ansible's colour of each kind of line (its config defaults). */
export const COLOR = {
  changed: '0;33',
  debug: '1;30',
  deprecate: '0;35',
  diffAdd: '0;32',
  diffLines: '0;36',
  diffRemove: '0;31',
  error: '0;31',
  ok: '0;32',
  skip: '0;36',
  unreachable: '1;31',
  verbose: '0;34',
  warn: '1;35',
} as const;

export type ColorName = keyof typeof COLOR;

/** Colours text as Ansible's stringc: each line wrapped on its own. Identity when `enabled` is false. */
export function paint(text: string, color: ColorName | undefined, enabled: boolean): string {
  if (!enabled || color === undefined) return text;
  const code = COLOR[color];
  return text
    .split('\n')
    .map((line) => `\u001b[${code}m${line}\u001b[0m`)
    .join('\n');
}

/**
 * Ansible's screen width: the terminal's columns minus one, at least 79
 * (79 when the output is not a terminal, so banners are 80 columns wide).
 */
export function screenColumns(terminalColumns: number | undefined): number {
  return Math.max(79, (terminalColumns ?? 0) - 1);
}

/** `TITLE ****` filling the screen width, at least three stars (with the empty line Ansible puts before it). */
export function bannerText(title: string, columns: number): string {
  const text = title.trim();
  const stars = Math.max(3, columns - displayWidth(text));
  return `\n${text} ${'*'.repeat(stars)}`;
}

/** `[WARNING]: message`, wrapped to the screen width. */
export function warningText(message: string, columns: number): string {
  return wrap(`[WARNING]: ${message}`, columns).join('\n');
}

export interface Deprecation {
  message: string;
  version?: string;
  date?: string;
  collectionName?: string;
}

/** Ansible's deprecation sentence: what, from where, when, and how to silence it. */
export function deprecationMessage(deprecation: Deprecation): string {
  let message = deprecation.message.trim();
  if (message !== '' && !'!?.'.includes(message[message.length - 1]!)) message += '.';
  const collection = deprecation.collectionName === 'ansible.builtin' ? 'ansible-core' : deprecation.collectionName;
  const when = deprecation.date ? `in a release after ${deprecation.date}.` : deprecation.version ? `in version ${deprecation.version}.` : 'in a future release.';
  return [
    `[DEPRECATION WARNING]: ${message}`,
    'This feature will be removed',
    collection ? `from ${collection}` : '',
    when,
    'Deprecation warnings can be disabled by setting deprecation_warnings=False in ansible.cfg.',
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/** The deprecation as printed: wrapped keeping the spaces at line ends, then trimmed as a whole. */
export function deprecationText(deprecation: Deprecation, columns: number): string {
  return wrap(deprecationMessage(deprecation), columns, { dropWhitespace: false }).join('\n').trim();
}

/** Columns a character takes on a terminal (wcwidth): 0 for combining marks, 2 for wide ones, -1 for control characters. */
function charWidth(code: number): number {
  if (code === 0) return 0;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return -1;
  if (ZERO_WIDTH.test(String.fromCodePoint(code))) return 0;
  return isWide(code) ? 2 : 1;
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/u;

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x1f900 && code <= 0x1f9ff) ||
    (code >= 0x20000 && code <= 0x2fffd) ||
    (code >= 0x30000 && code <= 0x3fffd)
  );
}

/**
 * Columns the text takes (wcswidth). Text with control characters is
 * measured as Ansible does then: those count nothing, and backspace, delete
 * and escape take one column back.
 */
export function displayWidth(text: string): number {
  let width = 0;
  let control = false;
  for (const char of text) {
    const w = charWidth(char.codePointAt(0)!);
    if (w < 0) control = true;
    else width += w;
  }
  if (!control) return width;
  width = 0;
  for (const char of text) {
    if (char === '\b' || char === '\x7f' || char === '\x94' || char === '\x1b') width -= 1;
    else width += Math.max(0, charWidth(char.codePointAt(0)!));
  }
  return Math.max(0, width);
}
