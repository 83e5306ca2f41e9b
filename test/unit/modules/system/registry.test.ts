/** Every system module under Ansible's names, with a doc and described arguments. */
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../../../engine/modules/registry.js';

const NAMES = [
  'apt', 'ansible.builtin.apt', 'apt_key', 'apt_repository', 'package', 'package_facts', 'dpkg_selections', 'debconf',
  'service', 'systemd', 'systemd_service', 'ansible.builtin.systemd_service', 'service_facts', 'reboot', 'user', 'group', 'getent',
  'cron', 'sysctl', 'ansible.posix.sysctl', 'hostname', 'authorized_key', 'ansible.posix.authorized_key', 'known_hosts', 'wait_for',
  'script', 'ansible.builtin.script', 'expect', 'git', 'iptables', 'mount', 'ansible.posix.mount', 'community.general.timezone',
  'timezone', 'community.general.ufw', 'community.general.pamd', 'community.general.locale_gen', 'community.general.alternatives',
  'community.general.modprobe', 'command', 'shell', 'raw',
];

describe('system module registry', () => {
  it('registers every module with its names, a doc and its return values', () => {
    const registry = buildRegistry();
    for (const name of NAMES) {
      const mod = registry.get(name);
      expect(mod, name).toBeDefined();
      expect(mod!.doc.description.length, name).toBeGreaterThan(40);
      expect(mod!.doc.example, name).toContain('\n');
      expect(Object.keys(mod!.doc.returns ?? {}).length + (name.includes('sysctl') ? 1 : 0), name).toBeGreaterThan(0);
    }
    expect(registry.has('ansible.builtin.timezone')).toBe(false);
  });
});
