/**
 * script: a file of the controller (found like copy's src: the role's files/,
 * then the playbook's) copied to a private temporary folder on the host and
 * run there, as Ansible's script action: the first word of the text is the
 * file, the rest goes to the shell as written; creates/removes are tested
 * with `test -e` before anything is sent; chdir must be absolute.
 */
import { readFileSync } from 'node:fs';
import { posix, basename } from 'node:path';
import { quote } from '../../connection/quote.js';
import { boolSchema, text } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { pySplitlines, shlexSplit } from '../core/shlex.js';
import { chdirPrefix } from '../core/command.js';

export interface ScriptArgs {
  _raw_params?: string;
  cmd?: string;
  creates?: string;
  removes?: string;
  chdir?: string;
  executable?: string;
  decrypt?: unknown;
}

export interface ScriptState {
  /** The local file, its content; or why it cannot be used. */
  source?: { path: string; content: Buffer };
  error?: string;
  createsExists?: boolean;
  removesExists?: boolean;
}

function commandText(args: ScriptArgs): string {
  return (text(args._raw_params ?? args.cmd) ?? '').trim();
}

async function readScript(ctx: ModuleContext, args: ScriptArgs): Promise<ScriptState> {
  const state: ScriptState = {};
  const tests: string[] = [];
  const creates = text(args.creates);
  const removes = text(args.removes);
  if (creates) tests.push(`if test -e ${quote(creates)}; then echo c1; else echo c0; fi`);
  if (removes) tests.push(`if test -e ${quote(removes)}; then echo r1; else echo r0; fi`);
  if (tests.length > 0) {
    const out = (await ctx.run(tests.join('; '), { inline: true })).stdout.toString();
    if (creates) state.createsExists = out.includes('c1');
    if (removes) state.removesExists = out.includes('r1');
  }
  let words: string[];
  try {
    words = shlexSplit(commandText(args));
  } catch (err) {
    return { ...state, error: (err as Error).message };
  }
  if (words.length === 0) return { ...state, error: 'script: no file given' };
  try {
    const path = ctx.findFile('files', words[0]!);
    const content = readFileSync(path);
    if (content.subarray(0, 14).toString('latin1') === '$ANSIBLE_VAULT' && args.decrypt !== false) {
      return { ...state, error: `${words[0]} is vault-encrypted: decrypting scripts is not supported; give a plain file` };
    }
    state.source = { path, content };
  } catch (err) {
    state.error = (err as Error).message;
  }
  return state;
}

export function planScript(ctx: ModuleContext, args: ScriptArgs, state: ScriptState): Plan {
  const creates = text(args.creates);
  const removes = text(args.removes);
  if (creates && state.createsExists) return { changed: false, result: { skipped: true }, msg: `${creates} exists, matching creates option` };
  if (removes && state.removesExists === false) return { changed: false, result: { skipped: true }, msg: `${removes} does not exist, matching removes option` };
  const chdir = text(args.chdir);
  if (chdir && !chdir.startsWith('/')) return { changed: false, failed: true, msg: `chdir ${chdir} must be an absolute path for a Unix-aware remote node` };
  if (state.error || !state.source) return { changed: false, failed: true, msg: state.error ?? 'script: no file' };
  if (ctx.check && !creates && !removes) {
    // Ansible's script cannot predict its effect: skipped, with its own words.
    return { changed: false, result: { skipped: true }, msg: 'Check mode is not supported for this task.' };
  }
  const raw = commandText(args);
  const first = shlexSplit(raw)[0]!;
  const source = state.source;
  return {
    changed: true,
    apply: async () => {
      const made = await ctx.run('mktemp -d "${TMPDIR:-/tmp}/uxsv-script.XXXXXXXX"');
      const dir = made.stdout.toString().trim();
      if (made.rc !== 0 || !dir.startsWith('/')) throw new Error(`cannot make a temporary folder on the host: ${made.stderr.toString().trim()}`);
      const remote = posix.join(dir, basename(source.path));
      try {
        await ctx.conn.putFile(source.content, remote, { mode: '0700', ...(ctx.become ? { become: ctx.become } : {}) });
        // As Ansible: every occurrence of the file's word in the text becomes the copy's path; the rest is shell text.
        const line = raw.split(first).join(quote(remote));
        const run = args.executable ? `${args.executable} ${line}` : line;
        const res = await ctx.run(chdirPrefix(chdir) + run);
        const stdout = res.stdout.toString('utf8');
        const stderr = res.stderr.toString('utf8');
        const result: Record<string, unknown> = { rc: res.rc, stdout, stdout_lines: pySplitlines(stdout), stderr, stderr_lines: pySplitlines(stderr) };
        if (res.timedOut) Object.assign(result, { failed: true, msg: 'timed out' });
        else if (res.rc !== 0) Object.assign(result, { failed: true, msg: 'non-zero return code' });
        return result;
      } finally {
        await ctx.run(`rm -rf -- ${quote(dir)}`).catch(() => undefined);
      }
    },
  };
}

export const script: Module<ScriptArgs, ScriptState> = {
  name: 'script',
  freeForm: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      _raw_params: { type: 'string', description: 'The local file, then its arguments (shell text)' },
      cmd: { type: 'string', description: 'The same, as an argument' },
      creates: { type: ['string', 'number', 'boolean'], description: 'Do not run when this path exists on the host' },
      removes: { type: ['string', 'number', 'boolean'], description: 'Run only when this path exists on the host' },
      chdir: { type: 'string', description: 'An absolute folder to run in' },
      executable: { type: 'string', description: 'Run the file with this program (e.g. python3)' },
      decrypt: { ...boolSchema, description: 'Accepted; vault-encrypted files are refused' },
    },
  },
  doc: {
    description:
      'Copies a file of the controller (looked up like copy\'s src: the role\'s files/, the playbook\'s) to a private ' +
      'temporary folder on the host, runs it (with `executable` if given; the rest of the text is shell text, as in ' +
      'Ansible) and removes it. creates/removes are tested with `test -e` first; in check mode it is skipped unless ' +
      'creates/removes is given (then reported changed). Always changed when it runs; a non-zero exit fails.',
    returns: { rc: 'exit status', stdout: 'output', stdout_lines: 'output lines', stderr: 'error output', stderr_lines: 'error lines' },
    example: '- name: Seed the zone\n  script: seed-zone.sh example.jp\n  args:\n    creates: /var/lib/bind/example.jp.db\n',
  },
  read: readScript,
  plan: planScript,
};
