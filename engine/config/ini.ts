/**
 * ansible.cfg is read with Python's configparser (raw values, `;` inline
 * comments): `[section]` headers, `key = value` or `key: value` lines,
 * option names folded to lower case, full-line comments starting with `#` or
 * `;`, an inline comment only after whitespace and `;`, and continuation
 * lines (indented deeper than the key) joined with newlines. A duplicate
 * section or option, a key outside any section, or a line without a
 * separator is an error, as in configparser's strict mode.
 */
import { UserError } from '../errors.js';

export interface IniValue {
  value: string;
  line: number;
}

export type IniSections = Map<string, Map<string, IniValue>>;

const SECTION = /^\[([^\]]+)\]/;

export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, IniValue> | undefined;
  let currentName = '';
  let last: { entry: IniValue; indent: number } | undefined;
  const fail = (line: number, message: string) => new UserError(`error reading config file: ${message}`, { file, line, col: 1 });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const stripped = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (stripped === '' ) {
      // A blank line inside a value is kept only if more continuation follows (configparser trims the end).
      if (last) last.entry.value += '\n';
      return;
    }
    if (stripped.startsWith('#') || stripped.startsWith(';')) return;
    const content = stripInlineComment(raw).trimEnd();
    if (last && indent > last.indent && content.trim() !== '') {
      last.entry.value = `${last.entry.value.replace(/\n+$/, '')}\n${content.trim()}`;
      return;
    }
    if (last) last.entry.value = last.entry.value.replace(/\n+$/, '');
    last = undefined;
    const header = SECTION.exec(content.trim());
    if (header) {
      currentName = header[1];
      if (sections.has(currentName)) throw fail(lineNo, `section '${currentName}' already exists`);
      current = new Map();
      sections.set(currentName, current);
      return;
    }
    if (!current) throw fail(lineNo, `the file must start with a [section] header, got '${stripped}'`);
    const m = /^([^=:]*?)\s*[=:]\s*(.*)$/.exec(content.trim());
    if (!m || m[1] === '') throw fail(lineNo, `expected 'key = value' in [${currentName}], got '${stripped}'`);
    const key = m[1].toLowerCase();
    if (current.has(key)) throw fail(lineNo, `option '${key}' in section '${currentName}' already exists`);
    const entry = { value: m[2], line: lineNo };
    current.set(key, entry);
    last = { entry, indent };
  });
  if (last) (last as { entry: IniValue }).entry.value = (last as { entry: IniValue }).entry.value.replace(/\n+$/, '');
  return sections;
}

/** configparser's inline_comment_prefixes=(';',): a `;` preceded by whitespace starts a comment. */
function stripInlineComment(line: string): string {
  const m = /\s;/.exec(line);
  return m ? line.slice(0, m.index) : line;
}
