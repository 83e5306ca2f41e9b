/**
 * Python's datetime as templates meet it: Ansible's `now()` global (and
 * what the `strftime` filter may use). A datetime prints as Python prints
 * one (`2024-05-01 12:00:00.123456`) and has Python's common attributes
 * and methods.
 */
import { splitKwargs } from './members.js';
import { PyObject, truthy } from './python.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The parts of a moment in local time or UTC. */
interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  weekday: number;
  offsetMinutes: number;
}

function partsOf(date: Date, utc: boolean): Parts {
  return utc
    ? { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours(), minute: date.getUTCMinutes(), second: date.getUTCSeconds(), microsecond: date.getUTCMilliseconds() * 1000, weekday: date.getUTCDay(), offsetMinutes: 0 }
    : { year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(), hour: date.getHours(), minute: date.getMinutes(), second: date.getSeconds(), microsecond: date.getMilliseconds() * 1000, weekday: date.getDay(), offsetMinutes: -date.getTimezoneOffset() };
}

/** C's strftime directives, as Python passes them through on Linux. */
export function strftime(date: Date, format: string, utc = false): string {
  const p = partsOf(date, utc);
  const start = Date.UTC(p.year, 0, 1);
  const dayOfYear = Math.floor((Date.UTC(p.year, p.month - 1, p.day) - start) / 86400000) + 1;
  const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  const offset = `${p.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(p.offsetMinutes) / 60))}${pad(Math.abs(p.offsetMinutes) % 60)}`;
  return format.replace(/%([a-zA-Z%])/g, (all, d: string) => {
    switch (d) {
      case 'Y': return String(p.year);
      case 'y': return pad(p.year % 100);
      case 'm': return pad(p.month);
      case 'd': return pad(p.day);
      case 'e': return String(p.day).padStart(2, ' ');
      case 'H': return pad(p.hour);
      case 'I': return pad(hour12);
      case 'M': return pad(p.minute);
      case 'S': return pad(p.second);
      case 'f': return pad(p.microsecond, 6);
      case 'j': return pad(dayOfYear, 3);
      case 'a': return DAYS[p.weekday]!.slice(0, 3);
      case 'A': return DAYS[p.weekday]!;
      case 'w': return String(p.weekday);
      case 'u': return String(p.weekday === 0 ? 7 : p.weekday);
      case 'b': case 'h': return MONTHS[p.month - 1]!.slice(0, 3);
      case 'B': return MONTHS[p.month - 1]!;
      case 'p': return p.hour < 12 ? 'AM' : 'PM';
      case 'z': return offset;
      case 'Z': return utc ? 'UTC' : (Intl.DateTimeFormat('en', { timeZoneName: 'short' }).formatToParts(date).find((x) => x.type === 'timeZoneName')?.value ?? '');
      case 's': return String(Math.floor(date.getTime() / 1000));
      case 'F': return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
      case 'T': return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
      case 'D': return `${pad(p.month)}/${pad(p.day)}/${pad(p.year % 100)}`;
      case '%': return '%';
      default: return all;
    }
  });
}

/** A Python datetime (naive: local time, or UTC for `now(utc=True)`). */
export class PyDateTime extends PyObject {
  constructor(
    readonly date: Date,
    readonly utc: boolean,
  ) {
    super();
  }

  get pyType(): string {
    return 'datetime';
  }

  pyStr(): string {
    const p = partsOf(this.date, this.utc);
    return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${p.microsecond ? `.${pad(p.microsecond, 6)}` : ''}`;
  }

  attribute(name: string): unknown {
    const p = partsOf(this.date, this.utc);
    switch (name) {
      case 'year': case 'month': case 'day': case 'hour': case 'minute': case 'second': case 'microsecond':
        return p[name];
      case 'strftime': return (format: unknown) => strftime(this.date, String(format), this.utc);
      case 'isoformat': return (sep: unknown = 'T') => this.pyStr().replace(' ', String(sep));
      case 'timestamp': return () => this.date.getTime() / 1000;
      case 'weekday': return () => (p.weekday + 6) % 7;
      case 'isoweekday': return () => (p.weekday === 0 ? 7 : p.weekday);
      default: return undefined;
    }
  }
}

/** Ansible's `now(utc=False, fmt=None)`: the current datetime, or it formatted with strftime. */
export function now(...args: unknown[]): unknown {
  const { positional, kwargs } = splitKwargs(args);
  const utc = truthy(kwargs.utc ?? positional[0] ?? false);
  const fmt = kwargs.fmt ?? positional[1];
  const date = new Date();
  return fmt === undefined || fmt === null ? new PyDateTime(date, utc) : strftime(date, String(fmt), utc);
}
