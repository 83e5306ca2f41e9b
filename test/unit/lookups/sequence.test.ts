import { afterAll, describe, expect, it } from 'vitest';
import { formatInteger } from '../../../engine/lookups/sequence.js';
import { errorOf, evaluator, fixture, removeFixtures } from './fixture.js';

afterAll(removeFixtures);

// Expected values: Ansible 2.14 (query('sequence', ...)) and Python's % formatting.
describe('sequence', () => {
  const { evaluate } = evaluator(fixture({}));
  const fails = (expr: string) => errorOf(() => evaluate(expr)).message;

  it('counts with start, end, stride and a printf format', () => {
    expect(evaluate("query('sequence', 'start=0 end=4 stride=2 format=host%02d')")).toEqual(['host00', 'host02', 'host04']);
    expect(evaluate("query('sequence', 'start=3 end=0 stride=-1')")).toEqual(['3', '2', '1', '0']);
    expect(evaluate("query('sequence', 'start=1 end=1')")).toEqual(['1']);
    expect(evaluate("query('sequence', 'start=0x0f00 count=4 format=%04x')")).toEqual(['0f00', '0f01', '0f02', '0f03']);
  });

  it('reads the short form [start-]end[/stride][:format]', () => {
    expect(evaluate("query('sequence', '5', '3-4', '0x0a-0x0c:%x', '1-3/2:%#o')")).toEqual(['1', '2', '3', '4', '5', '3', '4', 'a', 'b', 'c', '0o1', '0o3']);
    expect(evaluate("query('sequence', '7-8:host%02d', '2-6/2')")).toEqual(['host07', 'host08', '2', '4', '6']);
  });

  it('count: from start by stride; count=0 and stride=0 give nothing', () => {
    expect(evaluate("query('sequence', 'count=3 start=10 stride=5 format=%5.1f')")).toEqual([' 10.0', ' 15.0', ' 20.0']);
    expect(evaluate("query('sequence', 'count=3 start=5 stride=-1')")).toEqual(['5', '4', '3', '2', '1']);
    expect(evaluate("query('sequence', 'count=0')")).toEqual([]);
    expect(evaluate("query('sequence', 'start=0 end=0 stride=0')")).toEqual([]);
  });

  it('formats like Python', () => {
    expect(evaluate("query('sequence', 'start=3 end=1 stride=-1 format=%-3d|')")).toEqual(['3  |', '2  |', '1  |']);
    expect(evaluate("query('sequence', 'end=3 format=%+e')")).toEqual(['+1.000000e+00', '+2.000000e+00', '+3.000000e+00']);
    expect(evaluate("query('sequence', 'end=3 format=%g', 'end=2 format=%s!')")).toEqual(['1', '2', '3', '1!', '2!']);
    expect(evaluate("query('sequence', '3:%c')")).toEqual(['\x01', '\x02', '\x03']);
    expect([formatInteger('%05d', -42), formatInteger('% d', 7), formatInteger('%X', 255), formatInteger('%.3d', 5), formatInteger('%g', 1234567), formatInteger('%08.2f', 3)])
      .toEqual(['-0042', ' 7', 'FF', '005', '1.23457e+06', '00003.00']);
  });

  it("fails with Ansible's messages", () => {
    expect(fails("query('sequence', 'start=0 junk=3')")).toContain("unrecognized arguments to with_sequence: ['junk']");
    expect(fails("query('sequence', 'start=1 end=4 foo')")).toContain("unrecognized arguments to with_sequence: ['_raw_params']");
    expect(fails("query('sequence', 'start=A end=3')")).toContain("can't parse start=A as integer");
    expect(fails("query('sequence', 'A-4/2')")).toContain("can't parse start=A as integer");
    expect(fails("query('sequence', '1-B/2')")).toContain("can't parse end=B as integer");
    expect(fails("query('sequence', '1-4/C')")).toContain("can't parse stride=C as integer");
    expect(fails("query('sequence', 'end=010')")).toContain("can't parse end=010 as integer");
    expect(fails("query('sequence', 'start=1')")).toContain('must specify count or end in with_sequence');
    expect(fails("query('sequence', 'start=1 end=4 count=2')")).toContain("can't specify both count and end in with_sequence");
    expect(fails("query('sequence', 'start=4 end=1 stride=2')")).toContain('to count backwards make stride negative');
    expect(fails("query('sequence', 'start=1 end=4 stride=-2')")).toContain("to count forward don't make stride negative");
    expect(fails("query('sequence', 'start=1 end=4 format=d')")).toContain('bad formatting string: d');
    expect(fails("query('sequence', 'end=2 format=%q')")).toContain("problem formatting 1 with '%q'");
    expect(fails("query('sequence', 5)")).toContain("unknown error parsing with_sequence arguments: 5. Error was: expected string or bytes-like object, got 'int'");
  });
});
