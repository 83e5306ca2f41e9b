/**
 * get_url and uri against an HTTP server of the test's own on 127.0.0.1
 * (nothing else is reached): the host's curl, or wget when curl is missing,
 * and a clear failure when neither is there.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getUrl } from '../../../../engine/modules/files/get-url.js';
import { uri } from '../../../../engine/modules/files/uri.js';
import { runModule } from '../../../../engine/modules/driver.js';
import type { ModuleContext } from '../../../../engine/modules/types.js';
import { localContext } from '../../../helpers/module-context.js';
import { converge, run, tempDir } from './harness.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

const BODY = 'served content\n';
let ARCHIVE: Buffer;
const MODIFIED = new Date('2020-01-01T00:00:00Z');
let server: Server;
let base: string;
const seen: IncomingMessage[] = [];

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });
}

beforeAll(async () => {
  const work = tempDir();
  writeFileSync(join(work.dir, 'inside.txt'), 'from a URL\n');
  execFileSync('tar', ['-czf', join(work.dir, 'a.tgz'), '-C', work.dir, 'inside.txt']);
  ARCHIVE = readFileSync(join(work.dir, 'a.tgz'));
  work.cleanup();
  server = createServer(async (req, res) => {
    seen.push(req);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/file.txt') {
      if (req.headers['if-modified-since'] && new Date(req.headers['if-modified-since']) >= MODIFIED) return res.writeHead(304).end();
      res.writeHead(200, { 'Last-Modified': MODIFIED.toUTCString(), 'Content-Type': 'text/plain' });
      return res.end(req.method === 'HEAD' ? undefined : BODY);
    }
    if (path === '/redirect') return res.writeHead(302, { Location: '/file.txt' }).end();
    if (path === '/named') return res.writeHead(200, { 'Content-Disposition': 'attachment; filename="../../named.txt"' }).end('named\n');
    if (path === '/gz') return res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync('zipped\n'));
    if (path === '/auth') {
      if (req.headers.authorization !== `Basic ${Buffer.from("us'er:p a$s").toString('base64')}`) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="t"' }).end('no');
      return res.end('welcome\n');
    }
    if (path === '/echo') {
      const text = await body(req);
      res.writeHead(201, { 'Content-Type': 'application/json', 'Set-Cookie': 'sid=42; Path=/', 'X-Thing': 'yes' });
      return res.end(JSON.stringify({ method: req.method, body: text, type: req.headers['content-type'], custom: req.headers['x-custom'] }));
    }
    if (path === '/archive.tgz') return res.end(ARCHIVE);
    if (path === '/cut') {
      // Announces more than it sends: a transfer cut short.
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write('only part');
      return setTimeout(() => res.destroy(), 50);
    }
    return res.writeHead(404).end('missing');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const temps = (folder: string) => readdirSync(folder).filter((n) => n.startsWith('.uxsv'));

describe('get_url', () => {
  it('downloads, then keeps the file: If-Modified-Since (304), or a matching checksum', async () => {
    const dest = join(dir, "f 'x'.txt");
    const first = await run(getUrl, { url: `${base}/file.txt`, dest, mode: '0640' });
    expect(first).toMatchObject({ changed: true, status_code: 200, msg: `OK (unknown bytes)`, checksum_src: createHash('sha1').update(BODY).digest('hex'), checksum_dest: null, mode: '0640', dest });
    expect(readFileSync(dest, 'utf8')).toBe(BODY);
    expect(await run(getUrl, { url: `${base}/file.txt`, dest })).toMatchObject({ changed: false, status_code: 304, msg: 'HTTP Error 304: Not Modified' });
    expect(await run(getUrl, { url: `${base}/file.txt`, dest, checksum: `sha256:${sha256(BODY)}` })).toMatchObject({ changed: false, msg: 'file already exists' });
    expect(await run(getUrl, { url: `${base}/file.txt`, dest, force: true })).toMatchObject({ changed: false, checksum_src: first.checksum_src, checksum_dest: first.checksum_src });
    expect(temps(dir)).toEqual([]);
  });

  it('refuses a download whose checksum differs: the old file stays, no temp file', async () => {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'old\n');
    const r = await run(getUrl, { url: `${base}/file.txt`, dest, checksum: 'sha256:00ff', force: true });
    expect(r).toMatchObject({ failed: true, msg: `The checksum for ${dest} did not match 00ff; it was ${sha256(BODY)}.` });
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
    expect(temps(dir)).toEqual([]);
    expect(await run(getUrl, { url: `${base}/file.txt`, dest, checksum: 'sha256' })).toMatchObject({ failed: true, msg: 'The checksum parameter has to be in format <algorithm>:<checksum>' });
  });

  it('never renames a transfer cut short', async () => {
    const dest = join(dir, 'f');
    writeFileSync(dest, 'old\n');
    const r = await run(getUrl, { url: `${base}/cut`, dest, force: true });
    expect(r.failed).toBe(true);
    expect(readFileSync(dest, 'utf8')).toBe('old\n');
    expect(temps(dir)).toEqual([]);
  });

  it('names a file in a folder from Content-Disposition (base name only) or the final URL', async () => {
    expect(await run(getUrl, { url: `${base}/named`, dest: dir })).toMatchObject({ changed: true, dest: join(dir, 'named.txt') });
    expect(await run(getUrl, { url: `${base}/redirect`, dest: dir })).toMatchObject({ changed: true, dest: join(dir, 'file.txt') });
    expect(readFileSync(join(dir, 'named.txt'), 'utf8')).toBe('named\n');
  });

  it('sends credentials (after a 401, or at once), decodes gzip, and reports HTTP errors as Ansible', async () => {
    await run(getUrl, { url: `${base}/auth`, dest: join(dir, 'a'), url_username: "us'er", url_password: 'p a$s' });
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('welcome\n');
    await run(getUrl, { url: `${base}/auth`, dest: join(dir, 'b'), username: "us'er", password: 'p a$s', force_basic_auth: true });
    expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('welcome\n');
    await run(getUrl, { url: `${base}/gz`, dest: join(dir, 'gz') });
    expect(readFileSync(join(dir, 'gz'), 'utf8')).toBe('zipped\n');
    expect(await run(getUrl, { url: `${base}/nope`, dest: join(dir, 'n') })).toMatchObject({ failed: true, msg: 'Request failed', status_code: 404, response: 'HTTP Error 404: Not Found' });
    expect(await run(getUrl, { url: 'http://127.0.0.1:1/', dest: join(dir, 'n') })).toMatchObject({ failed: true, msg: 'Request failed: <urlopen error [Errno 111] Connection refused>' });
  });

  it('check mode asks with HEAD and changes nothing', async () => {
    const dest = join(dir, 'f');
    const r = await run(getUrl, { url: `${base}/file.txt`, dest }, { check: true });
    expect(r).toMatchObject({ changed: true, checksum_src: createHash('sha1').update('').digest('hex') });
    expect(readdirSync(dir)).toEqual([]);
    expect(seen.at(-1)!.method).toBe('HEAD');
  });

  it('works with wget when curl is missing, and says so when neither is there', async () => {
    const only = (skip: string[]) => {
      const bin = join(dir, `bin-${skip.join('-')}`);
      mkdirSync(bin);
      for (const folder of ['/usr/bin', '/bin']) {
        for (const name of readdirSync(folder)) {
          if (skip.includes(name)) continue;
          try {
            symlinkSync(join(folder, name), join(bin, name));
          } catch {
            // already linked from the other folder
          }
        }
      }
      return bin;
    };
    const withPath = (path: string): ModuleContext => {
      const ctx = localContext();
      return { ...ctx, run: (command, options = {}) => ctx.run(command, { ...options, env: { ...(options.env ?? {}), PATH: path } }) };
    };
    const wgetOnly = withPath(only(['curl']));
    const r = await runModule(getUrl, { url: `${base}/file.txt`, dest: join(dir, 'w.txt') }, wgetOnly);
    expect(r).toMatchObject({ changed: true, status_code: 200 });
    expect(readFileSync(join(dir, 'w.txt'), 'utf8')).toBe(BODY);
    const none = withPath(only(['curl', 'wget']));
    expect(await runModule(getUrl, { url: `${base}/file.txt`, dest: join(dir, 'x.txt') }, none)).toMatchObject({ failed: true, msg: expect.stringContaining('neither curl nor wget') });
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});

describe('unarchive from a URL', () => {
  it('fetches the archive on the host, unpacks it, and keeps no copy; a failed download says why', async () => {
    const { unarchive } = await import('../../../../engine/modules/files/unarchive.js');
    const dest = join(dir, 'dest');
    mkdirSync(dest);
    const r = await run(unarchive, { src: `${base}/archive.tgz`, dest, remote_src: true, list_files: true });
    expect(r).toMatchObject({ changed: true, handler: 'TgzArchive', files: ['inside.txt'] });
    expect(readFileSync(join(dest, 'inside.txt'), 'utf8')).toBe('from a URL\n');
    expect((await run(unarchive, { src: `${base}/archive.tgz`, dest, remote_src: true })).changed).toBe(false);
    expect(await run(unarchive, { src: `${base}/gone.tgz`, dest, remote_src: true })).toMatchObject({ failed: true, msg: `Failure downloading ${base}/gone.tgz, HTTP Error 404: Not Found` });
  });
});

describe('uri', () => {
  it('sends a JSON body and returns status, headers, cookies and the parsed JSON', async () => {
    const r = await run(uri, { url: `${base}/echo`, method: 'POST', body_format: 'json', body: { a: [1, 'b'] }, headers: { 'X-Custom': "v 'q'" }, status_code: [201] });
    expect(r).toMatchObject({
      changed: false, status: 201, redirected: false, url: `${base}/echo`, x_thing: 'yes', content_type: 'application/json',
      cookies: { sid: '42' }, cookies_string: 'sid=42',
      json: { method: 'POST', body: '{"a": [1, "b"]}', type: 'application/json', custom: "v 'q'" },
    });
    expect(r.content).toBeUndefined();
  });

  it('fails on an unexpected status with Ansible\'s message, and returns content when asked', async () => {
    const r = await run(uri, { url: `${base}/nope`, return_content: true });
    expect(r).toMatchObject({ failed: true, status: 404, msg: 'Status code was 404 and not [200]: HTTP Error 404: Not Found', content: 'missing' });
    expect(await run(uri, { url: `${base}/redirect` })).toMatchObject({ status: 200, redirected: true, url: `${base}/file.txt` });
    expect(await run(uri, { url: `${base}/redirect`, follow_redirects: 'none', status_code: 302 })).toMatchObject({ status: 302, location: `${base}/file.txt` });
  });

  it('form-urlencodes a body, writes dest, honours creates, and is skipped in check mode', async () => {
    const r = await run(uri, { url: `${base}/echo`, method: 'PUT', body_format: 'form-urlencoded', body: { a: 'x y', b: [1, 2] }, status_code: 201, return_content: true });
    expect(JSON.parse(r.content as string)).toMatchObject({ method: 'PUT', body: 'a=x+y&b=1&b=2', type: 'application/x-www-form-urlencoded' });
    const dest = join(dir, 'page');
    expect(await run(uri, { url: `${base}/file.txt`, dest })).toMatchObject({ changed: true, path: dest });
    expect(readFileSync(dest, 'utf8')).toBe(BODY);
    expect(await run(uri, { url: `${base}/file.txt`, creates: dest })).toMatchObject({ changed: false, stdout: `skipped, since '${dest}' exists` });
    expect(await run(uri, { url: `${base}/file.txt` }, { check: true })).toMatchObject({ skipped: true, msg: 'remote module (uri) does not support check mode' });
  });

  it('keeps the converge contract for get_url with a checksum', async () => {
    await converge(getUrl, { url: `${base}/file.txt`, dest: join(dir, 'c'), checksum: `sha256:${sha256(BODY)}` }, dir);
  });
});
