/**
 * blockinfile: insert, update or remove a block of lines between marker
 * lines, mirroring Ansible's blockinfile.py.
 */
import type { Module, ModuleContext, Plan } from '../types.js';
import { fileStateRequest, readFileState, type RemoteFileState } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, pick, stringSchema, text, textSchema, toBool } from '../lib/args.js';
import { hasMultilineFlag, pyRegex } from '../lib/pyregex.js';
import { planContent, wantedAttributes } from './common.js';
import { splitLinesKeepEnds } from './lineinfile.js';

export interface BlockArgs {
  state: 'present' | 'absent';
  block: string;
  marker: string;
  marker_begin: string;
  marker_end: string;
  insertafter?: string;
  insertbefore?: string;
  append_newline: boolean;
  prepend_newline: boolean;
}

/** The new content for `original` (undefined = the file does not exist). */
export function blockinfileEdit(original: string | undefined, a: BlockArgs): string {
  const lines = original === undefined ? [] : splitLinesKeepEnds(original);
  const present = a.state === 'present';
  let { insertafter } = a;
  const { insertbefore } = a;
  if (insertbefore === undefined && insertafter === undefined) insertafter = 'EOF';
  let insertRe: RegExp | undefined;
  let insertPattern: string | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') insertPattern = insertafter;
  else if (insertbefore !== undefined && insertbefore !== 'BOF') insertPattern = insertbefore;
  if (insertPattern !== undefined) insertRe = pyRegex(insertPattern);

  const marker0 = `${a.marker.split('{mark}').join(a.marker_begin)}\n`;
  const marker1 = `${a.marker.split('{mark}').join(a.marker_end)}\n`;
  let blockLines: string[] = [];
  if (present && a.block) {
    const block = a.block.endsWith('\n') ? a.block : `${a.block}\n`;
    blockLines = [marker0, ...splitLinesKeepEnds(block), marker1];
  }

  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((line, i) => {
    if (line === marker0) n0 = i;
    if (line === marker1) n1 = i;
  });

  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertRe && insertPattern !== undefined) {
      if (hasMultilineFlag(insertPattern)) {
        // A (?m) pattern is searched in the whole text; the block goes after/before the matched text's line.
        const whole = original ?? '';
        const m = insertRe.exec(whole);
        if (m) {
          const upTo = insertafter !== undefined ? m.index + m[0].length : m.index;
          n0 = (whole.slice(0, upTo).match(/\n/g) ?? []).length;
        }
      } else {
        lines.forEach((line, i) => { if (insertRe!.test(line)) n0 = i; });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) {
      n0 = 0; // BOF
    } else {
      n0 = lines.length; // EOF
    }
  } else if (n0 < n1) {
    lines.splice(n0, n1 - n0 + 1);
  } else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }

  if (n0 > 0 && !lines[n0 - 1]!.endsWith('\n')) lines[n0 - 1] += '\n';
  if (a.prepend_newline && present && n0 !== 0 && lines[n0 - 1] !== '\n') {
    lines.splice(n0, 0, '\n');
    n0 += 1;
  }
  lines.splice(n0, 0, ...blockLines);
  if (a.append_newline && present) {
    const after = n0 + blockLines.length;
    if (after < lines.length && lines[after] !== '\n') lines.splice(after, 0, '\n');
  }
  return lines.join('');
}

function normalise(args: Record<string, any>) {
  const edit: BlockArgs = {
    state: args.state ?? 'present',
    block: text(pick(args, 'block', 'content')) ?? '',
    marker: text(args.marker) ?? '# {mark} ANSIBLE MANAGED BLOCK',
    marker_begin: text(args.marker_begin) ?? 'BEGIN',
    marker_end: text(args.marker_end) ?? 'END',
    insertafter: text(args.insertafter),
    insertbefore: text(args.insertbefore),
    append_newline: toBool(args.append_newline, false),
    prepend_newline: toBool(args.prepend_newline, false),
  };
  return {
    path: String(pick(args, 'path', 'dest', 'destfile', 'name')),
    create: toBool(args.create, false),
    backup: toBool(args.backup, false),
    validate: text(args.validate),
    edit,
  };
}

export const blockinfile: Module<Record<string, any>, RemoteFileState> = {
  name: 'blockinfile',
  schema: {
    type: 'object',
    properties: {
      path: { ...stringSchema, description: 'The file to edit (aliases dest, destfile, name); a link is edited through.' },
      dest: stringSchema, destfile: stringSchema, name: stringSchema,
      state: { enum: ['present', 'absent'], description: 'The block present, or removed.', default: 'present' },
      block: { ...textSchema, description: 'The text between the markers (alias content); empty removes the block.' },
      content: textSchema,
      marker: { ...stringSchema, description: 'Marker line template, {mark} replaced by marker_begin/marker_end.', default: '# {mark} ANSIBLE MANAGED BLOCK' },
      marker_begin: { ...stringSchema, default: 'BEGIN' }, marker_end: { ...stringSchema, default: 'END' },
      insertafter: { ...stringSchema, description: 'EOF, or a regex: a new block goes after its last match.' },
      insertbefore: { ...stringSchema, description: 'BOF, or a regex: a new block goes before its last match.' },
      create: { ...boolSchema, description: 'Create the file when missing.', default: false },
      backup: { ...boolSchema, description: 'Keep the old file (backup_file).', default: false },
      validate: { ...stringSchema, description: 'Command with %s run on the new file first.' },
      append_newline: boolSchema, prepend_newline: boolSchema,
      ...fileAttributeProperties,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
    not: { required: ['insertafter', 'insertbefore'] },
    additionalProperties: false,
  },
  doc: {
    description: 'Insert, update or remove a block of text surrounded by marker lines ("# BEGIN ANSIBLE MANAGED BLOCK" / "# END ..."). An empty block or state=absent removes the block.',
    returns: { msg: "'Block inserted', 'Block removed', 'File created'", backup_file: 'backup path, when backup is set' },
    example: [
      '- name: Peers of the cluster',
      '  blockinfile:',
      '    path: /etc/hosts',
      '    marker: "# {mark} uxsv peers"',
      '    block: |',
      '      10.0.0.1 alpha',
      '      10.0.0.2 beta',
    ].join('\n'),
  },
  read: (ctx, args) => readFileState(ctx, normalise(args).path, { content: true }),
  readAhead: (_ctx, args) => [fileStateRequest(normalise(args).path, { content: true })],
  plan(ctx: ModuleContext, args, state): Plan {
    const a = normalise(args);
    if (state.type === 'directory') return { changed: false, failed: true, msg: `Path ${a.path} is a directory !`, result: { rc: 256 } };
    if (!state.exists && !a.create) return { changed: false, failed: true, msg: `Path ${a.path} does not exist !`, result: { rc: 257 } };
    if (a.edit.state === 'absent' && !state.exists) return { changed: false, msg: `File ${a.path} not present` };
    const original = state.exists ? state.content?.toString('utf8') ?? '' : undefined;
    const result = blockinfileEdit(original, a.edit);
    const contentChanged = original !== result;
    let msg = '';
    if (contentChanged) msg = original === undefined ? 'File created' : a.edit.state === 'absent' || !a.edit.block ? 'Block removed' : 'Block inserted';
    return planContent(ctx, {
      path: a.path,
      state,
      content: contentChanged ? Buffer.from(result, 'utf8') : undefined,
      contentChanged,
      attributes: wantedAttributes(args),
      backup: a.backup,
      validate: a.validate,
      createParents: true,
      diffHeader: `${a.path} (content)`,
      msg,
      attributeMessage: true,
    });
  },
};
