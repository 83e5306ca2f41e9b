// Dates. Expected values were checked against ansible-playbook 2.14 (in UTC and in Europe/Berlin).
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');

describe('strftime', () => {
  it("formats as C's strftime in UTC", () => {
    expect(ev("'%Y-%m-%d %H:%M:%S %a %A %b %B %j %p %I %y %e %u %w %U %W %V %G %C' | strftime(1700000000, utc=true)"))
      .toBe('2023-11-14 22:13:20 Tue Tuesday Nov November 318 PM 10 23 14 2 2 46 46 46 2023 20');
    expect(ev("'%D %F %T %R %r %c %x %X %s %% %Z %z' | strftime(1700000000, utc=true)"))
      .toBe('11/14/23 2023-11-14 22:13:20 22:13 10:13:20 PM Tue Nov 14 22:13:20 2023 11/14/23 22:13:20 1700000000 % GMT +0000');
    expect(ev("'%-d/%-m %_H %k %l' | strftime(1700000000, utc=true)")).toBe('14/11 22 22 10');
    expect(ev("'%G-W%V-%u %U %W' | strftime(1735603200, utc=true)")).toBe('2025-W01-2 52 53');
    expect(ev("'%Y' | strftime('1700000000', utc=true)")).toBe('2023');
    expect(() => ev("'%Y' | strftime('bad')")).toThrow('Invalid value for epoch value (bad)');
  });
  it('uses local time unless asked for UTC, and now without a time', () => {
    expect(ev("'%H:%M %z' | strftime(0)")).toBe(
      `${String(new Date(0).getHours()).padStart(2, '0')}:${String(new Date(0).getMinutes()).padStart(2, '0')} ${offset(new Date(0))}`,
    );
    expect(Number(ev("'%Y' | strftime"))).toBe(new Date().getFullYear());
  });
});

function offset(d: Date): string {
  const m = -d.getTimezoneOffset();
  return `${m < 0 ? '-' : '+'}${String(Math.floor(Math.abs(m) / 60)).padStart(2, '0')}${String(Math.abs(m) % 60).padStart(2, '0')}`;
}

describe('to_datetime', () => {
  it("parses as Python's strptime, giving a datetime with fields and methods", () => {
    expect(ev("('2016-08-14 20:00:12' | to_datetime).year")).toBe(2016);
    expect(ev("('2016-08-14 20:00:12' | to_datetime) | string")).toBe('2016-08-14 20:00:12');
    expect(ev("('14/08/2016' | to_datetime('%d/%m/%Y')) | string")).toBe('2016-08-14 00:00:00');
    expect(ev("('2016-08-14' | to_datetime('%Y-%m-%d')).strftime('%A %d %B')")).toBe('Sunday 14 August');
    expect(ev("('Aug 5 2016 3:04PM' | to_datetime('%b %d %Y %I:%M%p')) | string")).toBe('2016-08-05 15:04:00');
    expect(ev("('2016-08-14 20:00:12.5' | to_datetime('%Y-%m-%d %H:%M:%S.%f')) | string")).toBe('2016-08-14 20:00:12.500000');
    expect(ev("('2016-08-14T20:00:12+0200' | to_datetime('%Y-%m-%dT%H:%M:%S%z')) | string")).toBe('2016-08-14 20:00:12+02:00');
    expect(ev("('2016-08-14 20:00:12' | to_datetime).isoformat()")).toBe('2016-08-14T20:00:12');
    expect(ev("('2016-08-14 20:00:12' | to_datetime) | type_debug")).toBe('datetime');
  });
  it("refuses what strptime refuses, with Python's messages", () => {
    expect(() => ev("'2016-08-14' | to_datetime")).toThrow("time data '2016-08-14' does not match format '%Y-%m-%d %H:%M:%S'");
    expect(() => ev("'2016-02-30' | to_datetime('%Y-%m-%d')")).toThrow('day is out of range for month');
    expect(() => ev("'2016-08-14 20:00:12x' | to_datetime")).toThrow('unconverted data remains: x');
  });
  it('two datetimes subtract to a timedelta', async () => {
    const { PyDateTime } = await import('../../../engine/template/filters/dates.js');
    const a = ev("'2016-08-14 20:00:12' | to_datetime") as InstanceType<typeof PyDateTime>;
    const b = ev("'2015-12-25' | to_datetime('%Y-%m-%d')") as InstanceType<typeof PyDateTime>;
    const delta = a.subtract(b);
    expect([delta.days, delta.seconds, delta.total_seconds()]).toEqual([233, 72012, 20203212]);
    expect(String(delta)).toBe('233 days, 20:00:12');
  });
});
