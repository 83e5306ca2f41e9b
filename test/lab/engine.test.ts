/**
 * The engine against the lab's three hosts over SSH (through the lab's
 * ProxyCommand): facts from all three, and a host lost to a power cut or a
 * pulled cable is reported unreachable (exit 4) while the others finish.
 */
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
    for (const h of ['uxsv01', 'uxsv02', 'uxsv03']) expect(r.stdout).toMatch(new RegExp(`ok: \\[${h}\\] => .*${h}: Debian 12\\.\\d+ \\(bookworm\\), .*systemd`));
  });

  it('a host whose power is cut is unreachable (exit 4); the others finish', async () => {
    await labFail('uxsv03', 'power');
    try {
      const r = await uxsvCli(FACTS);
      expect(r.rc).toBe(4);
      expect(r.stdout).toMatch(/unreachable: \[uxsv03\]/);
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
      expect(r.stdout).toMatch(/unreachable: \[uxsv03\]/);
      expect(r.stdout).toMatch(/uxsv02\s+: ok=2\s+changed=0\s+unreachable=0\s+failed=0/);
    } finally {
      await labHeal('uxsv03');
    }
    const again = await uxsvCli(FACTS);
    expect(again.rc, again.stdout).toBe(0);
  }, 120_000);
});
