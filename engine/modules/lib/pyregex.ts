/**
 * Python `re` patterns and replacement templates in JavaScript. Ansible's
 * lineinfile/replace/blockinfile take Python regexes; the common differences
 * are translated exactly:
 *   (?P<name>…) → (?<name>…), (?P=name) → \k<name>,
 *   \A → start of input, \Z → end of input,
 *   `.` → [^\n] (Python's dot only excludes \n; JavaScript's also \r),
 *   `$` (without MULTILINE) → end or before a final \n, as in Python,
 *   leading inline flags (?imsx) → JavaScript flags.
 * Not translated: inline flags in the middle of a pattern, possessive or
 * atomic groups, conditional groups (?(1)…), \Z inside a character class.
 */
export interface PyRegexOptions {
  multiline?: boolean;
  dotall?: boolean;
  global?: boolean;
}

export function pyRegex(pattern: string, options: PyRegexOptions = {}): RegExp {
  let multiline = options.multiline ?? false;
  let dotall = options.dotall ?? false;
  let ignoreCase = false;
  let verbose = false;
  let body = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (inline) {
    body = body.slice(inline[0].length);
    multiline ||= inline[1]!.includes('m');
    dotall ||= inline[1]!.includes('s');
    ignoreCase = inline[1]!.includes('i');
    verbose = inline[1]!.includes('x');
  }
  if (verbose) body = stripVerbose(body);
  const source = translate(body, multiline, dotall);
  const flags = `${options.global ? 'g' : ''}${ignoreCase ? 'i' : ''}${multiline ? 'm' : ''}`;
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

/** True when the pattern asks for MULTILINE with a leading (?m). */
export function hasMultilineFlag(pattern: string): boolean {
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  return !!inline && inline[1]!.includes('m');
}

function translate(body: string, multiline: boolean, dotall: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const next = body[i + 1] ?? '';
      i++;
      if (next === 'A') out += '(?<![\\s\\S])';
      else if (next === 'Z') out += '(?![\\s\\S])';
      else out += `\\${next}`;
    } else if (c === '[') {
      const end = classEnd(body, i);
      out += body.slice(i, end + 1);
      i = end;
    } else if (body.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (body.startsWith('(?P=', i)) {
      const close = body.indexOf(')', i);
      out += `\\k<${body.slice(i + 4, close)}>`;
      i = close;
    } else if (c === '.') {
      out += dotall ? '[\\s\\S]' : '[^\\n]';
    } else if (c === '$' && !multiline) {
      out += '(?=\\n?(?![\\s\\S]))';
    } else if (c === '$' && multiline) {
      // Python's MULTILINE $ matches before \n only (JavaScript's also before \r).
      out += '(?=\\n|(?![\\s\\S]))';
    } else if (c === '^' && multiline) {
      // Python's MULTILINE ^ matches after \n only.
      out += '(?:(?<![\\s\\S])|(?<=\\n))';
    } else {
      out += c;
    }
  }
  return out;
}

/** Index of the `]` closing the class that opens at `start`. */
function classEnd(body: string, start: number): number {
  let i = start + 1;
  if (body[i] === '^') i++;
  if (body[i] === ']') i++; // a leading ] is literal in Python
  for (; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === ']') return i;
  }
  return body.length - 1;
}

/** re.VERBOSE: whitespace and # comments outside classes are ignored. */
function stripVerbose(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') { out += c + (body[i + 1] ?? ''); i++; }
    else if (c === '[') { const end = classEnd(body, i); out += body.slice(i, end + 1); i = end; }
    else if (c === '#') { while (i < body.length && body[i] !== '\n') i++; }
    else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/**
 * Python's match.expand / re.sub template: \1..\99, \g<1>, \g<name>, and the
 * escapes \n \t \r \\ \' \". An unmatched group expands to ''.
 */
export function expandTemplate(template: string, match: RegExpExecArray | RegExpMatchArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '\\') { out += c; continue; }
    const next = template[i + 1] ?? '';
    const named = /^g<([^>]+)>/.exec(template.slice(i + 1));
    const numbered = /^\d{1,2}/.exec(template.slice(i + 1));
    if (named) {
      const key = named[1]!;
      const value = /^\d+$/.test(key) ? match[Number(key)] : match.groups?.[key];
      if (!/^\d+$/.test(key) && !(match.groups && key in match.groups)) throw new Error(`unknown group name '${key}'`);
      out += value ?? '';
      i += named[0].length;
    } else if (numbered) {
      const index = Number(numbered[0]);
      if (index >= match.length) throw new Error(`invalid group reference ${index}`);
      out += match[index] ?? '';
      i += numbered[0].length;
    } else {
      const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };
      // Unknown escapes of letters are errors in Python; others stay as written.
      out += next in escapes ? escapes[next] : `\\${next}`;
      i += 1;
    }
  }
  return out;
}

/** re.subn(pattern, template, text): the result and the number of replacements. */
export function pySubn(regex: RegExp, template: string, text: string): [string, number] {
  const global = regex.global ? regex : new RegExp(regex.source, `${regex.flags}g`);
  let count = 0;
  const result = text.replace(global, (...params: unknown[]) => {
    count++;
    const hasGroups = typeof params[params.length - 1] === 'object';
    const groups = hasGroups ? (params[params.length - 1] as Record<string, string>) : undefined;
    const captures = params.slice(0, hasGroups ? -3 : -2) as string[];
    const match = Object.assign([...captures], { groups }) as unknown as RegExpMatchArray;
    return expandTemplate(template, match);
  });
  return [result, count];
}
