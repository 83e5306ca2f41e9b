/**
 * uxsv's versions of the Python functions ansible-playbook prints through
 * (difflib.unified_diff, textwrap.wrap, json.dumps, repr and str), against
 * what Python itself made of the same inputs (ansible/reference.py writes
 * ansible/reference.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { unifiedDiff } from '../../../engine/output/difflib.js';
import { pythonJson, pythonRepr, pythonStr } from '../../../engine/output/python.js';
import { wrap } from '../../../engine/output/textwrap.js';

interface Reference {
  diff: { a: string[]; b: string[]; context: number; diff: string[] }[];
  wrap: { text: string; width: number; drop: boolean; lines: string[] }[];
  values: { value: unknown; repr: string; str: string; json: string; json4: string; ascii4: string }[];
}

const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'ansible', 'reference.json'), 'utf8')) as Reference;

describe('unifiedDiff is difflib.unified_diff', () => {
  test.each(reference.diff.map((c, i) => [i, c] as const))('case %i', (_i, c) => {
    const first = c.diff[0]?.startsWith('--- before: x') ? ['before: x', 'after: y'] : ['before', 'after'];
    expect(unifiedDiff(c.a, c.b, first[0]!, first[1]!, c.context)).toEqual(c.diff);
  });
});

describe('wrap is textwrap.wrap', () => {
  test.each(reference.wrap.map((c) => [JSON.stringify(c.text).slice(0, 40), c.width, c.drop, c] as const))('%s at %i (drop whitespace: %s)', (_t, _w, _d, c) => {
    expect(wrap(c.text, c.width, { dropWhitespace: c.drop })).toEqual(c.lines);
  });
});

describe('Python text forms of values', () => {
  test.each(reference.values.map((c) => [c.repr.slice(0, 40), c] as const))('%s', (_name, c) => {
    expect(pythonRepr(c.value)).toBe(c.repr);
    expect(pythonStr(c.value)).toBe(c.str);
    expect(pythonJson(c.value)).toBe(c.json);
    expect(pythonJson(c.value, { indent: 4 })).toBe(c.json4);
    expect(pythonJson(c.value, { indent: 4, ensureAscii: true })).toBe(c.ascii4);
  });
});
