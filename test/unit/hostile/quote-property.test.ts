/**
 * Property: any text (without NUL, which argv cannot carry) quoted with
 * `quote` reaches a real shell unchanged, byte for byte, as a printf argument,
 * an environment value and a file name.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalConnection } from '../../../engine/connection/local.js';
import { quote, shellJoin } from '../../../engine/connection/quote.js';

const conn = new LocalConnection('localhost');
const dir = mkdtempSync(path.join(tmpdir(), 'uxsv-quote-'));
afterAll(async () => {
  await conn.close();
  rmSync(dir, { recursive: true, force: true });
});

const text = fc.string({ unit: 'binary', maxLength: 64 }).filter((s) => !s.includes('\0'));
const hostile = fc.constantFrom("'", '"', '$(id)', '`id`', '\\', '\n', '-rf', '--', '*', '~', '!', '日本語', ' a b ', "it's", '${HOME}', ';', '&&', '|');
const mixed = fc.array(fc.oneof(text, hostile), { maxLength: 6 }).map((parts) => parts.join(''));

describe('shell quoting', () => {
  it('round-trips any text through printf', async () => {
    await fc.assert(
      fc.asyncProperty(mixed, async (s) => {
        const r = await conn.exec(`printf '%s' ${quote(s)}`);
        expect(r.rc).toBe(0);
        expect(r.stdout.toString('utf8')).toBe(s);
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips several words, and environment values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mixed, { minLength: 1, maxLength: 4 }), mixed, async (words, value) => {
        const r = await conn.exec(`printf '%s\\0' ${shellJoin(words)}; printf '%s' "$UXSV_V"`, { env: { UXSV_V: value } });
        const out = r.stdout.toString('utf8').split('\0');
        expect(out.slice(0, words.length)).toEqual(words);
        expect(out[words.length]).toBe(value);
      }),
      { numRuns: 60 },
    );
  });

  it('creates files with hostile names exactly', async () => {
    const name = fc.oneof(text, hostile).filter((s) => s.length > 0 && !s.includes('/') && s !== '.' && s !== '..');
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        const p = path.join(dir, n);
        const r = await conn.exec(`: > ${quote(p)} && ls -- ${quote(dir)} >/dev/null`);
        expect(r.rc).toBe(0);
        expect(readdirSync(dir)).toContain(n);
        rmSync(p);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a NUL byte instead of cutting the argument short', () => {
    expect(() => quote('a\0b')).toThrow(/NUL/);
  });
});
