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

export const fileBytesFact: Fact<{ path: string }, FileContent> = {
  name: 'file.bytes',
  inline: true,
  command: ({ path }) => {
    const p = quote(path);
    return [
      `if [ -d ${p} ]; then echo 'E directory'`,
      `elif [ ! -e ${p} ]; then echo 'E missing'`,
      `elif [ ! -r ${p} ]; then echo 'E unreadable'`,
      `else printf 'C '; if base64 -w0 < ${p}; then echo; else echo; echo F; fi; fi`,
    ].join('\n');
  },
  parse(output: FactOutput, { path }): FileContent {
    const text = output.stdout.toString('latin1');
    const error = /^E (missing|unreadable|directory)\n/.exec(text);
    if (error) return { path, error: error[1] as ContentError };
    if (!text.startsWith('C ')) {
      const why = output.stderr.trim() || `rc ${output.rc}, no output`;
      return { path, error: 'other', message: why };
    }
    const [encoded, failed] = text.slice(2).split('\n');
    // The read failed midway: base64's own message says why.
    if (failed === 'F') return { path, error: 'other', message: output.stderr.trim() || 'read error' };
    return { path, content: Buffer.from(encoded ?? '', 'base64') };
  },
};
