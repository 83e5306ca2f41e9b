/**
 * Helpers for the lookup tests: real files in a temporary folder laid out
 * like a playbook's, and lookups evaluated through the engine's Templar
 * (the way a task's template calls them).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LookupContext, LookupHost } from '../../../engine/lookups/types.js';
import { lookupContext } from '../../../engine/template/globals.js';
import { Templar } from '../../../engine/template/index.js';
import { untag } from '../../../engine/template/trust.js';

const made: string[] = [];

/** A temporary folder holding `files` (relative name → content). */
export function fixture(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'uxsv-lookups-'));
  made.push(root);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

export function removeFixtures(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The variables a runner gives a play-level task of a playbook in `root`. */
export function playVars(root: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { playbook_dir: root, ansible_search_path: [root], name: 'World', ...extra };
}

/** A host that records warnings. */
export function recordingHost(overrides: Partial<LookupHost> = {}): LookupHost & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    hostsMatching: () => [],
    warn: (message) => warnings.push(message),
    ...overrides,
  };
}

/** Evaluate expressions (`lookup('file', 'a.txt')`) for a playbook in `root`; results untagged. */
export function evaluator(root: string, host: LookupHost = recordingHost(), base: Record<string, unknown> = {}) {
  const templar = new Templar({ lookupHost: host });
  const evaluate = (expr: string, extra: Record<string, unknown> = {}): unknown => untag(templar.evaluate(expr, playVars(root, { ...base, ...extra }), 'test'));
  const raw = (expr: string, extra: Record<string, unknown> = {}): unknown => templar.evaluate(expr, playVars(root, { ...base, ...extra }), 'test');
  return { templar, evaluate, raw };
}

/** The context a lookup gets inside a template of a task of the playbook in `root` (to call plugins directly). */
export function contextFor(root: string, host: LookupHost = recordingHost(), extra: Record<string, unknown> = {}): LookupContext {
  const templar = new Templar({ lookupHost: host });
  const vars = playVars(root, extra);
  return lookupContext(vars, {
    searchPaths: [],
    host,
    render: (text, v, source, options) => templar.render(text, v, source, options),
    renderValue: (value, v, source) => templar.renderValue(value, v, source),
  }, 'test');
}

/** The error `fn` throws (failing the test when it does not). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}
