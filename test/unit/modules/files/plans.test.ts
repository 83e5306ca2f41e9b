/**
 * plan(args, state) of the files modules on fixed states: the decisions
 * Ansible makes (where a file goes, whether it changes, the result keys and
 * the diff), with no host. A plan is pure: the same inputs give the same plan.
 */
import { describe, expect, it } from 'vitest';
import type { RemoteFileState } from '../../../../engine/facts/file.js';
import type { Listing } from '../../../../engine/facts/listing.js';
import type { ModuleContext } from '../../../../engine/modules/types.js';
import { decidePut, type PutState } from '../../../../engine/modules/files/copy-local.js';
import { copy } from '../../../../engine/modules/files/copy.js';
import { file, walkList } from '../../../../engine/modules/files/file.js';
import { stat } from '../../../../engine/modules/files/stat.js';
import { walk, contentMatches, findArgs, type FindArgs } from '../../../../engine/modules/files/find.js';
import { assembleFragments, escapeDecode } from '../../../../engine/modules/files/assemble.js';
import { tarName, tarUnarchived, zipUnarchived } from '../../../../engine/modules/files/unarchive.js';
import { checksumFromList, urlFilename } from '../../../../engine/modules/files/get-url.js';
import { cookiesOf, infoMessage, parseOutcome } from '../../../../engine/modules/files/http.js';
import { formUrlencoded } from '../../../../engine/modules/files/uri.js';
import { strptime, timeChange } from '../../../../engine/modules/files/file-times.js';

/** A context whose every effect throws: plans must not touch the host. */
function pureContext(over: Partial<ModuleContext> = {}): ModuleContext {
  const refuse = () => { throw new Error('a plan ran a command'); };
  return {
    host: 'h', conn: undefined as never, run: refuse, check: false, diff: false, vars: {}, renderTemplate: refuse, findFile: refuse,
    connectionFor: refuse, hostVars: () => ({}), location: 't.yml:1', verbosity: 0, ...over,
  } as ModuleContext;
}

const missing = (path: string): RemoteFileState => ({ path, exists: false });
const reg = (path: string, extra: Partial<RemoteFileState> = {}): RemoteFileState => ({
  path, exists: true, type: 'file', kind: 'file', mode: '0644', uid: 0, gid: 0, owner: 'root', group: 'root', size: 3, nlink: 1, sha1: 'x', ...extra,
});
const dir = (path: string): RemoteFileState => ({ path, exists: true, type: 'directory', kind: 'directory', mode: '0755', uid: 0, gid: 0, owner: 'root', group: 'root', size: 4096, nlink: 2 });
const link = (path: string, target: string, real: string): RemoteFileState => ({
  path, exists: true, type: 'link', kind: 'link', mode: '0777', uid: 0, gid: 0, owner: 'root', group: 'root', size: target.length, nlink: 1, linkTarget: target, realPath: real,
});

const SHA1_NEW = '389cc6b7ae5a659383eab5dfc253764eccf84732'; // sha1("new\n")

function put(self: RemoteFileState, followed: RemoteFileState, parent: RemoteFileState = dir('/etc')): PutState {
  return { destFile: { self, followed, parent }, nested: { self: missing('/n'), followed: missing('/n'), parent } };
}

describe('copy decisions', () => {
  const item = { rel: 'conf', bytes: Buffer.from('new\n'), localPath: '/src/conf', localMode: '0640' };
  const options = { dest: '/etc/conf', force: true, follow: false, backup: false, attributes: {}, isContent: false };

  it('replaces a link at the destination with the file (no follow), and writes its target with follow', () => {
    const target = reg('/etc/conf', { sha1: SHA1_NEW });
    const st = put(link('/etc/conf', '/root/.ssh/authorized_keys', '/root/.ssh/authorized_keys'), { ...target, path: '/etc/conf' });
    expect(decidePut(options, item, st, false)).toMatchObject({ kind: 'write', target: '/etc/conf' });
    // Same content behind the link, with follow: only attributes, on the link's target.
    expect(decidePut({ ...options, follow: true }, item, st, false)).toMatchObject({ kind: 'attrs', target: '/root/.ssh/authorized_keys' });
    const differs = put(link('/etc/conf', 'real', '/etc/real'), reg('/etc/conf', { sha1: 'other' }));
    expect(decidePut({ ...options, follow: true }, item, differs, false)).toMatchObject({ kind: 'write', target: '/etc/real' });
  });

  it('keeps an existing file without force, and fails content into a folder', () => {
    expect(decidePut({ ...options, force: false }, item, put(reg('/etc/conf'), reg('/etc/conf')), false)).toEqual({ kind: 'skip' });
    expect(decidePut({ ...options, isContent: true }, item, put(dir('/etc/conf'), dir('/etc/conf')), false)).toEqual({ kind: 'fail', msg: 'can not use content with a dir as dest' });
  });

  it('reports a missing folder only when applying (check mode says changed, as Ansible)', () => {
    const d = decidePut(options, item, put(missing('/etc/conf'), missing('/etc/conf'), missing('/etc')), true);
    expect(d).toMatchObject({ kind: 'write', error: 'Destination directory /etc does not exist' });
    expect(d.kind === 'write' && d.diff).toMatchObject({ before: '', after: 'new\n', after_header: '/src/conf' });
  });

  it('marks binary and large files in the diff as Ansible does', () => {
    const bin = { ...item, bytes: Buffer.from([0, 1, 2]) };
    const d = decidePut(options, bin, put(reg('/etc/conf', { content: Buffer.from('old') }), reg('/etc/conf', { content: Buffer.from('old') })), true);
    expect(d.kind === 'write' && d.diff).toEqual({ before_header: '/etc/conf', before: 'old', src_binary: 1 });
  });

  it('copy plans only from its state: the result keys, no command', async () => {
    const state = {
      kind: 'local' as const, dest: '/etc/conf', isTree: false, directories: [], symlinks: [],
      files: [{ item: { rel: 'content', bytes: Buffer.from('new\n') }, state: put(reg('/etc/conf', { sha1: SHA1_NEW }), reg('/etc/conf', { sha1: SHA1_NEW })) }],
    };
    const plan = await copy.plan(pureContext(), { content: 'new\n', dest: '/etc/conf', mode: '0600' }, state);
    expect(plan).toMatchObject({ changed: true, result: { dest: '/etc/conf', path: '/etc/conf', checksum: SHA1_NEW, mode: '0644', state: 'file', diff: { before: { path: '/etc/conf', mode: '0644' }, after: { path: '/etc/conf', mode: '0600' } } } });
  });
});

describe('file plans', () => {
  const read = (self: RemoteFileState, extra: object = {}) => ({ path: self.path, self, followed: self, now: 1000, ...extra });

  it('states its diff dict whatever the mode, and fails with Ansible\'s messages', async () => {
    const p = await file.plan(pureContext(), { path: '/f', mode: '0600' }, read(reg('/f')));
    expect(p).toMatchObject({ changed: true, result: { path: '/f', diff: { before: { path: '/f', mode: '0644' }, after: { path: '/f', mode: '0600' } } } });
    expect(await file.plan(pureContext(), { path: '/f', state: 'directory' }, read(reg('/f')))).toMatchObject({ failed: true, msg: '/f already exists as a file' });
    expect(await file.plan(pureContext(), { path: '/m' }, read(missing('/m')))).toMatchObject({ failed: true, msg: 'file (/m) is absent, cannot continue' });
    expect(await file.plan(pureContext(), { path: '/f', src: 'x' }, read(reg('/f')))).toMatchObject({ failed: true, msg: "src option requires state to be 'link' or 'hard'" });
  });

  it('refuses to replace a file by a link without force, and retargets a link', async () => {
    expect(await file.plan(pureContext(), { path: '/f', src: '/t', state: 'link' }, read(reg('/f'), { src: reg('/t') }))).toMatchObject({ failed: true, msg: 'refusing to convert from file to symlink for /f' });
    const p = await file.plan(pureContext(), { path: '/l', src: '/new', state: 'link' }, read(link('/l', '/old', '/old'), { src: reg('/new') }));
    expect(p).toMatchObject({ changed: true, result: { dest: '/l', src: '/new', diff: { before: { path: '/l', src: '/old' }, after: { path: '/l', src: '/new' } } } });
  });

  it('fails on an unknown owner, but only warns in check mode on a path it would create', async () => {
    const ids = { users: {}, groups: {} };
    expect(await file.plan(pureContext(), { path: '/f', owner: 'ghost' }, read(reg('/f'), { ids }))).toMatchObject({ failed: true, msg: 'chown failed: failed to look up user ghost' });
    const p = await file.plan(pureContext({ check: true }), { path: '/n', state: 'touch', owner: 'ghost' }, read(missing('/n'), { ids }));
    expect(p).toMatchObject({ changed: true, result: { warnings: ['failed to look up user ghost. Create user up to this point in real play'] } });
  });

  it('lists a removed folder in os.walk order', () => {
    const tree = { path: '/r', exists: true, entries: [
      { rel: 'a', type: 'directory' as const, mode: '0755', uid: 0, gid: 0, size: 0, mtime: 0 },
      { rel: 'a/f', type: 'file' as const, mode: '0644', uid: 0, gid: 0, size: 0, mtime: 0 },
      { rel: 'top', type: 'file' as const, mode: '0644', uid: 0, gid: 0, size: 0, mtime: 0 },
      { rel: 'ln', type: 'link' as const, targetType: 'directory' as const, mode: '0777', uid: 0, gid: 0, size: 0, mtime: 0 },
    ] };
    expect(walkList('/r', tree)).toEqual({ directories: ['/r/a', '/r/ln'], files: ['/r/top', '/r/a/f'] });
  });
});

describe('file times', () => {
  it('reads strptime formats as local time and knows when nothing changes', () => {
    expect(strptime('202202081414.00', '%Y%m%d%H%M.%S')).toEqual(new Date(2022, 1, 8, 14, 14, 0));
    expect(() => strptime('2022', '%Y%m%d')).toThrow(/does not match format/);
    const at = { kind: 'at' as const, seconds: 100 };
    expect(timeChange(at, { kind: 'preserve' }, { mtime: 100, atime: 5 }, 999)).toBeUndefined();
    expect(timeChange({ kind: 'now' }, { kind: 'now' }, { mtime: 100, atime: 5 }, 999)).toMatchObject({ now: true, after: { mtime: 999, atime: 999 } });
  });
});

describe('stat plan', () => {
  it('says a followed link to nothing does not exist, and leaves the checksum of unreadable files out', async () => {
    const dangling = { ...link('/l', 'x', '/x'), dangling: true };
    expect((await stat.plan(pureContext(), { path: '/l', follow: true }, { main: dangling })).result).toEqual({ stat: { exists: false } });
    const unreadable = { ...reg('/f', { sha1: 'abc', checksum: 'abc' }), access: { readable: false, writeable: false, executable: false } };
    const r = (await stat.plan(pureContext(), { path: '/f', get_mime: false, get_attributes: false }, { main: unreadable })).result!.stat as Record<string, unknown>;
    expect(r.checksum).toBeUndefined();
    expect(r).not.toHaveProperty('mimetype');
    expect(r).toMatchObject({ isreg: true, readable: false, pw_name: 'root', mode: '0644' });
  });
});

describe('find walk', () => {
  const e = (path: string, type: string, extra: object = {}) => ({
    path, type, targetType: type, mode: 0o644, size: 10, atime: 0, mtime: 0, ctime: 0, uid: 0, gid: 0, owner: 'root', group: 'root', inode: 1, dev: 1, nlink: 1, ...extra,
  });
  const listing: Listing = {
    roots: [{ path: '/r', isDir: true, errors: [] }, { path: '/f', isDir: false, errors: [] }],
    entries: [e('/r/d', 'd'), e('/r/d/x.txt', 'f'), e('/r/.h', 'd'), e('/r/.h/y.txt', 'f'), e('/r/a.txt', 'f'), e('/r/ln', 'l', { targetType: 'd' })],
  };
  const args = (over: Record<string, unknown>) => findArgs({ paths: '/r', ...over }) as FindArgs;

  it('walks as os.walk: files then folders, hidden folders entered, depth counted from the path', () => {
    const all = walk(listing, args({ recurse: true, file_type: 'any' }), 0);
    expect(all.candidates.map((c) => c.path)).toEqual(['/r/a.txt', '/r/d', '/r/ln', '/r/d/x.txt', '/r/.h/y.txt']);
    expect(all.examined).toBe(6);
    const shallow = walk(listing, args({ recurse: true, depth: 1 }), 0);
    expect(shallow.candidates.map((c) => c.path)).toEqual(['/r/a.txt']);
    expect(walk({ ...listing, roots: [listing.roots[1]!] }, args({ paths: '/f' }), 0).skipped).toEqual({ '/f': "'/f' is not a directory" });
  });

  it('matches content with Python regexes per line (re.match, newline kept) or over the whole file', () => {
    expect(contentMatches(Buffer.from('one\nfoo bar\n'), 'foo', false)).toBe(true);
    expect(contentMatches(Buffer.from('one\nxfoo\n'), 'foo', false)).toBe(false);
    expect(contentMatches(Buffer.from('a\r\nbar\r\n'), 'bar$', false)).toBe(true);
    expect(contentMatches(Buffer.from('one\nfoo bar\n'), 'bar$', true)).toBe(true);
    expect(contentMatches(Buffer.from([0x66, 0x6f, 0x6f, 0x0a, 0xff]), 'foo', false)).toBe(true);
    expect(findArgs({ paths: '/r', age: 'soon' })).toMatchObject({ error: 'failed to process age' });
  });
});

describe('assemble', () => {
  it('puts fragments in name order with newlines and the decoded delimiter between them', () => {
    const files = new Map([['b', Buffer.from('two')], ['a', Buffer.from('one\n')], ['.h', Buffer.from('hidden\n')]]);
    expect(assembleFragments(['b', 'a', '.h', 'sub'], files, { ignoreHidden: true, delimiter: '--\\t--' }).toString()).toBe('one\n--\t--\ntwo');
    expect(assembleFragments(['b', 'a'], files, { ignoreHidden: false, regexp: '^b' }).toString()).toBe('two');
    expect(escapeDecode('\\x41\\101\\n\\q')).toEqual(Buffer.from('AA\n\\q'));
  });
});

describe('unarchive', () => {
  const args = { attributes: {}, excludes: [], includes: [], extraOpts: [], keepNewer: false, listFiles: false, remoteSrc: true, decrypt: true } as never;
  it('counts tar --diff lines as Ansible does', () => {
    const root = { uid: 0, gid: 0, umask: 0o022 };
    expect(tarUnarchived(['x: Mod time differs'], args, root)).toBe(false);
    expect(tarUnarchived(['x: Uid differs'], args, { ...root, uid: 1000 })).toBe(true);
    expect(tarUnarchived(['x: Size differs', 'x: Contents differ'], args, root)).toBe(true);
  });

  it('compares zip entries with the destination and itemizes the differences', () => {
    const stamp = '20170511.153000';
    const mtime = new Date(2017, 4, 11, 15, 30, 0).getTime() / 1000;
    const probe = {
      reasons: [], files: [], diffLines: [], zipinfoRc: 0,
      zipEntries: [
        { perm: '-rw-r--r--', size: 6, stamp, path: 'same.txt', same: true, stat: { mode: 0o100644, perms: 0o644, uid: 0, gid: 0, size: 6, mtime, owner: 'root', group: 'root' } },
        { perm: '-rw-r--r--', size: 6, stamp, path: 'gone.txt' },
      ],
    };
    expect(zipUnarchived(probe as never, args, { uid: 0, gid: 0, umask: 0o022 }, undefined)).toEqual({ unarchived: false, diff: '>f++++++.?? gone.txt\n' });
    expect(zipUnarchived({ ...probe, zipEntries: [probe.zipEntries[0]!] } as never, args, { uid: 0, gid: 0, umask: 0o022 }, undefined).unarchived).toBe(true);
  });

  it('decodes the names tar escapes', () => {
    expect(tarName('caf\\303\\251 \\\\n')).toBe('café \\n');
  });
});

describe('http', () => {
  it('finds a checksum in a list and names a download from its URL', () => {
    expect(checksumFromList('abc  ./file.txt\ndef *other\n', 'file.txt')).toBe('abc');
    expect(checksumFromList('onlyhash\n', 'x')).toBe('onlyhash');
    expect(urlFilename('http://h/a/b.tar.gz?x=1')).toBe('b.tar.gz');
    expect(urlFilename('http://h/')).toBe('index.html');
  });

  it('parses the outcome of a request: last headers of a redirect chain, cookies, messages', () => {
    const headers = 'HTTP/1.0 302 Found\r\nLocation: /x\r\nSet-Cookie: a=1\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 5\r\nSet-Cookie: b=2; Path=/\r\n\r\n';
    const text = `T curl\nC 0\nW ${Buffer.from('200 1 http://h/x').toString('base64')}\nE \nH ${Buffer.from(headers).toString('base64')}\n`;
    const o = parseOutcome(text, 'http://h/r');
    expect(o).toMatchObject({ tool: 'curl', status: 200, redirects: 1, url: 'http://h/x', headers: { 'content-length': '5', 'set-cookie': 'b=2; Path=/' }, cookies: ['a=1', 'b=2; Path=/'] });
    expect(infoMessage(o)).toBe('OK (5 bytes)');
    expect(cookiesOf(o.cookies)).toEqual({ cookies: { a: '1', b: '2' }, cookies_string: 'a=1; b=2' });
    const refused = parseOutcome('T curl\nC 7\nW MDAwIDAg\n', 'http://h/');
    expect(infoMessage(refused)).toBe('Request failed: <urlopen error [Errno 111] Connection refused>');
  });

  it('encodes forms as urllib.parse.urlencode(doseq=True)', () => {
    expect(formUrlencoded({ a: 1, b: 'x y&z', c: [1, 2], d: true })).toBe('a=1&b=x+y%26z&c=1&c=2&d=True');
  });
});
