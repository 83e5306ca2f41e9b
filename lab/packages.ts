// Package lists of the lab, in one place so that the image cache key, the image
// build and CI's installer (`node dist/lab/packages.js machine`) agree.
import { fileURLToPath } from 'node:url';

/** Debian suite and mirror of the lab image: the ones this machine's apt uses. */
export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/** Installed into the image by debootstrap: what a bare host needs to boot and be managed. */
export const IMAGE_PACKAGES: readonly string[] = [
  'systemd',
  'systemd-sysv',
  'dbus',
  'openssh-server',
  'iproute2',
  'sudo',
  'python3',
  'iputils-ping',
  'iputils-arping',
  'ca-certificates',
];

/**
 * Downloaded into the image's apt cache but not installed: the roles install
 * them during provisioning, when the hosts have no network.
 */
export const SERVICE_PACKAGES: readonly string[] = [
  'bind9',
  'bind9-utils',
  'isc-dhcp-server',
  'apache2',
  'postfix',
  'dovecot-pop3d',
  'mlmmj',
  'chrony',
  'rsync',
  'ssl-cert',
  'openssl',
  'cron',
];

/**
 * Installed on the machine that runs the lab (CI's `.ci/run` installs them with
 * apt): the tools to build and boot the hosts, the SSH ProxyCommand (socat),
 * the control side's NTP server, and the client tools that `uxsv lab exec` runs
 * inside the client namespace.
 */
export const MACHINE_PACKAGES: readonly string[] = [
  'debootstrap',
  'systemd-container',
  'iproute2',
  'util-linux',
  'openssh-client',
  'socat',
  'chrony',
  'bind9-dnsutils',
  'curl',
  'swaks',
  'isc-dhcp-client',
  'iputils-ping',
  'iputils-arping',
];

const LISTS: Record<string, readonly string[]> = {
  machine: MACHINE_PACKAGES,
  image: IMAGE_PACKAGES,
  service: SERVICE_PACKAGES,
};

// `node dist/lab/packages.js machine` prints one list, space-separated, for shell scripts.
// (Only as that file: inside the bundled `uxsv`, import.meta.url is the bundle's.)
const thisFile = fileURLToPath(import.meta.url);
if (process.argv[1] && thisFile === process.argv[1] && thisFile.endsWith('packages.js')) {
  const list = LISTS[process.argv[2] ?? 'machine'];
  if (!list) {
    process.stderr.write(`usage: packages.js [${Object.keys(LISTS).join('|')}]\n`);
    process.exit(2);
  }
  process.stdout.write(list.join(' ') + '\n');
}
