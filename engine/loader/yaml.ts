/**
 * YAML with source positions. Ansible reads YAML 1.1 (PyYAML): `yes`/`no`
 * are booleans and `0644` is octal, so we parse with version 1.1 too, and
 * keep the document so any value can be traced back to file:line:col.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CST, Lexer, LineCounter, YAMLMap, YAMLSeq, parseDocument, isAlias, isCollection, isMap, isSeq, isScalar, isPair, type Alias, type Document, type Node, type SchemaOptions } from 'yaml';
import { UserError } from '../errors.js';
import { SECRET, TaggedText, UNSAFE, tagInPlace, withVaultText } from '../template/trust.js';
import { decryptLoaded, isVaultText } from '../vault/index.js';
import { defaultSecrets, registerSecretLeaves } from '../vault/secrets.js';
import { cacheEntry, cachedParse, keepParse, pathKey, type CachedYaml } from './yaml-cache.js';

export type DataPath = Array<string | number>;

export interface LoadedYaml {
  file: string;
  text: string;
  data: unknown;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Positions of lists and mappings by data path, when the data came from the parse cache (yaml-cache.ts). */
  positions?: Map<string, Position>;
}

export interface Position {
  line: number;
  col: number;
}

const BOOL = 'tag:yaml.org,2002:bool';
const FLOAT = 'tag:yaml.org,2002:float';

/**
 * The yaml package's 1.1 schema differs from PyYAML (what Ansible uses): it
 * reads y/n as booleans, `e1`/`1e3` as floats and dates as Date objects.
 * PyYAML keeps those as strings; so do we.
 */
function pyyamlTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const t of tags) {
    if (typeof t !== 'object' || !('tag' in t)) {
      out.push(t);
      continue;
    }
    if (t.tag === 'tag:yaml.org,2002:timestamp') continue;
    if (t.tag === BOOL && t.test) {
      out.push({ ...t, test: new RegExp(t.test.source.replace('Y|y|', '').replace('N|n|', '')) } as typeof t);
    } else if (t.tag === FLOAT && t.format === 'EXP') {
      out.push({ ...t, test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|\.[0-9][0-9_]*[eE][-+][0-9]+)$/ } as typeof t);
    } else if (t.tag === FLOAT && t.test && !t.test.source.includes('inf')) {
      // PyYAML's plain float needs a digit before the dot, or a digit right after a bare leading dot: `.` and `-.5` are strings.
      out.push({ ...t, test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/ } as typeof t);
    } else out.push(t);
  }
  out.push(...UNSAFE_TAGS, VAULT_TAG);
  return out;
}

/** A `!unsafe` sequence or mapping: its strings (and keys) are unsafe (engine/template/trust.ts). */
class UnsafeSeq extends YAMLSeq {
  override toJSON(arg?: unknown, ctx?: Parameters<YAMLSeq['toJSON']>[1]): unknown[] {
    return tagInPlace(super.toJSON(arg as string, ctx), UNSAFE);
  }
}

class UnsafeMap extends YAMLMap {
  override toJSON(arg?: unknown, ctx?: Parameters<YAMLMap['toJSON']>[1]): unknown {
    return tagInPlace(super.toJSON(arg as string, ctx), UNSAFE);
  }
}

/**
 * `!unsafe`: text that is never templated (Ansible's AnsibleUnsafeText), on
 * a scalar or on every string of a sequence or mapping.
 */
const UNSAFE_TAGS: Tags = [
  { tag: '!unsafe', resolve: (s: string) => new TaggedText(s, UNSAFE) },
  { tag: '!unsafe', collection: 'seq', resolve: (seq) => Object.assign(new UnsafeSeq(), seq) },
  { tag: '!unsafe', collection: 'map', resolve: (map) => Object.assign(new UnsafeMap(), map) },
];

/**
 * `!vault |`: decrypted as it loads (the run's vault passwords; without one,
 * loading fails clearly). The value is secret (masked in the output, and so
 * is what is computed from it) and, as in Ansible, never templated; it keeps
 * its vault text, as Ansible's encrypted values do (`is vault_encrypted`,
 * `unvault`: engine/template/trust.ts vaultText).
 */
const VAULT_TAG = {
  tag: '!vault',
  resolve: (s: string) => withVaultText(new TaggedText(decryptLoaded(s, 'a !vault value'), SECRET | UNSAFE, defaultSecrets), s),
};

type Tags = Parameters<Extract<NonNullable<SchemaOptions['customTags']>, (tags: never) => unknown>>[0];

/**
 * A text file as Ansible reads it: UTF-8, a leading BOM dropped. At most
 * YAML_LIMITS.bytes are read (so /dev/zero or a 50 MB file costs nothing),
 * and a binary, UTF-16 or Latin-1 file is refused at its first bad byte
 * instead of being read with replacement characters.
 */
export function readTextFile(file: string, displayName = file): string {
  let bytes: Buffer;
  let size: number | undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      const stat = fstatSync(fd);
      if (stat.isFile()) size = stat.size;
      const chunks: Buffer[] = [];
      let total = 0;
      const chunk = Buffer.alloc(64 * 1024);
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) {
        chunks.push(Buffer.from(chunk.subarray(0, n)));
        total += n;
        if (total > YAML_LIMITS.bytes) throw tooLargeError(displayName, size !== undefined ? formatSize(size) : `more than ${formatSize(YAML_LIMITS.bytes)}`);
      }
      bytes = Buffer.concat(chunks);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: displayName });
  }
  return decodeUtf8(bytes, displayName, { binary: 'refuse' });
}

/** Strict UTF-8 (a BOM dropped); `binary: 'refuse'` also refuses NUL bytes, which no YAML or INI file has. */
export function decodeUtf8(bytes: Buffer, file: string, options: { binary?: 'refuse' } = {}): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UserError('this file is UTF-16 text; uxsv reads UTF-8, as Ansible does (convert it: iconv -f UTF-16 -t UTF-8)', { file, line: 1, col: 1 });
  }
  if (options.binary === 'refuse') {
    const nul = bytes.indexOf(0);
    if (nul >= 0) throw binaryFileError(file, bytes.subarray(0, nul).toString('utf8'));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad).toString('utf8');
    const at = endOf(before);
    const hex = bytes[bad]?.toString(16).toUpperCase().padStart(2, '0');
    return invalidUtf8(file, at, hex, bytes.toString('utf8'));
  }
}

function invalidUtf8(file: string, at: Position, hex: string | undefined, lossy: string): never {
  throw new UserError(
    `not valid UTF-8 (byte 0x${hex} at line ${at.line}, column ${at.col}); uxsv reads UTF-8, as Ansible does (convert a Latin-1 file: iconv -f LATIN1 -t UTF-8)`,
    { file, ...at },
    codeFrame(lossy, at.line, at.col),
  );
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const extra = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (extra < 0) return i;
    for (let k = 1; k <= extra; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF.
    if ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] > 0x9f) || (c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] > 0x8f)) return i;
    i += extra + 1;
  }
  return 0;
}

/**
 * Which parses are kept between runs (yaml-cache.ts): `true` for playbooks,
 * task and handler files and role meta; `'public'` for files that may hold
 * secrets (variable files, inventories), kept only when every user of the
 * machine can read the file anyway, so the private cache holds nothing
 * another user could not read. Vault text is never kept.
 */
export type KeepParse = boolean | 'public';

/** A YAML file's text, parsed; a parse kept (see KeepParse) is not parsed again. */
export function readYamlFile(file: string, displayName = file, options: { keep?: KeepParse } = {}): LoadedYaml {
  const text = readTextFile(file, displayName);
  if (isVaultText(text)) return parseDecrypted(decryptLoaded(text, displayName, 'file'), displayName);
  return parseYamlText(text, displayName, options.keep === 'public' ? readableByAll(file) : options.keep === true);
}

/** The text of a file that is not vault-encrypted, parsed, or read back from the cache when `keep`. */
export function parseYamlText(text: string, file: string, keep: boolean): LoadedYaml {
  return keep && !text.includes('!vault') ? parseKept(text, file) : parseYaml(text, file);
}

/** Whether every user of this machine can read the file: readable by others, in folders others can enter. */
export function readableByAll(file: string): boolean {
  try {
    if (!(statSync(file).mode & 0o004)) return false;
    for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
      if (!(statSync(dir).mode & 0o001)) return false;
      if (dirname(dir) === dir) return true;
    }
  } catch {
    return false;
  }
}

function parseKept(text: string, file: string): LoadedYaml {
  const entry = cacheEntry(text);
  const hit = entry ? cachedParse(entry) : undefined;
  if (hit) return fromCache(text, file, hit);
  const loaded = parseYaml(text, file);
  if (entry) keepParse(entry, loaded.data, loaded.doc, loaded.lines);
  return loaded;
}

/** A file read back from the cache: its document is parsed again only if a position not kept is asked for. */
function fromCache(text: string, file: string, hit: CachedYaml): LoadedYaml {
  let parsed: LoadedYaml | undefined;
  const full = () => (parsed ??= parseYaml(text, file));
  return {
    file,
    text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text,
    data: hit.data,
    positions: hit.positions,
    get doc() {
      return full().doc;
    },
    get lines() {
      return full().lines;
    },
  };
}

/** What an error's code frame shows for each line of a vault-encrypted file. */
const HIDDEN_LINE = '(vault-encrypted, not shown)';

/**
 * A vault-encrypted YAML file, decrypted: its leaf strings are registered as
 * secrets (engine/vault/secrets.ts), and no error quotes its lines in a code
 * frame (a syntax error comes before the leaves are known).
 */
function parseDecrypted(plaintext: string, file: string): LoadedYaml {
  let loaded: LoadedYaml;
  try {
    loaded = parseYaml(plaintext, file);
  } catch (err) {
    if (err instanceof UserError && err.frame !== undefined) throw new UserError(err.message, err.position);
    throw err;
  }
  registerSecretLeaves(loaded.data);
  // Its values are secret, and so is what is computed from them; unlike `!vault` values they are templated.
  return { ...loaded, data: tagInPlace(loaded.data, SECRET, defaultSecrets), text: plaintext.split('\n').map(() => HIDDEN_LINE).join('\n') };
}

export function parseYaml(text: string, file: string): LoadedYaml {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM, as PyYAML skips it
  const nul = text.indexOf('\0');
  if (nul >= 0) throw binaryFileError(file, text.slice(0, nul));
  if (text.length > YAML_LIMITS.bytes) throw tooLargeError(file, `${formatSize(Buffer.byteLength(text))}`);
  checkTokenCount(text, file);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    lineCounter: lines,
    prettyErrors: false,
    // The yaml package checks unique keys in quadratic time (a 20000-key mapping took 2 s); checkNodes does it with a set.
    uniqueKeys: false,
    // Ansible tags we do not interpret here stay plain values (`!unsafe`); `!vault` is handled by the vault layer.
    customTags: pyyamlTags,
  });
  // An unknown tag (`!!python/object/apply:os.system`, a typo like `!vualt`) is refused, as PyYAML's safe loader does, not read as a plain value.
  const error = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (error) {
    const at = lines.linePos(error.pos[0]);
    let reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    // The parser catches its own stack overflow on very deep nesting and reports it as a syntax error.
    if (/Maximum call stack size exceeded/.test(reason)) reason = 'nested too deeply';
    else if (error.code === 'MULTIPLE_DOCS') reason = 'a second document starts here (a file holds one YAML document)';
    else if (error.code === 'TAG_RESOLVE_FAILED') reason = `unknown tag ${reason.replace(/^Unresolved tag: /, '').replace(/^tag:yaml\.org,2002:/, '!!')} (known: the YAML 1.1 tags, !unsafe and !vault)`;
    throw new UserError(`YAML syntax error: ${reason}`, { file, line: at.line, col: at.col }, codeFrame(text, at.line, at.col));
  }
  const loaded = { file, text, data: undefined as unknown, doc, lines };
  checkNodes(loaded);
  try {
    loaded.data = doc.toJS({ maxAliasCount: YAML_LIMITS.aliasCount });
  } catch (err) {
    if (err instanceof UserError) throw err; // a !vault value that cannot be decrypted
    const bomb = /alias count/i.test((err as Error).message) ? biggestAlias(loaded) : undefined;
    if (!bomb) throw new UserError(`YAML error: ${(err as Error).message}`, { file, line: 1, col: 1 });
    throw nodeError(loaded, bomb.node, `alias *${bomb.node.source} expands to ${bomb.size} values: refused as an alias bomb (aliases may expand to about ${YAML_LIMITS.aliasCount} values in one file)`);
  }
  return loaded;
}

/**
 * What one YAML file may cost (issue 7, hostile input). The yaml package
 * needs about 2 µs and 400 bytes per token (a million-item list took 8 s and
 * 1 GB) and PyYAML has no limits at all; real playbooks, roles and vars files
 * are a few kB. So bigger, deeper or alias-expanding files are refused with a
 * clear message before they can hang the run or exhaust memory.
 */
export const YAML_LIMITS = { bytes: 4 * 1024 * 1024, tokens: 1_000_000, depth: 100, aliasCount: 1000 };

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function tooLargeError(file: string, size: string): UserError {
  return new UserError(`file too large: ${size} (uxsv reads YAML files of at most ${formatSize(YAML_LIMITS.bytes)})`, { file, line: 1, col: 1 });
}

/** Line and column (1-based) just after `before`, the text that precedes a position. */
function endOf(before: string): Position {
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, col: before.length - nl };
}

function binaryFileError(file: string, before: string): UserError {
  const at = endOf(before);
  return new UserError(`this is a binary file, not text (a NUL byte at line ${at.line}, column ${at.col})`, { file, ...at });
}

/**
 * The lexer is cheap (0.4 µs a token) next to the parser: count first and
 * stop at the limit. Flow nesting (`[[[[...`) is checked here too: the
 * parser overflows its stack at about 400 levels and takes seconds to do so.
 */
function checkTokenCount(text: string, file: string): void {
  if (cannotExceedLimits(text)) return;
  let count = 0;
  let offset = 0;
  let flowDepth = 0;
  for (const lexeme of new Lexer().lex(text)) {
    const type = CST.tokenType(lexeme);
    if (type === 'flow-seq-start' || type === 'flow-map-start') flowDepth++;
    else if (type === 'flow-seq-end' || type === 'flow-map-end') flowDepth--;
    const tooDeep = flowDepth > YAML_LIMITS.depth;
    if (!tooDeep && (type === 'space' || ++count <= YAML_LIMITS.tokens)) {
      // Four one-character lexemes are the lexer's own markers, not source text.
      if (!(lexeme.length === 1 && ['\u{FEFF}', '\x02', '\x18', '\x1f'].includes(lexeme))) offset += lexeme.length;
      continue;
    }
    const at = endOf(text.slice(0, offset));
    if (tooDeep) throw new UserError(`nested too deeply (more than ${YAML_LIMITS.depth} levels)`, { file, ...at }, codeFrame(text, at.line, at.col));
    throw new UserError(`file too large: more than ${YAML_LIMITS.tokens} YAML tokens (keys, values, indicators) by line ${at.line}; uxsv refuses files this big rather than spend seconds and gigabytes on them`, { file, ...at });
  }
}

/**
 * Most files are a few kB: a token is at least a character, and the flow
 * nesting cannot pass the limit with fewer opening brackets than that, so the
 * count above (a second lexing pass, a sixth of the parse) is skipped for them.
 */
function cannotExceedLimits(text: string): boolean {
  if (text.length > YAML_LIMITS.tokens) return false;
  let openers = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x5b || c === 0x7b) && ++openers > YAML_LIMITS.depth) return false;   // [ {
  }
  return true;
}

function nodeError(loaded: LoadedYaml, node: Node, message: string): UserError {
  const at = node.range ? loaded.lines.linePos(node.range[0]) : { line: 1, col: 1 };
  return new UserError(message, { file: loaded.file, line: at.line, col: at.col }, codeFrame(loaded.text, at.line, at.col));
}

/**
 * One walk over the parsed nodes, without recursion (the nesting is what is
 * checked): too deep nesting, duplicate keys (Ansible only warns and keeps
 * the last; a duplicate is nearly always a mistake), aliases to no anchor,
 * and an alias inside the node it names (a recursive structure, which would
 * loop forever in every walk after this one).
 */
function checkNodes(loaded: LoadedYaml): void {
  const { doc } = loaded;
  const open = new Set<unknown>();
  const stack: Array<{ node: unknown; depth: number; leave?: boolean }> = [{ node: doc.contents, depth: 1 }];
  while (stack.length) {
    const { node, depth, leave } = stack.pop()!;
    if (leave) {
      open.delete(node);
      continue;
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) throw nodeError(loaded, node, `alias *${node.source} names no anchor (an anchor &${node.source} must come before it)`);
      if (open.has(target)) throw nodeError(loaded, node, `alias *${node.source} is inside the value it names: a recursive structure`);
      continue;
    }
    if (!isCollection(node)) continue;
    if (depth > YAML_LIMITS.depth) throw nodeError(loaded, node as Node, `nested too deeply (more than ${YAML_LIMITS.depth} levels)`);
    open.add(node);
    stack.push({ node, depth, leave: true });
    const keys = new Map<string, Node>();
    for (const item of node.items) {
      if (isPair(item)) {
        if (isScalar(item.key) && String(item.key.value) !== '<<') {
          const name = String(item.key.value);
          const first = keys.get(name);
          if (first) throw nodeError(loaded, item.key, `duplicate key '${name}' (first at line ${first.range ? loaded.lines.linePos(first.range[0]).line : '?'}): keys must be unique`);
          keys.set(name, item.key);
        }
        stack.push({ node: item.value, depth: depth + 1 }, { node: item.key, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
}

/** The alias that expands to the most values (for an alias bomb's message); its anchor's size is counted once. */
function biggestAlias(loaded: LoadedYaml): { node: Alias; size: number } | undefined {
  const sizes = new Map<unknown, number>();
  let best: { node: Alias; size: number } | undefined;
  const size = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    if (isAlias(node)) {
      n = size(node.resolve(loaded.doc));
      if (!best || n > best.size) best = { node, size: n };
    } else if (isCollection(node)) for (const item of node.items) n += isPair(item) ? size(item.key) + size(item.value) : size(item);
    sizes.set(node, n);
    return n;
  };
  size(loaded.doc.contents);
  return best;
}

/** The node at a data path (keys and indexes); with `key`, the key node of the last step. */
function nodeAt(loaded: LoadedYaml, path: DataPath, key = false): Node | undefined {
  let node: unknown = loaded.doc.contents;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return node as Node;
      if (key && i === path.length - 1) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof step === 'number') {
      node = node.items[step];
    } else {
      return node as Node | undefined;
    }
  }
  return node as Node | undefined;
}

/** file position of the value (or, with key=true, of the key) at `path`; falls back to the nearest ancestor, and to the start of an empty file. */
export function positionOf(loaded: LoadedYaml, path: DataPath, key = false): Position | undefined {
  const kept = key ? undefined : loaded.positions?.get(pathKey(path));
  if (kept) return kept;
  for (let depth = path.length; depth >= 0; depth--) {
    const node = nodeAt(loaded, path.slice(0, depth), key && depth === path.length);
    if (node?.range) return loaded.lines.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/** Two lines of context, the line, and a caret under the column. */
export function codeFrame(text: string, line: number, col: number): string {
  const all = text.split('\n');
  const first = Math.max(1, line - 2);
  const last = Math.min(all.length, line + 1);
  const width = String(last).length;
  // A very long line (minified JSON, a generated file) is shown as a window around the column.
  const CLIP = 160;
  const start = col > CLIP / 2 ? col - 1 - CLIP / 2 : 0;
  const clip = (s: string, from: number) => (from > 0 ? '…' : '') + s.slice(from, from + CLIP) + (s.length > from + CLIP ? '…' : '');
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${clip(all[n - 1] ?? '', n === line ? start : 0)}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1 - start + (start > 0 ? 1 : 0)))}^`);
  }
  return out.join('\n');
}
