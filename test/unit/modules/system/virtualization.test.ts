/**
 * ansible_virtualization_* from the setup script's probes, as Ansible's
 * Linux facts name them: fixtures of what hosts print, no host needed.
 */
import { describe, expect, it } from 'vitest';
import { virtualizationFacts, type VirtualizationProbes } from '../../../../engine/facts/virtualization.js';

const none: VirtualizationProbes = { cgroup: '0::/init.scope\n', environ: '', systemdContainer: '', paths: [], xenCapabilities: '', detected: 'none' };

describe('virtualization facts', () => {
  it('names a systemd-nspawn container "container", as Ansible does, with both techs', () => {
    expect(virtualizationFacts({ ...none, environ: 'container=systemd-nspawn\n', systemdContainer: 'systemd-nspawn', detected: 'kvm' })).toEqual({
      virtualization_type: 'container', virtualization_role: 'guest',
      virtualization_tech_guest: ['container', 'systemd-nspawn'], virtualization_tech_host: [],
    });
  });

  it('finds docker by its cgroup or its /.dockerenv, lxc and podman by their environment', () => {
    expect(virtualizationFacts({ ...none, cgroup: '0::/system.slice/docker-0123abc.scope\n' })).toMatchObject({ virtualization_type: 'docker', virtualization_tech_guest: ['container', 'docker'] });
    expect(virtualizationFacts({ ...none, paths: ['dockerenv'] })).toMatchObject({ virtualization_type: 'docker', virtualization_role: 'guest' });
    expect(virtualizationFacts({ ...none, environ: 'container=lxc\n' })).toMatchObject({ virtualization_type: 'lxc', virtualization_tech_guest: ['container', 'lxc'] });
    expect(virtualizationFacts({ ...none, environ: 'container=podman\n' })).toMatchObject({ virtualization_type: 'podman' });
  });

  it('names a virtual machine from systemd-detect-virt --vm, and a bare machine NA', () => {
    expect(virtualizationFacts({ ...none, detected: 'kvm' })).toEqual({ virtualization_type: 'kvm', virtualization_role: 'guest', virtualization_tech_guest: ['kvm'], virtualization_tech_host: [] });
    expect(virtualizationFacts({ ...none, detected: 'oracle' })).toMatchObject({ virtualization_type: 'virtualbox' });
    expect(virtualizationFacts(none)).toEqual({ virtualization_type: 'NA', virtualization_role: 'NA', virtualization_tech_guest: [], virtualization_tech_host: [] });
  });

  it('tells a Xen host from a guest, and keeps an OpenVZ host\'s role', () => {
    expect(virtualizationFacts({ ...none, paths: ['xen'], xenCapabilities: 'control_d\n' })).toMatchObject({ virtualization_type: 'xen', virtualization_role: 'host', virtualization_tech_host: ['xen'] });
    expect(virtualizationFacts({ ...none, paths: ['vz', 'bc'] })).toMatchObject({ virtualization_type: 'openvz', virtualization_role: 'host' });
  });
});
