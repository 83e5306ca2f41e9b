/**
 * The Templar against Ansible itself: ansible-cases.json holds templates
 * (template module output, values in a playbook, values with jinja2_native,
 * conditionals) with the
 * result ansible-core 2.14 gave for each on this project's machine
 * (Jinja2 3.1), or the core of its error message. Each must come out the
 * same here: whitespace and newlines byte for byte, Python types and
 * printing, statements, scoping and error messages. ansible-cases.py lists
 * the cases and records Ansible's results (run it where ansible-core is
 * installed after adding one).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Templar, TemplateError } from '../../../engine/template/index.js';
import { FloatValue, isTuple } from '../../../engine/template/python.js';
import { TaggedText } from '../../../engine/template/trust.js';

interface Case {
  kind: 'template' | 'value' | 'native' | 'cond';
  text: string;
  vars: 'D' | 'V' | Record<string, unknown>;
  options?: Record<string, unknown>;
  expect?: unknown;
  error?: string;
}

const cases = JSON.parse(readFileSync(new URL('./ansible-cases.json', import.meta.url), 'utf8')) as Case[];
const VARS: Record<string, Record<string, unknown>> = {
  D: { d: { a: 1, b: [1, 2], items: 5 }, l: [3, 1, 2], s: 'Hello World', n: null, f: false, port: 22, hosts: ['web1', 'web2'], pi: 3.5 },
  V: { x: 1, s: 'false', t: 'True', e: '', l: [], d: { a: 1 }, n: null, f: false, z: '0' },
};

/** The value in the cases' notation: floats as {float: repr}, tuples as {tuple: [...]}, strings plain. */
function typed(value: unknown): unknown {
  if (value instanceof FloatValue || (typeof value === 'number' && !Number.isInteger(value))) {
    const n = Number(value);
    return { float: Number.isInteger(n) ? `${n}.0` : String(n) };
  }
  if (Array.isArray(value)) return isTuple(value) ? { tuple: value.map(typed) } : value.map(typed);
  if (value instanceof TaggedText) return String(value);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typed(v)]));
  return value;
}

function run(c: Case): unknown {
  const t = new Templar({ native: c.kind === 'native' });
  const vars = typeof c.vars === 'string' ? VARS[c.vars]! : c.vars;
  if (c.kind === 'template') return t.render(c.text, vars, 'case', c.options);
  if (c.kind === 'value' || c.kind === 'native') return t.renderValue(c.text, vars, 'case');
  return t.isTrue(c.text, vars, 'case');
}

describe.each(['template', 'value', 'native', 'cond'] as const)('as ansible-core 2.14 renders: %s', (kind) => {
  const ofKind = cases.filter((c) => c.kind === kind);
  it.each(ofKind.map((c) => [JSON.stringify(c.text).slice(0, 90) + (c.options ? ` ${JSON.stringify(c.options)}` : ''), c] as const))('%s', (_name, c) => {
    if (c.error !== undefined) {
      let error: unknown;
      try {
        run(c);
      } catch (err) {
        error = err;
      }
      expect(error, 'an error').toBeInstanceOf(TemplateError);
      expect((error as Error).message).toContain(c.error);
    } else {
      expect(typed(run(c))).toEqual(c.expect);
    }
  });
});
