/**
 * replace: re.subn over the file (MULTILINE), optionally limited to the text
 * between `after` and `before`, mirroring Ansible's replace.py.
 */
import type { Module, ModuleContext, Plan } from '../types.js';
import { fileStateRequest, readFileState, type RemoteFileState } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, pick, stringSchema, text, toBool } from '../lib/args.js';
import { pyRegex, pySubn } from '../lib/pyregex.js';
import { planContent, wantedAttributes } from './common.js';

export interface ReplaceOutcome {
  content: string;
  count: number;
  /** The before/after bounds were given but did not match. */
  sectionMissing?: string;
}

export function replaceEdit(contents: string, regexp: string, replacement: string, after?: string, before?: string): ReplaceOutcome {
  let pattern = '';
  if (after && before) pattern = `${after}(?P<subsection>.*?)${before}`;
  else if (after) pattern = `${after}(?P<subsection>.*)`;
  else if (before) pattern = `(?P<subsection>.*)${before}`;
  let section = contents;
  let start = 0;
  let end = contents.length;
  if (pattern) {
    const compiled = pyRegex(pattern, { dotall: true });
    // The `d` flag gives the subsection's own start and end, like match.start('subsection').
    const m = new RegExp(compiled.source, `${compiled.flags}d`).exec(contents);
    if (!m) return { content: contents, count: 0, sectionMissing: pattern };
    section = m.groups!.subsection!;
    [start, end] = m.indices!.groups!.subsection!;
  }
  const [replaced, count] = pySubn(pyRegex(regexp, { multiline: true, global: true }), replacement, section);
  if (count === 0 || replaced === section) return { content: contents, count: 0 };
  return { content: contents.slice(0, start) + replaced + contents.slice(end), count };
}

export const replace: Module<Record<string, any>, RemoteFileState> = {
  name: 'replace',
  schema: {
    type: 'object',
    properties: {
      path: { ...stringSchema, description: 'The file to edit (aliases dest, destfile, name); a link is edited through.' },
      dest: stringSchema, destfile: stringSchema, name: stringSchema,
      regexp: { ...stringSchema, description: 'Python regex (MULTILINE) of what to replace.' },
      replace: { type: ['string', 'number'], description: 'Replacement (\\1, \\g<name>); empty removes.' },
      after: { ...stringSchema, description: 'Only after the first match of this regex.' },
      before: { ...stringSchema, description: 'Only before the last match of this regex.' },
      backup: { ...boolSchema, description: 'Keep the old file (backup_file).', default: false },
      validate: { ...stringSchema, description: 'Command with %s run on the new file first.' }, encoding: { enum: ['utf-8', 'utf8'] }, others: stringSchema,
      ...fileAttributeProperties,
    },
    required: ['regexp'],
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'Replace every match of a Python regular expression (MULTILINE: ^ and $ match at each line) in a file; `after`/`before` limit the replacement to the text between two patterns. Backreferences: \\1, \\g<name>.',
    returns: { msg: "'N replacements made'", backup_file: 'backup path, when backup is set' },
    example: [
      '- name: Comment out the old relay host',
      '  replace:',
      '    path: /etc/postfix/main.cf',
      "    regexp: '^(relayhost\\s*=.*)$'",
      "    replace: '# \\1'",
    ].join('\n'),
  },
  read: (ctx, args) => readFileState(ctx, String(pick(args, 'path', 'dest', 'destfile', 'name')), { content: true }),
  readAhead: (_ctx, args) => [fileStateRequest(String(pick(args, 'path', 'dest', 'destfile', 'name')), { content: true })],
  plan(ctx: ModuleContext, args, state): Plan {
    const path = String(pick(args, 'path', 'dest', 'destfile', 'name'));
    if (state.type === 'directory') return { changed: false, failed: true, msg: `Path ${path} is a directory !`, result: { rc: 256 } };
    if (!state.exists) return { changed: false, failed: true, msg: `Path ${path} does not exist !`, result: { rc: 257 } };
    const contents = state.content?.toString('utf8') ?? '';
    const outcome = replaceEdit(contents, String(args.regexp), text(args.replace) ?? '', text(args.after), text(args.before));
    if (outcome.sectionMissing !== undefined) {
      return { changed: false, msg: `Pattern for before/after params did not match the given file: ${outcome.sectionMissing}`, result: { rc: 0 } };
    }
    const contentChanged = outcome.count > 0;
    return planContent(ctx, {
      path,
      state,
      content: contentChanged ? Buffer.from(outcome.content, 'utf8') : undefined,
      contentChanged,
      attributes: wantedAttributes(args),
      backup: toBool(args.backup, false),
      validate: text(args.validate),
      msg: contentChanged ? `${outcome.count} replacements made` : '',
      attributeMessage: true,
      diffStyle: 'replace',
      result: { rc: 0 },
    });
  },
};
