/**
 * The lookups that run commands on the controller: pipe (the output) and
 * lines (the output's lines). Each term runs with /bin/sh in the
 * playbook's folder, with an empty stdin; stderr goes to ours, as in
 * Ansible; a non-zero exit is an error naming the command and the code.
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { pyStr } from '../template/python.js';
import { LookupError } from './errors.js';
import { pyRstrip, splitByteLines } from './pytext.js';
import { termList } from './terms.js';
import type { LookupContext, LookupPlugin } from './types.js';

function runShell(command: string, ctx: LookupContext, plugin: string): string {
  const result = spawnSync('/bin/sh', ['-c', command], {
    cwd: ctx.basedir,
    input: '',
    stdio: ['pipe', 'pipe', 'inherit'],
    maxBuffer: 1024 ** 3,
  });
  if (result.error) {
    const e = result.error as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? `[Errno 2] No such file or directory: '${ctx.basedir}'` : e.message;
    throw new LookupError(reason, e.code === 'ENOENT' ? 'FileNotFoundError' : 'OSError');
  }
  // A command killed by a signal: Python reports the negated signal number.
  const code = result.status ?? -(result.signal ? constants.signals[result.signal] : 1);
  if (code !== 0) throw new LookupError(`lookup_plugin.${plugin}(${command}) returned ${code}`);
  return result.stdout.toString('utf8');
}

export const pipe: LookupPlugin = {
  name: 'pipe',
  run(terms, _options, ctx) {
    return termList(terms).map((term) => pyRstrip(runShell(pyStr(term), ctx, 'pipe')));
  },
};

export const lines: LookupPlugin = {
  name: 'lines',
  run(terms, _options, ctx) {
    return termList(terms).flatMap((term) => splitByteLines(runShell(pyStr(term), ctx, 'lines')));
  },
};
