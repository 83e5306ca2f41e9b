// synchronize on the lab: rsync from the controller to each host through the
// lab's ProxyCommand, with the host key checked against the lab's
// known_hosts; a second run changes nothing; the tree comes back by pull.
// Runs only with UXSV_LAB=1.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_HOSTS, LAB, expectOk, labPlaybook, onHost } from '../helpers/lab.js';

const play = labPlaybook('test/lab/playbooks/synchronize.yml');
const dir = mkdtempSync(join(tmpdir(), 'uxsv-lab-sync-'));

describe.skipIf(!LAB)('synchronize on the lab', () => {
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const host of ALL_HOSTS) await onHost(host, 'rm -rf /tmp/uxsv-sync-test');
  });

  it('pushes a tree to every host, changes nothing the second time, and pulls it back', async () => {
    const src = join(dir, 'src');
    mkdirSync(join(src, 'sub'), { recursive: true });
    mkdirSync(join(dir, 'pulled'));
    writeFileSync(join(src, 'a file'), 'A\n');
    writeFileSync(join(src, 'sub', "it's"), 'B\n');
    const extra = ['-e', `sync_src=${src}`, '-e', `sync_pulled=${join(dir, 'pulled')}`];
    const first = expectOk(await play(...extra));
    for (const host of ALL_HOSTS) expect(first[host]!.changed).toBe(2);
    for (const host of ALL_HOSTS) {
      const r = await onHost(host, "cat '/tmp/uxsv-sync-test/a file' \"/tmp/uxsv-sync-test/sub/it's\"");
      expect(r.stdout).toBe('A\nB\n');
      expect(readFileSync(join(dir, 'pulled', host, 'sub', "it's"), 'utf8')).toBe('B\n');
    }
    const again = expectOk(await play(...extra));
    for (const host of ALL_HOSTS) expect(again[host]!.changed).toBe(0);
  });
});
