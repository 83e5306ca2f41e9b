/**
 * The ini lookup: a key's value in a section of an INI file (or of a Java
 * properties file with `type=properties`), or every value whose key
 * matches a regular expression (`re=True`). Options as keywords, or as
 * `key=value` words after the key in a term (Ansible's older form).
 */
import { isString, pyStr, repr, truthy, type Dict } from '../template/python.js';
import { pyRegex } from '../template/regex.js';
import { LookupError, LookupFailure, LookupOptionsError } from './errors.js';
import { ConfigError, ConfigParser } from './configparser.js';
import { resolveOptions, type OptionSpecs } from './options.js';
import { decodeBytes } from './pytext.js';
import { findInSearchPath, readFileContents } from './search.js';
import { termList } from './terms.js';
import type { LookupPlugin } from './types.js';

const OPTIONS: OptionSpecs = {
  _terms: {},
  type: { default: 'ini', choices: ['ini', 'properties'] },
  file: { default: 'ansible.ini' },
  section: { default: 'global' },
  re: { type: 'bool', default: false },
  encoding: { default: 'utf-8' },
  default: { default: '' },
  case_sensitive: { default: false },
  allow_no_value: { type: 'bool', default: false, aliases: ['allow_none'] },
};

/**
 * Ansible's _parse_params: the term's words, the first being the key; a
 * word holding `option=` starts that option, and the words after it (up to
 * the next option) belong to its value, so values may hold spaces.
 */
function inlineParams(term: string, names: string[]): string[] {
  const params = new Map<string, string>();
  const order: string[] = [];
  let current = 'key';
  for (const [i, phrase] of term.split(/\s+/).filter(Boolean).entries()) {
    if (phrase.includes('=')) for (const name of names) if (phrase.includes(`${name}=`)) current = name;
    if (i === 0 || !params.get(current)) {
      params.set(current, phrase);
      order.push(current);
    } else params.set(current, `${params.get(current)} ${phrase}`);
  }
  return order.map((name) => params.get(name)!);
}

/** The key of a term with inline options, the options applied to `params`. */
function applyInlineOptions(term: string, params: Dict): string {
  const parts = inlineParams(term, Object.keys(params));
  let key: string | undefined;
  for (const part of parts) {
    if (part.includes('=')) {
      const pieces = part.split('=');
      if (pieces.length !== 2) {
        const reason = pieces.length > 2 ? 'too many values to unpack (expected 2)' : 'not enough values to unpack (expected 2, got 1)';
        // Ansible's message, then the Python error it wraps.
        throw new LookupFailure(`Could not use '${part}' from '${repr(parts)}': ${reason}. ${reason}`);
      }
      const [name, value] = pieces as [string, string];
      if (!Object.hasOwn(params, name)) throw new LookupFailure(`${name} is not a valid option.`);
      params[name] = value;
    } else if (key === undefined) key = part;
  }
  if (key === undefined) throw new LookupOptionsError(`No key to lookup was provided as first term with in string inline options: ${term}`);
  return key;
}

export const ini: LookupPlugin = {
  name: 'ini',
  run(terms, options, ctx) {
    const params = resolveOptions('ini', OPTIONS, options);
    const caseSensitive = truthy(params.case_sensitive);
    const parser = new ConfigParser(params.allow_no_value as boolean, caseSensitive ? (k) => k : undefined);
    const out: unknown[] = [];
    for (const rawTerm of termList(terms)) {
      const term = isString(rawTerm) ? String(rawTerm) : pyStr(rawTerm);
      const key = term.includes('=') || term.trim().includes(' ') ? applyInlineOptions(term, params) : term;
      const file = findInSearchPath(ctx, 'files', pyStr(params.file));
      if (file === undefined) throw new LookupError("Invalid filename: 'None'", 'ansible.errors.AnsibleParserError');
      let text = decodeBytes(readFileContents(ctx, file), pyStr(params.encoding));
      if (params.type === 'properties') {
        text = `[java_properties]\n${text}`;
        params.section = 'java_properties';
      }
      try {
        parser.read(text);
      } catch (err) {
        if (err instanceof ConfigError && err.pyClass === 'configparser.DuplicateOptionError') {
          throw new LookupFailure(`Duplicate option in '${pyStr(params.file)}': ${err.message}`);
        }
        throw err;
      }
      const section = pyStr(params.section);
      if (!parser.hasSection(section)) throw new LookupFailure(`No section '${section}' in ${pyStr(params.file)}`);
      if (truthy(params.re)) {
        const pattern = pyRegex(key);
        for (const [name, value] of parser.items(section)) if (matchesAtStart(pattern, name)) out.push(value);
        continue;
      }
      const value = parser.get(section, key);
      if (value === undefined) out.push(params.default);
      else if (value !== null) out.push(value);
    }
    return out;
  },
};

/** Python's re.match: a match starting at the beginning (not necessarily reaching the end). */
function matchesAtStart(pattern: RegExp, text: string): boolean {
  const sticky = new RegExp(pattern.source, `${pattern.flags.replace(/[gy]/g, '')}y`);
  return sticky.test(text);
}
