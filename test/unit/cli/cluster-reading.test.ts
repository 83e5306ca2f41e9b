import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReading, readingScript, STATUS_UNITS } from '../../../engine/cli/cluster-reading.js';
import { LocalConnection } from '../../../engine/connection/local.js';

/** What a cluster host running DNS (primary), Apache and chrony prints. */
const LIVE = [
  '@mode', 'degraded-uxsv02', '',
  '@units', 'active', 'inactive', 'active', 'failed', 'inactive', 'active', 'activating',
  '@addr',
  '2: host0    inet 198.51.100.111/24 brd 198.51.100.255 scope global host0\\       valid_lft forever preferred_lft forever',
  '2: host0    inet 198.51.100.12/24 scope global secondary host0:www\\       valid_lft forever preferred_lft forever',
  '@zones', 'type master', 'type master',
  '@sites', 'www.conf', 'www3-ssl.conf',
  '@end', '',
].join('\n');

describe('the cluster reading of uxsv status and check', () => {
  it('reads mode, units in order, addresses, DNS role and sites', () => {
    const r = parseReading('uxsv01', LIVE);
    expect(r).toMatchObject({ host: 'uxsv01', reachable: true, mode: 'degraded-uxsv02', dnsRole: 'primary', addresses: ['198.51.100.111', '198.51.100.12'], sites: ['www', 'www3-ssl'] });
    expect(r.active).toEqual({ named: true, 'uxsv-dhcpd': false, apache2: true, postfix: false, dovecot: false, chrony: true, 'uxsv-mirror.timer': false });
  });

  it('a host without systemctl or without the files reads as nothing active and no mode', () => {
    const r = parseReading('h', '@mode\nnone\n\n@units\n@addr\n@zones\n@sites\n@end\n');
    expect(r.mode).toBe('none');
    expect(Object.values(r.active)).toEqual(STATUS_UNITS.map(() => false));
    expect(r).toMatchObject({ addresses: [], sites: [] });
    expect(r.dnsRole).toBeUndefined();
  });

  it('a secondary is a secondary; garbage from a host is data, never a crash', () => {
    expect(parseReading('h', '@zones\ntype slave\n@end\n').dnsRole).toBe('secondary');
    const odd = parseReading('h', '@units\nactive\n@mode\n\u0000@addr\n@@\ninet\n');
    expect(Object.values(odd.active).every((a) => a === false)).toBe(true);
  });

  it('runs on a host with hostile names quoted: the mode file and interface are data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uxsv-reading-'));
    const modeFile = join(dir, "mode $(echo INJECTED) `echo INJECTED` 'x'; echo INJECTED");
    writeFileSync(modeFile, 'normal\n');
    const conn = new LocalConnection('here');
    try {
      const r = await conn.exec(readingScript(modeFile, 'lo$(echo INJECTED); echo INJECTED'));
      expect(r.stdout.toString()).not.toContain('INJECTED');
      expect(parseReading('here', r.stdout.toString()).mode).toBe('normal');
      const lo = await conn.exec(readingScript(join(dir, 'missing'), 'lo'));
      const reading = parseReading('here', lo.stdout.toString());
      expect(reading.mode).toBe('none');
      expect(reading.addresses).toEqual(['127.0.0.1']);
    } finally {
      await conn.close();
    }
  });
});
