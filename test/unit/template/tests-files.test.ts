// Path tests on the controller. Expected values were checked against ansible-playbook 2.14.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
let dir: string;
const ev = (expr: string) => t.evaluate(expr, { dir }, 'test');

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'uxsv-file-tests-'));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'file'), 'x');
  symlinkSync('file', path.join(dir, 'link'));
  symlinkSync('nowhere', path.join(dir, 'broken'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file tests', () => {
  it('directory, file, link, exists and link_exists, also by their old names', () => {
    expect(ev("dir ~ '/sub' is directory")).toBe(true);
    expect(ev("dir ~ '/sub' is is_dir")).toBe(true);
    expect(ev("dir ~ '/file' is directory")).toBe(false);
    expect(ev("dir ~ '/file' is file")).toBe(true);
    expect(ev("dir ~ '/link' is is_file")).toBe(true);
    expect(ev("dir ~ '/link' is link")).toBe(true);
    expect(ev("dir ~ '/file' is is_link")).toBe(false);
    expect(ev("dir ~ '/broken' is exists")).toBe(false);
    expect(ev("dir ~ '/broken' is link_exists")).toBe(true);
    expect(ev("dir ~ '/none' is link_exists")).toBe(false);
    expect(ev('5 is exists')).toBe(false);
  });
  it('abs, same_file and mount', () => {
    expect(ev("'/' is abs")).toBe(true);
    expect(ev("'../' is is_abs")).toBe(false);
    expect(ev("dir ~ '/link' is same_file(dir ~ '/file')")).toBe(true);
    expect(ev("'/' is is_same_file(dir)")).toBe(false);
    expect(() => ev("'/' is same_file('/nonexistent-uxsv')")).toThrow("[Errno 2] No such file or directory: '/nonexistent-uxsv'");
    expect(ev("'/' is mount")).toBe(true);
    expect(ev("'/proc' is is_mount")).toBe(true);
    expect(ev("dir is mount")).toBe(false);
    expect(ev("'/nonexistent-uxsv' is mount")).toBe(false);
  });
});
