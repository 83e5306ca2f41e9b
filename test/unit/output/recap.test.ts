import { stripVTControlCharacters } from 'node:util';
import { describe, expect, test } from 'vitest';
import { emptyStats } from '../../../engine/output/events.js';
import { formatRecap, shouldUseColor } from '../../../engine/output/index.js';
import { StatsTracker } from '../../../engine/output/recap.js';
import { ESC, RECAP_STATS } from './fixtures.js';

/** Column (character offset) where each `key=` starts, per line. */
function columnStarts(line: string): number[] {
  return ['ok=', 'changed=', 'unreachable=', 'failed=', 'skipped=', 'rescued=', 'ignored='].map((key) => line.indexOf(key));
}

describe('formatRecap', () => {
  test('pads host names to 26 columns and every count to 4, hosts sorted', () => {
    const lines = formatRecap({ uxsv03: RECAP_STATS.uxsv03!, uxsv01: RECAP_STATS.uxsv01! }, false).split('\n');
    expect(lines).toEqual([
      'PLAY RECAP *********************************************************************',
      'uxsv01                     : ok=5    changed=2    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0   ',
      'uxsv03                     : ok=1    changed=0    unreachable=1    failed=1    skipped=0    rescued=0    ignored=0   ',
    ]);
  });

  test('long host names and big counts push only their own line, as in Ansible', () => {
    const stats = { 'a-very-long-host-name.example.jp': { ...emptyStats(), ok: 123456 }, b: { ...emptyStats(), failed: 2 } };
    const [, first, second] = formatRecap(stats, false).split('\n');
    expect(first).toBe('a-very-long-host-name.example.jp : ok=123456 changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ');
    expect(second).toBe('b                          : ok=0    changed=0    unreachable=0    failed=2    skipped=0    rescued=0    ignored=0   ');
  });

  test("colours non-zero counts and the host with Ansible's codes, the same visible columns", () => {
    const recap = formatRecap(RECAP_STATS, true);
    expect(recap).toContain(`${ESC}0;31mfailed=1   ${ESC}0m`);
    expect(recap).toContain(`${ESC}0;33mchanged=2   ${ESC}0m`);
    expect(recap).toContain(`${ESC}1;35mignored=1   ${ESC}0m`);
    expect(recap).toContain(`${ESC}0;31muxsv03${ESC}0m                     : `);
    expect(recap).toContain(' failed=0    '); // zero counts stay plain
    expect(stripVTControlCharacters(recap)).toBe(formatRecap(RECAP_STATS, false));
  });

  test('no escape codes at all without colour', () => {
    expect(formatRecap(RECAP_STATS, false)).not.toContain(ESC);
  });
});

describe('StatsTracker (the recap of an interrupted run)', () => {
  test("counts as Ansible does: changed and ignored results are ok too, an ignored failure's change counts, loop items do not", () => {
    const tracker = new StatsTracker();
    const base = { type: 'host_result', taskId: 1, task: 't', host: 'h', durationMs: 1, noLog: false } as const;
    tracker.record({ ...base, status: 'ok', result: { changed: false } });
    tracker.record({ ...base, status: 'changed', item: 'a', result: { changed: true } });
    tracker.record({ ...base, status: 'changed', result: { changed: true } });
    tracker.record({ ...base, status: 'ignored', result: { changed: true, failed: true } });
    tracker.record({ ...base, status: 'rescued', result: { changed: false, failed: true } });
    tracker.record({ ...base, status: 'skipped', result: { changed: false } });
    expect(tracker.snapshot()).toEqual({ h: { ok: 3, changed: 2, unreachable: 0, failed: 0, skipped: 1, rescued: 1, ignored: 1 } });
  });
});

describe('shouldUseColor', () => {
  test('NO_COLOR (any non-empty value) disables colour, even with FORCE_COLOR', () => {
    expect(shouldUseColor({ NO_COLOR: '1' }, true)).toBe(false);
    expect(shouldUseColor({ NO_COLOR: 'yes', FORCE_COLOR: '1' }, true)).toBe(false);
    expect(shouldUseColor({ NO_COLOR: '' }, true)).toBe(true);
  });

  test('FORCE_COLOR enables colour without a TTY, except 0/false', () => {
    expect(shouldUseColor({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(shouldUseColor({ FORCE_COLOR: '' }, false)).toBe(true);
    expect(shouldUseColor({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(shouldUseColor({ FORCE_COLOR: 'false' }, true)).toBe(false);
  });

  test("Ansible's ANSIBLE_FORCE_COLOR wins over everything, ANSIBLE_NOCOLOR disables", () => {
    expect(shouldUseColor({ ANSIBLE_FORCE_COLOR: 'yes', NO_COLOR: '1', ANSIBLE_NOCOLOR: '1' }, false)).toBe(true);
    expect(shouldUseColor({ ANSIBLE_FORCE_COLOR: 'no' }, false)).toBe(false);
    expect(shouldUseColor({ ANSIBLE_NOCOLOR: 'true' }, true)).toBe(false);
    expect(shouldUseColor({ ANSIBLE_NOCOLOR: '0' }, true)).toBe(true);
  });

  test('otherwise colour follows the terminal', () => {
    expect(shouldUseColor({}, true)).toBe(true);
    expect(shouldUseColor({}, false)).toBe(false);
    expect(shouldUseColor({ TERM: 'dumb' }, true)).toBe(false);
  });
});
