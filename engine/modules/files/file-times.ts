/**
 * The file module's modification_time / access_time: 'preserve', 'now', or a
 * time written in a strptime format (default '%Y%m%d%H%M.%S'), read as local
 * time as Python's time.mktime(time.strptime(...)) does.
 */

export type TimeSpec = { kind: 'preserve' } | { kind: 'now' } | { kind: 'at'; seconds: number };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Python's time.strptime for the common directives; throws Python's ValueError text on a mismatch. */
export function strptime(text: string, format: string): Date {
  const parts = { year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  let pos = 0;
  const fail = (): never => {
    throw new Error(`time data '${text}' does not match format '${format}'`);
  };
  const number = (maxDigits: number): number => {
    const m = new RegExp(`^\\d{1,${maxDigits}}`).exec(text.slice(pos));
    if (!m) return fail();
    pos += m[0].length;
    return Number(m[0]);
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      if (/\s/.test(c)) {
        while (pos < text.length && /\s/.test(text[pos]!)) pos++;
      } else if (text[pos] === c) pos++;
      else fail();
      continue;
    }
    const d = format[++i];
    switch (d) {
      case 'Y': parts.year = number(4); break;
      case 'y': {
        const y = number(2);
        parts.year = y < 69 ? 2000 + y : 1900 + y;
        break;
      }
      case 'm': parts.month = number(2); break;
      case 'd': parts.day = number(2); break;
      case 'H': parts.hour = number(2); break;
      case 'M': parts.minute = number(2); break;
      case 'S': parts.second = number(2); break;
      case 'b': case 'B': case 'h': {
        const rest = text.slice(pos).toLowerCase();
        const full = MONTH_NAMES.findIndex((n) => rest.startsWith(n));
        const short = MONTHS.findIndex((n) => rest.startsWith(n));
        if (full >= 0) { parts.month = full + 1; pos += MONTH_NAMES[full]!.length; } else if (short >= 0) { parts.month = short + 1; pos += 3; } else fail();
        break;
      }
      case '%': if (text[pos] === '%') pos++; else fail(); break;
      default: throw new Error(`'${d ?? ''}' is a bad directive in format '${format}'`);
    }
  }
  if (pos !== text.length) throw new Error(`unconverted data remains: ${text.slice(pos)}`);
  if (parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.day > 31 || parts.hour > 23 || parts.minute > 59 || parts.second > 61) fail();
  return new Date(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** Ansible's defaults: touch sets both times to now, the other states keep them. */
export function timeSpec(value: string | undefined, format: string | undefined, state: string): TimeSpec {
  const given = value ?? (state === 'touch' ? 'now' : 'preserve');
  if (given === 'preserve') return { kind: 'preserve' };
  if (given === 'now') return { kind: 'now' };
  try {
    return { kind: 'at', seconds: strptime(given, format ?? '%Y%m%d%H%M.%S').getTime() / 1000 };
  } catch (error) {
    throw new Error(`Error while obtaining timestamp for time ${given} using format ${format ?? '%Y%m%d%H%M.%S'}: ${(error as Error).message}`);
  }
}

export interface TimeChange {
  /** Both times to the current time: needs only write access to the file (utime with no times). */
  now?: boolean;
  /** Seconds to set (undefined: keep). */
  mtime?: number;
  atime?: number;
  before: Record<string, number>;
  after: Record<string, number>;
}

/**
 * Ansible's update_timestamp_for_file: with both 'now' the times always
 * change; otherwise only the ones that differ from the current ones.
 */
export function timeChange(m: TimeSpec, a: TimeSpec, current: { mtime?: number; atime?: number }, now: number): TimeChange | undefined {
  if (m.kind === 'preserve' && a.kind === 'preserve') return undefined;
  const prevM = current.mtime ?? 0;
  const prevA = current.atime ?? 0;
  const mtime = m.kind === 'preserve' ? prevM : m.kind === 'now' ? now : m.seconds;
  const atime = a.kind === 'preserve' ? prevA : a.kind === 'now' ? now : a.seconds;
  if (!(m.kind === 'now' && a.kind === 'now') && mtime === prevM && atime === prevA) return undefined;
  const change: TimeChange = { before: {}, after: {} };
  if (m.kind === 'now' && a.kind === 'now') change.now = true;
  change.mtime = mtime;
  change.atime = atime;
  if (mtime !== prevM) {
    change.before.mtime = prevM;
    change.after.mtime = mtime;
  }
  if (atime !== prevA) {
    change.before.atime = prevA;
    change.after.atime = atime;
  }
  return change;
}

/** touch commands setting the times (nanosecond precision, no dereference with follow: false). */
export function touchCommand(path: string, change: TimeChange, noDereference: boolean): string {
  const h = noDereference ? '-h ' : '';
  if (change.now) return `touch ${h}-c -- ${path}`;
  const stamp = (s: number) => `@${s.toFixed(9)}`;
  return [
    `touch ${h}-c -m -d ${stamp(change.mtime!)} -- ${path}`,
    `touch ${h}-c -a -d ${stamp(change.atime!)} -- ${path}`,
  ].join(' && ');
}
