/**
 * Destinations that are symbolic links, module by module, as Ansible 2.14
 * treats them (checked with ansible-playbook): copy, template, assemble,
 * get_url, uri and unarchive replace the link with a regular file (copy and
 * template write the link's target only with follow); lineinfile,
 * blockinfile, replace and file (touch) work on the target; fetch writes
 * through a link on the controller. Names are hostile: quotes, $(...),
 * backquotes, spaces, newlines, leading dashes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assemble } from '../../../../engine/modules/files/assemble.js';
import { blockinfile } from '../../../../engine/modules/files/blockinfile.js';
import { copy } from '../../../../engine/modules/files/copy.js';
import { fetch } from '../../../../engine/modules/files/fetch.js';
import { file } from '../../../../engine/modules/files/file.js';
import { getUrl } from '../../../../engine/modules/files/get-url.js';
import { lineinfile } from '../../../../engine/modules/files/lineinfile.js';
import { replace } from '../../../../engine/modules/files/replace.js';
import { template } from '../../../../engine/modules/files/template.js';
import { unarchive } from '../../../../engine/modules/files/unarchive.js';
import { uri } from '../../../../engine/modules/files/uri.js';
import { run, tempDir } from './harness.js';

const NAMES = ["-dash 'q' $(touch pwned) `touch pwned2`", 'new\nline ünï', 'plain'];

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end('downloaded\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A victim file outside the destination folder and a link to it at `name` inside. */
function planted(name: string): { link: string; victim: string } {
  mkdirSync(join(dir, 'dest'), { recursive: true });
  mkdirSync(join(dir, 'outside'), { recursive: true });
  const victim = join(dir, 'outside', `victim ${name}`);
  writeFileSync(victim, 'victim line\n', { mode: 0o600 });
  const link = join(dir, 'dest', name);
  symlinkSync(victim, link);
  return { link, victim };
}

function replacedByFile(link: string, victim: string): void {
  expect(lstatSync(link).isSymbolicLink()).toBe(false);
  expect(readFileSync(victim, 'utf8')).toBe('victim line\n');
}

function stillLink(link: string, victim: string): void {
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readlinkSync(link)).toBe(victim);
}

function nothingInjected(): void {
  expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
  expect(existsSync(join(process.cwd(), 'pwned2'))).toBe(false);
  expect(readdirSync(join(dir, 'dest')).filter((n) => n.startsWith('.uxsv'))).toEqual([]);
}

describe.each(NAMES)('a link planted at the destination, named %j', (name) => {
  it('copy replaces it with the file; with follow it writes the target', async () => {
    const { link, victim } = planted(name);
    expect(await run(copy, { content: 'new\n', dest: link })).toMatchObject({ changed: true, dest: link, state: 'file' });
    replacedByFile(link, victim);
    expect(readFileSync(link, 'utf8')).toBe('new\n');
    const second = planted(`${name}2`);
    expect(await run(copy, { content: 'new\n', dest: second.link, follow: true })).toMatchObject({ changed: true, dest: second.victim });
    stillLink(second.link, second.victim);
    expect(readFileSync(second.victim, 'utf8')).toBe('new\n');
    nothingInjected();
  });

  it('template replaces it with the rendered file', async () => {
    const { link, victim } = planted(name);
    const templates = join(dir, 'templates');
    mkdirSync(templates);
    writeFileSync(join(templates, 't.j2'), '{{ 1 + 1 }}\n');
    expect(await run(template, { src: 't.j2', dest: link }, { templatesDir: templates })).toMatchObject({ changed: true });
    replacedByFile(link, victim);
    expect(readFileSync(link, 'utf8')).toBe('2\n');
    nothingInjected();
  });

  it('lineinfile, blockinfile and replace edit the target and keep the link', async () => {
    const { link, victim } = planted(name);
    expect(await run(lineinfile, { path: link, line: 'added' })).toMatchObject({ changed: true });
    expect(await run(blockinfile, { path: link, block: 'block' })).toMatchObject({ changed: true });
    expect(await run(replace, { path: link, regexp: '^victim', replace: 'edited' })).toMatchObject({ changed: true });
    stillLink(link, victim);
    expect(readFileSync(victim, 'utf8')).toBe('edited line\nadded\n# BEGIN ANSIBLE MANAGED BLOCK\nblock\n# END ANSIBLE MANAGED BLOCK\n');
    nothingInjected();
  });

  it('assemble replaces it with the assembled file', async () => {
    const { link, victim } = planted(name);
    mkdirSync(join(dir, 'parts'));
    writeFileSync(join(dir, 'parts', '1'), 'one\n');
    expect(await run(assemble, { src: join(dir, 'parts'), dest: link })).toMatchObject({ changed: true });
    replacedByFile(link, victim);
    expect(readFileSync(link, 'utf8')).toBe('one\n');
    nothingInjected();
  });

  it('file state=touch touches the target and keeps the link', async () => {
    const { link, victim } = planted(name);
    utimesSync(victim, new Date('2001-01-01'), new Date('2001-01-01'));
    expect(await run(file, { path: link, state: 'touch' })).toMatchObject({ changed: true });
    stillLink(link, victim);
    expect(statSync(victim).mtime.getFullYear()).toBeGreaterThan(2001);
    nothingInjected();
  });

  it('get_url and uri replace it with the downloaded file', async () => {
    const { link, victim } = planted(name);
    expect(await run(getUrl, { url: `${base}/f`, dest: link, force: true })).toMatchObject({ changed: true, status_code: 200 });
    replacedByFile(link, victim);
    expect(readFileSync(link, 'utf8')).toBe('downloaded\n');
    const second = planted(`${name}2`);
    expect(await run(uri, { url: `${base}/f`, dest: second.link })).toMatchObject({ changed: true, status: 200 });
    replacedByFile(second.link, second.victim);
    nothingInjected();
  });

  it('unarchive never writes through a link where an archive entry goes', async () => {
    const { link, victim } = planted(name);
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, name), 'from the archive\n');
    execFileSync('tar', ['-czf', join(dir, 'a.tgz'), '-C', src, '--', name]);
    // Ansible's tar check (tar --diff) counts only times, modes, owners and missing
    // files: a link to a file of another content is left alone, its target untouched.
    const tar = await run(unarchive, { src: join(dir, 'a.tgz'), dest: join(dir, 'dest'), remote_src: true });
    expect(tar).toMatchObject({ changed: false, handler: 'TgzArchive' });
    stillLink(link, victim);
    expect(readFileSync(victim, 'utf8')).toBe('victim line\n');
    // zip compares entry by entry: the link is no regular file, so unzip replaces it.
    // (unzip rewrites control characters in entry names: no newline names there.)
    if (name.includes('\n')) return;
    execFileSync('zip', ['-q', join(dir, 'a.zip'), '--', name], { cwd: src });
    const zip = await run(unarchive, { src: join(dir, 'a.zip'), dest: join(dir, 'dest'), remote_src: true });
    expect(zip).toMatchObject({ changed: true, handler: 'ZipArchive' });
    replacedByFile(link, victim);
    expect(readFileSync(link, 'utf8')).toBe('from the archive\n');
    nothingInjected();
  });
});

describe('fetch, on the controller', () => {
  it('writes through a link at the local destination, as Ansible\'s open() does', async () => {
    writeFileSync(join(dir, 'remote.conf'), 'fetched\n');
    mkdirSync(join(dir, 'local'));
    writeFileSync(join(dir, 'local', 'target'), 'old\n');
    symlinkSync(join(dir, 'local', 'target'), join(dir, 'local', "l 'x' $(touch pwned)"));
    const r = await run(fetch, { src: join(dir, 'remote.conf'), dest: join(dir, 'local', "l 'x' $(touch pwned)"), flat: true });
    expect(r).toMatchObject({ changed: true });
    expect(lstatSync(join(dir, 'local', "l 'x' $(touch pwned)")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'local', 'target'), 'utf8')).toBe('fetched\n');
    expect(readdirSync(join(dir, 'local')).filter((n) => n.startsWith('.uxsv'))).toEqual([]);
  });
});
