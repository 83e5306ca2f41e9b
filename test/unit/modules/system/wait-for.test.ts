/** wait_for against real local sockets and files, and /proc/net/tcp parsing from fixtures. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localContext, runModule } from '../../../helpers/module-context.js';
import { countActive, procHex, validateWaitFor, waitForModule } from '../../../../engine/modules/system/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), "uxsv wait'for-"));
let server: Server;
let port = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    // The probe hangs up abruptly (its reader is killed): a reset is expected here.
    socket.on('error', () => undefined);
    sockets.push(socket);
    socket.write('HELLO uxsv 42\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return p;
}

describe('wait_for', () => {
  it('sees an open port at once, reads what it says, never changes anything', async () => {
    expect(await runModule(waitForModule, { port, timeout: 5 }, localContext())).toMatchObject({ changed: false, state: 'started', port, elapsed: 0 });
    expect(await runModule(waitForModule, { port, search_regex: 'HELLO \\w+', timeout: 5 }, localContext())).toMatchObject({ changed: false, search_regex: 'HELLO \\w+' });
  });

  it('times out on a closed port with Ansible\'s message and elapsed, and sees it stopped', async () => {
    const p = await closedPort();
    const res = await runModule(waitForModule, { port: p, timeout: 2 }, localContext());
    expect(res).toMatchObject({ failed: true, msg: `Timeout when waiting for 127.0.0.1:${p}`, elapsed: 2 });
    expect((await runModule(waitForModule, { port: p, timeout: 1, msg: 'custom' }, localContext())).msg).toBe('custom');
    expect((await runModule(waitForModule, { port: p, state: 'stopped', timeout: 2 }, localContext())).failed).toBeFalsy();
  });

  it('waits for a path, its regex with match groups, and for it to go away', async () => {
    const path = join(dir, 'ready');
    setTimeout(() => writeFileSync(path, 'booting\nstatus: completed data 123\n'), 300);
    const res = await runModule(waitForModule, { path, search_regex: 'completed (?P<foo>\\w+) ([0-9]+)', timeout: 5 }, localContext());
    expect(res).toMatchObject({ changed: false, path, match_groups: ['data', '123'], match_groupdict: { foo: 'data' } });
    setTimeout(() => rmSync(path), 200);
    expect((await runModule(waitForModule, { path, state: 'absent', timeout: 5 }, localContext())).failed).toBeFalsy();
    expect((await runModule(waitForModule, { path, timeout: 1 }, localContext())).msg).toBe(`Timeout when waiting for file ${path}`);
  });

  it('is skipped in check mode and checks its arguments like Ansible', async () => {
    expect(await runModule(waitForModule, { timeout: 30 }, localContext({ check: true }))).toMatchObject({ skipped: true });
    expect(validateWaitFor({ path: '/x', port: 1 })).toBe('port and path parameter can not both be passed to wait_for');
    expect(validateWaitFor({ path: '/x', state: 'drained' })).toBe('state=drained should only be used for checking a port in the wait_for module');
    expect(validateWaitFor({ port: 1, exclude_hosts: ['a'] })).toBe('exclude_hosts should only be with state=drained');
    expect(validateWaitFor({ port: 1, state: 'drained', active_connection_states: ['NOPE'] })).toBe('unknown active_connection_state (NOPE) defined');
  });

  it('counts active connections from /proc/net/tcp and drains', async () => {
    const proc = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   2: 0100007F:1F90 0200000A:D432 06 00000000:00000000 00:00000000 00000000     0        0 3 1',
    ].join('\n');
    const ips = new Set([procHex('127.0.0.1')!]);
    expect(procHex('127.0.0.1')).toBe('0100007F');
    expect(procHex('::1')).toBe('00000000000000000000000001000000');
    expect(countActive(proc, 8080, ips, new Set(), ['ESTABLISHED', 'TIME_WAIT'])).toBe(2);
    expect(countActive(proc, 8080, ips, new Set([procHex('10.0.0.2')!]), ['ESTABLISHED', 'TIME_WAIT'])).toBe(1);
    const p = await closedPort();
    expect((await runModule(waitForModule, { port: p, state: 'drained', timeout: 2 }, localContext())).failed).toBeFalsy();
  });
});
