/**
 * pamd (community.general.pamd): one rule of a PAM service file, as that
 * module edits it: rules are matched by type, control and module path; the
 * states update a rule, insert one before/after it, add or remove arguments,
 * or remove it. The file is written as the module writes it (rules
 * re-formatted, a "# Updated by Ansible" line as the second line).
 */
import { posix } from 'node:path';
import { quote } from '../../connection/quote.js';
import { contentSections } from '../../facts/content.js';
import { readFact } from '../../facts/index.js';
import { sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';

const VALID_TYPES = ['account', '-account', 'auth', '-auth', 'password', '-password', 'session', '-session'];
const SIMPLE_CONTROLS = ['required', 'requisite', 'sufficient', 'optional', 'include', 'substack', 'definitive'];
const CONTROL_VALUES = ['success', 'open_err', 'symbol_err', 'service_err', 'system_err', 'buf_err', 'perm_denied', 'auth_err',
  'cred_insufficient', 'authinfo_unavail', 'user_unknown', 'maxtries', 'new_authtok_reqd', 'acct_expired', 'session_err',
  'cred_unavail', 'cred_expired', 'cred_err', 'no_module_data', 'conv_err', 'authtok_err', 'authtok_recover_err',
  'authtok_lock_busy', 'authtok_disable_aging', 'try_again', 'ignore', 'abort', 'authtok_expired', 'module_unknown', 'bad_item',
  'conv_again', 'incomplete', 'default'];
const CONTROL_ACTIONS = ['ignore', 'bad', 'die', 'ok', 'done', 'reset'];

export interface PamRule {
  kind: 'rule';
  type: string;
  /** A word, or the words of a [value=action ...] control. */
  control: string | string[];
  path: string;
  args: string[];
}

export type PamLine = PamRule | { kind: 'other'; text: string; comment: boolean; empty: boolean };

/** Arguments as the module splits them: bracketed groups stay whole, the rest splits on whitespace. */
export function parseArguments(value: string | string[] | undefined | null): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 1 && !list[0]) return [];
  return list.flatMap((arg) => [...arg.matchAll(/(\[.*\]|\S*)/g)].map((m) => m[1]!).filter(Boolean));
}

function setControl(control: string): string | string[] {
  if (control.startsWith('[')) return control.split(' = ').join('=').replace(/[[\]]/g, '').split(' ');
  return control;
}

export function controlText(rule: PamRule): string {
  return Array.isArray(rule.control) ? `[${rule.control.join(' ')}]` : rule.control;
}

export function parsePamd(content: string): PamLine[] {
  const rows = content.split(/\r?\n/);
  if (rows[rows.length - 1] === '') rows.pop();
  return rows.map((line): PamLine => {
    if (line.trimStart().startsWith('#')) return { kind: 'other', text: line, comment: true, empty: false };
    if (line.trimStart().startsWith('@include')) return { kind: 'other', text: line, comment: false, empty: false };
    if (line.trim() === '') return { kind: 'other', text: line, comment: false, empty: true };
    const m = /(-?(?:auth|account|session|password))\s+(\[.*\]|\S*)\s+(\S*)\s*(.*)\s*/.exec(line);
    if (!m) return { kind: 'other', text: line, comment: false, empty: false };
    return { kind: 'rule', type: m[1]!, control: setControl(m[2]!), path: m[3]!, args: parseArguments(m[4]!) };
  });
}

function renderRule(rule: PamRule): string {
  const head = `${rule.type.padEnd(11)}${controlText(rule)} ${rule.path}`;
  return rule.args.length ? `${head} ${rule.args.join(' ')}` : head;
}

/** The file as the module writes it; `mark` is the "# Updated by Ansible - TIME" line. */
export function renderPamd(lines: PamLine[], mark: string): string {
  const out = lines.map((l) => (l.kind === 'rule' ? renderRule(l) : l.text));
  if (out.length <= 1) out.splice(0, 0, '', mark);
  else if (out[1]!.startsWith('# Updated by Ansible')) out[1] = mark;
  else out.splice(1, 0, mark);
  return `${out.join('\n')}\n`;
}

function matches(l: PamLine, type: string, control: string, path: string): boolean {
  return l.kind === 'rule' && l.type === type && controlText(l) === control && l.path === path;
}

function validate(lines: PamLine[]): string | undefined {
  for (const l of lines) {
    if (l.kind !== 'rule') {
      if (!l.comment && !l.empty && !l.text.startsWith('@include')) return `Rule is not valid ${l.text}`;
      continue;
    }
    const text = renderRule(l);
    if (!VALID_TYPES.includes(l.type)) return `Rule type, ${l.type}, is not valid in rule ${text}`;
    if (!Array.isArray(l.control)) {
      if (!SIMPLE_CONTROLS.includes(l.control)) return `Rule control, ${l.control}, is not valid in rule ${text}`;
    } else {
      for (const c of l.control) {
        const [value = '', action = ''] = c.split('=');
        if (!CONTROL_VALUES.includes(value)) return `Rule control value, ${value}, is not valid in rule ${text}`;
        if (!CONTROL_ACTIONS.includes(action) && !/^\d+$/.test(action)) return `Rule control action, ${action}, is not valid in rule ${text}`;
      }
    }
  }
  return undefined;
}

export interface PamdArgs {
  name: string;
  type: string;
  control: string;
  module_path: string;
  new_type?: string;
  new_control?: string;
  new_module_path?: string;
  module_arguments?: string | string[] | null;
  state?: 'absent' | 'after' | 'args_absent' | 'args_present' | 'before' | 'updated';
  path?: string;
  backup?: unknown;
}

/** The module's edit, on the parsed lines: the number of changes. */
export function editPamd(lines: PamLine[], a: PamdArgs): { lines: PamLine[]; changes: number; error?: string } {
  const out = [...lines];
  const found = () => out.filter((l): l is PamRule => matches(l, a.type, a.control, a.module_path));
  const state = a.state ?? 'updated';
  let changes = 0;
  const newRule = (): PamRule => ({ kind: 'rule', type: a.new_type!, control: setControl(a.new_control!), path: a.new_module_path!, args: parseArguments(a.module_arguments) });
  const isFiller = (l: PamLine | undefined) => l !== undefined && l.kind === 'other' && (l.comment || l.empty);
  if (state === 'updated') {
    const newArgs = a.module_arguments === undefined || a.module_arguments === null ? undefined : parseArguments(a.module_arguments);
    for (const rule of found()) {
      let changed = false;
      if (a.new_type && rule.type !== a.new_type) { rule.type = a.new_type; changed = true; }
      if (a.new_control && controlText(rule) !== a.new_control) { rule.control = setControl(a.new_control); changed = true; }
      if (a.new_module_path && rule.path !== a.new_module_path) { rule.path = a.new_module_path; changed = true; }
      if (newArgs !== undefined && JSON.stringify(rule.args) !== JSON.stringify(newArgs)) { rule.args = newArgs; changed = true; }
      if (changed) changes++;
    }
  } else if (state === 'before') {
    for (const rule of found()) {
      const index = out.indexOf(rule);
      let p = index - 1;
      while (p >= 0 && isFiller(out[p])) p--;
      if (p < 0 || !matches(out[p]!, a.new_type!, a.new_control!, a.new_module_path!)) {
        out.splice(index, 0, newRule());
        changes++;
      }
    }
  } else if (state === 'after') {
    for (const rule of found()) {
      const index = out.indexOf(rule);
      let n = index + 1;
      while (n < out.length && isFiller(out[n])) n++;
      if (n >= out.length) {
        out.push(newRule());
        changes++;
      } else if (!matches(out[n]!, a.new_type!, a.new_control!, a.new_module_path!)) {
        out.splice(index + 1, 0, newRule());
        changes++;
      }
    }
  } else if (state === 'args_present') {
    const add = parseArguments(a.module_arguments);
    if (add.some((x) => x.startsWith('['))) return { lines, changes: 0, error: "Unable to process bracketed '[' complex arguments with 'args_present'. Please use 'updated'." };
    for (const rule of found()) {
      const simple = new Set<string>();
      const kv = new Map<string, string>();
      for (const x of add) {
        if (x.includes('=')) { const [k, v] = x.split('='); kv.set(k!, v!); } else simple.add(x);
      }
      const curSimple = new Set<string>();
      const curKv = new Map<string, string>();
      for (const x of rule.args) {
        if (x.startsWith('[')) continue;
        if (x.includes('=')) { const [k, v] = x.split('='); curKv.set(k!, v!); } else curSimple.add(x);
      }
      let changed = false;
      const extra = [...[...simple].filter((x) => !curSimple.has(x)), ...[...kv.keys()].filter((k) => !curKv.has(k)).map((k) => `${k}=${kv.get(k)}`)];
      if (extra.length) { rule.args = [...rule.args, ...extra]; changed = true; }
      for (const [k, v] of kv) {
        if (curKv.has(k) && curKv.get(k) !== v) {
          rule.args[rule.args.indexOf(`${k}=${curKv.get(k)}`)] = `${k}=${v}`;
          changed = true;
        }
      }
      if (changed) changes++;
    }
  } else if (state === 'args_absent') {
    const remove = parseArguments(a.module_arguments);
    for (const rule of found()) {
      if (!rule.args.some((x) => remove.includes(x))) continue;
      rule.args = rule.args.filter((x) => !remove.includes(x));
      changes++;
    }
  } else if (state === 'absent') {
    for (const rule of found()) {
      out.splice(out.indexOf(rule), 1);
      changes++;
    }
  }
  return { lines: out, changes };
}

interface PamdState {
  exists: boolean;
  content: string;
  realPath: string;
}

const pamdFact: Fact<{ path: string }, PamdState> = sectionsFact(
  'pamd.file',
  ({ path }) => ({ ...contentSections({ path }), real: `readlink -f -- ${quote(path)} 2>/dev/null || printf '%s\\n' ${quote(path)}` }),
  (s, { path }) => {
    const out = s.file!.out;
    return {
      exists: out.startsWith('file\n'),
      content: out.startsWith('file\n') ? Buffer.from(out.slice(5).trim(), 'base64').toString('utf8') : '',
      realPath: s.real!.out.trim() || path,
    };
  },
);

function pythonIsoNow(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

export function planPamd(ctx: ModuleContext, args: PamdArgs, state: PamdState): Plan {
  const file = posix.join(args.path ?? '/etc/pam.d', args.name);
  const st = args.state ?? 'updated';
  if ((st === 'args_present' || st === 'args_absent') && (args.module_arguments === undefined || args.module_arguments === null)) {
    return { changed: false, failed: true, msg: `state is ${st} but all of the following are missing: module_arguments` };
  }
  if ((st === 'before' || st === 'after') && (!args.new_control || !args.new_type || !args.new_module_path)) {
    return { changed: false, failed: true, msg: `state is ${st} but all of the following are missing: new_control, new_type, new_module_path` };
  }
  if (!state.exists) return { changed: false, failed: true, msg: `Unable to open/read PAM module file ${file} with error [Errno 2] No such file or directory: '${file}'.` };
  const parsed = parsePamd(state.content);
  const edit = editPamd(parsed, args);
  if (edit.error) return { changed: false, failed: true, msg: edit.error };
  const invalid = validate(edit.lines);
  if (invalid) return { changed: false, failed: true, msg: invalid };
  const changed = edit.changes > 0;
  const result = { change_count: edit.changes, backupdest: '' };
  if (!changed) return { changed: false, result };
  const preview = renderPamd(edit.lines, '# Updated by Ansible');
  return {
    changed: true,
    result,
    diff: [{ before_header: file, after_header: file, before: state.content, after: preview }],
    apply: async () => {
      const written = await writeFileAtomic(ctx, state.realPath, renderPamd(edit.lines, `# Updated by Ansible - ${pythonIsoNow()}`), { backup: toBool(args.backup, false) });
      return written.backup_file ? { backupdest: written.backup_file } : {};
    },
  };
}

export const pamd: Module<PamdArgs, PamdState> = {
  name: 'community.general.pamd',
  aliases: ['pamd'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'type', 'control', 'module_path'],
    properties: {
      name: { type: 'string', description: 'The PAM service file (in path)' },
      type: { enum: VALID_TYPES, description: 'The rule\'s type' },
      control: { type: 'string', description: 'The rule\'s control (a word or [value=action ...])' },
      module_path: { type: 'string', description: 'The rule\'s module' },
      new_type: { enum: VALID_TYPES },
      new_control: { type: 'string' },
      new_module_path: { type: 'string' },
      module_arguments: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }] },
      state: { enum: ['absent', 'after', 'args_absent', 'args_present', 'before', 'updated'], description: 'default updated' },
      path: { type: 'string', description: 'default /etc/pam.d' },
      backup: { ...boolSchema, description: 'Keep a copy of the file before changing it' },
    },
  },
  doc: {
    description:
      'Edits one rule of a PAM service file like community.general.pamd: update its type/control/path/arguments, insert a ' +
      'rule before or after it, add or remove arguments, or remove it. The file is rewritten as the module writes it.',
    returns: { change_count: 'rules changed', backupdest: 'the copy, with backup' },
    example: '- community.general.pamd:\n    name: sshd\n    type: auth\n    control: required\n    module_path: pam_faillock.so\n    state: args_present\n    module_arguments: preauth\n',
  },
  read: (ctx, args) => readFact(ctx, pamdFact, { path: posix.join(args.path ?? '/etc/pam.d', args.name) }),
  plan: planPamd,
};
