/** Shared checks for the files module tests. */
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Module, ModuleResult } from '../../../../engine/modules/types.js';
import { localContext, runModule, type LocalContextOptions } from '../../../helpers/module-context.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'uxsv-files-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every file below `dir` with its bytes and mode, to prove check mode touched nothing. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out[p] = `${st.mode.toString(8)} ${st.isFile() ? readFileSync(p).toString('base64') : ''}`;
      if (st.isDirectory()) walk(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

export function run(mod: Module<any, any>, args: Record<string, unknown>, options: LocalContextOptions = {}): Promise<ModuleResult> {
  return runModule(mod, args, localContext(options));
}

/**
 * The contract every task must keep: check mode predicts `changed` and
 * changes nothing; the real run reports the same; a second run is unchanged.
 */
export async function converge(mod: Module<any, any>, args: Record<string, unknown>, dir: string, options: LocalContextOptions = {}): Promise<ModuleResult> {
  const before = snapshot(dir);
  const checked = await run(mod, args, { ...options, check: true, diff: true });
  expect(checked.failed, checked.msg).toBeFalsy();
  expect(snapshot(dir)).toEqual(before);
  const first = await run(mod, args, { ...options, diff: true });
  expect(first.failed, first.msg).toBeFalsy();
  expect(first.changed).toBe(checked.changed);
  const second = await run(mod, args, options);
  expect(second.failed, second.msg).toBeFalsy();
  expect(second.changed).toBe(false);
  return first;
}
