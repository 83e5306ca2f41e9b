// Names, addresses and paths of the lab. Everything the lab creates on this
// machine carries the `uxsv-` prefix, so cleanup can find it without guessing.

export const LAB_VERSION = 1;

export const LAB_HOSTS = ['uxsv01', 'uxsv02', 'uxsv03'] as const;
export type LabHost = (typeof LAB_HOSTS)[number];

export const LAB_NETWORK = '198.51.100.0/24';
export const LAB_PREFIX_LENGTH = 24;
/** The control side of the bridge: SSH enters here, and it serves NTP to the hosts. */
export const CONTROL_ADDRESS = '198.51.100.1';
/** The client namespace's static address (a DHCP client may add another). */
export const CLIENT_ADDRESS = '198.51.100.100';

export const HOST_ADDRESSES: Record<LabHost, string> = {
  uxsv01: '198.51.100.11',
  uxsv02: '198.51.100.12',
  uxsv03: '198.51.100.13',
};

/**
 * Management addresses: the interface's primary address, fixed, what SSH (the
 * inventory's ansible_host) uses. The host's own service address (HOST_ADDRESSES)
 * can move to another host when it fails; a host that comes back after such a
 * takeover must not claim it again, so the lab sets it only when nobody on the
 * bridge answers for it (duplicate address detection, as a server's network
 * configuration would), and the engine can still reach the host to restore it.
 */
export const MGMT_ADDRESSES: Record<LabHost, string> = {
  uxsv01: '198.51.100.111',
  uxsv02: '198.51.100.112',
  uxsv03: '198.51.100.113',
};

/** Service addresses that move between hosts (for /etc/hosts only; the roles own them). */
export const SERVICE_NAMES: Record<string, string> = {
  www: '198.51.100.21',
  www3: '198.51.100.23',
};

export const DOMAIN = 'example.jp';

/** Network namespaces: the bridge lives in LAB_NETNS, which is also where the ProxyCommand runs. */
export const LAB_NETNS = 'uxsv-lab';
export const CLIENT_NETNS = 'uxsv-client';
export const NETNS_PREFIX = 'uxsv-';
export const BRIDGE = 'br0';
export const hostNetns = (host: LabHost): string => `uxsv-${host}`;
/** Bridge-side end of a host's veth (inside LAB_NETNS); the host side is `host0`. */
export const hostBridgePort = (host: LabHost): string => `vh-${host}`;
export const CLIENT_BRIDGE_PORT = 'vc-client';
export const HOST_IFACE = 'host0';
export const CLIENT_IFACE = 'eth0';

/** Built images, keyed by their package lists: survives `down` and repository clones. */
export const IMAGE_CACHE_DIR = process.env.UXSV_LAB_IMAGE_CACHE ?? '/var/cache/uxsv-lab/images';
/** The lab's SSH key and known_hosts: outside the repository, at fixed paths the inventory names. */
export const KEY_DIR = '/var/lib/uxsv-lab';
export const SSH_KEY = `${KEY_DIR}/id_ed25519`;
export const KNOWN_HOSTS = `${KEY_DIR}/known_hosts`;
/** Host disks (overlay upper dirs) and mount points. */
export const HOSTS_DIR = `${KEY_DIR}/hosts`;
/** Runtime state: pids, failures, logs. Lives in /run so a reboot of the machine forgets it. */
export const RUN_DIR = '/run/uxsv-lab';
export const STATE_FILE = `${RUN_DIR}/state.json`;

/**
 * Light hosts (`uxsv lab up --light N`, for benchmarks): only sshd in a
 * namespace of its own on the bridge, chrooted into the image read-only, with
 * tmpfs for what it writes. Light host i (1..LIGHT_MAX) is `lightNN`.
 */
export const LIGHT_MAX = 50;
export const LIGHT_NETNS_PREFIX = 'uxsv-light-';
export const LIGHT_IFACE = 'eth0';
/** Runtime files of the light hosts: shared host key, known_hosts, inventory, logs, mount points. */
export const LIGHT_DIR = `${RUN_DIR}/light`;
export const LIGHT_INVENTORY = `${LIGHT_DIR}/hosts.yml`;
export const LIGHT_KNOWN_HOSTS = `${LIGHT_DIR}/known_hosts`;
const twoDigits = (index: number): string => String(index).padStart(2, '0');
export const lightName = (index: number): string => `light${twoDigits(index)}`;
export const lightNetns = (index: number): string => `${LIGHT_NETNS_PREFIX}${twoDigits(index)}`;
/** Bridge-side end of a light host's veth (inside LAB_NETNS); at most 15 characters. */
export const lightBridgePort = (index: number): string => `vl-${twoDigits(index)}`;
/** 198.51.100.30 .. .79: nothing else on the lab network uses that range. */
export const lightAddress = (index: number): string => `198.51.100.${29 + index}`;

/** nodelay: without it Nagle holds back every small SSH packet until an ACK (~40 ms per command). */
export const PROXY_COMMAND = `ip netns exec ${LAB_NETNS} socat - TCP:%h:%p,nodelay`;

export function isLabHost(name: string): name is LabHost {
  return (LAB_HOSTS as readonly string[]).includes(name);
}
