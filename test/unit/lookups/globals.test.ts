import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string) => t.evaluate(expr, {}, 'test');

describe('template globals', () => {
  it('lipsum: paragraphs of placeholder words, in <p> unless html=False', () => {
    const html = ev('lipsum()') as string;
    expect(html.split('\n')).toHaveLength(5);
    expect(html.split('\n').every((p) => /^<p>[A-Z][A-Za-z, .]*\.<\/p>$/.test(p))).toBe(true);
    const text = ev('lipsum(2, False, 3, 5)') as string;
    const paragraphs = text.split('\n\n');
    expect(paragraphs).toHaveLength(2);
    for (const p of paragraphs) {
      expect(p.split(' ').length).toBeGreaterThanOrEqual(3);
      expect(p.split(' ').length).toBeLessThanOrEqual(5);
      expect(p.endsWith('.')).toBe(true);
    }
    expect((ev('lipsum(n=1, html=False)') as string).includes('\n')).toBe(false);
  });

  it('range and dict as in Jinja', () => {
    expect(ev('range(3)')).toEqual([0, 1, 2]);
    expect(ev('range(5, 0, -2)')).toEqual([5, 3, 1]);
    expect(ev("dict(a=1, b='x')")).toEqual({ a: 1, b: 'x' });
    expect(ev("dict([['k', 'v']])")).toEqual({ k: 'v' });
  });
});
