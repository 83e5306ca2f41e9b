// Ansible's tests on task results, text and truth. Expected values were checked against ansible-playbook 2.14.
import { describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const vars = {
  ok: { changed: false, failed: false },
  bad: { failed: true, changed: false },
  loopChanged: { results: [{ changed: false }, { changed: true }] },
  loopUnchanged: { results: [{ changed: false }] },
  loopEmpty: { results: [] },
  asyncDone: { finished: 1, started: 1 },
  asyncRunning: { finished: 0, started: 1 },
};
const ev = (expr: string) => t.evaluate(expr, vars, 'test');

describe('task results', () => {
  it('failed, succeeded and their other names', () => {
    expect(ev('bad is failed')).toBe(true);
    expect(ev('bad is failure')).toBe(true);
    expect(ev('ok is succeeded')).toBe(true);
    expect(ev('ok is success')).toBe(true);
    expect(ev('bad is successful')).toBe(false);
    expect(() => ev("'nope' is failed")).toThrow("The 'failed' test expects a dictionary");
  });
  it("changed looks at a loop's results when the result has no changed of its own", () => {
    expect(ev('ok is changed')).toBe(false);
    expect(ev('loopChanged is changed')).toBe(true);
    expect(ev('loopUnchanged is change')).toBe(false);
    expect(ev('{} is changed')).toBe(false);
    expect(() => ev('loopEmpty is changed')).toThrow('list index out of range');
    expect(() => ev("'nope' is changed")).toThrow("The 'changed' test expects a dictionary");
  });
  it('skipped, reachable, unreachable', () => {
    expect(ev("{'skipped': true} is skipped")).toBe(true);
    expect(ev('ok is skip')).toBe(false);
    expect(ev("{'unreachable': true} is reachable")).toBe(false);
    expect(ev("{'unreachable': true} is unreachable")).toBe(true);
    expect(ev('ok is reachable')).toBe(true);
    expect(() => ev("'nope' is reachable")).toThrow("The 'unreachable' test expects a dictionary");
  });
  it('finished and started read async results; a task that was not async counts as both', () => {
    expect(ev('asyncDone is finished')).toBe(true);
    expect(ev('asyncRunning is finished')).toBe(false);
    expect(ev('asyncRunning is started')).toBe(true);
    expect(ev('ok is finished')).toBe(true);
    expect(ev('ok is started')).toBe(true);
    expect(() => ev("'nope' is started")).toThrow("The 'started' test expects a dictionary");
  });
});

describe('match, search, regex', () => {
  it('match anchors at the start; search anywhere; regex chooses', () => {
    expect(ev("'hello' is match('h.ll.')")).toBe(true);
    expect(ev("'hello' is match('.ll.')")).toBe(false);
    expect(ev("'hello' is search('.l')")).toBe(true);
    expect(ev("'hello' is regex('.L', ignorecase=true)")).toBe(true);
    expect(ev("'hello\\nAnsible' is regex('^Ansible', multiline=true)")).toBe(true);
    expect(ev("'hello\\nAnsible' is regex('^Ansible')")).toBe(false);
    expect(ev("'abc' is regex('ab', match_type='fullmatch')")).toBe(false);
    expect(ev("'abc' is regex('abc', match_type='fullmatch')")).toBe(true);
    expect(ev("5 is match('5')")).toBe(true);
    expect(() => ev("'abc' is regex('b', match_type='nope')")).toThrow("'str' object is not callable");
  });
});

describe('truth', () => {
  it('truthy and falsy, optionally reading boolean words', () => {
    expect(ev("'string' is truthy")).toBe(true);
    expect(ev("'' is truthy")).toBe(false);
    expect(ev("'no' is truthy")).toBe(true);
    expect(ev("'no' is truthy(convert_bool=True)")).toBe(false);
    expect(ev("'on' is truthy(convert_bool=True)")).toBe(true);
    expect(ev("'fred' is truthy(convert_bool=True)")).toBe(true);
    expect(ev("'off' is falsy(convert_bool=True)")).toBe(true);
    expect(ev('{} is falsy')).toBe(true);
  });
  it('any and all', () => {
    expect(ev('[true, false] is any')).toBe(true);
    expect(ev('[false] is any')).toBe(false);
    expect(ev('[true] is all')).toBe(true);
    expect(ev('[] is all')).toBe(true);
    expect(ev('[true, 0] is all')).toBe(false);
  });
});
