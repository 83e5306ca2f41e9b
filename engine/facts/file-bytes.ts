/**
 * The `file.bytes` fact: a whole file's bytes (any size), or why it cannot be
 * read, told apart as Python's open() would: missing, not readable, a
 * directory, or another error with the system's message.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export type ContentError = 'missing' | 'unreadable' | 'directory' | 'other';

export interface FileContent {
  path: string;
  content?: Buffer;
  error?: ContentError;
  /** The system's message for 'other'. */
  message?: string;
}

const ERRNO: Record<string, [number, string]> = {
  'Not a directory': [20, 'Not a directory'],
  'Too many levels of symbolic links': [40, 'Too many levels of symbolic links'],
  'Input/output error': [5, 'Input/output error'],
  'File name too long': [36, 'File name too long'],
};

/** Why open() failed, from the shell's own words ("cannot open X: Permission denied"). */
function failure(path: string, stderr: string): FileContent {
  if (/Permission denied/.test(stderr)) return { path, error: 'unreadable' };
  if (/No such file/.test(stderr)) return { path, error: 'missing' };
  if (/Is a directory/.test(stderr)) return { path, error: 'directory' };
  const known = Object.entries(ERRNO).find(([text]) => stderr.includes(text));
  // Python's str(OSError): "[Errno 20] Not a directory: '/a/b'".
  const message = known ? `[Errno ${known[1][0]}] ${known[1][1]}: '${path}'` : stderr.trim() || 'read error';
  return { path, error: 'other', message };
}

export const fileBytesFact: Fact<{ path: string }, FileContent> = {
  name: 'file.bytes',
  inline: true,
  command: ({ path }) => {
    const p = quote(path);
    // The read itself tells why it fails (a folder on the way the user cannot enter is "not readable", as open() says).
    return [
      `if [ -d ${p} ]; then echo 'E directory'`,
      `else printf 'C '; if base64 -w0 -- ${p}; then echo; else echo; echo F; fi; fi`,
    ].join('\n');
  },
  parse(output: FactOutput, { path }): FileContent {
    const text = output.stdout.toString('latin1');
    if (/^E directory\n/.test(text)) return { path, error: 'directory' };
    if (!text.startsWith('C ')) return { path, error: 'other', message: output.stderr.trim() || `rc ${output.rc}, no output` };
    const [encoded, failed] = text.slice(2).split('\n');
    if (failed === 'F') return failure(path, output.stderr);
    return { path, content: Buffer.from(encoded ?? '', 'base64') };
  },
};
