/**
 * Python `re` syntax on JavaScript RegExp. Ansible users write Python
 * regexes: named groups `(?P<name>...)`, backreferences `(?P=name)`, inline
 * flags `(?i)`, anchors `\A` `\Z`, and replacement templates with `\1` and
 * `\g<name>`.
 */

const INLINE_FLAGS: Record<string, string> = { i: 'i', m: 'm', s: 's' };

/** Compile a Python regex. `flags` are JavaScript flags (i, m, s, g, y). */
export function pyRegex(pattern: string, flags = ''): RegExp {
  let source = pattern;
  const jsFlags = new Set(flags.split('').filter(Boolean));
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      const js = INLINE_FLAGS[f];
      if (!js) throw new SyntaxError(`unsupported inline regex flag '${f}' in ${pattern}`);
      jsFlags.add(js);
    }
    source = source.slice(inline[0].length);
  }
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2(?<![\\s\\S])')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2(?![\\s\\S])');
  try {
    return new RegExp(source, [...jsFlags].join(''));
  } catch (err) {
    throw new SyntaxError(`invalid regular expression '${pattern}': ${(err as Error).message}`);
  }
}

type TemplatePart = string | { group: number | string };

/** Parse a Python replacement template (`\1`, `\g<1>`, `\g<name>`, `\\`, `\n`). */
function parseReplacement(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '\\' || i === template.length - 1) {
      literal += ch;
      continue;
    }
    const next = template[i + 1]!;
    const digits = /^\d{1,2}/.exec(template.slice(i + 1));
    const named = /^g<(\w+)>/.exec(template.slice(i + 1));
    if (digits) {
      flush();
      parts.push({ group: Number(digits[0]) });
      i += digits[0].length;
    } else if (named) {
      flush();
      parts.push({ group: /^\d+$/.test(named[1]!) ? Number(named[1]) : named[1]! });
      i += named[0].length;
    } else {
      const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\' };
      literal += escapes[next] ?? `\\${next}`;
      i += 1;
    }
  }
  flush();
  return parts;
}

function groupValue(match: RegExpExecArray, group: number | string): string {
  const value = typeof group === 'number' ? match[group] : match.groups?.[group];
  if (typeof group === 'number' && group >= match.length) throw new RangeError(`invalid group reference ${group}`);
  if (typeof group === 'string' && !(match.groups && group in match.groups)) throw new RangeError(`unknown group name '${group}'`);
  return value ?? '';
}

/** Expand a Python replacement template for one match. */
export function expandTemplate(template: string, match: RegExpExecArray): string {
  return parseReplacement(template).map((p) => (typeof p === 'string' ? p : groupValue(match, p.group))).join('');
}

/** Python `re.sub(pattern, repl, text, count)`; count 0 replaces all. */
export function pySub(re: RegExp, template: string, text: string, count = 0): string {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let out = '';
  let last = 0;
  let done = 0;
  for (let m = global.exec(text); m; m = global.exec(text)) {
    out += text.slice(last, m.index) + expandTemplate(template, m);
    last = m.index + m[0].length;
    if (m[0] === '') global.lastIndex++;
    if (count > 0 && ++done >= count) break;
  }
  return out + text.slice(last);
}

/** Python `re.findall`: whole matches, the one group, or lists of groups. */
export function pyFindall(re: RegExp, text: string): unknown[] {
  const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  return [...text.matchAll(global)].map((m) => {
    if (m.length === 1) return m[0];
    if (m.length === 2) return m[1] ?? '';
    return m.slice(1).map((g) => g ?? '');
  });
}

/** A group reference argument of regex_search: '\\1', '\\g<1>' or '\\g<name>'. */
export function parseGroupReference(ref: string): number | string {
  const m = /^\\(\d+)$/.exec(ref) ?? /^\\g<(\w+)>$/.exec(ref);
  if (!m) throw new RangeError(`unknown argument '${ref}' for regex_search (expected '\\1' or '\\g<name>')`);
  return /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!;
}

export function groupOf(match: RegExpExecArray, ref: string): string {
  return groupValue(match, parseGroupReference(ref));
}
