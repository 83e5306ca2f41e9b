/**
 * The files facts' parsers, on fixed outputs: no host needed. Hostile bytes
 * in names and contents must come back as data, never crash the parser.
 */
import { describe, expect, it } from 'vitest';
import { fileFact, parseStatLine, parseStatTime, type FileQuery } from '../../../../engine/facts/file.js';
import { fileBytesFact } from '../../../../engine/facts/file-bytes.js';
import { expandFact, expandPath, expansionNeeds } from '../../../../engine/facts/expand.js';
import { treeFact } from '../../../../engine/facts/tree.js';
import { parseListing } from '../../../../engine/facts/listing.js';
import { contentsFact } from '../../../../engine/facts/contents.js';
import { fragmentsFact } from '../../../../engine/facts/fragments.js';
import { archiveFact } from '../../../../engine/facts/archive.js';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const out = (text: string, rc = 0, stderr = '') => ({ rc, stdout: Buffer.from(text, 'utf8'), stderr });
const SEP = '\x01';

describe('file fact', () => {
  it('reads times as Python floats (seconds + nanoseconds * 1e-9)', () => {
    expect(parseStatTime('1796018542.302347646')).toBe(1796018542 + 302347646 * 1e-9);
    expect(parseStatTime('1577934245.123456789')).toBe(1577934245.1234567);
    expect(parseStatTime('12')).toBe(12);
    expect(parseStatTime('garbage')).toBeUndefined();
  });

  const STAT = ['81a4', '644', '1000', '100', '6', '1.5', '2.25', '3.000000001', '99', '65024', '2', '8', '4096', '0', 'alice', 'UNKNOWN'].join(SEP);
  const LINK = ['a1ff', '777', '0', '0', '7', '1', '1', '1', '5', '6', '1', '0', '4096', '0', 'root', 'root'].join(SEP);
  const hex = (s: string) => Buffer.from(s).toString('hex');
  /** An output as fileProgram's would be: NUL-separated tokens, ended by @end. */
  const tokens = (...parts: string[]) => out(['@file 1', ...parts, '@end'].map((p) => `\0${p}\0`).join(''));

  it('parses every kind of token, and answers each query by its path', () => {
    const output = tokens(
      `S ${STAT}${SEP}/p`, '@rc S 1', `T ${STAT}${SEP}/p`, '@rc T 0',
      `A ${hex('/p')} 101`, `M ${hex('/p')} text/plain; charset=us-ascii\n`, `X ${hex('/p')} 0 --------------e------- /p\n`,
      '@H sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709  /p', '@rc H 0',
    );
    const [a, b] = fileFact.parse(output, [{ path: '/p', access: true, mime: true, attributes: true }, { path: '/missing' }]);
    expect(a).toMatchObject({
      exists: true, type: 'file', kind: 'file', mode: '0644', uid: 1000, gid: 100, size: 6, atime: 1.5, mtime: 2.25, inode: 99, dev: 65024,
      nlink: 2, blocks: 8, blockSize: 4096, rdev: 0, owner: 'alice', group: undefined,
      sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', access: { readable: true, writeable: false, executable: true },
      mime: { mimetype: 'text/plain', charset: 'us-ascii' }, attributes: { version: '0', flags: 'e' },
    });
    expect(b).toEqual({ path: '/missing', exists: false });
  });

  it('follows a link through its stat, keeps its target, and marks a link to nothing as dangling', () => {
    const output = tokens(
      `S ${LINK}${SEP}/l`, `S ${LINK}${SEP}/dead`, `T ${STAT}${SEP}/l`,
      `L ${hex('/l')} target`, `R ${hex('/l')} /real/target`, `L ${hex('/dead')} nowhere`, `R ${hex('/dead')} `,
    );
    const [followed, itself, dead] = fileFact.parse(output, [{ path: '/l', checksum: false }, { path: '/l', follow: false }, { path: '/dead' }]);
    expect(followed).toMatchObject({ type: 'file', size: 6, linkTarget: 'target', realPath: '/real/target' });
    expect(itself).toMatchObject({ type: 'link', mode: '0777', linkTarget: 'target' });
    expect(dead).toMatchObject({ exists: true, dangling: true, type: 'link', linkTarget: 'nowhere' });
    expect(dead!.realPath).toBeUndefined();
  });

  it('takes the flags of lsattr -d where lsattr -v fails, without a version', () => {
    const [withVersion, flagsOnly] = fileFact.parse(
      tokens(`S ${STAT}${SEP}/v`, `S ${STAT}${SEP}/d`, `X ${hex('/v')} 12 -------A------e------- /v\n`, `X ${hex('/d')} `, `Y ${hex('/d')} -------A------------ /d\n`),
      [{ path: '/v', attributes: true }, { path: '/d', attributes: true }],
    );
    expect(withVersion).toMatchObject({ attributes: { version: '12', flags: 'Ae' }, attributeFlags: 'Ae' });
    expect(flagsOnly!.attributes).toBeUndefined();
    expect(flagsOnly!.attributeFlags).toBe('A');
  });

  it('keeps other checksums apart from sha1, by algorithm', () => {
    const output = tokens(`S ${STAT}${SEP}/f`, '@H md5', 'd41d8cd98f00b204e9800998ecf8427e  /f', '@H sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709  /f');
    const [m, s] = fileFact.parse(output, [{ path: '/f', checksum: 'md5' }, { path: '/f' }]);
    expect(m).toMatchObject({ checksum: 'd41d8cd98f00b204e9800998ecf8427e' });
    expect(m!.sha1).toBeUndefined();
    expect(s).toMatchObject({ sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' });
  });

  it('computes the hash of transferred content itself, and keeps the head and the host\'s hash of a file over the limit', () => {
    const [c] = fileFact.parse(tokens(`S ${STAT}${SEP}/f`, `C ${hex('/f')} ${b64('hello\n')}`), [{ path: '/f', content: true }]);
    expect(c!.content!.toString()).toBe('hello\n');
    expect(c!.sha1).toBe('f572d396fae9206628714fb2ce00f72e94f2258f');
    const big = Buffer.alloc(10_000, 7);
    const [p] = fileFact.parse(tokens(`S ${STAT}${SEP}/f`, `C ${hex('/f')} ${b64(big)}`, '@H sha1', 'aa39a3ee5e6b4b0d3255bfef95601890afd80709  /f'),
      [{ path: '/f', content: true, contentLimit: 9000 }]);
    expect(p!.content).toBeUndefined();
    expect(p!.head).toEqual(big.subarray(0, 8192));
    expect(p!.sha1).toBe('aa39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('survives garbage: wrong field counts, bad base64, unknown tags, names it was not asked about', () => {
    const output = tokens('S not a stat line', `S ${STAT}`, `L ${hex('/x')} %%%%`, 'Z whatever', `S ${STAT}${SEP}/other`, '\xff\x01');
    expect(fileFact.parse(output, [{ path: '/x' }])).toEqual([{ path: '/x', exists: false }]);
    expect(parseStatLine(`zz${SEP}644`)).toEqual({});
  });

  it('throws with the host\'s message when the command failed, a program is missing or the output was cut off', () => {
    expect(() => fileFact.parse(out('', 2, 'sh: stat: not found'), [{ path: '/x' }])).toThrow(/cannot stat \/x: sh: stat: not found/);
    expect(() => fileFact.parse(tokens('@rc S 127'), [{ path: '/x' }])).toThrow(/cannot stat \/x: stat exited with 127 \(not installed\?\)/);
    expect(() => fileFact.parse(out(`\0@file 1\0S ${STAT}${SEP}/x\0`), [{ path: '/x' }])).toThrow(/cut off/);
  });

  it('quotes every path in its command', () => {
    const q: FileQuery[] = [{ path: "/tmp/a b'$(touch x)`y`", access: true, mime: true, attributes: true, content: true }];
    const command = fileFact.command(q);
    expect(command).toContain("'/tmp/a b'\\''$(touch x)`y`'");
    expect(command).not.toMatch(/[^']\$\(touch/);
  });
});

describe('file.bytes fact', () => {
  it('tells missing, unreadable and folders apart from the shell\'s own words, and decodes content', () => {
    const failed = (stderr: string) => fileBytesFact.parse(out('C \nF\n', 2, stderr), { path: '/a/b' });
    expect(failed('sh: 1: cannot open /a/b: No such file')).toEqual({ path: '/a/b', error: 'missing' });
    expect(failed('sh: 1: cannot open /a/b: Permission denied')).toEqual({ path: '/a/b', error: 'unreadable' });
    expect(failed('sh: 1: cannot open /a/b: Not a directory')).toEqual({ path: '/a/b', error: 'other', message: "[Errno 20] Not a directory: '/a/b'" });
    expect(failed('base64: read error: Input/output error')).toMatchObject({ error: 'other', message: "[Errno 5] Input/output error: '/a/b'" });
    expect(fileBytesFact.parse(out('E directory\n'), { path: '/a' })).toEqual({ path: '/a', error: 'directory' });
    expect(fileBytesFact.parse(out(`C ${b64('\0\xffdata')}\n`), { path: '/a' }).content).toEqual(Buffer.from('\0\xffdata'));
  });
});

describe('expand fact', () => {
  it('expands ~, ~user and $VAR as Python does, unknown names left as written', () => {
    expect(expansionNeeds('~bob/${HOME}/$X/y')).toEqual({ users: ['bob'], variables: ['HOME', 'X'] });
    const e = expandFact.parse(out(`H 0 ${b64('/home/bob')}\nH 1 ${b64('/root')}\nV X ${b64('ex')}\n`), { users: ['bob', ''], variables: ['X', 'NOPE'] });
    expect(expandPath('~bob/a/$X/$NOPE', e)).toBe('/home/bob/a/ex/$NOPE');
    expect(expandPath('~/f', e)).toBe('/root/f');
    expect(expandPath('~ghost/f', e)).toBe('~ghost/f');
    expect(expandFact.command({ users: ['x;rm'], variables: ['A B', 'OK'] })).not.toContain('${A B');
  });
});

describe('tree, listing, contents, fragments facts', () => {
  it('reads a tree with link targets and checksums of names with newlines', () => {
    const rec = (f: string[]) => `E\0${f.join('\0')}\0`;
    const text = `T\0${rec(['f', '644', '3', '10.5', '', 'a\nb', 'f', '0', '0'])}${rec(['l', '777', '1', '11', 'a\nb', 'ln', 'f', '1', '2'])}H\0${'a'.repeat(40)}  /r/a\nb\0`;
    const tree = treeFact.parse(out(text), { path: '/r/' });
    expect(tree.entries).toEqual([
      { rel: 'a\nb', type: 'file', mode: '0644', uid: 0, gid: 0, size: 3, mtime: 10.5, sha1: 'a'.repeat(40) },
      { rel: 'ln', type: 'link', mode: '0777', uid: 1, gid: 2, size: 1, mtime: 11, linkTarget: 'a\nb', targetType: 'file' },
    ]);
    expect(treeFact.parse(out(''), { path: '/x' })).toEqual({ path: '/x', exists: false, entries: [] });
  });

  it('lists entries with their lstat, roots that are not folders and find\'s errors', () => {
    const e = ['f', 'f', '644', '5', '1.5000000000', '2.2500000000', '3.0000000000', '0', '7', 'root', '7', '42', '64', '1', '/r/x y'];
    const text = `N\x000\0D\x001\0E\0${e.join('\0')}\0X\x001\0find: '/r/secret': Permission denied\0`;
    const listing = parseListing(Buffer.from(text), { roots: ['/nope', '/r'], follow: false });
    expect(listing.roots).toEqual([{ path: '/nope', isDir: false, errors: [] }, { path: '/r', isDir: true, errors: ["find: '/r/secret': Permission denied"] }]);
    expect(listing.entries[0]).toMatchObject({ path: '/r/x y', type: 'f', mode: 0o644, size: 5, atime: 1.5, mtime: 2.25, ctime: 3, owner: 'root', group: '', inode: 42 });
  });

  it('reads checksums and contents of several files', () => {
    const text = `F\x000\0${'b'.repeat(40)}\0${b64('one')}\0F\x002\0nothex\0!\0`;
    const data = contentsFact.parse(out(text), { paths: ['/a', '/b', '/c'], checksum: true, content: true });
    expect(data).toEqual([{ sha1: 'b'.repeat(40), content: Buffer.from('one') }, undefined, {}]);
  });

  it('reads fragments, and reports a missing or non-folder source', () => {
    expect(fragmentsFact.parse(out('M\0'), { path: '/f' }).problem).toBe('missing');
    expect(fragmentsFact.parse(out('N\0'), { path: '/f' }).problem).toBe('not-directory');
    const f = fragmentsFact.parse(out(`D\0E\x001\0E\0sub\0F\x001\0${b64('a\n')}\0`), { path: '/f' });
    expect(f.names).toEqual(['1', 'sub']);
    expect(f.files.get('1')!.toString()).toBe('a\n');
  });
});

describe('archive fact', () => {
  const query = { archive: '"$a"', shown: 'x', dest: '/d', excludes: [], includes: [], extraOpts: [], keepNewer: false };
  it('reads the handler, reasons, names, diff lines and zip entries', () => {
    const text = [
      'R', 'Command "/usr/bin/unzip" could not handle archive: not a zip', 'H', 'TgzArchive', 'P', '/usr/bin/tar',
      'L', 'a.txt', 'sub/', 'E', 'D', 'a.txt: Mod time differs', 'E', '',
    ].join('\0');
    const p = archiveFact.parse(out(text), query);
    expect(p).toMatchObject({ handler: 'TgzArchive', program: '/usr/bin/tar', files: ['a.txt', 'sub/'], diffLines: ['a.txt: Mod time differs'] });
    expect(p.reasons).toEqual(['Command "/usr/bin/unzip" could not handle archive: not a zip']);
    const zip = ['H', 'ZipArchive', 'I', '0', 'Z', '-rw-r--r--  3.0 unx        6 tx stor 20170511.153000 dir with space/a b.txt', '81a4 644 0 0 6 1494516600.000000000 root root', '1', ''].join('\0');
    const z = archiveFact.parse(out(zip), query);
    expect(z.zipEntries).toEqual([{
      perm: '-rw-r--r--', size: 6, stamp: '20170511.153000', path: 'dir with space/a b.txt', same: true,
      stat: { mode: 0x81a4, perms: 0o644, uid: 0, gid: 0, size: 6, mtime: 1494516600, owner: 'root', group: 'root' },
    }]);
  });
});
