/**
 * YAML written the way PyYAML's yaml.dump(default_flow_style=False,
 * allow_unicode=True) writes it, so that `uxsv inventory --list --yaml`
 * prints what ansible-inventory prints: sorted keys, sequences not indented
 * under their key, `{}`/`[]` for empty collections, `&id001`/`*id001` for an
 * object met twice, plain scalars unless YAML 1.1 would read them as
 * another type (or they hold indicators), then single quotes, then double
 * quotes with escapes; long scalars folded at spaces past column 80.
 */

const WIDTH = 80;

/** Strings that a YAML 1.1 reader would take for a bool, number, null, timestamp, merge or value key. */
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  /^(?:=)$/,
];

type Style = 'plain' | 'single' | 'double';

function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if (c === 0x0a || (c >= 0x20 && c <= 0x7e)) return true;
  // allow_unicode: printable non-ASCII stays as it is
  return c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
}

/** PyYAML's analyze_scalar and choose_scalar_style for a block context. */
function chooseStyle(text: string, simpleKey: boolean): Style {
  if (text === '') return 'single';
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let spaceBreak = false;
  let breakSpace = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (text.startsWith('---') || text.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  const chars = [...text];
  chars.forEach((ch, index) => {
    const next = chars[index + 1];
    const followedByWhitespace = next === undefined || /[\0 \t\r\n\x85\u2028\u2029]/.test(next);
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if ('\n\x85\u2028\u2029'.includes(ch)) lineBreaks = true;
    if (!isPrintable(ch)) special = true;
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if ('\n\x85\u2028\u2029'.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = /[\0 \t\r\n\x85\u2028\u2029]/.test(ch);
  });
  let allowBlockPlain = true;
  let allowSingle = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingle = false;
  if (spaceBreak || special) allowBlockPlain = allowSingle = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  const multiline = lineBreaks;
  const implicit = !IMPLICIT.some((re) => re.test(text));
  if (implicit && !(simpleKey && multiline) && allowBlockPlain) return 'plain';
  if (allowSingle && !(simpleKey && multiline)) return 'single';
  return 'double';
}

const ESCAPES: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\x0b': 'v', '\f': 'f', '\r': 'r', '\x1b': 'e', '"': '"', '\\': '\\',
  '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P',
};

class Writer {
  out = '';
  column = 0;

  write(text: string): void {
    this.out += text;
    const nl = text.lastIndexOf('\n');
    this.column = nl >= 0 ? text.length - nl - 1 : this.column + text.length;
  }

  indent(n: number): void {
    this.write(`\n${' '.repeat(n)}`);
  }
}

/** A scalar after `w`'s current position; `indent` is where folded lines continue. */
function writeScalar(w: Writer, value: unknown, indent: number, simpleKey = false): void {
  if (value === null || value === undefined) return w.write('null');
  if (typeof value === 'boolean') return w.write(value ? 'true' : 'false');
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return w.write('.nan');
    if (!Number.isFinite(value)) return w.write(value > 0 ? '.inf' : '-.inf');
    return w.write(String(value));
  }
  const text = String(value);
  const style = chooseStyle(text, simpleKey);
  if (style === 'plain') return writeFolded(w, text, indent, !simpleKey);
  if (style === 'single') return writeSingle(w, text, indent, !simpleKey);
  return w.write(`"${[...text].map((ch) => (ESCAPES[ch] !== undefined ? `\\${ESCAPES[ch]}` : isPrintable(ch) ? ch : hexEscape(ch))).join('')}"`);
}

function hexEscape(ch: string): string {
  const c = ch.codePointAt(0)!;
  if (c <= 0xff) return `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  if (c <= 0xffff) return `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return `\\U${c.toString(16).toUpperCase().padStart(8, '0')}`;
}

/** Plain text, a single space past column 80 becoming a line break. */
function writeFolded(w: Writer, text: string, indent: number, split: boolean): void {
  const parts = text.split(/( +)/);
  parts.forEach((part, i) => {
    if (part.startsWith(' ')) {
      if (part.length === 1 && w.column > WIDTH && split && i > 0 && i < parts.length - 1) w.indent(indent);
      else w.write(part);
    } else w.write(part);
  });
}

function writeSingle(w: Writer, text: string, indent: number, split: boolean): void {
  w.write("'");
  const tokens = text.match(/ +|\n+|[^ \n]+/g) ?? [];
  tokens.forEach((token, i) => {
    if (token[0] === ' ') {
      const inner = i > 0 && i < tokens.length - 1;
      if (token.length === 1 && w.column > WIDTH && split && inner) w.indent(indent);
      else w.write(token);
    } else if (token[0] === '\n') {
      // Each line break is written doubled (a single one would fold to a space), then the indentation.
      w.write('\n'.repeat(token.length + 1));
      w.write(' '.repeat(indent));
    } else w.write(token.replace(/'/g, "''"));
  });
  w.write("'");
}

function isCollection(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

function entries(value: Record<string, unknown> | unknown[]): Array<[string | null, unknown]> {
  if (Array.isArray(value)) return value.map((v) => [null, v]);
  return Object.keys(value)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => [k, value[k]]);
}

/** Anchors for collections met more than once, numbered in the order of their second meeting (PyYAML's serializer). */
function findAnchors(root: unknown): Map<object, string> {
  const seen = new Set<object>();
  const anchors = new Map<object, string>();
  const visit = (node: unknown) => {
    if (!isCollection(node)) return;
    if (seen.has(node)) {
      if (!anchors.has(node)) anchors.set(node, `id${String(anchors.size + 1).padStart(3, '0')}`);
      return;
    }
    seen.add(node);
    for (const [, v] of entries(node)) visit(v);
  };
  visit(root);
  return anchors;
}

export function dumpPyYaml(value: unknown): string {
  const w = new Writer();
  const anchors = findAnchors(value);
  const emitted = new Set<object>();

  /** Writes `&anchor` or `*alias` before a collection; true when it was an alias (nothing more to write). */
  const mark = (node: object, lead: string): boolean => {
    const anchor = anchors.get(node);
    if (!anchor) return false;
    if (emitted.has(node)) {
      w.write(`${lead}*${anchor}`);
      return true;
    }
    emitted.add(node);
    w.write(`${lead}&${anchor}`);
    return false;
  };

  /** A mapping value or sequence item after `key:` / `-`, at `indent` (the key's or dash's column). */
  const emitValue = (node: unknown, indent: number, inSequence: boolean) => {
    if (!isCollection(node)) {
      w.write(' ');
      return writeScalar(w, node, indent + 2);
    }
    if (mark(node, ' ')) return;
    const items = entries(node);
    if (items.length === 0) return w.write(Array.isArray(node) ? ' []' : ' {}');
    const anchored = anchors.has(node);
    if (Array.isArray(node)) {
      // A sequence under a mapping key is not indented; one inside a sequence is.
      const at = inSequence ? indent + 2 : indent;
      if (inSequence && !anchored) {
        w.write(' ');
        return emitSequence(items.map(([, v]) => v), at, true);
      }
      w.indent(at);
      return emitSequence(items.map(([, v]) => v), at, true);
    }
    if (inSequence && !anchored) {
      w.write(' ');
      return emitMapping(items, indent + 2, true);
    }
    w.indent(indent + 2);
    return emitMapping(items, indent + 2, true);
  };

  /** Items at `indent`; the first is already positioned when `started`. */
  const emitSequence = (items: unknown[], indent: number, started: boolean) => {
    items.forEach((item, i) => {
      if (i > 0 || !started) w.indent(indent);
      w.write('-');
      emitValue(item, indent, true);
    });
  };

  const emitMapping = (items: Array<[string | null, unknown]>, indent: number, started: boolean) => {
    items.forEach(([key, v], i) => {
      if (i > 0 || !started) w.indent(indent);
      writeScalar(w, key, indent + 2, true);
      w.write(':');
      emitValue(v, indent, false);
    });
  };

  if (!isCollection(value)) {
    writeScalar(w, value, 0);
    return `${w.out}\n${typeof value === 'string' && chooseStyle(value, false) === 'plain' ? '...\n' : ''}`;
  }
  const items = entries(value);
  if (items.length === 0) return Array.isArray(value) ? '[]\n' : '{}\n';
  if (mark(value, '')) return `${w.out}\n`;
  if (anchors.has(value)) w.indent(0);
  if (Array.isArray(value)) emitSequence(items.map(([, v]) => v), 0, true);
  else emitMapping(items, 0, true);
  return `${w.out.replace(/^\n/, '')}\n`;
}
