/** slurp: a remote file's content, base64-encoded (the `content` fact). */
import type { Module } from '../types.js';
import { readFact } from '../../facts/index.js';
import { fileBytesFact, type FileContent } from '../../facts/file-bytes.js';
import { missingArguments, pick } from '../lib/args.js';

/** Ansible's messages for the ways open() fails. */
export function contentErrorMessage(state: FileContent): string | undefined {
  switch (state.error) {
    case undefined: return undefined;
    case 'missing': return `file not found: ${state.path}`;
    case 'unreadable': return `file is not readable: ${state.path}`;
    case 'directory': return `source is a directory and must be a file: ${state.path}`;
    default: return `unable to slurp file: ${state.message ?? 'read error'}`;
  }
}

export const slurp: Module<Record<string, any>, FileContent> = {
  name: 'slurp',
  schema: {
    type: 'object',
    properties: {
      src: { type: 'string', description: 'The file to read (alias path).' },
      path: { type: 'string' },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Return a remote file\'s content, base64-encoded (decode with the b64decode filter). Never changes anything.',
    returns: { content: 'base64 content', encoding: "'base64'", source: 'the path read' },
    example: [
      '- slurp:',
      '    src: /etc/uxsv/mode',
      '  register: mode',
      "- debug: msg=\"{{ mode.content | b64decode }}\"",
    ].join('\n'),
  },
  read: async (ctx, args) => {
    if (missingArguments(args, [['src', 'path']])) return { path: '' };
    return readFact(ctx, fileBytesFact, { path: String(pick(args, 'src', 'path')) });
  },
  plan(_ctx, args, state) {
    const missing = missingArguments(args, [['src', 'path']]);
    if (missing) return { changed: false, failed: true, msg: missing };
    const error = contentErrorMessage(state);
    if (error) return { changed: false, failed: true, msg: error };
    return { changed: false, result: { content: state.content!.toString('base64'), source: state.path, encoding: 'base64' } };
  },
};
