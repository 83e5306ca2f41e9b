/**
 * Ansible host ranges in inventory host names: `www[01:50].example.com`
 * (numeric, zero padded when the start has a leading zero), `db-[a:f]`
 * (alphabetic), with an optional step `[1:9:2]`. Several ranges in one name
 * multiply out, left to right.
 */

/** `[start:end]` or `[start:end:step]`; start may be empty (means 0). */
const RANGE = /\[([0-9]*|[A-Za-z]):([0-9]+|[A-Za-z])(?::([0-9]+))?\]/;

/** A guard against `[0:99999999]` typos that would eat the machine's memory. */
const MAX_HOSTS_PER_RANGE = 10_000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class HostRangeError extends Error {
  constructor(
    message: string,
    /** `web[3:]`: a range without its end (Ansible leaves such a name as written where it may). */
    readonly missingEnd = false,
  ) {
    super(message);
  }
}

export function hasHostRange(name: string): boolean {
  return RANGE.test(name);
}

/** The host names a (possibly ranged) name stands for, in order. */
export function expandHostRange(name: string): string[] {
  const m = RANGE.exec(name);
  if (!m) {
    // Ansible refuses `www[01:]` ("host range must specify end value"); taken as a name it would be an unreachable host.
    const half = /\[[^\]]*:[^\]]*\]/.exec(name);
    if (half) {
      const missingEnd = /:\]$/.test(half[0]);
      const why = missingEnd ? ' (host range must specify end value)' : '';
      throw new HostRangeError(`host range '${half[0]}' must be [begin:end] or [begin:end:step] (numbers or single letters)${why}`, missingEnd);
    }
    return [name];
  }
  const head = name.slice(0, m.index);
  const tail = name.slice(m.index + m[0].length);
  const start = m[1] === '' ? '0' : m[1];
  const end = m[2];
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (step < 1) throw new HostRangeError(`host range '${m[0]}' must have a step of at least 1`);
  const out: string[] = [];
  for (const item of rangeItems(m[0], start, end, step)) {
    out.push(...expandHostRange(head + item + tail));
    if (out.length > MAX_HOSTS_PER_RANGE) throw new HostRangeError(`host range in '${name}' expands to more than ${MAX_HOSTS_PER_RANGE} hosts`);
  }
  return out;
}

function rangeItems(text: string, start: string, end: string, step: number): string[] {
  const isAlpha = /^[A-Za-z]$/.test(start) || /^[A-Za-z]$/.test(end);
  if (isAlpha) {
    const from = LETTERS.indexOf(start);
    const to = LETTERS.indexOf(end);
    if (from < 0 || to < 0) throw new HostRangeError(`host range '${text}' mixes letters and numbers`);
    if (from > to) throw new HostRangeError(`host range '${text}' must have begin <= end`);
    const items: string[] = [];
    for (let i = from; i <= to; i += step) items.push(LETTERS[i]);
    return items;
  }
  // Ansible: a leading zero asks for zero padding, and then both ends must have the same width.
  const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
  if (width && end.length !== width) throw new HostRangeError(`host range '${text}' must have begin and end of the same width (zero padding)`);
  const from = Number(start);
  const to = Number(end);
  if (from > to) throw new HostRangeError(`host range '${text}' must have begin <= end`);
  if ((to - from) / step >= MAX_HOSTS_PER_RANGE) throw new HostRangeError(`host range '${text}' expands to more than ${MAX_HOSTS_PER_RANGE} hosts`);
  const items: string[] = [];
  for (let i = from; i <= to; i += step) items.push(width ? String(i).padStart(width, '0') : String(i));
  return items;
}

/**
 * A host key may end in `:port` (Ansible: `web01:2222`). Brackets (ranges) are
 * not looked into, and a name with several colons outside brackets is an IPv6
 * address, not a port.
 */
export function splitHostPort(key: string): { name: string; port?: number } {
  const outside = key.replace(/\[[^\]]*\]/g, '');
  const colons = outside.split(':').length - 1;
  const m = /^(.+):([0-9]+)$/.exec(key);
  if (colons === 1 && m) return { name: m[1], port: Number(m[2]) };
  return { name: key };
}
