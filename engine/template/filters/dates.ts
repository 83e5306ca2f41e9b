/**
 * Dates: `strftime` (C's strftime in the C locale, local time or UTC) and
 * `to_datetime` (Python's datetime.strptime), whose result is a datetime
 * with Python's fields and methods: `.year`, `.strftime(...)`,
 * `.isoformat()`, `.timestamp()`, printing as `2016-08-14 20:00:12`, and
 * `subtract` giving a timedelta (`.days`, `.seconds`, `.total_seconds()`).
 */
import { isString, pyStr, truthy } from '../python.js';
import { parsePyFloat } from './core.js';
import { FilterError, bindArgs, strict, text, type FilterFn } from './support.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Broken-down time, as C's struct tm (month 1-12 here). */
export interface Tm {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  /** Offset east of UTC in minutes; undefined for a naive time. */
  offset?: number;
  zoneName?: string;
}

const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

function dayOfYear(tm: Tm): number {
  return Math.round((Date.UTC(tm.year, tm.month - 1, tm.day) - Date.UTC(tm.year, 0, 1)) / 86400000) + 1;
}

function weekday(tm: Tm): number {
  return new Date(Date.UTC(tm.year, tm.month - 1, tm.day)).getUTCDay();
}

/** ISO 8601 week-based year and week number. */
function isoWeek(tm: Tm): { year: number; week: number } {
  const date = Date.UTC(tm.year, tm.month - 1, tm.day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - mondayBased) * 86400000);
  const year = thursday.getUTCFullYear();
  return { year, week: 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 604800000) };
}

function offsetText(minutes: number | undefined, colon = false): string {
  if (minutes === undefined) return '';
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${pad(Math.floor(m / 60))}${colon ? ':' : ''}${pad(m % 60)}`;
}

/** C's strftime (glibc, C locale), with glibc's `-`, `_` and `0` padding flags. */
export function strftime(format: string, tm: Tm, epochSeconds?: number): string {
  return format.replace(/%([-_0^#]?)(\d*)([a-zA-Z%+])/g, (whole, flag: string, _width: string, conv: string) => {
    const number = (n: number, width: number, fill = '0') => {
      if (flag === '-') return String(n);
      if (flag === '_') return pad(n, width, ' ');
      if (flag === '0') return pad(n, width, '0');
      return pad(n, width, fill);
    };
    const upper = (s: string) => (flag === '^' ? s.toUpperCase() : s);
    const hour12 = tm.hour % 12 === 0 ? 12 : tm.hour % 12;
    const wd = weekday(tm);
    switch (conv) {
      case 'a': return upper(DAYS[wd]!.slice(0, 3));
      case 'A': return upper(DAYS[wd]!);
      case 'b': case 'h': return upper(MONTHS[tm.month - 1]!.slice(0, 3));
      case 'B': return upper(MONTHS[tm.month - 1]!);
      case 'c': return strftime('%a %b %e %H:%M:%S %Y', tm, epochSeconds);
      case 'C': return number(Math.floor(tm.year / 100), 2);
      case 'd': return number(tm.day, 2);
      case 'D': return strftime('%m/%d/%y', tm);
      case 'e': return number(tm.day, 2, ' ');
      case 'F': return `${tm.year}-${pad(tm.month)}-${pad(tm.day)}`;
      case 'g': return number(isoWeek(tm).year % 100, 2);
      case 'G': return String(isoWeek(tm).year);
      case 'H': return number(tm.hour, 2);
      case 'I': return number(hour12, 2);
      case 'j': return number(dayOfYear(tm), 3);
      case 'k': return number(tm.hour, 2, ' ');
      case 'l': return number(hour12, 2, ' ');
      case 'm': return number(tm.month, 2);
      case 'M': return number(tm.minute, 2);
      case 'n': return '\n';
      case 'p': return tm.hour < 12 ? 'AM' : 'PM';
      case 'P': return tm.hour < 12 ? 'am' : 'pm';
      case 'r': return strftime('%I:%M:%S %p', tm);
      case 'R': return strftime('%H:%M', tm);
      case 's': return String(Math.floor(epochSeconds ?? localEpoch(tm)));
      case 'S': return number(tm.second, 2);
      case 't': return '\t';
      case 'T': return strftime('%H:%M:%S', tm);
      case 'u': return String(wd === 0 ? 7 : wd);
      case 'U': return number(Math.floor((dayOfYear(tm) + 6 - wd) / 7), 2);
      case 'V': return number(isoWeek(tm).week, 2);
      case 'w': return String(wd);
      case 'W': return number(Math.floor((dayOfYear(tm) + 6 - ((wd + 6) % 7)) / 7), 2);
      case 'x': return strftime('%m/%d/%y', tm);
      case 'X': return strftime('%H:%M:%S', tm);
      case 'y': return number(tm.year % 100, 2);
      case 'Y': return String(tm.year);
      case 'z': return offsetText(tm.offset);
      case 'Z': return tm.zoneName ?? '';
      case 'f': return pad(tm.microsecond, 6);
      case '%': return '%';
      case '+': return strftime('%a %b %e %H:%M:%S %Z %Y', tm);
      default: return whole;
    }
  });
}

function localEpoch(tm: Tm): number {
  return new Date(tm.year, tm.month - 1, tm.day, tm.hour, tm.minute, tm.second).getTime() / 1000;
}

function zoneAbbreviation(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

/** time.localtime / time.gmtime as a Tm. */
export function brokenDown(seconds: number, utc: boolean): Tm {
  const date = new Date(Math.floor(seconds) * 1000);
  if (utc) {
    return {
      year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(),
      hour: date.getUTCHours(), minute: date.getUTCMinutes(), second: date.getUTCSeconds(), microsecond: 0, offset: 0, zoneName: 'GMT',
    };
  }
  return {
    year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(),
    hour: date.getHours(), minute: date.getMinutes(), second: date.getSeconds(), microsecond: 0,
    offset: -date.getTimezoneOffset(), zoneName: zoneAbbreviation(date),
  };
}

function strftimeFilter(value: unknown, ...args: unknown[]): string {
  const [second = null, utc = false] = bindArgs('strftime', args, ['second', 'utc']);
  let epoch = Date.now() / 1000;
  if (second !== null) {
    const parsed = typeof second === 'number' ? second : isString(second) ? parsePyFloat(String(second)) : typeof second === 'boolean' ? Number(second) : undefined;
    if (parsed === undefined) throw new FilterError(`Invalid value for epoch value (${pyStr(second)})`);
    epoch = parsed;
  }
  return strftime(text(value), brokenDown(epoch, truthy(utc)), Math.floor(epoch));
}

/** A timedelta: what subtracting two datetimes gives. */
export class PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  readonly total_seconds: () => number;

  constructor(totalMicroseconds: number) {
    const day = 86400e6;
    this.days = Math.floor(totalMicroseconds / day);
    const rest = totalMicroseconds - this.days * day;
    this.seconds = Math.floor(rest / 1e6);
    this.microseconds = Math.round(rest - this.seconds * 1e6);
    this.total_seconds = () => totalMicroseconds / 1e6;
  }

  toString(): string {
    const h = Math.floor(this.seconds / 3600);
    const m = Math.floor((this.seconds % 3600) / 60);
    const s = this.seconds % 60;
    const time = `${h}:${pad(m)}:${pad(s)}${this.microseconds ? `.${pad(this.microseconds, 6)}` : ''}`;
    if (this.days === 0) return time;
    return `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${time}`;
  }
}

/** A datetime.datetime: Python's fields and methods, printing as Python does. */
export class PyDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly strftime: (format: unknown) => string;
  readonly isoformat: (sep?: unknown) => string;
  readonly timestamp: () => number;
  readonly weekday: () => number;
  readonly isoweekday: () => number;
  readonly date: () => string;

  constructor(readonly tm: Tm) {
    this.year = tm.year;
    this.month = tm.month;
    this.day = tm.day;
    this.hour = tm.hour;
    this.minute = tm.minute;
    this.second = tm.second;
    this.microsecond = tm.microsecond;
    // Own function properties: templates call them as `dt.strftime('%Y')`.
    this.strftime = (format) => strftime(pyStr(format), tm);
    this.isoformat = (sep = 'T') => this.format(pyStr(sep));
    this.timestamp = () => this.epochMicroseconds() / 1e6;
    this.weekday = () => (weekday(tm) + 6) % 7;
    this.isoweekday = () => ((weekday(tm) + 6) % 7) + 1;
    this.date = () => `${pad(tm.year, 4)}-${pad(tm.month)}-${pad(tm.day)}`;
  }

  /** Microseconds since the epoch (naive times are local time, as Python's timestamp() takes them). */
  epochMicroseconds(): number {
    const { tm } = this;
    const base = tm.offset === undefined
      ? new Date(tm.year, tm.month - 1, tm.day, tm.hour, tm.minute, tm.second).getTime()
      : Date.UTC(tm.year, tm.month - 1, tm.day, tm.hour, tm.minute, tm.second) - tm.offset * 60000;
    return base * 1000 + tm.microsecond;
  }

  private format(sep: string): string {
    const { tm } = this;
    const micro = tm.microsecond ? `.${pad(tm.microsecond, 6)}` : '';
    const offset = tm.offset === undefined ? '' : offsetText(tm.offset, true);
    return `${pad(tm.year, 4)}-${pad(tm.month)}-${pad(tm.day)}${sep}${pad(tm.hour)}:${pad(tm.minute)}:${pad(tm.second)}${micro}${offset}`;
  }

  toString(): string {
    return this.format(' ');
  }

  /** `a - b`: a timedelta between two datetimes. */
  subtract(other: PyDateTime): PyTimedelta {
    if ((this.tm.offset === undefined) !== (other.tm.offset === undefined)) {
      throw new TypeError("can't subtract offset-naive and offset-aware datetimes");
    }
    const naive = (d: PyDateTime) => Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second) * 1000 + d.microsecond - (d.tm.offset ?? 0) * 60e6;
    return new PyTimedelta(naive(this) - naive(other));
  }
}

const STRPTIME: Record<string, { re: string; set?: (tm: Tm, v: string, state: { pm?: boolean; twelve?: boolean }) => void }> = {
  Y: { re: '(\\d{4})', set: (tm, v) => { tm.year = Number(v); } },
  y: { re: '(\\d{2})', set: (tm, v) => { const n = Number(v); tm.year = n < 69 ? 2000 + n : 1900 + n; } },
  m: { re: '(1[0-2]|0[1-9]|[1-9])', set: (tm, v) => { tm.month = Number(v); } },
  d: { re: '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])', set: (tm, v) => { tm.day = Number(v.trim()); } },
  H: { re: '(2[0-3]|[0-1]\\d|\\d)', set: (tm, v) => { tm.hour = Number(v); } },
  I: { re: '(1[0-2]|0[1-9]|[1-9])', set: (tm, v, s) => { tm.hour = Number(v); s.twelve = true; } },
  M: { re: '([0-5]\\d|\\d)', set: (tm, v) => { tm.minute = Number(v); } },
  S: { re: '(6[0-1]|[0-5]\\d|\\d)', set: (tm, v) => { tm.second = Number(v); } },
  f: { re: '(\\d{1,6})', set: (tm, v) => { tm.microsecond = Number(v.padEnd(6, '0')); } },
  p: { re: '(am|pm)', set: (_tm, v, s) => { s.pm = v.toLowerCase() === 'pm'; } },
  b: { re: `(${MONTHS.map((m) => m.slice(0, 3)).join('|')})`, set: (tm, v) => { tm.month = MONTHS.findIndex((m) => m.slice(0, 3).toLowerCase() === v.toLowerCase()) + 1; } },
  B: { re: `(${MONTHS.join('|')})`, set: (tm, v) => { tm.month = MONTHS.findIndex((m) => m.toLowerCase() === v.toLowerCase()) + 1; } },
  a: { re: `(${DAYS.map((d) => d.slice(0, 3)).join('|')})` },
  A: { re: `(${DAYS.join('|')})` },
  j: { re: '(36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])' },
  z: {
    re: '([+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|Z)',
    set: (tm, v) => {
      if (v === 'Z') { tm.offset = 0; return; }
      const m = /^([+-])(\d\d):?(\d\d)/.exec(v)!;
      tm.offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    },
  },
  Z: { re: '(utc|gmt)' },
  '%': { re: '%' },
};

/** datetime.strptime. */
export function strptime(value: string, format: string): PyDateTime {
  const setters: Array<(tm: Tm, v: string, state: { pm?: boolean; twelve?: boolean }) => void> = [];
  let source = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%' && i + 1 < format.length) {
      const directive = STRPTIME[format[i + 1]!];
      if (!directive) throw new RangeError(`'${format[i + 1]}' is a bad directive in format '${format}'`);
      source += directive.re;
      if (directive.re.startsWith('(')) setters.push(directive.set ?? (() => undefined));
      i++;
    } else if (/\s/.test(c)) {
      source += '\\s+';
      while (i + 1 < format.length && /\s/.test(format[i + 1]!)) i++;
    } else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const m = new RegExp(`^${source}`, 'i').exec(value);
  if (!m) throw new RangeError(`time data ${JSON.stringify(value).replace(/^"|"$/g, "'")} does not match format '${format}'`);
  if (m[0].length < value.length) throw new RangeError(`unconverted data remains: ${value.slice(m[0].length)}`);
  const tm: Tm = { year: 1900, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0 };
  const state: { pm?: boolean; twelve?: boolean } = {};
  setters.forEach((set, i) => set(tm, m[i + 1]!, state));
  if (state.twelve && state.pm !== undefined) tm.hour = (tm.hour % 12) + (state.pm ? 12 : 0);
  const days = new Date(Date.UTC(tm.year, tm.month, 0)).getUTCDate();
  if (tm.day > days) throw new RangeError('day is out of range for month');
  return new PyDateTime(tm);
}

function toDatetime(value: unknown, ...args: unknown[]): PyDateTime {
  const [format = '%Y-%m-%d %H:%M:%S'] = bindArgs('to_datetime', args, ['format']);
  strict(value);
  if (!isString(value)) throw new TypeError(`strptime() argument 1 must be str, not ${typeof value === 'number' ? 'int' : 'list'}`);
  return strptime(String(value), pyStr(format));
}

export const dateFilters: Record<string, FilterFn> = {
  strftime: strftimeFilter,
  to_datetime: toDatetime,
};
