/**
 * HTML filters: escape / e / forceescape / safe (markupsafe's Markup is
 * nunjucks' SafeString here: already escaped text), striptags, urlize and
 * xmlattr, as Jinja2 3.1 does them.
 */
import { runtime } from '../nunjucks-internals.js';
import { Undefined, isDict, isString, pyStr, truthy } from '../python.js';
import { TaggedText } from '../trust.js';
import { bindArgs, pySorted, strict, text, type FilterFn } from './support.js';

/** Text marked as safe HTML (Jinja2's Markup). */
export function isMarkup(value: unknown): boolean {
  return value instanceof (runtime.SafeString as unknown as typeof String) && !(value instanceof TaggedText);
}

export function markup(s: string): unknown {
  return new runtime.SafeString(s);
}

/** markupsafe.escape on plain text. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}

function escape(value: unknown): unknown {
  strict(value);
  if (isMarkup(value)) return value;
  return markup(escapeHtml(value === null || value === undefined ? 'None' : text(value)));
}

// HTML 4's Latin-1 entities, code points 160 to 255 in order.
const LATIN1_ENTITIES = (
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro ' +
  'para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil ' +
  'Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave ' +
  'Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml ' +
  'igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'
).split(' ');

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", hellip: '\u2026', mdash: '\u2014', ndash: '\u2013',
  lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', bull: '\u2022', trade: '\u2122', euro: '\u20ac',
  ...Object.fromEntries(LATIN1_ENTITIES.map((name, i) => [name, String.fromCodePoint(160 + i)])),
};

/** Python's html.unescape for numeric references and the common named ones. */
export function unescapeHtml(s: string): string {
  return s.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const hex = /^#[xX]/.test(ref);
      const code = parseInt(ref.slice(hex ? 2 : 1).replace(';', ''), hex ? 16 : 10);
      if (code === 0 || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return '\ufffd';
      return String.fromCodePoint(code);
    }
    const name = ref.replace(/;$/, '');
    const found = NAMED_ENTITIES[name];
    // Without the semicolon only the old Latin-1 names (and amp, lt, gt, quot) are recognised.
    if (found !== undefined && (ref.endsWith(';') || LATIN1_ENTITIES.includes(name) || ['amp', 'lt', 'gt', 'quot'].includes(name))) return found;
    return whole;
  });
}

function striptags(value: unknown): string {
  const s = text(value)
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[\s\S]*?>/g, '');
  return unescapeHtml(s.split(/[\s\x1c-\x1f\x85]+/u).filter(Boolean).join(' '));
}

const HTTP_URL = new RegExp(
  '^(' +
    '(https?://|www\\.)(([\\p{L}\\p{N}_%-]+\\.)+)?([a-z]{2,63}|xn--[\\p{L}\\p{N}_%]{2,59})' +
    '|([\\p{L}\\p{N}_%-]{2,63}\\.)+(com|net|int|edu|gov|org|info|mil)' +
    '|(https?://)((([\\d]{1,3})(\\.[\\d]{1,3}){3})|(\\[([\\da-f]{0,4}:){2}([\\da-f]{0,4}:?){1,6}\\]))' +
    ')(?::[\\d]{1,5})?(?:[/?#]\\S*)?$',
  'iu',
);
const EMAIL = /^\S+@[\p{L}\p{N}_][\p{L}\p{N}_.-]*\.[\p{L}\p{N}_]+$/u;

function countOf(s: string, sub: string): number {
  return s.split(sub).length - 1;
}

/** Jinja2's urlize: URLs and e-mail addresses in (escaped) text become links. */
function urlize(value: unknown, ...args: unknown[]): unknown {
  const [trimLimit = null, nofollow = false, target = null, rel = null, extraSchemes = null] =
    bindArgs('urlize', args, ['trim_url_limit', 'nofollow', 'target', 'rel', 'extra_schemes']);
  const relParts = new Set(pyStr(rel ?? '').split(/\s+/).filter(Boolean));
  if (truthy(nofollow)) relParts.add('nofollow');
  relParts.add('noopener');
  const relText = pySorted([...relParts]).join(' ');
  const schemes = extraSchemes === null ? [] : (extraSchemes as unknown[]).map(pyStr);
  for (const scheme of schemes) {
    if (!/^[\p{L}\p{N}_.+-]{2,}:(\/){0,2}$/u.test(scheme)) throw new RangeError(`'${scheme}' is not a valid URI scheme prefix.`);
  }
  const trim = (x: string) => (trimLimit !== null && [...x].length > Number(trimLimit) ? `${[...x].slice(0, Number(trimLimit)).join('')}...` : x);
  const relAttr = relText ? ` rel="${escapeHtml(relText)}"` : '';
  const targetAttr = target !== null && truthy(target) ? ` target="${escapeHtml(pyStr(target))}"` : '';
  const source = isMarkup(value) ? String(value) : escapeHtml(text(value));
  const words = source.split(/(\s+)/u);
  const out = words.map((word) => {
    let head = '';
    let middle = word;
    let tail = '';
    const lead = /^([(<]|&lt;)+/.exec(middle);
    if (lead) {
      head = lead[0];
      middle = middle.slice(lead[0].length);
    }
    const trail = /([)>.,\n]|&gt;)+$/.exec(middle);
    if (trail) {
      tail = trail[0];
      middle = middle.slice(0, trail.index);
    }
    for (const [open, close] of [['(', ')'], ['<', '>'], ['&lt;', '&gt;']] as const) {
      const opens = countOf(middle, open);
      if (opens <= countOf(middle, close)) continue;
      for (let n = Math.min(opens, countOf(tail, close)); n > 0; n--) {
        const end = tail.indexOf(close) + close.length;
        middle += tail.slice(0, end);
        tail = tail.slice(end);
      }
    }
    if (HTTP_URL.test(middle)) {
      const href = middle.startsWith('https://') || middle.startsWith('http://') ? middle : `https://${middle}`;
      middle = `<a href="${href}"${relAttr}${targetAttr}>${trim(middle)}</a>`;
    } else if (middle.startsWith('mailto:') && EMAIL.test(middle.slice(7))) {
      middle = `<a href="${middle}">${middle.slice(7)}</a>`;
    } else if (middle.includes('@') && !middle.startsWith('www.') && !middle.includes(':') && EMAIL.test(middle)) {
      middle = `<a href="mailto:${middle}">${middle}</a>`;
    } else {
      for (const scheme of schemes) {
        if (middle !== scheme && middle.startsWith(scheme)) middle = `<a href="${middle}"${relAttr}${targetAttr}>${middle}</a>`;
      }
    }
    return head + middle + tail;
  });
  return out.join('');
}

/** Jinja2's xmlattr: ` key="value"` pairs, escaped; None and undefined values left out. */
function xmlattr(value: unknown, ...args: unknown[]): string {
  const [autospace = true] = bindArgs('xmlattr', args, ['autospace']);
  strict(value);
  if (!isDict(value)) throw new TypeError(`'${pyStr(value)}' has no attribute 'items'`);
  const items: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined || v instanceof Undefined) continue;
    if (/[\s/>=]/.test(key)) throw new RangeError(`Invalid character in attribute name: '${key}'`);
    items.push(`${escapeHtml(key)}="${isMarkup(v) ? String(v) : escapeHtml(pyStr(v))}"`);
  }
  const joined = items.join(' ');
  return truthy(autospace) && joined ? ` ${joined}` : joined;
}

export const htmlFilters: Record<string, FilterFn> = {
  escape,
  e: escape,
  forceescape: (v) => markup(escapeHtml(text(v))),
  safe: (v) => (isMarkup(v) ? v : markup(isString(v) ? String(v) : text(v))),
  striptags,
  urlize,
  xmlattr,
};
