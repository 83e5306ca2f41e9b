// Paths, as Python's os.path sees them on the controller. Expected values were checked against ansible-playbook 2.14.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Templar } from '../../../engine/template/index.js';

const t = new Templar();
const ev = (expr: string, vars: Record<string, unknown> = {}) => t.evaluate(expr, vars, 'test');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'uxsv-paths-'));
  mkdirSync(path.join(dir, 'd1/d2'), { recursive: true });
  for (const f of ['d1/f.txt', 'd1/.hidden', 'd1/g.conf', 'd1/with space.conf']) writeFileSync(path.join(dir, f), '');
  symlinkSync('d1/f.txt', path.join(dir, 'lnk'));
  symlinkSync('nowhere', path.join(dir, 'broken'));
  symlinkSync('loopb', path.join(dir, 'loopa'));
  symlinkSync('loopa', path.join(dir, 'loopb'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('posix paths', () => {
  it('basename, dirname and splitext as posixpath', () => {
    expect(ev("'/etc/foo/bar.conf' | basename")).toBe('bar.conf');
    expect(ev("'/etc/foo/' | basename")).toBe('');
    expect(ev("'/etc/foo/bar.conf' | dirname")).toBe('/etc/foo');
    expect(ev("'bar' | dirname")).toBe('');
    expect(ev("'//a' | dirname")).toBe('//');
    expect(ev("'/a//b' | dirname")).toBe('/a');
    expect(ev("'archive.tar.gz' | splitext")).toEqual(['archive.tar', '.gz']);
    expect(ev("'/a.b/c' | splitext")).toEqual(['/a.b/c', '']);
    expect(ev("'.bashrc' | splitext")).toEqual(['.bashrc', '']);
    expect(ev("'..x.y' | splitext")).toEqual(['..x', '.y']);
  });
  it('path_join starts over at an absolute part', () => {
    expect(ev("['/etc', 'apt', 'sources.list'] | path_join")).toBe('/etc/apt/sources.list');
    expect(ev("['etc', '/abs', 'x'] | path_join")).toBe('/abs/x');
    expect(ev("['a/', 'b'] | path_join")).toBe('a/b');
    expect(ev("'a' | path_join")).toBe('a');
    expect(() => ev('5 | path_join')).toThrow("|path_join expects string or sequence, got <class 'int'> instead.");
  });
  it('expanduser and expandvars use the controller', () => {
    const home = process.env.HOME!;
    expect(ev("'~/x' | expanduser")).toBe(`${home}/x`);
    expect(ev("'~root/x' | expanduser")).toBe('/root/x');
    expect(ev("'~nosuchuser-xyz/x' | expanduser")).toBe('~nosuchuser-xyz/x');
    expect(ev("'$HOME/x ${HOME} $NOPE_UXSV ${NOPE_UXSV}' | expandvars")).toBe(`${home}/x ${home} $NOPE_UXSV \${NOPE_UXSV}`);
  });
  it('realpath resolves links as far as the path exists; relpath is lexical', () => {
    expect(ev('p | realpath', { p: `${dir}/lnk` })).toBe(`${dir}/d1/f.txt`);
    expect(ev('p | realpath', { p: `${dir}/d1/../lnk` })).toBe(`${dir}/d1/f.txt`);
    expect(ev('p | realpath', { p: `${dir}/broken/x` })).toBe(`${dir}/nowhere/x`);
    expect(ev('p | realpath', { p: `${dir}/loopa/x` })).toBe(`${dir}/loopa/x`);
    expect(ev("'/etc/ssh/sshd_config' | relpath('/etc/apt')")).toBe('../ssh/sshd_config');
    expect(ev("'/a/b' | relpath('/a/b')")).toBe('.');
    expect(ev("'/a/b/c' | relpath('/a')")).toBe('b/c');
  });
  it('fileglob lists matching files (not directories, not hidden ones unless asked)', () => {
    expect((ev('p | fileglob', { p: `${dir}/d1/*` }) as string[]).sort()).toEqual([`${dir}/d1/f.txt`, `${dir}/d1/g.conf`, `${dir}/d1/with space.conf`]);
    expect(ev('p | fileglob', { p: `${dir}/d1/g*.conf` })).toEqual([`${dir}/d1/g.conf`]);
    expect(ev('p | fileglob', { p: `${dir}/d1/.*` })).toEqual([`${dir}/d1/.hidden`]);
    expect(ev('p | fileglob', { p: `${dir}/*/f.tx?` })).toEqual([`${dir}/d1/f.txt`]);
    expect((ev('p | fileglob', { p: `${dir}/d1/[fg]*` }) as string[]).sort()).toEqual([`${dir}/d1/f.txt`, `${dir}/d1/g.conf`]);
    expect(ev("'/nonexistent-uxsv/*' | fileglob")).toEqual([]);
  });
});

describe('windows paths', () => {
  it('win_basename, win_dirname and win_splitdrive as ntpath', () => {
    const p = 'C:\\Users\\me\\file.txt';
    expect(ev('p | win_basename', { p })).toBe('file.txt');
    expect(ev('p | win_dirname', { p })).toBe('C:\\Users\\me');
    expect(ev('p | win_splitdrive', { p })).toEqual(['C:', '\\Users\\me\\file.txt']);
    expect(ev('p | win_splitdrive', { p: '\\\\srv\\share\\d\\f' })).toEqual(['\\\\srv\\share', '\\d\\f']);
    expect(ev('p | win_splitdrive', { p: '//srv/share/d' })).toEqual(['//srv/share', '/d']);
    expect(ev('p | win_dirname', { p: '\\\\srv\\share\\d' })).toBe('\\\\srv\\share\\');
  });
});
