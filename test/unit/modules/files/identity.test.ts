/**
 * The identity fact (engine/facts/identity.ts): owner and group names to ids
 * with one getent per distinct name, the queries of several tasks merged.
 * The parser on fixed outputs (odd entries, hostile output), and the real
 * command on this machine with a getent that logs each time it is started
 * and nothing else on the PATH: any other program would not be found.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idOfEntry, identityFact, type IdentityQuery } from '../../../../engine/facts/identity.js';
import { runFactBatch } from '../../../../engine/facts/index.js';

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
/** An output as the command's would be: a header and an entry per name. */
const output = (...parts: Array<[kind: 'U' | 'G', name: string, entry: string]>) => ({
  rc: 0, stdout: Buffer.from(parts.map(([kind, name, entry]) => `\0${kind} ${hex(name)}\0${entry}`).join(''), 'utf8'), stderr: '',
});

describe('identity fact: the parser', () => {
  it('gives each name the id of the entry under its header, whatever the order, and leaves unknown names out', () => {
    const ids = identityFact.parse(output(
      ['G', 'staff', 'staff:x:50:alice,bob\n'],
      ['U', 'bob', 'bob:x:1001:1001:Bob:/home/bob:/bin/sh\n'],
      ['U', 'ghost', ''],
      ['U', 'alice', 'alice:x:1000:1000::/home/alice:/bin/bash\n'],
    ), { users: ['alice', 'ghost', 'bob'], groups: ['staff'] });
    expect(ids).toEqual({ users: { alice: 1000, bob: 1001 }, groups: { staff: 50 } });
  });

  it('maps the name as asked, even when the name service answers with another spelling or a number with a name', () => {
    const ids = identityFact.parse(output(['U', 'Alice', 'alice:x:1000:1000::/home/alice:/bin/sh\n'], ['U', '0', 'root:x:0:0:root:/root:/bin/bash\n']), { users: ['Alice', '0'], groups: [] });
    expect(ids.users).toEqual({ Alice: 1000, '0': 0 });
  });

  it('reads the id of entries with odd fields, and none from an entry that is cut off or not a number', () => {
    expect(idOfEntry('u:x:1000:1000:Last, First: room 3:/home/u:/bin/sh\n')).toBe(1000);
    expect(idOfEntry('u:x:1000:1000:two\nlines:/home/u:/bin/sh\n')).toBe(1000);
    expect(idOfEntry('u:x:4294967295:1::/:/bin/sh\n')).toBe(4294967295);
    expect(idOfEntry('u:x:4294967296:1::/:/bin/sh\n')).toBeUndefined();
    expect(idOfEntry('u:x:10')).toBeUndefined();
    expect(idOfEntry('u:x:-1:1::/:/bin/sh\n')).toBeUndefined();
    expect(idOfEntry('u:x: 7:1::/:/bin/sh\n')).toBeUndefined();
    expect(idOfEntry('u:x::1::/:/bin/sh\n')).toBeUndefined();
    expect(idOfEntry('u:x\n')).toBeUndefined();
    expect(idOfEntry('')).toBeUndefined();
  });

  it('stops at an output out of step instead of giving a name an entry that is not its own', () => {
    const text = `\0U ${hex('alice')}\0alice:x:1000:1000::/:/bin/sh\n\0U ${hex('mallory')}\0\0\0U ${hex('bob')}\0bob:x:1001:1001::/:/bin/sh\n`;
    // The stray NUL after mallory's empty entry puts bob's header where an entry belongs.
    const ids = identityFact.parse({ rc: 0, stdout: Buffer.from(text), stderr: '' }, { users: ['alice', 'mallory', 'bob'], groups: [] });
    expect(ids.users).toEqual({ alice: 1000 });
  });

  it('keeps names such as constructor and __proto__ as plain names', () => {
    const ids = identityFact.parse(output(['U', '__proto__', '__proto__:x:7:7::/:/bin/sh\n']), { users: ['constructor', '__proto__', 'toString'], groups: ['constructor'] });
    expect(ids.users.constructor).toBeUndefined();
    expect(ids.users.toString).toBeUndefined();
    expect(ids.groups.constructor).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(ids.users, '__proto__')?.value).toBe(7);
  });

  it('never throws on any output, and gives only ids of names asked', () => {
    const asked: IdentityQuery = { users: ['root', 'a b', ''], groups: ['root'] };
    const token = fc.oneof(
      fc.string(),
      fc.constantFrom(...asked.users.map((n) => `U ${hex(n)}`), `G ${hex('root')}`, 'root:x:0:0::/:/bin/sh\n', 'x:y:99999999999:\n'),
    );
    fc.assert(fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
      const ids = identityFact.parse({ rc: 0, stdout: Buffer.from(tokens.join('\0')), stderr: '' }, asked);
      for (const [names, found] of [[asked.users, ids.users], [asked.groups, ids.groups]] as const) {
        for (const [name, id] of Object.entries(found)) {
          expect(names).toContain(name);
          expect(Number.isInteger(id) && id >= 0 && id <= 0xffffffff).toBe(true);
        }
      }
    }), { numRuns: 300 });
  });
});

describe('identity fact: on this machine', () => {
  let bin: string;
  let log: string;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'uxsv-getent-'));
    log = join(bin, 'calls');
    // Logs its arguments (each as A<argument>NUL, then ENUL), then is the real getent: one process per start.
    writeFileSync(join(bin, 'getent'), `#!/bin/sh\nfor a in "$@"; do printf 'A%s\\000' "$a" >> '${log}'; done\nprintf 'E\\000' >> '${log}'\nexec /usr/bin/getent "$@"\n`);
    chmodSync(join(bin, 'getent'), 0o755);
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  /** Runs a command with only the logging getent on the PATH; its output and the getent starts, as argument lists. */
  function runHere(command: string, cwd = bin): { stdout: Buffer; rc: number; calls: string[][] } {
    rmSync(log, { force: true });
    const res = spawnSync('/bin/sh', ['-c', command], { env: { PATH: bin }, cwd });
    const calls: string[][] = [];
    let call: string[] = [];
    for (const token of existsSync(log) ? readFileSync(log, 'utf8').split('\0').slice(0, -1) : []) {
      if (token === 'E') calls.push(call), (call = []);
      else call.push(token.slice(1));
    }
    return { stdout: res.stdout, rc: res.status ?? -1, calls };
  }

  it('starts one getent per distinct name and nothing else, and reads names, numbers and hostile names exactly', () => {
    const hostile = ["it's", '$(touch pwned)', '`touch pwned`', 'a b', 'new\nline', '-x', '--help', 'a:b', '', '*', '日本'];
    const q: IdentityQuery = { users: ['root', '0', 'root', ...hostile], groups: ['root', '0', 'nogroup', ...hostile] };
    const { stdout, rc, calls } = runHere(identityFact.command(q));
    expect(rc).toBe(0);
    expect(existsSync(join(bin, 'pwned'))).toBe(false);
    // Each distinct name once per database, as its own argument after --.
    const distinctUsers = [...new Set(q.users)];
    const distinctGroups = [...new Set(q.groups)];
    expect(calls).toEqual([...distinctUsers.map((n) => ['passwd', '--', n]), ...distinctGroups.map((n) => ['group', '--', n])]);
    const ids = identityFact.parse({ rc, stdout, stderr: '' }, q);
    expect(ids).toEqual({ users: { root: 0, '0': 0 }, groups: { root: 0, '0': 0, nogroup: 65534 } });
  });

  it('merges the queries of several tasks: one read, each name once, each task its own answer', async () => {
    const a: IdentityQuery = { users: ['root', 'nobody'], groups: [] };
    const b: IdentityQuery = { users: ['root'], groups: ['root', 'ghost-group-x'] };
    const c: IdentityQuery = { users: ['ghost-user-x'], groups: ['root'] };
    expect(identityFact.merge!([a, b, c])).toEqual({ users: ['root', 'nobody', 'ghost-user-x'], groups: ['root', 'ghost-group-x'] });
    const scripts: string[] = [];
    let calls: string[][] = [];
    const { outputs } = await runFactBatch(async (script) => {
      scripts.push(script);
      const res = runHere(script);
      calls = res.calls;
      return { rc: res.rc, stdout: res.stdout, stderr: Buffer.alloc(0) };
    }, [[identityFact, a], [identityFact, b], [identityFact, c]]);
    expect(scripts).toHaveLength(1);
    expect(calls).toEqual([['passwd', '--', 'root'], ['passwd', '--', 'nobody'], ['passwd', '--', 'ghost-user-x'], ['group', '--', 'root'], ['group', '--', 'ghost-group-x']]);
    expect(identityFact.parse(outputs[0]!, a)).toEqual({ users: { root: 0, nobody: 65534 }, groups: {} });
    expect(identityFact.parse(outputs[1]!, b)).toEqual({ users: { root: 0 }, groups: { root: 0 } });
    expect(identityFact.parse(outputs[2]!, c)).toEqual({ users: {}, groups: { root: 0 } });
  });

  it('leaves a name with a NUL (which no shell can pass) unknown instead of failing the read', () => {
    const q: IdentityQuery = { users: ['a\0b', 'root'], groups: [] };
    const { stdout, calls } = runHere(identityFact.command(q));
    expect(calls).toEqual([['passwd', '--', 'root']]);
    expect(identityFact.parse({ rc: 0, stdout, stderr: '' }, q).users).toEqual({ root: 0 });
  });
});
