/**
 * A result's `diff` as `--diff` prints it (Ansible's format): notes for
 * binary or too large files, a unified diff of before/after text with
 * `--- before: HEADER` / `+++ after: HEADER` lines (dicts such as a file's
 * state or mode are diffed as their indented JSON), then any prepared diff
 * as it is (known_hosts and the like).
 */
import { paint } from './display.js';
import { unifiedDiff } from './difflib.js';
import { pythonJson, pythonNumber, pythonStr, splitLinesKeepEnds } from './python.js';

const NO_NEWLINE = '\n\\ No newline at end of file\n';

/** The diff of a result, lines ending with "\n", or '' when there is nothing to show. */
export function diffText(diff: unknown, options: { context: number; color: boolean }): string {
  const entries = Array.isArray(diff) ? diff : [diff];
  const out: string[] = [];
  for (const entry of entries) {
    if (!entry || typeof entry !== 'object') continue;
    out.push(...entryText(entry as Record<string, unknown>, options));
  }
  return out.join('');
}

function entryText(entry: Record<string, unknown>, options: { context: number; color: boolean }): string[] {
  const out: string[] = [];
  if ('dst_binary' in entry) out.push('diff skipped: destination file appears to be binary\n');
  if ('src_binary' in entry) out.push('diff skipped: source file appears to be binary\n');
  if ('dst_larger' in entry) out.push(`diff skipped: destination file size is greater than ${sizeText(entry.dst_larger)}\n`);
  if ('src_larger' in entry) out.push(`diff skipped: source file size is greater than ${sizeText(entry.src_larger)}\n`);
  if ('before' in entry && 'after' in entry) {
    const before = linesOf(entry.before);
    const after = linesOf(entry.after);
    const fromFile = 'before_header' in entry ? `before: ${pythonStr(entry.before_header)}` : 'before';
    const toFile = 'after_header' in entry ? `after: ${pythonStr(entry.after_header)}` : 'after';
    const lines = unifiedDiff(before, after, fromFile, toFile, options.context);
    for (const line of lines) out.push(colorDiffLine(line, options.color));
    if (lines.length > 0) out.push('\n');
  }
  if ('prepared' in entry) out.push(pythonStr(entry.prepared));
  return out;
}

function sizeText(value: unknown): string {
  return typeof value === 'number' ? pythonNumber(Math.trunc(value)) : pythonStr(value);
}

/** The text's lines with their ends; dicts as indented JSON; a missing last line end marked as diff does. */
function linesOf(value: unknown): string[] {
  const text = value === null || value === undefined ? '' : isDict(value) ? `${pythonJson(value, { indent: 4, ensureAscii: true })}\n` : pythonStr(value);
  const lines = splitLinesKeepEnds(text);
  const last = lines.length - 1;
  if (last >= 0 && !lines[last]!.endsWith('\n')) lines[last] += NO_NEWLINE;
  return lines;
}

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof String);
}

function colorDiffLine(line: string, color: boolean): string {
  if (!color) return line;
  if (line.startsWith('+')) return paint(line, 'diffAdd', true);
  if (line.startsWith('-')) return paint(line, 'diffRemove', true);
  if (line.startsWith('@@')) return paint(line, 'diffLines', true);
  return line;
}
