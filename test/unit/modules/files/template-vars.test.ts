import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { template } from '../../../../engine/modules/files/template.js';
import { formatManaged, ownerName, templateVars } from '../../../../engine/modules/files/template-vars.js';
import { run, tempDir } from './harness.js';

let dir: string;
let local: string;
let cleanup: () => void;
let cleanupLocal: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  ({ dir: local, cleanup: cleanupLocal } = tempDir());
});
afterEach(() => { cleanup(); cleanupLocal(); });

describe('template: the template_* variables and ansible_managed', () => {
  it('are seen by the template, over task variables of the same name', async () => {
    const src = join(local, 'vars.j2');
    writeFileSync(src, [
      'host={{ template_host }}', 'path={{ template_path }}', 'full={{ template_fullpath }}', 'dest={{ template_destpath }}',
      'uid={{ template_uid }}', 'mtime={{ template_mtime }}', 'mtime_year={{ template_mtime.year }}',
      'run_date_is_now={{ template_run_date.year >= 2024 }}', 'managed={{ ansible_managed }}', 'own={{ own }}', '',
    ].join('\n'));
    // A whole second: Python prints a datetime without microseconds then.
    utimesSync(src, new Date(2021, 2, 4, 5, 6, 7), new Date(2021, 2, 4, 5, 6, 7));
    const dest = join(dir, 'out.txt');
    const r = await run(template, { src: 'vars.j2', dest }, { templatesDir: local, vars: { own: 'kept', template_path: 'task value' } });
    expect(r.failed, r.msg).toBeFalsy();
    expect(readFileSync(dest, 'utf8')).toBe([
      `host=${hostname()}`, 'path=vars.j2', `full=${src}`, `dest=${dest}`, `uid=${userInfo().username}`,
      'mtime=2021-03-04 05:06:07', 'mtime_year=2021', 'run_date_is_now=True', 'managed=Ansible managed', 'own=kept', '',
    ].join('\n'));
  });
});

describe('templateVars', () => {
  it('fills the ansible_managed format and passes it through strftime with the template\'s mtime', () => {
    const src = join(local, 'a b.j2');
    writeFileSync(src, 'x');
    utimesSync(src, new Date(2020, 0, 2, 3, 4, 5), new Date(2020, 0, 2, 3, 4, 5));
    const vars = templateVars('sub/a b.j2', src, undefined, '{file} on {host} by {uid}: %Y-%m-%d %H:%M {{literal}}');
    expect(vars.ansible_managed).toBe(`sub/a b.j2 on ${hostname()} by ${userInfo().username}: 2020-01-02 03:04 {literal}`);
    expect(vars.template_destpath).toBeNull();
    expect(vars.template_path).toBe('sub/a b.j2');
  });

  it('a field the format does not know is an error naming it', () => {
    expect(() => formatManaged('managed by {owner}', { host: 'h', uid: 'u', file: 'f' })).toThrow(/unknown field \{owner\}/);
    expect(formatManaged('{{x}} {host}', { host: 'h' })).toBe('{x} h');
  });

  it('names the owner from the password file, or gives the id when it has no entry', () => {
    const passwd = join(local, 'passwd');
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\nweb user:x:1234:1234::/srv:/bin/false\n');
    expect(ownerName(1234, passwd)).toBe('web user');
    expect(ownerName(4321, passwd)).toBe('4321');
    expect(ownerName(0, join(local, 'missing'))).toBe('0');
  });
});
