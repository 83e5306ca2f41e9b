/**
 * ansible_virtualization_type/role/tech_guest/tech_host as Ansible's Linux
 * facts find them: containers first, from what the host's first process and
 * systemd say (/proc/1/cgroup, `container=` in /proc/1/environ,
 * /run/systemd/container, /.dockerenv, OpenVZ and Xen files), in Ansible's
 * order; a virtual machine from systemd-detect-virt --vm. Playbooks test these (`virtualization_type not in
 * ('docker', 'container')`), so the names are Ansible's, not systemd's.
 */

/** The probes, as setup script lines (b64 is the script's base64 helper). */
export const VIRTUALIZATION_SCRIPT = String.raw`printf 'cgroup1='; cat /proc/1/cgroup 2>/dev/null | b64
printf 'environ1='; tr '\000' '\n' < /proc/1/environ 2>/dev/null | grep '^container=' | b64
c=; [ -r /run/systemd/container ] && IFS= read -r c < /run/systemd/container; echo "systemd_container=$c"
echo "virt_paths=$([ -e /proc/vz ] && printf vz,)$([ -e /proc/lve ] && printf lve,)$([ -e /proc/bc ] && printf bc,)$({ [ -e /.dockerenv ] || [ -e /.dockerinit ]; } && printf dockerenv,)$([ -e /proc/xen ] && printf xen,)"
[ -e /proc/xen ] && { printf 'xencaps='; cat /proc/xen/capabilities 2>/dev/null | b64; }
echo "virt=$(systemd-detect-virt --vm 2>/dev/null)"`;

export interface VirtualizationProbes {
  cgroup: string;
  environ: string;
  systemdContainer: string;
  paths: string[];
  xenCapabilities: string;
  /** systemd-detect-virt --vm's answer ('none' or empty for none). */
  detected: string;
}

/** systemd-detect-virt's names where Ansible's differ. */
const VM_NAMES: Record<string, string> = { oracle: 'virtualbox', microsoft: 'VirtualPC', xen: 'xen', 'vm-other': 'NA' };

export function virtualizationFacts(p: VirtualizationProbes): Record<string, unknown> {
  const guest = new Set<string>();
  const host = new Set<string>();
  let type: string | undefined;
  let role: string | undefined;
  const found = (tech: string, as: 'guest' | 'host' = 'guest', name = tech) => {
    (as === 'guest' ? guest : host).add(tech);
    if (type === undefined) {
      type = name;
      role = as;
    }
  };
  for (const line of p.cgroup.split('\n')) {
    if (/\/docker(\/|-[0-9a-f]+\.scope)/.test(line)) found('docker');
    if (/\/lxc\//.test(line) || /\/machine\.slice\/machine-lxc/.test(line)) found('lxc');
    if (/\/system\.slice\/containerd\.service/.test(line)) found('containerd');
  }
  for (const line of p.environ.split('\n')) {
    if (/container=lxc/.test(line)) found('lxc');
    if (/container=podman/.test(line)) found('podman');
    if (/^container=./.test(line)) found('container');
  }
  if (p.paths.includes('vz') && !p.paths.includes('lve')) {
    // Ansible names OpenVZ even after an earlier find, but keeps the role found first.
    const as = p.paths.includes('bc') ? 'host' : 'guest';
    (as === 'host' ? host : guest).add('openvz');
    role ??= as;
    type = 'openvz';
  }
  if (p.systemdContainer) found(p.systemdContainer);
  if (p.paths.includes('dockerenv')) found('docker');
  if (['docker', 'lxc', 'podman', 'openvz', 'containerd'].some((t) => guest.has(t)) || p.systemdContainer) guest.add('container');
  if (p.paths.includes('xen')) found('xen', /control_d/.test(p.xenCapabilities) ? 'host' : 'guest');
  const detected = p.detected.trim();
  // Inside a container the machine's hypervisor is not named (Ansible's DMI checks did not name it on the lab's hosts).
  if (type === undefined && detected && detected !== 'none') {
    const name = VM_NAMES[detected] ?? detected;
    if (name !== 'NA' && !guest.has(name)) found(name);
  }
  return {
    virtualization_type: type ?? 'NA',
    virtualization_role: role ?? 'NA',
    virtualization_tech_guest: [...guest].sort(),
    virtualization_tech_host: [...host].sort(),
  };
}
