/**
 * The engine against the lab's three hosts over SSH (through the lab's
 * ProxyCommand): facts from all three, and a host lost to a power cut or a
 * pulled cable is reported unreachable (exit 4) while the others finish.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB, uxsvCli } from '../helpers/lab.js';
import { labFail, labHeal } from '../../lab/index.js';

const FACTS = ['play', '-i', 'inventory/lab', 'playbooks/facts.yml'];

describe.skipIf(!LAB)('the engine on the lab', () => {
  afterAll(async () => {
    await labHeal('uxsv03').catch(() => undefined);
  });

  it('gathers facts from the three hosts over SSH', async () => {
    const r = await uxsvCli(FACTS);
    expect(r.rc, r.stdout + r.stderr).toBe(0);
    for (const h of ['uxsv01', 'uxsv02', 'uxsv03']) expect(r.stdout).toMatch(new RegExp(`ok: \\[${h}\\] => \\{\\s*"msg": "${h}: Debian 12\\.\\d+ \\(bookworm\\), .*systemd`));
  });

  it('a host whose power is cut is unreachable (exit 4); the others finish', async () => {
    await labFail('uxsv03', 'power');
    try {
      const r = await uxsvCli(FACTS);
      expect(r.rc).toBe(4);
      expect(r.stdout).toMatch(/fatal: \[uxsv03\]: UNREACHABLE! =>/);
      expect(r.stdout).toMatch(/uxsv01\s+: ok=2\s+changed=0\s+unreachable=0\s+failed=0/);
      expect(r.stdout).toMatch(/uxsv03\s+: ok=0\s+changed=0\s+unreachable=1/);
    } finally {
      await labHeal('uxsv03');
    }
  }, 120_000);

  it('a host whose cable is pulled keeps running but is unreachable (exit 4); heal brings it back', async () => {
    await labFail('uxsv03', 'cable');
    try {
      const r = await uxsvCli([...FACTS, '-e', 'ansible_ssh_timeout=3']);
      expect(r.rc).toBe(4);
      expect(r.stdout).toMatch(/fatal: \[uxsv03\]: UNREACHABLE! =>/);
      expect(r.stdout).toMatch(/uxsv02\s+: ok=2\s+changed=0\s+unreachable=0\s+failed=0/);
    } finally {
      await labHeal('uxsv03');
    }
    const again = await uxsvCli(FACTS);
    expect(again.rc, again.stdout).toBe(0);
  }, 120_000);

  it('a host that dies mid-play ends unreachable; the others finish; recap and report tell the truth (exit 4)', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'uxsv-mid-play-')), 'report.json');
    const running = uxsvCli(['play', '-i', 'inventory/lab', 'test/lab/playbooks/mid-play.yml', '--report', report]);
    // The first task takes well under 3 s; the slow step then runs for 8.
    await new Promise((r) => setTimeout(r, 3000));
    await labFail('uxsv03', 'power');
    try {
      const r = await running;
      expect(r.rc, r.stdout + r.stderr).toBe(4);
      expect(r.stdout).toMatch(/fatal: \[uxsv03\]: UNREACHABLE! =>/);
      const data = JSON.parse(readFileSync(report, 'utf8')) as {
        recap: Record<string, Record<string, number>>;
        hosts: Record<string, Array<{ task: string; status: string }>>;
      };
      for (const h of ['uxsv01', 'uxsv02']) {
        expect(data.recap[h]).toMatchObject({ ok: 3, unreachable: 0, failed: 0 });
        expect(data.hosts[h]!.map((e) => e.task)).toEqual(['first', 'slow step', 'write after']);
      }
      expect(data.recap.uxsv03).toMatchObject({ ok: 1, unreachable: 1, failed: 0 });
      expect(data.hosts.uxsv03!.map((e) => `${e.task}: ${e.status}`)).toEqual(['first: changed', 'slow step: unreachable']);
    } finally {
      await labHeal('uxsv03');
    }
    // uxsv03 never got to the last task; the others wrote their file whole.
    const after = await uxsvCli(['play', '-i', 'inventory/lab', '--check', 'test/lab/playbooks/mid-play.yml', '--report', report]);
    const check = JSON.parse(readFileSync(report, 'utf8')) as { hosts: Record<string, Array<{ task: string; changed: boolean }>> };
    expect(after.rc, after.stdout).toBe(0);
    for (const h of ['uxsv01', 'uxsv02', 'uxsv03']) {
      expect(check.hosts[h]!.find((e) => e.task === 'write after')?.changed, h).toBe(h === 'uxsv03');
    }
  }, 180_000);
});
