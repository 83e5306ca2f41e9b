/**
 * debconf: preseed answers like Ansible's debconf module. Current answers come
 * from `debconf-show` (package debconf, always installed); passwords, which
 * debconf-show hides, from `debconf-get-selections` when debconf-utils is there.
 */
import { quote } from '../../connection/quote.js';
import { boolSchema, pick, text, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { dictText, lines, readSections, runChecked } from './util.js';

export interface DebconfArgs {
  name: string;
  pkg?: string;
  question?: string;
  selection?: string;
  setting?: string;
  vtype?: string;
  value?: unknown;
  answer?: unknown;
  unseen?: unknown;
}

export interface DebconfState {
  selections: Record<string, string>;
  /** The stored password when vtype is password and debconf-get-selections exists. */
  password?: string;
}

const VTYPES = ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'];

/** `* question: value` / `  question: value` lines of debconf-show. */
export function parseDebconfShow(out: string): Record<string, string> {
  const selections: Record<string, string> = {};
  for (const line of lines(out)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    selections[line.slice(0, colon).replace(/^[\s*]+/, '').trim()] = line.slice(colon + 1).trim();
  }
  return selections;
}

/** The value of `pkg question` in debconf-get-selections output (tab separated: owner, question, type, value). */
export function findSelection(out: string, question: string): string | undefined {
  for (const line of lines(out)) {
    const [, q, , ...value] = line.split('\t');
    if (q === question) return value.join('\t');
  }
  return undefined;
}

function normalized(args: DebconfArgs) {
  const a = args as unknown as Record<string, unknown>;
  return {
    pkg: pick<string>(a, 'name', 'pkg')!,
    question: pick<string>(a, 'question', 'selection', 'setting'),
    vtype: args.vtype,
    value: pick(a, 'value', 'answer'),
    unseen: toBool(args.unseen, false),
  };
}

/** The value as debconf stores it: booleans are true/false, lists of a multiselect are ", " joined. */
export function debconfValue(vtype: string, value: unknown): string {
  if (vtype === 'boolean') return toBool(value, false) ? 'true' : 'false';
  if (Array.isArray(value)) return value.map(String).join(', ');
  return text(value) ?? '';
}

async function readDebconf(ctx: ModuleContext, args: DebconfArgs): Promise<DebconfState> {
  const a = normalized(args);
  const sections: Record<string, string> = { show: `debconf-show ${quote(a.pkg)}` };
  if (a.vtype === 'password') {
    sections.selections = `if command -v debconf-get-selections >/dev/null 2>&1; then debconf-get-selections | grep -F -- ${quote(`\t${a.question ?? ''}\t`)}; fi; true`;
  }
  const out = await readSections(ctx, sections);
  if (out.show!.rc !== 0) throw new Error(`debconf-show ${a.pkg} failed (rc ${out.show!.rc})`);
  const state: DebconfState = { selections: parseDebconfShow(out.show!.out) };
  if (out.selections && a.question) state.password = findSelection(out.selections.out, a.question);
  return state;
}

function planDebconf(ctx: ModuleContext, args: DebconfArgs, state: DebconfState): Plan {
  const a = normalized(args);
  if (a.question === undefined) return { changed: false, result: { current: state.selections } };
  if (a.vtype === undefined || a.value === undefined) {
    return { changed: false, failed: true, msg: 'when supplying a question you must supply a valid vtype and value' };
  }
  const value = debconfValue(a.vtype, a.value);
  let existing: string | undefined = state.selections[a.question];
  if (a.vtype === 'password') existing = state.password;
  else if (a.vtype === 'boolean' && existing !== undefined) existing = existing.toLowerCase();
  else if (a.vtype === 'multiselect' && existing !== undefined) existing = existing.split(/,\s*/).join(', ');
  const changed = !(a.question in state.selections) || existing !== value;
  if (!changed) return { changed: false, result: { current: state.selections } };

  const previous: Record<string, string> = { [a.question]: state.selections[a.question] ?? '' };
  const current = { [a.question]: value };
  const result = { current, previous };
  const diff = ctx.diff ? [{ before: dictText(previous), after: dictText({ ...previous, ...current }) }] : undefined;
  const apply = async () => {
    const line = [a.pkg, a.question!, a.vtype!, value].join(' ');
    await runChecked(ctx, `debconf-set-selections${a.unseen ? ' -u' : ''}`, 'debconf-set-selections', { stdin: `${line}\n` });
  };
  return { changed, result, diff, apply: ctx.check ? undefined : apply };
}

export const debconf: Module<DebconfArgs, DebconfState> = {
  name: 'debconf',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string' },
      pkg: { type: 'string' },
      question: { type: 'string' },
      selection: { type: 'string' },
      setting: { type: 'string' },
      vtype: { enum: VTYPES },
      value: { type: ['string', 'number', 'boolean', 'array'] },
      answer: { type: ['string', 'number', 'boolean', 'array'] },
      unseen: boolSchema,
    },
    anyOf: [{ required: ['name'] }, { required: ['pkg'] }],
  },
  doc: {
    description:
      'Sets a debconf answer like Ansible\'s debconf module (name = package, question, vtype, value, unseen). ' +
      'The current answers are read with debconf-show; the answer is written with debconf-set-selections on stdin. ' +
      'Password answers are compared with debconf-get-selections when debconf-utils is installed, otherwise they ' +
      'always report a change. Without question, returns the package\'s current answers.',
    returns: { current: 'the answers now (question -> value)', previous: 'the answer before the change' },
    example: '- name: Preseed postfix\n  debconf:\n    name: postfix\n    question: postfix/main_mailer_type\n    vtype: select\n    value: Internet Site\n',
  },
  read: readDebconf,
  plan: planDebconf,
};
