/**
 * Parsed playbooks and task files kept between runs. The yaml package costs
 * about 0.5 ms per task in a run's first seconds (its code is not optimised
 * yet): a third of loading a site. A file whose text was parsed before is
 * read back as JSON instead: its data, and the line and column of each of its
 * lists and mappings (what the loader asks for every play, block and task).
 * Anything else (an error's position) parses the text again, on demand.
 *
 * Only playbooks, task and handler files and role meta are kept: variable
 * files, inventories, extra vars and vault-encrypted text are where secrets
 * live, and are parsed every run. A file is kept only when its data is plain
 * (strings, finite numbers, booleans, null, lists, mappings, `!unsafe`
 * text): anything else (a shared alias, `!!binary`, `.inf`) is parsed every
 * run. The entries are keyed by the engine build and the text's hash, in the
 * compile cache's private folder (engine/cli/compile-cache.ts), and read only
 * from there: owned by this user, not a link, closed to others.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { readPrivateFile, writePrivateFile, type PrivateCache } from '../private-files.js';
import { TaggedText, UNSAFE, ownTags, tagInPlace } from '../template/trust.js';
import type { DataPath, Position } from './yaml.js';

let config: PrivateCache | undefined;

/** Turns the cache on (a folder checked private by the caller) or off. */
export function configureYamlCache(next: PrivateCache | undefined): void {
  config = next;
}

/** What an entry holds: the data (JSON, `!unsafe` text marked) and positions by data path. */
interface Entry {
  format: typeof FORMAT;
  data: unknown;
  unsafe: boolean;
  positions: Array<[string, number, number]>;
}

const FORMAT = 1;
/** Marks `!unsafe` text, and lists or mappings, in an entry's data; a file's own data never has this key (checked when writing). */
const MARK = '\u0000uxsv';
/** Entries of one build kept at most; the oldest go first. */
const MAX_ENTRIES = 2000;

export interface CachedYaml {
  data: unknown;
  positions: Map<string, Position>;
}

export const pathKey = (path: DataPath): string => JSON.stringify(path);

const prefixOf = (build: string) => `yaml-${createHash('sha256').update(build).digest('hex').slice(0, 16)}-`;

/** The file of the entry for `text`, or undefined when the cache is off. */
export function cacheEntry(text: string): string | undefined {
  if (!config) return undefined;
  const hash = createHash('sha256').update(config.build).update('\0').update(text).digest('hex');
  return join(config.dir, `${prefixOf(config.build)}${hash}.json`);
}

/** The parse kept in `file` (a cacheEntry), if there is one. */
export function cachedParse(file: string): CachedYaml | undefined {
  const bytes = readPrivateFile(file);
  if (!Buffer.isBuffer(bytes)) return undefined;
  try {
    const entry = JSON.parse(bytes.toString('utf8')) as Entry;
    if (entry.format !== FORMAT || !Array.isArray(entry.positions)) return undefined;
    const positions = new Map<string, Position>();
    for (const [key, line, col] of entry.positions) positions.set(key, { line, col });
    return { data: entry.unsafe ? decode(entry.data) : entry.data, positions };
  } catch {
    return undefined;
  }
}

/** Keeps a successful parse in `file` (a cacheEntry), when its data is plain enough to come back the same. */
export function keepParse(file: string, data: unknown, doc: Document.Parsed, lines: LineCounter): void {
  if (!config) return;
  const encoded = encode(data, new Set());
  if (encoded === UNCACHABLE) return;
  const entry: Entry = { format: FORMAT, data: encoded.value, unsafe: encoded.unsafe, positions: collectionPositions(doc, lines) };
  writePrivateFile(file, Buffer.from(JSON.stringify(entry), 'utf8'));
  prune(config.dir, prefixOf(config.build));
}

const UNCACHABLE = Symbol('uncachable');

/**
 * The data as JSON, with `!unsafe` text and tagged lists or mappings marked;
 * UNCACHABLE for anything JSON would not give back the same (a value reached
 * twice, a secret, a number JSON has no word for, an object of a class).
 */
function encode(value: unknown, seen: Set<object>): { value: unknown; unsafe: boolean } | typeof UNCACHABLE {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { value, unsafe: false };
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? { value, unsafe: false } : UNCACHABLE;
  if (typeof value !== 'object') return UNCACHABLE;
  if (seen.has(value)) return UNCACHABLE;
  seen.add(value);
  if (value instanceof TaggedText) return value.tags === UNSAFE ? { value: { [MARK]: 'text', text: String(value) }, unsafe: true } : UNCACHABLE;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype) return UNCACHABLE;
  // A parsed list or mapping carries trust tags only (engine/template/trust.ts): `!unsafe`, or a secret, which is never kept.
  const tags = ownTags(value);
  if (tags !== 0 && tags !== UNSAFE) return UNCACHABLE;
  let unsafe = tags === UNSAFE;
  let out: unknown;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) {
      const e = encode(item, seen);
      if (e === UNCACHABLE) return UNCACHABLE;
      unsafe ||= e.unsafe;
      items.push(e.value);
    }
    out = items;
  } else {
    const map: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (key === MARK || key === '__proto__') return UNCACHABLE;
      const e = encode((value as Record<string, unknown>)[key], seen);
      if (e === UNCACHABLE) return UNCACHABLE;
      unsafe ||= e.unsafe;
      map[key] = e.value;
    }
    out = map;
  }
  return { value: tags === UNSAFE ? { [MARK]: 'unsafe', value: out } : out, unsafe };
}

function decode(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decode);
  const map = value as Record<string, unknown>;
  if (map[MARK] === 'text') return new TaggedText(String(map.text), UNSAFE);
  if (map[MARK] === 'unsafe') return tagInPlace(decode(map.value), UNSAFE);
  for (const key of Object.keys(map)) map[key] = decode(map[key]);
  return map;
}

/** The position of every list and mapping, by data path (map keys as text, list indexes as numbers). */
function collectionPositions(doc: Document.Parsed, lines: LineCounter): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  const visit = (node: unknown, path: DataPath): void => {
    if (!isMap(node) && !isSeq(node)) return;
    const range = (node as Node).range;
    if (range) {
      const at = lines.linePos(range[0]);
      out.push([pathKey(path), at.line, at.col]);
    }
    if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...path, i]));
    else {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    }
  };
  visit(doc.contents, []);
  return out;
}

/** Entries of other builds go, and the oldest of this one past MAX_ENTRIES. */
function prune(dir: string, prefix: string): void {
  try {
    const mine: Array<{ name: string; time: number }> = [];
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('yaml-')) continue;
      if (!name.startsWith(prefix)) unlinkSync(join(dir, name));
      else mine.push({ name, time: 0 });
    }
    if (mine.length <= MAX_ENTRIES) return;
    for (const m of mine) m.time = statSync(join(dir, m.name)).mtimeMs;
    mine.sort((a, b) => a.time - b.time);
    for (const m of mine.slice(0, mine.length - MAX_ENTRIES)) unlinkSync(join(dir, m.name));
  } catch {
    // another run pruned them first
  }
}
