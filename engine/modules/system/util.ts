/**
 * Helpers shared by the system modules: running a command and failing with its
 * output, and reading several facts in one round trip (sections separated by
 * marker lines that no tool prints).
 */
import { lines, parseSections, sectionScript, type Section } from '../../facts/sections.js';
import type { ExecResult } from '../../connection/types.js';
import { RemoteCommandError } from '../lib/fileops.js';
import type { ModuleContext } from '../types.js';

export { RemoteCommandError };

export interface TextResult {
  rc: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

export function asText(res: ExecResult): TextResult {
  return { rc: res.rc, stdout: res.stdout.toString('utf8'), stderr: res.stderr.toString('utf8'), timedOut: res.timedOut };
}

type RunOptions = Parameters<ModuleContext['run']>[1];

/** Run a command and return its text output, whatever its rc. */
export async function runText(ctx: ModuleContext, command: string, options?: RunOptions): Promise<TextResult> {
  return asText(await ctx.run(command, options));
}

/** Run a command; a non-zero rc throws with `what` and the command's output. */
export async function runChecked(ctx: ModuleContext, command: string, what: string, options?: RunOptions): Promise<TextResult> {
  const res = await runText(ctx, command, options);
  if (res.rc !== 0) {
    const detail = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-5).join('\n');
    throw new RemoteCommandError(`${what} failed (rc ${res.rc})${detail ? `: ${detail}` : ''}`, res.rc, res.stderr, res.stdout);
  }
  return res;
}

export { sectionScript, parseSections, type Section } from '../../facts/sections.js';

/** Run `sectionScript(sections)` and parse it; a lost section (the shell died) throws. */
export async function readSections(ctx: ModuleContext, sections: Record<string, string>, options?: RunOptions): Promise<Record<string, Section>> {
  const res = await ctx.run(sectionScript(sections), options);
  const parsed = parseSections(res.stdout);
  for (const name of Object.keys(sections)) {
    if (!parsed[name]) {
      const stderr = res.stderr.toString('utf8');
      throw new RemoteCommandError(`could not read ${name} (rc ${res.rc}): ${stderr.trim()}`, res.rc, stderr, res.stdout.toString('utf8'));
    }
  }
  return parsed;
}

export { lines };

/** Ansible-style result lines. */
export function outputLines(stdout: string, stderr: string): Record<string, unknown> {
  return { stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr) };
}

/** JSON like Ansible's diff of dicts (sorted keys, indent 4, trailing newline). */
export function dictText(value: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
  return `${JSON.stringify(sorted, null, 4)}\n`;
}
