/**
 * libyaml's emitter (what PyYAML's CSafeDumper, and so Ansible's to_yaml,
 * writes with), step for step: the same states, the same choice of scalar
 * style and escapes, indentation, and folding of long scalars and flow
 * collections at the line width. It writes the node tree pyyaml.ts builds.
 */
import type { DumpOptions } from './pyyaml.js';

export type ScalarNode = { kind: 'scalar'; value: string; implicitPlain: boolean };
export type SequenceNode = { kind: 'seq'; items: YamlNode[]; flow: boolean };
export type MappingNode = { kind: 'map'; pairs: Array<[YamlNode, YamlNode]>; flow: boolean };
export type YamlNode = ScalarNode | SequenceNode | MappingNode;

interface Analysis {
  length: number;
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
}

const isBreak = (ch: string | undefined) => ch !== undefined && '\r\n\x85\u2028\u2029'.includes(ch);
const isBlankZ = (ch: string | undefined) => ch === undefined || ch === ' ' || ch === '\t' || ch === '\0' || isBreak(ch);

/** libyaml's IS_PRINTABLE: what may appear unescaped (no tab, no characters outside the BMP). */
function isPrintable(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return code === 0x0a || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff);
}

/** libyaml's yaml_emitter_analyze_scalar. */
function analyze(chars: string[], allowUnicode: boolean): Analysis {
  if (chars.length === 0) {
    return { length: 0, multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  const head = chars.slice(0, 3).join('');
  if (head === '---' || head === '...') {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankZ(chars[1]);
  let previousSpace = false;
  let previousBreak = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    if (!isPrintable(ch) || (!allowUnicode && ch.codePointAt(0)! > 0x7f)) specialCharacters = true;
    if (isBreak(ch)) lineBreaks = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankZ(ch);
    if (i + 1 < chars.length) followedByWhitespace = isBlankZ(chars[i + 2]);
  }
  let flowPlainAllowed = true;
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) flowPlainAllowed = blockPlainAllowed = false;
  if (breakSpace) flowPlainAllowed = blockPlainAllowed = singleQuotedAllowed = false;
  if (spaceBreak || specialCharacters) flowPlainAllowed = blockPlainAllowed = singleQuotedAllowed = false;
  if (lineBreaks) flowPlainAllowed = blockPlainAllowed = false;
  if (flowIndicators) flowPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { length: chars.length, multiline: lineBreaks, flowPlainAllowed, blockPlainAllowed, singleQuotedAllowed };
}

const ESCAPES: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\x08': 'b', '\x09': 't', '\x0a': 'n', '\x0b': 'v', '\x0c': 'f', '\x0d': 'r', '\x1b': 'e',
  '"': '"', '\\': '\\', '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P',
};

/**
 * libyaml's emitter (what PyYAML's CSafeDumper, and so Ansible, writes
 * with): the same states, indentation and line folding.
 */
export class Emitter {
  private out = '';
  private indents: number[] = [];
  private indent = -1;
  private flowLevel = 0;
  private mappingContext = false;
  private simpleKeyContext = false;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private readonly bestIndent: number;
  private readonly bestWidth: number;
  private readonly lineBreak: string;
  private readonly allowUnicode: boolean;

  constructor(options: DumpOptions) {
    const indent = options.indent ?? 2;
    this.bestIndent = indent < 2 || indent > 9 ? 2 : indent;
    const width = options.width ?? 80;
    this.bestWidth = width < 0 ? Number.MAX_SAFE_INTEGER : width <= this.bestIndent * 2 ? 80 : width;
    this.lineBreak = options.lineBreak === '\r' || options.lineBreak === '\r\n' ? options.lineBreak : '\n';
    this.allowUnicode = options.allowUnicode ?? true;
  }

  dump(root: YamlNode, explicitStart: boolean, explicitEnd: boolean): string {
    if (explicitStart) {
      this.writeIndent();
      this.writeIndicator('---', true);
    }
    this.node(root, {});
    this.writeIndent();
    if (explicitEnd) {
      this.writeIndicator('...', true);
      this.writeIndent();
    }
    return this.out;
  }

  private increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() ?? -1;
  }

  private node(node: YamlNode, context: { mapping?: boolean; simpleKey?: boolean }): void {
    this.mappingContext = context.mapping ?? false;
    this.simpleKeyContext = context.simpleKey ?? false;
    if (node.kind === 'scalar') this.scalar(node);
    else if (node.kind === 'seq') {
      if (this.flowLevel || node.flow || node.items.length === 0) this.flowSequence(node);
      else this.blockSequence(node);
    } else if (this.flowLevel || node.flow || node.pairs.length === 0) this.flowMapping(node);
    else this.blockMapping(node);
  }

  private isSimpleKey(node: YamlNode): boolean {
    if (node.kind === 'scalar') {
      const a = analyze([...node.value], this.allowUnicode);
      return !a.multiline && a.length <= 128;
    }
    return node.kind === 'seq' ? node.items.length === 0 : node.pairs.length === 0;
  }

  private flowSequence(node: SequenceNode): void {
    this.writeIndicator('[', true, true);
    this.increaseIndent(true);
    this.flowLevel++;
    node.items.forEach((item, i) => {
      if (i > 0) this.writeIndicator(',', false);
      if (this.column > this.bestWidth) this.writeIndent();
      this.node(item, {});
    });
    this.flowLevel--;
    this.popIndent();
    this.writeIndicator(']', false);
  }

  private flowMapping(node: MappingNode): void {
    this.writeIndicator('{', true, true);
    this.increaseIndent(true);
    this.flowLevel++;
    node.pairs.forEach(([key, value], i) => {
      if (i > 0) this.writeIndicator(',', false);
      if (this.column > this.bestWidth) this.writeIndent();
      if (this.isSimpleKey(key)) {
        this.node(key, { mapping: true, simpleKey: true });
        this.writeIndicator(':', false);
      } else {
        this.writeIndicator('?', true);
        this.node(key, { mapping: true });
        if (this.column > this.bestWidth) this.writeIndent();
        this.writeIndicator(':', true);
      }
      this.node(value, { mapping: true });
    });
    this.flowLevel--;
    this.popIndent();
    this.writeIndicator('}', false);
  }

  private blockSequence(node: SequenceNode): void {
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of node.items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, {});
    }
    this.popIndent();
  }

  private blockMapping(node: MappingNode): void {
    this.increaseIndent(false);
    for (const [key, value] of node.pairs) {
      this.writeIndent();
      if (this.isSimpleKey(key)) {
        this.node(key, { mapping: true, simpleKey: true });
        this.writeIndicator(':', false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(key, { mapping: true });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, { mapping: true });
    }
    this.popIndent();
  }

  /** libyaml's yaml_emitter_select_scalar_style, for scalars with no requested style. */
  private chooseStyle(node: ScalarNode, a: Analysis): '' | "'" | '"' {
    if (this.simpleKeyContext && a.multiline) return '"';
    let style: '' | "'" | '"' = '';
    if ((this.flowLevel && !a.flowPlainAllowed) || (!this.flowLevel && !a.blockPlainAllowed)) style = "'";
    if (a.length === 0 && (this.flowLevel || this.simpleKeyContext)) style = "'";
    if (!node.implicitPlain) style = "'";
    if (style === "'" && !a.singleQuotedAllowed) style = '"';
    return style;
  }

  private scalar(node: ScalarNode): void {
    const chars = [...node.value];
    const a = analyze(chars, this.allowUnicode);
    const style = this.chooseStyle(node, a);
    this.increaseIndent(true);
    const allowBreaks = !this.simpleKeyContext;
    if (style === '"') this.writeDoubleQuoted(chars, allowBreaks);
    else if (style === "'") this.writeSingleQuoted(chars, allowBreaks);
    else this.writePlain(chars, allowBreaks);
    this.popIndent();
  }

  private put(text: string): void {
    this.out += text;
    this.column += [...text].length;
  }

  private putBreak(): void {
    this.out += this.lineBreak;
    this.column = 0;
  }

  /** WRITE_BREAK: a newline as the configured line break; other breaks as themselves. */
  private writeBreak(ch: string): void {
    if (ch === '\n') this.putBreak();
    else {
      this.out += ch;
      this.column = 0;
    }
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace = false, isIndention = false): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) this.put(' '.repeat(indent - this.column));
    this.whitespace = true;
    this.indention = true;
  }

  private writePlain(chars: string[], allowBreaks: boolean): void {
    if (!this.whitespace && (chars.length > 0 || this.flowLevel)) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ') {
          this.writeIndent();
        } else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.put("'");
        this.put(ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (breaks) this.writeIndent();
    this.writeIndicator("'", false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(chars: string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      const code = ch.codePointAt(0)!;
      if (!isPrintable(ch) || (!this.allowUnicode && code > 0x7f) || code === 0xfeff || isBreak(ch) || ch === '"' || ch === '\\') {
        let escape: string;
        if (Object.hasOwn(ESCAPES, ch)) escape = ESCAPES[ch]!;
        else if (code <= 0xff) escape = `x${code.toString(16).toUpperCase().padStart(2, '0')}`;
        else if (code <= 0xffff) escape = `u${code.toString(16).toUpperCase().padStart(4, '0')}`;
        else escape = `U${code.toString(16).toUpperCase().padStart(8, '0')}`;
        this.put(`\\${escape}`);
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i !== 0 && i !== chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else this.put(ch);
        spaces = true;
      } else {
        this.put(ch);
        spaces = false;
      }
    }
    this.writeIndicator('"', false);
    this.whitespace = false;
    this.indention = false;
  }
}

