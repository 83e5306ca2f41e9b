/**
 * Several reads in one command: each named section runs in a subshell and
 * its exit code follows it, so a failing one does not stop the others. The
 * marker lines are printed by the script itself, never by a tool, and the
 * parser only trusts a section that is closed by its own rc line: a host's
 * output cannot forge or hide a section.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

const MARK = '@@uxsv-section@@';

export interface Section {
  /** The section's stdout, byte for byte. */
  out: string;
  rc: number;
}

export type Sections = Record<string, Section>;

export function sectionScript(sections: Record<string, string>): string {
  return Object.entries(sections)
    .map(([name, command]) => `echo ${quote(`${MARK} ${name}`)}\n( ${command}\n)\nrc=$?; printf '\\n${MARK} rc %s\\n' "$rc"`)
    .join('\n');
}

export function parseSections(stdout: string): Sections {
  const sections: Sections = {};
  // The script prints "MARK name\n", the output, then "\nMARK rc N\n".
  const pattern = new RegExp(`${MARK} ([^\\n]*)\\n([\\s\\S]*?)\\n${MARK} rc (\\d+)\\n`, 'g');
  for (const m of stdout.matchAll(pattern)) sections[m[1]!] = { out: m[2]!, rc: Number(m[3]) };
  return sections;
}

/** Every expected section, or an Error naming the first one lost (the shell died). */
export function requireSections(output: FactOutput, names: string[]): Sections {
  const parsed = parseSections(output.stdout.toString('utf8'));
  for (const name of names) {
    if (!parsed[name]) throw new Error(`could not read ${name} (rc ${output.rc})${output.stderr.trim() ? `: ${output.stderr.trim()}` : ''}`);
  }
  return parsed;
}

/**
 * A fact whose command is a section script: `sections(params)` names the
 * commands, `parse` reads their outputs.
 */
export function sectionsFact<P, V>(
  name: string,
  sections: (params: P) => Record<string, string>,
  parse: (sections: Sections, params: P) => V,
): Fact<P, V> {
  return {
    name,
    command: (params) => sectionScript(sections(params)),
    parse: (output, params) => parse(requireSections(output, Object.keys(sections(params))), params),
  };
}

/** Lines without the empty piece after a final newline. */
export function lines(text: string): string[] {
  if (text === '') return [];
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}
