/**
 * expect: run a command on a pseudo-terminal and answer its prompts, as
 * Ansible's expect (pexpect.run) does. The terminal work is done on the host
 * by a small Perl program (expect-engine.ts). Not supported in check mode
 * (skipped), as in Ansible.
 */
import { quote } from '../../connection/quote.js';
import { boolSchema, text, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { pathWord, pySplitlines, shlexSplit } from '../core/shlex.js';
import { pythonDelta, pythonTimestamp } from '../core/command.js';
import { EXPECT_PERL, expectInput, parseExpectEnd, type ExpectResponse } from './expect-engine.js';

export interface ExpectArgs {
  command: string;
  chdir?: string;
  creates?: string;
  removes?: string;
  responses: Record<string, unknown>;
  timeout?: number | string | null;
  echo?: unknown;
}

interface ExpectGuards {
  chdirMissing?: boolean;
  createsExists?: boolean;
  removesExists?: boolean;
}

async function readGuards(ctx: ModuleContext, args: ExpectArgs): Promise<ExpectGuards> {
  const creates = text(args.creates);
  const removes = text(args.removes);
  if (!creates && !removes) return {};
  const cd = args.chdir ? `if ! cd -P -- ${pathWord(args.chdir)} 2>/dev/null; then echo nochdir; exit 0; fi\n` : '';
  const test = (p: string, tag: string) => `if [ -e ${pathWord(p)} ]; then echo ${tag}1; else echo ${tag}0; fi`;
  const out = (await ctx.run(cd + [creates ? test(creates, 'c') : '', removes ? test(removes, 'r') : ''].filter(Boolean).join('\n'))).stdout.toString();
  return { chdirMissing: out.startsWith('nochdir'), createsExists: out.includes('c1'), removesExists: out.includes('r1') };
}

/** Ansible's responses: regex -> answer, or a list of answers given one per match. */
export function responsesOf(responses: Record<string, unknown>): ExpectResponse[] {
  return Object.entries(responses).map(([pattern, value]) => {
    if (Array.isArray(value)) return { pattern, answers: value.map((v) => text(v) ?? ''), list: true };
    return { pattern, answers: [text(value) ?? 'None'], list: false };
  });
}

export function planExpect(ctx: ModuleContext, args: ExpectArgs, guards: ExpectGuards): Plan {
  const command = String(args.command ?? '');
  if (command.trim() === '') return { changed: false, failed: true, msg: 'no command given', result: { rc: 256 } };
  const creates = text(args.creates);
  const removes = text(args.removes);
  if (guards.chdirMissing) return { changed: false, failed: true, msg: `[Errno 2] No such file or directory: '${args.chdir}'` };
  if (creates && guards.createsExists) return { changed: false, result: { cmd: command, stdout: `skipped, since ${creates} exists`, rc: 0 } };
  if (removes && guards.removesExists === false) return { changed: false, result: { cmd: command, stdout: `skipped, since ${removes} does not exist`, stdout_lines: [`skipped, since ${removes} does not exist`], rc: 0 } };
  let argv: string[];
  try {
    argv = shlexSplit(command);
  } catch (err) {
    return { changed: false, failed: true, msg: (err as Error).message };
  }
  const timeout = args.timeout === null ? null : Number(args.timeout ?? 30);
  const input = expectInput(argv, responsesOf(args.responses ?? {}), timeout, toBool(args.echo, false));
  return {
    changed: true,
    skipInCheckMode: true,
    apply: async () => {
      const started = new Date();
      const cd = args.chdir ? `cd -P -- ${pathWord(args.chdir)} || exit 1\n` : '';
      const res = await ctx.run(`${cd}exec perl -e ${quote(EXPECT_PERL)}`, { stdin: input });
      const ended = new Date();
      const end = parseExpectEnd(res.stderr.toString('utf8'));
      const stdout = res.stdout.toString('utf8').replace(/[\r\n]+$/, '');
      const result: Record<string, unknown> = {
        cmd: command, stdout, stdout_lines: pySplitlines(stdout), rc: null,
        start: pythonTimestamp(started), end: pythonTimestamp(ended), delta: pythonDelta(ended.getTime() - started.getTime()),
        changed: true,
      };
      switch (end.kind) {
        case 'exit':
          result.rc = end.code;
          if (end.code !== 0) Object.assign(result, { failed: true, msg: 'non-zero return code' });
          return result;
        case 'signal':
        case 'timeout':
          return { ...result, failed: true, msg: 'command exceeded timeout' };
        case 'notfound':
          return { changed: false, failed: true, msg: `The command was not found or was not executable: ${argv[0]}.` };
        case 'noresponse':
          return { changed: false, failed: true, msg: `No remaining responses for '${end.pattern}', output was '${end.last}'` };
        default:
          return { changed: false, failed: true, msg: `expect could not run on the host (rc ${res.rc}): ${end.detail}` };
      }
    },
  };
}

export const expect: Module<ExpectArgs, ExpectGuards> = {
  name: 'expect',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['command', 'responses'],
    properties: {
      command: { type: 'string', description: 'The command (split like a shell would; no shell features)' },
      chdir: { type: 'string', description: 'Run in this folder' },
      creates: { type: 'string', description: 'Do not run when this path exists' },
      removes: { type: 'string', description: 'Run only when this path exists' },
      responses: { type: 'object', description: 'regex -> answer (or a list of answers, one per match, in order)' },
      timeout: { type: ['integer', 'string', 'null'], description: 'Seconds to wait for each match (default 30; null: no limit)' },
      echo: { ...boolSchema, description: 'Let the terminal echo the answers (default false)' },
    },
  },
  doc: {
    description:
      'Runs a command on a pseudo-terminal and answers its prompts, like Ansible\'s expect: each output regex (Python/Perl ' +
      'syntax, `.` matching newlines) gets its answer followed by a newline; the earliest match in the output wins. ' +
      'Fails on a non-zero exit, on `timeout` seconds without a match, and when a list of answers runs out. The terminal ' +
      'is handled by Perl on the host (perl-base, on every Debian system): no Python or pexpect needed. Skipped in check mode.',
    returns: { cmd: 'the command', stdout: 'everything the terminal printed', rc: 'exit status', start: 'start time', end: 'end time', delta: 'run time' },
    example: '- name: Set a password interactively\n  expect:\n    command: passwd someone\n    responses:\n      "(?i)password:": "{{ new_password }}"\n',
  },
  read: readGuards,
  plan: planExpect,
};
