/**
 * lineinfile: ensure one line is present (or every matching line absent),
 * mirroring Ansible 2.14's present()/absent() algorithm line for line.
 */
import type { Module, ModuleContext, Plan } from '../types.js';
import { fileStateRequest, readFileState, type RemoteFileState } from '../lib/fileops.js';
import { boolSchema, fileAttributeProperties, pick, stringSchema, text, textSchema, toBool } from '../lib/args.js';
import { expandTemplate, pyRegex } from '../lib/pyregex.js';
import { planContent, wantedAttributes } from './common.js';

/** Python's readlines(): split after each \n, keeping it. */
export function splitLinesKeepEnds(content: string): string[] {
  const lines = content.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

const stripEol = (line: string) => line.replace(/[\r\n]+$/, '');

interface LineArgs {
  path: string;
  state: 'present' | 'absent';
  regexp?: string;
  search_string?: string;
  line?: string;
  insertafter?: string;
  insertbefore?: string;
  backrefs: boolean;
  create: boolean;
  backup: boolean;
  firstmatch: boolean;
  validate?: string;
}

function normalise(args: Record<string, any>): LineArgs {
  return {
    path: String(pick(args, 'path', 'dest', 'destfile', 'name')),
    state: args.state ?? 'present',
    regexp: text(pick(args, 'regexp', 'regex')),
    search_string: text(args.search_string),
    line: text(pick(args, 'line', 'value')),
    insertafter: text(args.insertafter),
    insertbefore: text(args.insertbefore),
    backrefs: toBool(args.backrefs, false),
    create: toBool(args.create, false),
    backup: toBool(args.backup, false),
    firstmatch: toBool(args.firstmatch, false),
    validate: text(args.validate),
  };
}

export interface LineEditResult {
  lines: string[];
  changed: boolean;
  msg: string;
  found?: number;
}

/** Ansible's present(): which line is replaced, or where the new one goes. */
export function lineinfilePresent(original: string[], a: Pick<LineArgs, 'regexp' | 'search_string' | 'line' | 'insertafter' | 'insertbefore' | 'backrefs' | 'firstmatch'>): LineEditResult {
  const lines = [...original];
  const line = a.line ?? '';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  const regexp = a.regexp !== undefined ? pyRegex(a.regexp) : undefined;
  let insertRe: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF') insertRe = pyRegex(insertafter);
  else if (insertbefore !== undefined && insertbefore !== 'BOF') insertRe = pyRegex(insertbefore);

  const index = [-1, -1];
  let match: RegExpExecArray | boolean | undefined;

  if (regexp) {
    for (let i = 0; i < lines.length; i++) {
      const found = regexp.exec(lines[i]!);
      if (found) {
        index[0] = i;
        match = found;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(a.search_string)) {
        index[0] = i;
        match = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < lines.length; i++) {
      if (line === stripEol(lines[i]!)) {
        index[0] = i;
      } else if (insertRe && insertRe.test(lines[i]!)) {
        if (insertafter) {
          index[1] = i + 1;
          if (a.firstmatch) break;
        }
        if (insertbefore) {
          index[1] = i;
          if (a.firstmatch) break;
        }
      }
    }
  }

  let msg = '';
  let changed = false;
  const added = () => { msg = 'line added'; changed = true; };
  if (index[0] !== -1) {
    let newLine = a.backrefs && match && typeof match !== 'boolean' ? expandTemplate(line, match) : line;
    if (!newLine.endsWith('\n')) newLine += '\n';
    // (Ansible's insert branch for "no regexp, no match, no exact line" cannot
    // be reached here: index[0] is only ever set by one of those.)
    if (lines[index[0]!] !== newLine) {
      lines[index[0]!] = newLine;
      msg = 'line replaced';
      changed = true;
    }
  } else if (a.backrefs) {
    // Ansible does nothing: the backreferences cannot be filled without a match.
  } else if (insertbefore === 'BOF' || insertafter === 'BOF') {
    lines.unshift(`${line}\n`);
    added();
  } else if (insertafter === 'EOF' || index[1] === -1) {
    if (lines.length && !/[\n\r]$/.test(lines[lines.length - 1]!)) lines.push('\n');
    lines.push(`${line}\n`);
    added();
  } else if (insertafter && index[1] !== -1) {
    if (lines.length === index[1]) {
      if (stripEol(lines[index[1]! - 1]!) !== line) {
        lines.push(`${line}\n`);
        added();
      }
    } else if (line !== stripEol(lines[index[1]!]!)) {
      lines.splice(index[1]!, 0, `${line}\n`);
      added();
    }
  } else {
    lines.splice(index[1]!, 0, `${line}\n`);
    added();
  }
  return { lines, changed, msg };
}

/** Ansible's absent(): drop every line matching regexp, search_string or equal to line. */
export function lineinfileAbsent(original: string[], a: Pick<LineArgs, 'regexp' | 'search_string' | 'line'>): LineEditResult {
  const regexp = a.regexp !== undefined ? pyRegex(a.regexp) : undefined;
  const matches = (l: string) => {
    if (regexp) return regexp.test(l);
    if (a.search_string !== undefined) return l.includes(a.search_string);
    return (a.line ?? '') === stripEol(l);
  };
  const lines = original.filter((l) => !matches(l));
  const found = original.length - lines.length;
  return { lines, changed: found > 0, msg: found > 0 ? `${found} line(s) removed` : '', found };
}

function validateArgs(a: LineArgs, state: RemoteFileState): string | undefined {
  if (a.regexp !== undefined && a.search_string !== undefined) return 'parameters are mutually exclusive: regexp|search_string';
  if (a.insertafter !== undefined && a.insertbefore !== undefined) return 'parameters are mutually exclusive: insertbefore|insertafter';
  if (a.backrefs && a.search_string !== undefined) return 'parameters are mutually exclusive: backrefs|search_string';
  if (state.type === 'directory') return `Path ${a.path} is a directory !`;
  if (a.state === 'present') {
    if (a.backrefs && a.regexp === undefined) return 'regexp is required with backrefs=true';
    if (a.line === undefined) return 'line is required with state=present';
    if (!state.exists && !a.create) return `Destination ${a.path} does not exist !`;
  } else if (a.regexp === undefined && a.search_string === undefined && a.line === undefined) {
    return 'one of line, search_string, or regexp is required with state=absent';
  }
  return undefined;
}

export const lineinfile: Module<Record<string, any>, RemoteFileState> = {
  name: 'lineinfile',
  schema: {
    type: 'object',
    properties: {
      path: { ...stringSchema, description: 'The file to edit (aliases dest, destfile, name); a link is edited through.' },
      dest: stringSchema, destfile: stringSchema, name: stringSchema,
      state: { enum: ['present', 'absent'], description: 'The line present, or every matching line removed.', default: 'present' },
      regexp: { ...stringSchema, description: 'Python regex of the line to replace (last match, or first with firstmatch); alias regex.' },
      regex: stringSchema,
      search_string: { ...stringSchema, description: 'Literal text of the line to replace.' },
      line: { ...textSchema, description: 'The line (alias value).' },
      value: textSchema,
      insertafter: { ...stringSchema, description: 'EOF, or a regex: the line goes after its last match.' },
      insertbefore: { ...stringSchema, description: 'BOF, or a regex: the line goes before its last match.' },
      backrefs: { ...boolSchema, description: 'Expand \\1 from regexp; nothing happens without a match.', default: false },
      create: { ...boolSchema, description: 'Create the file when missing.', default: false },
      backup: { ...boolSchema, description: 'Keep the old file (backup).', default: false },
      firstmatch: { ...boolSchema, description: 'Use the first match of insertafter/insertbefore/regexp.', default: false },
      validate: { ...stringSchema, description: 'Command with %s run on the new file before it replaces the old.' },
      others: stringSchema,
      ...fileAttributeProperties,
    },
    anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['destfile'] }, { required: ['name'] }],
    additionalProperties: false,
  },
  doc: {
    description: 'Ensure a particular line is in a file, or replace the line a regular expression (Python syntax) matches; or remove every matching line. The last match is replaced unless firstmatch is set.',
    returns: { msg: "'line added', 'line replaced', 'N line(s) removed'", backup: 'backup file path, when backup is set', found: '(absent) number of lines removed', diff: '[content, file attributes] as Ansible (texts in diff mode)' },
    example: [
      '- name: Listen on all addresses',
      '  lineinfile:',
      '    path: /etc/postgresql/15/main/postgresql.conf',
      "    regexp: '^#?listen_addresses\\s*='",
      "    line: \"listen_addresses = '*'\"",
      '    backup: true',
    ].join('\n'),
  },
  read: (ctx, args) => readFileState(ctx, normalise(args).path, { content: true }),
  readAhead: (_ctx, args) => [fileStateRequest(normalise(args).path, { content: true })],
  plan(ctx: ModuleContext, args, state): Plan {
    const a = normalise(args);
    const error = validateArgs(a, state);
    if (error) return { changed: false, failed: true, msg: error, result: state.exists || a.state === 'absent' ? {} : { rc: 257 } };
    if (a.state === 'absent' && !state.exists) return { changed: false, msg: 'file not present', result: {} };
    const original = splitLinesKeepEnds(state.content?.toString('utf8') ?? '');
    const edit = a.state === 'present' ? lineinfilePresent(original, a) : lineinfileAbsent(original, a);
    const content = Buffer.from(edit.lines.join(''), 'utf8');
    const attributes = wantedAttributes(args);
    // Ansible exits before touching attributes when check mode "creates" the file.
    const plan = planContent(ctx, {
      path: a.path,
      state,
      content: edit.changed ? content : undefined,
      contentChanged: edit.changed,
      attributes,
      backup: a.backup,
      validate: a.validate,
      createParents: true,
      diffHeader: `${a.path} (content)`,
      msg: edit.msg,
      attributeMessage: true,
      result: { ...(edit.found !== undefined ? { found: edit.found } : {}), backup: '' },
    });
    const warning = emptyPatternWarning(a);
    return withBackupKey(warning ? { ...plan, result: { ...plan.result, warnings: [warning] } } : plan);
  },
};

/** Ansible warns that an empty regexp or search_string matches every line. */
function emptyPatternWarning(a: Pick<LineArgs, 'regexp' | 'search_string'>): string | undefined {
  if (a.regexp !== '' && a.search_string !== '') return undefined;
  const what = a.regexp === '' ? 'regular expression' : 'search string';
  const advice = a.regexp === '' ? " If this is desired, use '^' to match every line in the file and avoid this warning." : '';
  return `The ${what} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.${advice}`;
}

/** lineinfile names its backup path `backup` (copy and others say backup_file). */
function withBackupKey(plan: Plan): Plan {
  const apply = plan.apply;
  if (!apply) return plan;
  return { ...plan, apply: async () => {
    const out = (await apply()) ?? {};
    const { backup_file, ...rest } = out as Record<string, unknown>;
    return backup_file ? { ...rest, backup: backup_file } : rest;
  } };
}
