/**
 * Several reads in one command: each named section runs in a subshell, its
 * output is captured and printed after a header giving its name, its exit
 * code and its length in bytes, so a failing section does not stop the
 * others and no output (a host's files are data) can forge or hide a
 * section: the parser takes exactly that many bytes. The script runs with
 * LC_ALL=C (parsed output in one language, lengths in bytes); NUL bytes, which
 * a shell cannot hold, are dropped.
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
  const parts = Object.entries(sections).map(([name, command]) => [
    // The dot keeps trailing newlines through the command substitution.
    `__uxsv_o=$( ( ${command}\n); __uxsv_r=$?; echo .; exit $__uxsv_r ); __uxsv_r=$?; __uxsv_o=\${__uxsv_o%.}`,
    `printf '${MARK} %s %s %s\\n' ${quote(name)} "$__uxsv_r" "\${#__uxsv_o}"; printf '%s' "$__uxsv_o"`,
  ].join('\n'));
  return ['LC_ALL=C; export LC_ALL', ...parts].join('\n');
}

export function parseSections(stdout: string | Buffer): Sections {
  const buf = typeof stdout === 'string' ? Buffer.from(stdout, 'utf8') : stdout;
  const sections: Sections = {};
  const header = new RegExp(`^${MARK} (\\S+) (\\d+) (\\d+)$`);
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const m = header.exec(buf.subarray(pos, nl).toString('latin1'));
    if (!m) {
      pos = nl + 1;
      continue;
    }
    const start = nl + 1;
    const end = Math.min(buf.length, start + Number(m[3]));
    sections[m[1]!] = { out: buf.subarray(start, end).toString('utf8'), rc: Number(m[2]) };
    pos = end;
  }
  return sections;
}

/** Every expected section, or an Error naming the first one lost (the shell died). */
export function requireSections(output: FactOutput, names: string[]): Sections {
  const parsed = parseSections(output.stdout);
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
