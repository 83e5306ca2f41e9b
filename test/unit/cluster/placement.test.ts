/** The placement matrix in the repository passes its invariants; each broken variant is refused naming the mode and the rule. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { placementProblems, servicesByHost, validatePlacement } from '../../../module_utils/placement.js';
import { Inventory } from '../../../engine/inventory/index.js';
import { readPasswordFile, setActiveVaultSecrets, VaultSecrets } from '../../../engine/vault/index.js';

const HOSTS = ['uxsv01', 'uxsv02', 'uxsv03'];
const ADDRESSES = [...HOSTS, 'www', 'www3'];
const matrix = () => structuredClone(parse(readFileSync('inventory/group_vars/all/placement.yml', 'utf8')).cluster_modes);

function rules(modes: unknown): string[] {
  return placementProblems(modes, HOSTS, ADDRESSES).map((p) => `${p.mode}: ${p.rule}`);
}

describe('placement matrix', () => {
  it('the repository matrix is valid, and reads back as the SPEC table', () => {
    expect(rules(matrix())).toEqual([]);
    const m = validatePlacement(matrix(), HOSTS, ADDRESSES);
    expect(servicesByHost(m.normal, HOSTS)).toEqual({
      uxsv01: ['dns-primary', 'dhcp', 'web-www', 'mail', 'ntp'],
      uxsv02: ['dns-secondary', 'web-www3', 'ntp'],
      uxsv03: ['dns-secondary', 'ntp'],
    });
    expect(servicesByHost(m['degraded-uxsv01'], HOSTS)).toEqual({
      uxsv01: [],
      uxsv02: ['dns-primary', 'dhcp', 'web-www', 'mail', 'ntp'],
      uxsv03: ['dns-secondary', 'web-www3', 'ntp'],
    });
  });

  it('is loaded from both inventories through the shared group_vars', () => {
    // Production's group_vars/all/ also holds the vault-encrypted secrets (test/unit/vault/production.test.ts).
    setActiveVaultSecrets(new VaultSecrets([readPasswordFile('examples/vault-password.example')]));
    try {
      for (const inv of ['inventory/lab', 'inventory/production']) {
        const vars = Inventory.load([inv]).hostVars('uxsv02');
        expect(rules(vars.cluster_modes)).toEqual([]);
        expect(Object.keys(vars.cluster_addresses as object).sort()).toEqual([...ADDRESSES].sort());
      }
    } finally {
      setActiveVaultSecrets(undefined);
    }
  });

  const broken: Array<[string, (m: any) => void, string]> = [
    ['two DHCP servers', (m) => (m.normal.dhcp = ['uxsv01', 'uxsv02']), 'normal: exactly one DHCP server'],
    ['no DNS primary', (m) => delete m['degraded-uxsv02'].dns_primary, 'degraded-uxsv02: shape'],
    ['mail apart from POP', (m) => (m.normal.pop = 'uxsv02'), 'normal: mail, POP and mailing lists together'],
    ['two sites on one host', (m) => (m['degraded-uxsv01'].web.www3 = 'uxsv02'), 'degraded-uxsv01: at most one web site per host'],
    ['NTP missing on a live host', (m) => (m['degraded-uxsv03'].ntp = ['uxsv01']), 'degraded-uxsv03: NTP on every live host'],
    ['the down host serves', (m) => (m['degraded-uxsv01'].dhcp = 'uxsv01'), 'degraded-uxsv01: services only on live hosts'],
    ['the down host carries an address', (m) => (m['degraded-uxsv02'].addresses.uxsv02 = ['www3']), 'degraded-uxsv02: the down host carries nothing'],
    ['an alias with two holders', (m) => (m.normal.addresses.uxsv03 = ['www']), 'normal: every alias has one holder'],
    ["the failed host's address not taken over", (m) => (m['degraded-uxsv03'].addresses.uxsv01 = ['www']), "degraded-uxsv03: the down host's address is taken over"],
    ['mirroring while degraded', (m) => (m['degraded-uxsv01'].mirror = true), 'degraded-uxsv01: mirroring only in normal mode'],
    ['a mode missing', (m) => delete m['degraded-uxsv02'], 'degraded-uxsv02: every mode is defined'],
  ];
  it.each(broken)('refuses %s, naming the mode and the rule', (_name, breakIt, expected) => {
    const m = matrix();
    breakIt(m);
    expect(rules(m)).toContain(expected);
    expect(() => validatePlacement(m, HOSTS, ADDRESSES)).toThrow(new RegExp(`mode ${expected.split(':')[0]}`));
  });
});
