// Numbers. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');

describe('abs and round', () => {
  it('abs of numbers only', () => {
    expect(ev('-5 | abs')).toBe(5);
    expect(ev('-5.5 | abs')).toBe(5.5);
    expect(ev('true | abs')).toBe(1);
    expect(() => ev("'abc' | abs")).toThrow("bad operand type for abs(): 'str'");
  });
  it('round ties to even on the exact binary value, like Python', () => {
    expect(ev('2.5 | round')).toBe(2);
    expect(ev('3.5 | round')).toBe(4);
    expect(ev('-2.5 | round')).toBe(-2);
    expect(ev('0.125 | round(2)')).toBe(0.12);
    expect(ev('2.675 | round(2)')).toBe(2.67);
    expect(ev('1234.5678 | round(-2)')).toBe(1200);
    expect(ev("42.55 | round(1, 'ceil')")).toBe(42.6);
    expect(ev("42.55 | round(1, 'floor')")).toBe(42.5);
    expect(() => ev("3 | round(1, 'nope')")).toThrow('method must be common, ceil or floor');
    expect(() => ev("'3.7' | round")).toThrow("type str doesn't define __round__ method");
  });
});

describe('log, pow, root', () => {
  it('compute as math.log, math.pow and the n-th root do', () => {
    expect(ev('1 | log')).toBe(0);
    expect(ev('100 | log(10)')).toBe(2);
    expect(String(ev('2.3 | log(42)'))).toMatch(/^0\.222841/);
    expect(ev('2 | pow(4)')).toBe(16);
    expect(ev('4 | root')).toBe(2);
    expect(ev('9 | root(1)')).toBe(9);
    expect(String(ev('9 | root(6)'))).toMatch(/^1\.4422495/);
  });
  it('refuse what is not a number with the message Ansible gives', () => {
    expect(() => ev("'yo' | log")).toThrow('log() can only be used on numbers: must be real number, not str');
    expect(() => ev("'yo' | pow(4)")).toThrow('pow() can only be used on numbers: must be real number, not str');
    expect(() => ev("'yo' | root")).toThrow('root() can only be used on numbers: must be real number, not str');
    expect(() => ev('-4 | root')).toThrow('root() can only be used on numbers: math domain error');
    expect(() => ev('0 | log')).toThrow('math domain error');
  });
});

describe('sizes', () => {
  it('human_readable picks the largest unit, or the one asked for', () => {
    expect(ev('1 | human_readable')).toBe('1.00 Bytes');
    expect(ev('1 | human_readable(isbits=True)')).toBe('1.00 bits');
    expect(ev('10240 | human_readable')).toBe('10.00 KB');
    expect(ev('102400000 | human_readable')).toBe('97.66 MB');
    expect(ev("102400000 | human_readable(unit='G')")).toBe('0.10 GB');
    expect(ev("102400000 | human_readable(isbits=True, unit='G')")).toBe('0.10 Gb');
    expect(ev('0 | human_readable')).toBe('0.00 Bytes');
    expect(() => ev("'monkeys' | human_readable")).toThrow("human_readable() failed on bad input: '>=' not supported between instances of 'str' and 'int'");
  });
  it('human_to_bytes reads sizes, rounding half to even, checking the unit letter', () => {
    expect(ev("'0.5' | human_to_bytes")).toBe(0);
    expect(ev("'1.5' | human_to_bytes")).toBe(2);
    expect(ev("'0.9' | human_to_bytes")).toBe(1);
    expect(ev("'10.00 KB' | human_to_bytes")).toBe(10240);
    expect(ev("'11 MB' | human_to_bytes")).toBe(11534336);
    expect(ev("'1.1 GB' | human_to_bytes")).toBe(1181116006);
    expect(ev("'10.00 Kb' | human_to_bytes(isbits=True)")).toBe(10240);
    expect(ev("'2' | human_to_bytes(default_unit='K')")).toBe(2048);
    expect(ev("'1 kilobyte' | human_to_bytes")).toBe(1024);
    expect(() => ev("'10.00 foo' | human_to_bytes")).toThrow("human_to_bytes() can't interpret following string: 10.00 foo");
    expect(() => ev("'10 Mb' | human_to_bytes")).toThrow("can't interpret following string: 10 Mb");
  });
  it('filesizeformat uses decimal prefixes, or binary ones', () => {
    expect(ev('1 | filesizeformat')).toBe('1 Byte');
    expect(ev('999 | filesizeformat')).toBe('999 Bytes');
    expect(ev('1000 | filesizeformat')).toBe('1.0 kB');
    expect(ev('123456789 | filesizeformat')).toBe('123.5 MB');
    expect(ev('123456789 | filesizeformat(true)')).toBe('117.7 MiB');
    expect(ev("'2048' | filesizeformat(binary=true)")).toBe('2.0 KiB');
  });
});
