/**
 * Python's configparser.ConfigParser as the ini lookup uses it: sections,
 * `key = value` or `key: value`, full-line `#`/`;` comments, indented
 * continuation lines, a DEFAULT section seen by every other, `%(name)s`
 * interpolation, duplicate checks within one read (strict mode), keys
 * lower-cased unless case-sensitive, and keys without a value when
 * allowed. Errors carry Python's class name and message.
 */
import { repr } from '../template/python.js';
import { LookupError } from './errors.js';

export class ConfigError extends LookupError {
  constructor(message: string, pyClass: string) {
    super(message, `configparser.${pyClass}`);
  }
}

type RawValue = string[] | string | null;
type Section = Map<string, RawValue>;

const DEFAULT_SECTION = 'DEFAULT';
const MAX_DEPTH = 10;

function fromLine(source: string, lineno: number, message: string): string {
  return `While reading from ${repr(source)} [line ${String(lineno).padStart(2)}]: ${message}`;
}

export class ConfigParser {
  private readonly defaults: Section = new Map();
  private readonly sections = new Map<string, Section>();

  constructor(
    private readonly allowNoValue: boolean,
    readonly optionxform: (key: string) => string = (key) => key.toLowerCase(),
  ) {}

  /** RawConfigParser._read: adds what `text` holds; throws at the first structural error, or at the end for bad lines. */
  read(text: string, source = '<???>'): void {
    const added = new Set<string>();
    let cursect: Section | undefined;
    let sectname: string | undefined;
    let optname: string | undefined;
    let indentLevel = 0;
    let badLines: string | undefined;
    const option = this.allowNoValue ? /^(.*?)\s*(?:(=|:)\s*(.*))?$/ : /^(.*?)\s*(=|:)\s*(.*)$/;
    const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    for (const [index, line] of lines.entries()) {
      const lineno = index + 1;
      const isComment = /^\s*[#;]/.test(line);
      const value = isComment ? '' : line.trim();
      if (!value) {
        // An empty line inside a multi-line value is kept (a comment line is not).
        const current = cursect && optname ? cursect.get(optname) : undefined;
        if (!isComment && Array.isArray(current)) current.push('');
        continue;
      }
      const indent = line.search(/\S/);
      const current = cursect && optname ? cursect.get(optname) : undefined;
      if (cursect && optname && indent > indentLevel) {
        if (Array.isArray(current)) current.push(value);
        continue;
      }
      indentLevel = indent;
      const header = /^\[(.+)\]/.exec(value);
      if (header) {
        sectname = header[1]!;
        const existing = this.sections.get(sectname);
        if (existing) {
          if (added.has(`s:${sectname}`)) throw new ConfigError(fromLine(source, lineno, `section ${repr(sectname)} already exists`), 'DuplicateSectionError');
          cursect = existing;
          added.add(`s:${sectname}`);
        } else if (sectname === DEFAULT_SECTION) cursect = this.defaults;
        else {
          cursect = new Map();
          this.sections.set(sectname, cursect);
          added.add(`s:${sectname}`);
        }
        optname = undefined;
        continue;
      }
      if (!cursect) {
        throw new ConfigError(`File contains no section headers.\nfile: ${repr(source)}, line: ${lineno}\n${repr(line)}`, 'MissingSectionHeaderError');
      }
      const m = option.exec(value);
      if (!m || !m[1]) {
        badLines = (badLines ?? `Source contains parsing errors: ${repr(source)}`) + `\n\t[line ${String(lineno).padStart(2)}]: ${repr(line)}`;
        if (!m) continue;
      }
      optname = this.optionxform(m[1]!.trimEnd());
      const key = `o:${sectname}\0${optname}`;
      if (added.has(key)) {
        throw new ConfigError(fromLine(source, lineno, `option ${repr(optname)} in section ${repr(sectname)} already exists`), 'DuplicateOptionError');
      }
      added.add(key);
      cursect.set(optname, m[2] === undefined ? null : [m[3]!.trim()]);
    }
    for (const section of [this.defaults, ...this.sections.values()]) {
      for (const [name, raw] of section) if (Array.isArray(raw)) section.set(name, raw.join('\n').trimEnd());
    }
    if (badLines) throw new ConfigError(badLines, 'ParsingError');
  }

  /** The section's options over the defaults (a missing section is NoSectionError, except DEFAULT). */
  private view(section: string): Map<string, string | null> {
    const own = this.sections.get(section);
    if (!own && section !== DEFAULT_SECTION) throw new ConfigError(`No section: ${repr(section)}`, 'NoSectionError');
    return new Map([...this.defaults, ...(own ?? [])]) as Map<string, string | null>;
  }

  hasSection(section: string): boolean {
    return this.sections.has(section) || section === DEFAULT_SECTION;
  }

  /** The option's value, interpolated; undefined when the section lacks it (NoOptionError). */
  get(section: string, option: string): string | null | undefined {
    const values = this.view(section);
    const key = this.optionxform(option);
    if (!values.has(key)) return undefined;
    const value = values.get(key)!;
    return value === null ? null : this.interpolate(section, key, value, values);
  }

  /** All options of the section (defaults first), interpolated. */
  items(section: string): [string, string][] {
    const values = this.view(section);
    return [...values.keys()].map((key) => {
      const value = values.get(key)!;
      return [key, value === null ? '' : this.interpolate(section, key, value, values)];
    });
  }

  /** BasicInterpolation: `%%` is a percent sign, `%(name)s` another option's value. */
  private interpolate(section: string, option: string, value: string, values: Map<string, string | null>, depth = 1): string {
    const raw = values.get(option) ?? value;
    if (depth > MAX_DEPTH) {
      throw new ConfigError(`Recursion limit exceeded in value substitution: option ${repr(option)} in section ${repr(section)} contains an interpolation key which cannot be substituted in ${MAX_DEPTH} steps. Raw value: ${repr(raw)}`, 'InterpolationDepthError');
    }
    let out = '';
    let rest = value;
    while (rest) {
      const p = rest.indexOf('%');
      if (p < 0) return out + rest;
      out += rest.slice(0, p);
      rest = rest.slice(p);
      const next = rest[1];
      if (next === '%') {
        out += '%';
        rest = rest.slice(2);
      } else if (next === '(') {
        const m = /^%\(([^)]+)\)s/.exec(rest);
        if (!m) throw new ConfigError(`bad interpolation variable reference ${repr(rest)}`, 'InterpolationSyntaxError');
        const name = this.optionxform(m[1]!);
        rest = rest.slice(m[0].length);
        if (!values.has(name)) {
          throw new ConfigError(`Bad value substitution: option ${repr(option)} in section ${repr(section)} contains an interpolation key ${repr(name)} which is not a valid option name. Raw value: ${repr(raw)}`, 'InterpolationMissingOptionError');
        }
        const sub = values.get(name) ?? '';
        out += sub.includes('%') ? this.interpolate(section, option, sub, values, depth + 1) : sub;
      } else {
        throw new ConfigError(`'%' must be followed by '%' or '(', found: ${repr(rest)}`, 'InterpolationSyntaxError');
      }
    }
    return out;
  }
}
