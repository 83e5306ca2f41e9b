/**
 * Ansible host patterns: `all`, `*`, group and host names, unions (`a:b`,
 * `a,b`), intersections (`a:&b`), exclusions (`a:!b`), shell wildcards
 * (`uxsv0*`), regular expressions (`~uxsv0[12]`) and subscripts
 * (`web[0]`, `web[1:2]`, inclusive like Ansible).
 */
import { UserError } from '../errors.js';

export const LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export function isLocalhostName(name: string): boolean {
  return LOCALHOST_NAMES.includes(name);
}

/** Does this string use pattern syntax (as opposed to naming one host or group)? */
export function isPattern(text: string): boolean {
  return /[,:!&~*?[\]]/.test(text);
}

/** An IPv6 address is one term even though it holds colons. */
function looksLikeIpv6(text: string): boolean {
  return /^[0-9A-Fa-f:.]+$/.test(text) && (text.includes('::') || text.split(':').length === 8);
}

/** Ansible's split_host_pattern: commas if there are any, else colons outside brackets. */
export function splitPattern(pattern: string): string[] {
  const text = pattern.trim();
  let terms: string[];
  if (text.includes(',')) terms = text.split(',');
  else if (looksLikeIpv6(text)) terms = [text];
  else terms = text.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

/** Ansible's order_patterns: unions first, then intersections, then exclusions; only `!`/`&` terms mean all. */
export function orderTerms(terms: string[]): string[] {
  const plain = terms.filter((t) => t[0] !== '!' && t[0] !== '&');
  const intersections = terms.filter((t) => t[0] === '&');
  const exclusions = terms.filter((t) => t[0] === '!');
  return [...(plain.length ? plain : ['all']), ...intersections, ...exclusions];
}

/** fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`; the rest literal; whole-string match. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

/** A term's matcher: `~re` is a regular expression anchored at the start (Python's re.match), else a glob. */
export function termMatcher(term: string): RegExp {
  try {
    return term.startsWith('~') ? new RegExp(`^(?:${term.slice(1)})`) : globToRegExp(term);
  } catch (err) {
    throw new UserError(`invalid host pattern '${term}': ${(err as Error).message}`);
  }
}

/** Does a term ask for wildcard or regex matching on hosts even when groups matched too? */
export function isWildcardTerm(term: string): boolean {
  return term.startsWith('~') || /[.?*[]/.test(term);
}

export interface Subscript {
  start: number;
  end?: number;
}

/** `name[3]`, `name[1:2]`, `name[1:]`, `name[-1]` (a negative single index counts from the end). */
export function splitSubscript(term: string): { expr: string; subscript?: Subscript | 'single'; index?: number } {
  if (term.startsWith('~')) return { expr: term };
  // As Ansible's PATTERN_WITH_SUBSCRIPT: a slice needs its start (`web[:2]` is a glob); `[x-y]` is the old spelling of `[x:y]`.
  const m = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)[:-]([0-9]+)?)\]$/s.exec(term);
  if (!m) return { expr: term };
  if (m[2] !== undefined) return { expr: m[1], subscript: 'single', index: Number(m[2]) };
  return { expr: m[1], subscript: { start: Number(m[3]), end: m[4] !== undefined ? Number(m[4]) : undefined } };
}

/** Ansible's _apply_subscript: a single index, or an inclusive slice. */
export function applySubscript<T>(items: T[], parsed: ReturnType<typeof splitSubscript>): T[] {
  if (!parsed.subscript) return items;
  if (parsed.subscript === 'single') {
    const i = parsed.index! < 0 ? items.length + parsed.index! : parsed.index!;
    return i >= 0 && i < items.length ? [items[i]] : [];
  }
  const { start, end } = parsed.subscript;
  const last = end === undefined || end === -1 ? items.length - 1 : end;
  return items.slice(start, last + 1);
}
