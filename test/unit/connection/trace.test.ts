import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnection } from '../../../engine/connection/index.js';

describe('UXSV_EXEC_TRACE', () => {
  afterEach(() => {
    delete process.env.UXSV_EXEC_TRACE;
    delete process.env.UXSV_EXEC_TRACE_CHARS;
  });

  it('writes one JSON line per command to a private file, with the start of the command line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'uxsv-trace-')), 'trace.jsonl');
    process.env.UXSV_EXEC_TRACE = file;
    process.env.UXSV_EXEC_TRACE_CHARS = '12';
    const conn = createConnection({ host: 'here', connection: 'local', address: 'here', port: 22, user: 'root', timeoutSec: 10, acceptNewHostKeys: false });
    try {
      await conn.exec("printf 'hello world'");
      await conn.exec('exit 3');
    } finally {
      await conn.close();
    }
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ host: 'here', rc: 0, out: 11, command: "printf 'hell" });
    expect(rows[1]).toMatchObject({ rc: 3, out: 0, command: 'exit 3' });
    expect(rows[1].start).toBeGreaterThanOrEqual(rows[0].start + rows[0].ms);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('traces nothing when it is not asked for', async () => {
    const conn = createConnection({ host: 'here', connection: 'local', address: 'here', port: 22, user: 'root', timeoutSec: 10, acceptNewHostKeys: false });
    expect(Object.prototype.hasOwnProperty.call(conn, 'exec')).toBe(false);
    await conn.close();
  });
});
