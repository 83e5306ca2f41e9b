import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layeredView } from '../../../engine/runner/vars.js';

const layer = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'item', 'vars', 'x_1', '__proto__x'), fc.oneof(fc.integer(), fc.string(), fc.constant(undefined), fc.constant(null)));

describe('layeredView (a task\'s variables read through their layers, vars.ts)', () => {
  it('reads, lists and spreads as the merged layers would', () => {
    fc.assert(
      fc.property(fc.array(layer, { maxLength: 6 }), fc.constantFrom('a', 'b', 'c', 'item', 'vars', 'x_1', 'absent'), (layers, key) => {
        const merged = Object.assign({}, ...layers);
        const view = layeredView(layers);
        expect(view[key]).toBe(merged[key]);
        expect(key in view).toBe(key in merged);
        expect(Object.hasOwn(view, key)).toBe(Object.hasOwn(merged, key));
        expect(Object.keys(view).sort()).toEqual(Object.keys(merged).sort());
        expect({ ...view }).toEqual(merged);
      }),
    );
  });
  it('is read only, and sees later changes of its layers', () => {
    const top = { a: 2 };
    const view = layeredView([{ a: 1, b: 1 }, top]);
    expect(() => {
      (view as Record<string, unknown>).a = 3;
    }).toThrow(TypeError);
    expect(view.a).toBe(2);
    top.a = 5;
    expect(view.a).toBe(5);
  });
});
