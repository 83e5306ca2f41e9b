/**
 * A task's loop items from its keywords: `loop:` (a list), or `with_<lookup>:`
 * (the lookup's list, `with_items` flattened one level).
 */
export interface LoopDeps {
  /** Templates a keyword value with the task's variables (native values). */
  render(value: unknown): unknown;
  /** Runs a lookup plugin with wantlist. */
  lookup(name: string, terms: unknown[], options: Record<string, unknown>): unknown[];
}

export function loopItems(keywords: Record<string, unknown>, deps: LoopDeps): unknown[] | undefined {
  if (keywords.loop !== undefined) {
    const items = deps.render(keywords.loop);
    if (!Array.isArray(items)) throw new Error(`Invalid data passed to 'loop', it requires a list, got this instead: ${String(items)}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup.`);
    return items;
  }
  const key = Object.keys(keywords).find((k) => k.startsWith('with_'));
  if (!key) return undefined;
  const name = key.slice('with_'.length);
  const rendered = deps.render(keywords[key]);
  const terms = Array.isArray(rendered) ? rendered : [rendered];
  if (name === 'items') return terms.flatMap((i) => (Array.isArray(i) ? i : [i]));
  if (name === 'list') return terms;
  return deps.lookup(name, terms, {});
}
