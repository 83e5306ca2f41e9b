/**
 * ansible_virtualization_type/role/tech_guest/tech_host as Ansible's Linux
 * facts find them: containers first, from what the host's first process and
 * systemd say (/proc/1/cgroup, `container=` in /proc/1/environ,
 * /run/systemd/container, /.dockerenv, OpenVZ and Xen files), in Ansible's
 * order; a virtual machine from systemd-detect-virt --vm. Playbooks test these (`virtualization_type not in
 * ('docker', 'container')`), so the names are Ansible's, not systemd's.
 */

/**
 * The probes, as setup script lines (engine/facts/setup-script.ts: `__uxsv_m`
 * ends a probe's output). /proc/1/cgroup is among the files the script reads
 * together; only the `container=` entries of /proc/1/environ leave the host
 * (grep -z keeps the entries that hold it, the parser keeps its lines). The
 * paths are tested by shell builtins. systemd-detect-virt is asked only when
 * no container was found (its answer names a machine only then): neither
 * /run/systemd/container nor /.dockerenv.
 */
export const VIRTUALIZATION_SCRIPT = String.raw`LC_ALL=C grep -az 'container=' /proc/1/environ 2>/dev/null; __uxsv_m environ1
__uxsv_c=; [ -r /run/systemd/container ] && IFS= read -r __uxsv_c < /run/systemd/container; printf %s "$__uxsv_c"; __uxsv_m systemd_container
__uxsv_v=
[ -e /proc/vz ] && __uxsv_v="$__uxsv_v"vz,
[ -e /proc/lve ] && __uxsv_v="$__uxsv_v"lve,
[ -e /proc/bc ] && __uxsv_v="$__uxsv_v"bc,
{ [ -e /.dockerenv ] || [ -e /.dockerinit ]; } && __uxsv_v="$__uxsv_v"dockerenv,
[ -e /proc/xen ] && __uxsv_v="$__uxsv_v"xen,
printf %s "$__uxsv_v"; __uxsv_m virt_paths
case $__uxsv_c in
  *[A-Za-z0-9]*) ;;
  *) case $__uxsv_v in *dockerenv*) ;; *) systemd-detect-virt --vm 2>/dev/null;; esac;;
esac
__uxsv_m virt`;

/** The `container=` lines of /proc/1/environ from grep -z's NUL-ended entries. */
export function containerLines(entries: string): string {
  return entries.split('\0').flatMap((entry) => entry.split('\n')).filter((line) => line.startsWith('container=')).map((line) => `${line}\n`).join('');
}

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
