/**
 * No output can exhaust the engine's memory: each stream of a command keeps
 * its first `outputLimit` bytes and drops the rest as it arrives, on every
 * path (resident shell, a process or channel per command, local and a real
 * sshd), and the resident shell stays in step after any output.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../../engine/connection/local.js';
import {
  CappedOutput, checkedOutputLimit, DEFAULT_OUTPUT_LIMIT, defaultOutputLimit, parseByteSize,
} from '../../../engine/connection/output-limit.js';
import { FrameReader, partialMarkerAt, type Frame } from '../../../engine/connection/resident-frames.js';
import { SshConnection } from '../../../engine/connection/ssh.js';
import type { Connection } from '../../../engine/connection/types.js';
import { UserError } from '../../../engine/errors.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { MiB, peakRssGrowth } from './memory.js';
import { play, project, results, type Project } from '../../helpers/engine.js';

describe('output limit settings', () => {
  it('reads sizes in bytes or with binary suffixes', () => {
    expect(parseByteSize('33554432')).toBe(32 * MiB);
    expect(parseByteSize('32M')).toBe(32 * MiB);
    expect(parseByteSize(' 32 MiB ')).toBe(32 * MiB);
    expect(parseByteSize('64k')).toBe(64 * 1024);
    expect(parseByteSize('1GB')).toBe(1024 * MiB);
    expect(parseByteSize(4096)).toBe(4096);
    for (const bad of ['', 'lots', '1.5M', '-1', '32 M B', '0x10']) expect(parseByteSize(bad)).toBeUndefined();
  });

  it('refuses limits too small for modules to work or too large to keep, naming where it came from', () => {
    expect(checkedOutputLimit('1M', 'x')).toBe(MiB);
    expect(() => checkedOutputLimit('1k', 'host h: uxsv_output_limit')).toThrow(UserError);
    expect(() => checkedOutputLimit('1k', 'host h: uxsv_output_limit')).toThrow(/host h: uxsv_output_limit/);
    expect(() => checkedOutputLimit('2G', 'x')).toThrow(/64k to 512M/);
  });

  it('defaults to 32 MiB, or UXSV_OUTPUT_LIMIT', () => {
    expect(defaultOutputLimit({})).toBe(DEFAULT_OUTPUT_LIMIT);
    expect(DEFAULT_OUTPUT_LIMIT).toBe(32 * MiB);
    expect(defaultOutputLimit({ UXSV_OUTPUT_LIMIT: '8M' })).toBe(8 * MiB);
    expect(() => defaultOutputLimit({ UXSV_OUTPUT_LIMIT: 'big' })).toThrow(/UXSV_OUTPUT_LIMIT/);
  });
});

describe('CappedOutput', () => {
  it('keeps the first bytes up to the limit and counts the rest', () => {
    const out = new CappedOutput(100 * 1024);
    const chunk = Buffer.alloc(30 * 1024);
    for (let i = 0; i < 5; i++) out.push(chunk.fill(65 + i));
    const { bytes, dropped } = out.take();
    expect(bytes.length).toBe(100 * 1024);
    expect(dropped).toBe(50 * 1024);
    expect(bytes[0]).toBe(65);
    expect(bytes[90 * 1024 + 5]).toBe(68);   // the fourth chunk, cut at the limit
    expect(out.take()).toEqual({ bytes: Buffer.alloc(0), dropped: 0 });
  });
});

describe('FrameReader', () => {
  const token = 'uxsv-0123456789abcdef';
  const marker = Buffer.from(`\n${token} `);

  it('finds where the longest beginning of the marker starts at the end of a chunk', () => {
    expect(partialMarkerAt(Buffer.from('abc'), marker)).toBe(3);
    expect(partialMarkerAt(Buffer.from('abc\n'), marker)).toBe(3);
    expect(partialMarkerAt(Buffer.from('abc\nuxsv-01'), marker)).toBe(3);
    expect(partialMarkerAt(Buffer.from('abc\nuxsv-x'), marker)).toBe(10);
    expect(partialMarkerAt(Buffer.from('\nuxsv-x\nuxsv-0'), marker)).toBe(7);
  });

  // Output made of the nastiest pieces: NULs, invalid UTF-8, newlines, the marker's own beginnings.
  const nasty = fc.array(fc.oneof(
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    // Any beginning of the token, but never all of it: it is secret, no output has it.
    fc.constantFrom('\n', '\nuxsv-', `\n${token.slice(0, -1)}`, `\n${token.slice(0, 12)}`, `${token.slice(0, -1)} 1 0\n`, '\0', '\xff\xfe', 'uxsv-')
      .map((s) => Buffer.from(s, 'latin1')),
  ), { maxLength: 12 }).map((parts) => Buffer.concat(parts));

  it('splits any output, cut into any chunks, into exactly the commands that printed it', () => {
    fc.assert(fc.property(
      fc.array(nasty, { minLength: 1, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (outputs, cuts) => {
        const stream = Buffer.concat(outputs.flatMap((out, i) => [out, Buffer.from(`\n${token} ${i + 1} ${i}\n`)]));
        const frames: Frame[] = [];
        const reader = new FrameReader(token, 1024 * 1024, (frame) => frames.push(frame));
        for (let at = 0, i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          reader.push(stream.subarray(at, at + size));
          at += size;
        }
        expect(reader.broken).toBeUndefined();
        expect(frames.map((f) => f.line)).toEqual(outputs.map((_, i) => `${i + 1} ${i}`));
        frames.forEach((frame, i) => expect(Buffer.compare(frame.output.bytes, outputs[i]!)).toBe(0));
      },
    ), { numRuns: 300 });
  });

  it('keeps at most the limit of each command and counts what it dropped', () => {
    const frames: Frame[] = [];
    const reader = new FrameReader(token, 64 * 1024, (frame) => frames.push(frame));
    const chunk = Buffer.alloc(10_000, 'x');
    for (let i = 0; i < 100; i++) reader.push(chunk);
    reader.push(Buffer.from(`\n${token} 1 0\nshort\n${token} 2 0\n`));
    expect(frames.map((f) => [f.line, f.output.bytes.length, f.output.dropped])).toEqual([
      ['1 0', 64 * 1024, 1_000_000 - 64 * 1024],
      ['2 0', 5, 0],
    ]);
  });

  it('calls a marker without its line end within a few bytes a broken stream', () => {
    const reader = new FrameReader(token, 1024, () => undefined);
    reader.push(Buffer.from(`\n${token} ${'9'.repeat(100)}`));
    expect(reader.broken).toBeDefined();
  });
});

/** 300 MiB of a recognisable pattern: the kept part must be its beginning. */
const HUGE = 300 * MiB;
// Keeping every byte would need at least HUGE; the kept prefix, its copies
// and the garbage collector's slack stay well under half of it.
const MEMORY_BOUND = HUGE / 2;
const PATTERN = '0123456789abcdef';
const hugeOutput = (fd: 1 | 2): string => `yes ${PATTERN} | head -c ${HUGE}${fd === 2 ? ' >&2' : ''}`;
const patternPrefix = (length: number): Buffer => Buffer.from(`${PATTERN}\n`.repeat(Math.ceil(length / 17) + 1)).subarray(0, length);

let sshd: TestSshd;
const opened: Connection[] = [];
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await sshd?.stop();
});

const LIMIT = DEFAULT_OUTPUT_LIMIT;
const withResident = <T>(enabled: boolean, make: () => T): T => {
  const before = process.env['UXSV_RESIDENT_SHELL'];
  if (!enabled) process.env['UXSV_RESIDENT_SHELL'] = '0';
  try {
    return make();
  } finally {
    if (before === undefined) delete process.env['UXSV_RESIDENT_SHELL'];
    else process.env['UXSV_RESIDENT_SHELL'] = before;
  }
};
const transports: Array<[string, boolean, () => Connection]> = [
  ['local, resident shell', true, () => new LocalConnection('here')],
  ['local, a process per command', false, () => new LocalConnection('here')],
  ...([true, false] as const).map((resident): [string, boolean, () => Connection] => [
    `ssh, ${resident ? 'resident shell' : 'a channel per command'}`, resident, () => new SshConnection({
      host: 'testhost', connection: 'ssh', address: '127.0.0.1', port: sshd.port, user: 'root',
      privateKeyFile: sshd.clientKeyPath, timeoutSec: 5, knownHostsFile: sshd.knownHostsPath, acceptNewHostKeys: false,
      persistSec: 0,
    }),
  ]),
];

describe.each(transports)('output over %s', (_name, resident, make) => {
  const connect = (): Connection => {
    const conn = withResident(resident, make);
    opened.push(conn);
    return conn;
  };

  it('300 MiB on stdout: the first 32 MiB (the default limit) kept, the rest counted, memory bounded, the next command fine', async () => {
    const conn = connect();
    await conn.exec('true');
    const { value: result, growth } = await peakRssGrowth(() => conn.exec(hugeOutput(1)));
    expect(result.rc).toBe(0);
    expect(result.truncated).toEqual({ stdout: HUGE - LIMIT, stderr: 0 });
    expect(result.stdout.length).toBe(LIMIT);
    expect(Buffer.compare(result.stdout, patternPrefix(LIMIT))).toBe(0);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    const next = await conn.exec('printf next; echo err >&2; exit 3');
    expect(next).toEqual({ rc: 3, stdout: Buffer.from('next'), stderr: Buffer.from('err\n') });
    if (resident) expect(conn.stats.channels).toBe(1);
  }, 120_000);

  it('300 MiB on stderr and a binary stream on stdout, with a per-command limit', async () => {
    const conn = connect();
    const { value: result, growth } = await peakRssGrowth(() => conn.exec(
      `head -c ${8 * MiB} /dev/urandom; ${hugeOutput(2)}`,
      { outputLimit: 4 * MiB },
    ));
    expect(result.rc).toBe(0);
    expect(result.truncated).toEqual({ stdout: 4 * MiB, stderr: HUGE - 4 * MiB });
    expect([result.stdout.length, result.stderr.length]).toEqual([4 * MiB, 4 * MiB]);
    expect(Buffer.compare(result.stderr, patternPrefix(4 * MiB))).toBe(0);
    expect(growth).toBeLessThan(MEMORY_BOUND);
    expect((await conn.exec('echo after')).stdout.toString()).toBe('after\n');
  }, 120_000);

  it('output with NULs, invalid UTF-8, the frame token\'s beginning and no final newline comes back byte for byte', async () => {
    const conn = connect();
    const script = String.raw`printf '\nuxsv-\n\000\377\376uxsv-'; printf 'uxsv-%s ' abc >&2; head -c 100000 /dev/urandom | tr -d x; printf '\nuxsv-'`;
    const result = await conn.exec(script);
    expect(result.rc).toBe(0);
    expect(result.truncated).toBeUndefined();
    expect(result.stdout.subarray(0, 15)).toEqual(Buffer.from('\nuxsv-\n\0\xff\xfeuxsv-', 'latin1'));
    expect(result.stdout.subarray(-6).toString()).toBe('\nuxsv-');
    expect(result.stderr.toString()).toBe('uxsv-abc ');
    const next = await conn.exec('printf "%s" "$(echo 1)"');
    expect(next.stdout.toString()).toBe('1');
  });

  it('a command just under the limit is not truncated', async () => {
    const conn = connect();
    const result = await conn.exec(`head -c ${LIMIT} /dev/zero`);
    expect(result.stdout.length).toBe(LIMIT);
    expect(result.truncated).toBeUndefined();
  });
});

describe('a run with a small output limit', () => {
  let p: Project;
  afterAll(() => p?.cleanup());

  it('keeps the limit of each stream, marks the result truncated with a warning, and a register holds no more', async () => {
    p = project();
    const inventory = 'all:\n  hosts:\n    h1: {ansible_connection: local, uxsv_output_limit: 64k}\n';
    const run = await play(p, `- hosts: h1
  gather_facts: false
  tasks:
    - name: loud
      shell: head -c 3000000 /dev/zero | tr '\\\\0' a; head -c 200000 /dev/zero | tr '\\\\0' b >&2
      register: out
    - name: sizes
      debug: msg="{{ out.stdout | length }} {{ out.stderr | length }} {{ out.truncated.stdout }}"
`, [], inventory);
    expect(run.code, run.output + run.stderr).toBe(0);
    const loud = results(run, 'loud').h1![0];
    expect(loud.status).toBe('changed');
    expect(results(run, 'sizes').h1![0].msg).toBe(`${64 * 1024} ${64 * 1024} ${3_000_000 - 64 * 1024}`);
    const warning = `the output was cut at the output limit (uxsv_output_limit): ${3_000_000 - 64 * 1024} bytes of stdout and ${200_000 - 64 * 1024} bytes of stderr were dropped`;
    expect(`${run.output} ${run.stderr}`.replace(/\s+/g, ' ')).toContain(`[WARNING]: ${warning}`);
    expect(JSON.stringify(run.report.warnings)).toContain(warning);
  }, 30_000);
});
