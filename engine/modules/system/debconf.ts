/**
 * debconf: preseed answers like Ansible's debconf module. The current answers
 * are read as `debconf-show` shows them (engine/facts/debconf.ts), which hides
 * passwords, so a password answer always reports a change, as in Ansible.
 * The read is a fact the runner reads ahead: tasks on the same package read
 * it once while nothing changes, and the packages of tasks read together
 * share one program.
 */
import { boolSchema, pick, text, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { dictText, runText } from './util.js';
import { readFact, type FactRequest } from '../../facts/index.js';
import { debconfFact, type DebconfParams, type DebconfState } from '../../facts/debconf.js';

export { parseDebconfShow, type DebconfState } from '../../facts/debconf.js';

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

const VTYPES = ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'];

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

/** The read of the package's answers; undefined for a name no shell argument can carry. */
function answersRequest(args: DebconfArgs): FactRequest<DebconfParams, DebconfState> | undefined {
  const pkg = normalized(args).pkg;
  return typeof pkg === 'string' && !pkg.includes('\0') ? [debconfFact, { pkg }] : undefined;
}

export function planDebconf(ctx: ModuleContext, args: DebconfArgs, state: DebconfState): Plan {
  const a = normalized(args);
  if (a.question === undefined) return { changed: false, result: { current: state.selections, msg: '' } };
  if (a.vtype === undefined || a.value === undefined) {
    return { changed: false, failed: true, msg: 'when supplying a question you must supply a valid vtype and value' };
  }
  let value = debconfValue(a.vtype, a.value);
  let changed = !(a.question in state.selections);
  if (!changed) {
    let existing = state.selections[a.question]!;
    if (a.vtype === 'boolean') {
      value = value.toLowerCase();
      existing = existing.toLowerCase();
    }
    changed = value !== existing;
  }
  if (!changed) return { changed: false, result: { current: state.selections, msg: '' } };

  const previous: Record<string, string> = { [a.question]: state.selections[a.question] ?? '' };
  const current = { [a.question]: value };
  return {
    changed: true,
    result: { current, previous, msg: '' },
    diff: [{ before: dictText(previous), after: dictText({ ...previous, ...current }) }],
    apply: async () => {
      // debconf-set-selections reads "owner question type value" lines.
      const stored = a.vtype === 'boolean' ? (value === 'True' ? 'true' : value === 'False' ? 'false' : value) : value;
      const line = [a.pkg, a.question!, a.vtype!, stored].join(' ');
      const res = await runText(ctx, `debconf-set-selections${a.unseen ? ' -u' : ''}`, { stdin: line });
      if (res.rc !== 0) throw new Error(res.stderr.trim());
      return { msg: res.stdout };
    },
  };
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
      'The current answers are read as debconf-show shows them (one Perl program for the packages of the tasks read together); ' +
      'the answer is written with debconf-set-selections on stdin. debconf-show hides passwords, so a password answer always reports a change (as in Ansible). A list value ' +
      '(multiselect) is joined with ", ". Without question, returns the package\'s current answers.',
    returns: { current: 'the answers now (question -> value)', previous: 'the answer before the change' },
    example: '- name: Preseed postfix\n  debconf:\n    name: postfix\n    question: postfix/main_mailer_type\n    vtype: select\n    value: Internet Site\n',
  },
  read: (ctx, args) => readFact(ctx, debconfFact, { pkg: normalized(args).pkg }),
  readAhead: (_ctx, args) => {
    const request = answersRequest(args);
    return request ? [request] : undefined;
  },
  plan: planDebconf,
};
