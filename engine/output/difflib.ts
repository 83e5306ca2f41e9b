/**
 * Unified diffs as Python's difflib makes them (Ansible's `--diff` output),
 * so hunks start and end on the same lines as ansible-playbook's.
 *
 * The matching is difflib's: the longest common run of lines first (the
 * leftmost, earliest one on ties), then the same on each side of it; in a
 * text of 200 lines or more, a line that makes up more than 1% of the new
 * text is not used to start a match, only to extend one. Hunks keep `context`
 * unchanged lines around each change and merge when they are closer than
 * twice that.
 */

type Tag = 'equal' | 'replace' | 'delete' | 'insert';
type Opcode = [tag: Tag, i1: number, i2: number, j1: number, j2: number];
type Match = [i: number, j: number, size: number];

/** Where each line of `b` occurs, without the too-common lines of long texts. */
function indexLines(b: string[]): Map<string, number[]> {
  const where = new Map<string, number[]>();
  b.forEach((line, j) => {
    const list = where.get(line);
    if (list) list.push(j);
    else where.set(line, [j]);
  });
  if (b.length >= 200) {
    const limit = Math.floor(b.length / 100) + 1;
    for (const [line, list] of where) if (list.length > limit) where.delete(line);
  }
  return where;
}

function longestMatch(a: string[], b: string[], where: Map<string, number[]>, alo: number, ahi: number, blo: number, bhi: number): Match {
  let bestI = alo;
  let bestJ = blo;
  let bestSize = 0;
  // Length of the match ending at a[i-1], b[j], by j.
  let runs = new Map<number, number>();
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>();
    for (const j of where.get(a[i]!) ?? []) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const size = (runs.get(j - 1) ?? 0) + 1;
      next.set(j, size);
      if (size > bestSize) {
        bestI = i - size + 1;
        bestJ = j - size + 1;
        bestSize = size;
      }
    }
    runs = next;
  }
  // Too-common lines were left out of the index: let them extend the match on both sides.
  while (bestI > alo && bestJ > blo && a[bestI - 1] === b[bestJ - 1]) {
    bestI--;
    bestJ--;
    bestSize++;
  }
  while (bestI + bestSize < ahi && bestJ + bestSize < bhi && a[bestI + bestSize] === b[bestJ + bestSize]) bestSize++;
  return [bestI, bestJ, bestSize];
}

function matchingBlocks(a: string[], b: string[]): Match[] {
  const where = indexLines(b);
  const found: Match[] = [];
  const queue: Array<[number, number, number, number]> = [[0, a.length, 0, b.length]];
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const match = longestMatch(a, b, where, alo, ahi, blo, bhi);
    const [i, j, size] = match;
    if (size === 0) continue;
    found.push(match);
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + size < ahi && j + size < bhi) queue.push([i + size, ahi, j + size, bhi]);
  }
  found.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  const merged: Match[] = [];
  let [i1, j1, k1] = [0, 0, 0];
  for (const [i2, j2, k2] of found) {
    if (i1 + k1 === i2 && j1 + k1 === j2) k1 += k2;
    else {
      if (k1) merged.push([i1, j1, k1]);
      [i1, j1, k1] = [i2, j2, k2];
    }
  }
  if (k1) merged.push([i1, j1, k1]);
  merged.push([a.length, b.length, 0]);
  return merged;
}

function opcodes(a: string[], b: string[]): Opcode[] {
  const codes: Opcode[] = [];
  let i = 0;
  let j = 0;
  for (const [ai, bj, size] of matchingBlocks(a, b)) {
    const tag: Tag | undefined = i < ai && j < bj ? 'replace' : i < ai ? 'delete' : j < bj ? 'insert' : undefined;
    if (tag) codes.push([tag, i, ai, j, bj]);
    i = ai + size;
    j = bj + size;
    if (size) codes.push(['equal', ai, i, bj, j]);
  }
  return codes;
}

function groupedOpcodes(a: string[], b: string[], context: number): Opcode[][] {
  const codes = opcodes(a, b);
  if (codes.length === 0) codes.push(['equal', 0, 1, 0, 1]);
  const first = codes[0]!;
  if (first[0] === 'equal') codes[0] = ['equal', Math.max(first[1], first[2] - context), first[2], Math.max(first[3], first[4] - context), first[4]];
  const last = codes[codes.length - 1]!;
  if (last[0] === 'equal') codes[codes.length - 1] = ['equal', last[1], Math.min(last[2], last[1] + context), last[3], Math.min(last[4], last[3] + context)];
  const groups: Opcode[][] = [];
  let group: Opcode[] = [];
  for (const code of codes) {
    let [tag, i1, i2, j1, j2] = code;
    if (tag === 'equal' && i2 - i1 > 2 * context) {
      group.push([tag, i1, Math.min(i2, i1 + context), j1, Math.min(j2, j1 + context)]);
      groups.push(group);
      group = [];
      i1 = Math.max(i1, i2 - context);
      j1 = Math.max(j1, j2 - context);
    }
    group.push([tag, i1, i2, j1, j2]);
  }
  if (group.length > 0 && !(group.length === 1 && group[0]![0] === 'equal')) groups.push(group);
  return groups;
}

/** `start,length` of a hunk side, 1-based, as in `@@ -1,4 +1,5 @@` (a single line is just its number). */
function hunkRange(start: number, stop: number): string {
  let beginning = start + 1;
  const count = stop - start;
  if (count === 1) return String(beginning);
  if (count === 0) beginning -= 1;
  return `${beginning},${count}`;
}

/**
 * The lines of difflib.unified_diff(a, b, fromfile, tofile, n=context) with
 * empty file dates: `a` and `b` are lines with their line ends, and so are
 * the lines returned (the headers end with "\n"). Nothing when a equals b.
 */
export function unifiedDiff(a: string[], b: string[], fromFile: string, toFile: string, context = 3): string[] {
  const out: string[] = [];
  for (const group of groupedOpcodes(a, b, context)) {
    if (out.length === 0) out.push(`--- ${fromFile}\n`, `+++ ${toFile}\n`);
    const first = group[0]!;
    const last = group[group.length - 1]!;
    out.push(`@@ -${hunkRange(first[1], last[2])} +${hunkRange(first[3], last[4])} @@\n`);
    for (const [tag, i1, i2, j1, j2] of group) {
      if (tag === 'equal') {
        for (let i = i1; i < i2; i++) out.push(` ${a[i]}`);
        continue;
      }
      if (tag === 'replace' || tag === 'delete') for (let i = i1; i < i2; i++) out.push(`-${a[i]}`);
      if (tag === 'replace' || tag === 'insert') for (let j = j1; j < j2; j++) out.push(`+${b[j]}`);
    }
  }
  return out;
}
