/**
 * tempfile: make a unique temporary file (0600) or folder (0700) on the host,
 * named prefix + random + suffix, in `path` or the host's temporary folder
 * ($TMPDIR, else /tmp), as Python's mkstemp/mkdtemp do.
 */
import type { Module } from '../types.js';
import { quote } from '../../connection/quote.js';
import { parseStatLineIn, statLineCommand } from '../../facts/file.js';
import { stringSchema, text } from '../lib/args.js';
import { checkModeSkip, pathInfo } from './common.js';

interface TempfileArgs { state: 'file' | 'directory'; path?: string; prefix: string; suffix: string }

function normalise(args: Record<string, any>): TempfileArgs {
  return {
    state: args.state === 'directory' ? 'directory' : 'file',
    path: text(args.path),
    prefix: text(args.prefix) ?? 'ansible.',
    suffix: text(args.suffix) ?? '',
  };
}

/** mktemp with prefix + 8 random characters + suffix (a prefix ending in X has those randomised too). */
export function mktempCommand(a: TempfileArgs): string {
  const dir = a.path !== undefined ? quote(a.path) : '"${TMPDIR:-/tmp}"';
  const name = `${a.prefix}XXXXXXXX`;
  return [
    `p=$(mktemp ${a.state === 'directory' ? '-d ' : ''}-p ${dir} --suffix=${quote(a.suffix)} -- ${quote(name)}) || exit`,
    'printf "P %s\\n" "$(printf %s "$p" | base64 -w0)"',
    statLineCommand('"$p"'),
  ].join('\n');
}

export const tempfile: Module<Record<string, any>, null> = {
  name: 'tempfile',
  schema: {
    type: 'object',
    properties: {
      state: { enum: ['file', 'directory'], description: 'Make a file or a folder.', default: 'file' },
      path: { ...stringSchema, description: 'Folder to make it in (default: $TMPDIR on the host, else /tmp).' },
      prefix: { ...stringSchema, description: 'Start of the name.', default: 'ansible.' },
      suffix: { ...stringSchema, description: 'End of the name.', default: '' },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Create a unique temporary file (mode 0600) or folder (0700) on the host and return its path; always changed. Skipped in check mode (it cannot be predicted), as in Ansible.',
    returns: { path: 'the file or folder made', state: 'file or directory', mode: 'its mode', owner: 'owner', group: 'group', uid: 'owner id', gid: 'group id', size: 'size' },
    example: [
      '- name: Scratch folder',
      '  tempfile:',
      '    state: directory',
      '    suffix: build',
      '  register: scratch',
    ].join('\n'),
  },
  read: async () => null,
  plan(ctx, args) {
    if (ctx.check) return checkModeSkip('remote module (tempfile) does not support check mode');
    const a = normalise(args);
    return {
      changed: true,
      apply: async () => {
        const res = await ctx.run(mktempCommand(a));
        if (res.rc !== 0) return { failed: true, changed: false, msg: res.stderr.toString().trim() || `mktemp failed (rc ${res.rc})` };
        const line = res.stdout.toString().split('\n').find((l) => l.startsWith('P '));
        const path = Buffer.from(line?.slice(2) ?? '', 'base64').toString('utf8');
        return { path, ...pathInfo(parseStatLineIn(path, res.stdout)) };
      },
    };
  },
};
