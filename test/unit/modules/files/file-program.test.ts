/**
 * The file fact's program on a real shell: hostile names, every kind of file,
 * and the promise that makes batched reads cheap — one `stat` (and one
 * `sha1sum`) for any number of paths, and one read for the queries of
 * several tasks.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileFact, type FileQuery, type RemoteFileState } from '../../../../engine/facts/file.js';
import { readFact, runFactBatch } from '../../../../engine/facts/index.js';
import { localContext } from '../../../helpers/module-context.js';

const dir = mkdtempSync(join(tmpdir(), 'uxsv-file-program-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');
const NAMES = ['plain', 'a b \'c\' "d" $(touch pwned) `x`', 'new\nline', 'sep\x01arated', 'ünï\u00e7ode', '-dash', '*'];
for (const name of NAMES) writeFileSync(join(dir, name), `content of ${name}\n`);
mkdirSync(join(dir, 'folder'));
symlinkSync(join(dir, 'plain'), join(dir, 'link'));
symlinkSync('nowhere', join(dir, 'dangling'));
execFileSync('mkfifo', [join(dir, 'fifo')]);
const BIG = Buffer.alloc(200_000, 'z');
writeFileSync(join(dir, 'big'), BIG);

describe('file fact program on a local shell', () => {
  const ctx = localContext();
  const read = (queries: FileQuery[]) => readFact(ctx, fileFact, queries);

  it('reads every hostile name as data, with its size and checksum', async () => {
    const states = await read(NAMES.map((name) => ({ path: join(dir, name) })));
    for (const [i, name] of NAMES.entries()) {
      expect(states[i]).toMatchObject({ path: join(dir, name), exists: true, type: 'file', size: Buffer.byteLength(`content of ${name}\n`), sha1: sha1(`content of ${name}\n`) });
    }
    expect(readdirSync(dir)).not.toContain('pwned');
    expect(existsSync('pwned')).toBe(false);
  });

  it('tells folders, links, links to nothing and fifos apart, and never reads a fifo', async () => {
    const [folder, link, linkItself, dangling, fifo, missing] = await read([
      { path: join(dir, 'folder') }, { path: join(dir, 'link') }, { path: join(dir, 'link'), follow: false }, { path: join(dir, 'dangling') },
      { path: join(dir, 'fifo'), content: true }, { path: join(dir, 'missing') },
    ]);
    expect(folder).toMatchObject({ exists: true, type: 'directory' });
    expect(folder!.checksum).toBeUndefined();
    expect(link).toMatchObject({ type: 'file', sha1: sha1('content of plain\n'), linkTarget: join(dir, 'plain'), realPath: join(dir, 'plain') });
    expect(linkItself).toMatchObject({ type: 'link', linkTarget: join(dir, 'plain') });
    expect(linkItself!.checksum).toBeUndefined();
    expect(dangling).toMatchObject({ exists: true, type: 'link', dangling: true, linkTarget: 'nowhere' });
    expect(fifo).toMatchObject({ exists: true, kind: 'fifo' });
    expect(fifo!.content).toBeUndefined();
    expect(missing).toEqual({ path: join(dir, 'missing'), exists: false });
  });

  it('transfers content up to each query\'s limit; over it, the head and the host\'s checksum', async () => {
    const [whole, limited, md5] = await read([
      { path: join(dir, 'big'), content: true }, { path: join(dir, 'big'), content: true, contentLimit: 100_000 },
      { path: join(dir, 'big'), checksum: 'md5' },
    ]);
    expect(whole!.content).toEqual(BIG);
    expect(whole!.sha1).toBe(sha1(BIG));
    expect(limited!.content).toBeUndefined();
    expect(limited!.head).toEqual(BIG.subarray(0, 8192));
    expect(limited!.sha1).toBe(sha1(BIG));
    expect(md5!.checksum).toBe(createHash('md5').update(BIG).digest('hex'));
  });

  it('starts one stat and one sha1sum for any number of paths', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ path: join(dir, `f${i}`) }));
    const command = fileFact.command(many);
    expect(command.match(/\bstat --printf/g)).toHaveLength(1);
    expect(command.match(/\bsha1sum\b/g)).toHaveLength(1);
  });

  it('answers the queries of several tasks with one read', async () => {
    const runs: string[] = [];
    const tasks: FileQuery[][] = [[{ path: join(dir, 'plain') }], [{ path: join(dir, 'link'), follow: false }], [{ path: join(dir, 'big'), content: true }]];
    const { outputs } = await runFactBatch((script, inline) => {
      runs.push(script);
      return ctx.run(script, inline ? { inline: true } : {});
    }, tasks.map((queries) => [fileFact, queries] as const));
    expect(runs).toHaveLength(1);
    expect(runs[0]!.match(/\bstat --printf/g)).toHaveLength(1);
    const states = outputs.map((output, i) => fileFact.parse(output!, tasks[i]!) as RemoteFileState[]);
    expect(states.map(([s]) => s!.type)).toEqual(['file', 'link', 'file']);
    expect(states[2]![0]!.content).toEqual(BIG);
  });
});
