/**
 * YAML with source positions. Ansible reads YAML 1.1 (PyYAML): `yes`/`no`
 * are booleans and `0644` is octal, so we parse with version 1.1 too, and
 * keep the document so any value can be traced back to file:line:col.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Document, type Node, type SchemaOptions } from 'yaml';
import { UserError } from '../errors.js';
import { decryptLoaded, isVaultText } from '../vault/index.js';
import { registerSecretLeaves } from '../vault/secrets.js';

export type DataPath = Array<string | number>;

export interface LoadedYaml {
  file: string;
  text: string;
  data: unknown;
  doc: Document.Parsed;
  lines: LineCounter;
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
      out.push({ ...t, test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|[-+]?\.[0-9_]+[eE][-+][0-9]+)$/ } as typeof t);
    } else out.push(t);
  }
  // `!vault |` values are decrypted as they load (the run's vault passwords); without one, loading fails clearly.
  out.push({ tag: '!unsafe', resolve: (s: string) => s }, { tag: '!vault', resolve: (s: string) => decryptLoaded(s, 'a !vault value') });
  return out;
}

type Tags = Parameters<Extract<NonNullable<SchemaOptions['customTags']>, (tags: never) => unknown>>[0];

export function readYamlFile(file: string, displayName = file): LoadedYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: displayName });
  }
  if (isVaultText(text)) return parseDecrypted(decryptLoaded(text, displayName, 'file'), displayName);
  return parseYaml(text, displayName);
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
  return { ...loaded, text: plaintext.split('\n').map(() => HIDDEN_LINE).join('\n') };
}

export function parseYaml(text: string, file: string): LoadedYaml {
  if (text.includes('\0')) throw new UserError('this is a binary file, not YAML', { file });
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    // Ansible tags we do not interpret here stay plain values (`!unsafe`); `!vault` is handled by the vault layer.
    customTags: pyyamlTags,
  });
  const error = doc.errors[0];
  if (error) {
    const at = lines.linePos(error.pos[0]);
    const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`YAML syntax error: ${reason}`, { file, line: at.line, col: at.col }, codeFrame(text, at.line, at.col));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new UserError(`YAML error: ${(err as Error).message}`, { file });
  }
  return { file, text, data, doc, lines };
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

/** file position of the value (or, with key=true, of the key) at `path`; falls back to the nearest ancestor. */
export function positionOf(loaded: LoadedYaml, path: DataPath, key = false): Position | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = nodeAt(loaded, path.slice(0, depth), key && depth === path.length);
    if (node?.range) return loaded.lines.linePos(node.range[0]);
  }
  return undefined;
}

/** Two lines of context, the line, and a caret under the column. */
export function codeFrame(text: string, line: number, col: number): string {
  const all = text.split('\n');
  const first = Math.max(1, line - 2);
  const last = Math.min(all.length, line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${all[n - 1] ?? ''}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, col - 1))}^`);
  }
  return out.join('\n');
}
