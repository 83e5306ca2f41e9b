// Light hosts for benchmarks (`uxsv lab up --light N`): up to 50 hosts that
// are only an sshd each, in a network namespace of their own plugged into the
// lab bridge like the full hosts, but with no systemd and no disk. Each runs
//
//   ip netns exec uxsv-light-NN unshare --mount --uts --ipc --pid --kill-child \
//     --propagation private sh -c LIGHT_BOOT ...
//
// where the script, in its private mount namespace, bind-mounts the lab image
// read-only on an empty folder and gives the host tmpfs on /run, /tmp,
// /var/tmp, /root and /dev (with a few device nodes bound from this machine),
// then makes it its root (pivot_root, as a chroot that leaves no way back to
// this machine's files) and execs sshd. Every mount lives only in that mount
// namespace and goes when its processes do: killing what runs in the network
// namespace (as `lab down` and removeLightHosts do) leaves nothing behind, and
// nothing a playbook writes reaches the image or this machine.
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { UserError } from '../engine/errors.js';
import {
  BRIDGE,
  LAB_NETNS,
  LAB_PREFIX_LENGTH,
  LIGHT_DIR,
  LIGHT_IFACE,
  LIGHT_INVENTORY,
  LIGHT_KNOWN_HOSTS,
  LIGHT_MAX,
  LIGHT_NETNS_PREFIX,
  PROXY_COMMAND,
  SSH_KEY,
  lightAddress,
  lightBridgePort,
  lightName,
  lightNetns,
} from './config.js';
import { killAndWait } from './hosts.js';
import { labNetnsNames, netnsExists, netnsPids } from './network.js';
import { isAlive, run } from './run.js';
import { ensureLabKey } from './ssh.js';
import { readState } from './state.js';

const HOST_KEY = join(LIGHT_DIR, 'ssh_host_ed25519_key');
const AUTHORIZED_KEYS = join(LIGHT_DIR, 'authorized_keys');
const twoDigits = (index: number): string => String(index).padStart(2, '0');
/** The empty folder the image is bound on, inside the host's own mount namespace only. */
export const lightRoot = (index: number): string => join(LIGHT_DIR, twoDigits(index), 'root');
export const lightLog = (index: number): string => join(LIGHT_DIR, `${twoDigits(index)}.log`);

const DEFAULT_READY_TIMEOUT_MS = 20_000;

/**
 * Runs inside the host's private mount, UTS, IPC and PID namespaces (as its
 * PID 1 until it execs sshd), in the host's network namespace. Arguments:
 * image, root, address, host name, LIGHT_DIR.
 */
const LIGHT_BOOT = String.raw`set -eu
image=$1 root=$2 address=$3 name=$4 dir=$5
ip link set lo up
ip addr add "$address/${LAB_PREFIX_LENGTH}" dev ${LIGHT_IFACE}
ip link set ${LIGHT_IFACE} up
mount --bind "$image" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o mode=0755,size=16m,nosuid,nodev uxsv-light "$root/run"
mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev uxsv-light "$root/tmp"
mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev uxsv-light "$root/var/tmp"
mount -t tmpfs -o mode=0700,size=256m,nodev uxsv-light "$root/root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
# Root in a light host must not set this machine's kernel parameters (the
# network's are the host's own namespace's, so they stay writable).
mount --bind "$root/proc/sys" "$root/proc/sys"
mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
mount -o remount,bind,ro "$root/proc/sys"
if [ -e "$root/proc/sysrq-trigger" ]; then
  mount --bind "$root/proc/sysrq-trigger" "$root/proc/sysrq-trigger"
  mount -o remount,bind,ro "$root/proc/sysrq-trigger"
fi
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t tmpfs -o mode=0755,size=64k,nosuid uxsv-light "$root/dev"
for node in null zero full random urandom tty; do
  : > "$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
mkdir -m 0755 "$root/dev/pts"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mkdir -m 1777 "$root/dev/shm"
mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev uxsv-light "$root/dev/shm"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir -m 0755 "$root/run/sshd"
mkdir -m 1777 "$root/run/lock"
install -m 0600 "$dir/ssh_host_ed25519_key" "$root/run/ssh_host_ed25519_key"
install -m 0644 "$dir/ssh_host_ed25519_key.pub" "$root/run/ssh_host_ed25519_key.pub"
mkdir -m 0700 "$root/root/.ssh"
install -m 0600 "$dir/authorized_keys" "$root/root/.ssh/authorized_keys"
for file in .bashrc .profile; do
  if [ -f "$image/root/$file" ]; then cp "$image/root/$file" "$root/root/$file"; fi
done
hostname "$name"
# Into the tree, as chroot would, but without this machine's mounts: pivot_root
# and dropping the old root leave the host nothing else to see, write or escape to.
cd "$root"
pivot_root . mnt
cd /
umount -l /mnt
exec /usr/sbin/sshd -D -e -h /run/ssh_host_ed25519_key \
  -o ListenAddress="$address" -o PrintLastLog=no -o UsePAM=no
`;

export interface LightUpOptions {
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Bound on waiting until every light host answers SSH (default 20 s). */
  readyTimeoutMs?: number;
  /** Bound on waiting for the three hosts to boot, when the lab has to be brought up first (default 90 s). */
  bootTimeoutMs?: number;
}

export interface LightStatus {
  /** Light hosts whose namespace exists. */
  hosts: number;
  /** Of those, how many have their sshd running. */
  running: number;
  /** The addresses, as `198.51.100.30-79` (or a list when they are not one range). */
  addresses: string;
  inventory?: string;
}

export function checkLightCount(count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > LIGHT_MAX) {
    throw new UserError(`the number of light hosts must be a whole number from 0 to ${LIGHT_MAX} (got ${count})`);
  }
}

/**
 * `uxsv lab up --light N`: replaces the light hosts with `count` fresh ones,
 * 0..50 (0 removes them), and waits until each answers SSH; returns the path
 * of their inventory. A running lab is used as it is (its three hosts are not
 * healed or otherwise touched); a lab that is down is brought up first, as
 * `labUp` does.
 */
export async function labUpLight(count: number, options: LightUpOptions = {}): Promise<string> {
  checkLightCount(count);
  let state = readState();
  if (!state || !netnsExists(LAB_NETNS)) {
    // Imported here: index.ts imports this module.
    const { labUp } = await import('./index.js');
    await labUp(options);
    state = readState();
    if (!state || !netnsExists(LAB_NETNS)) throw new Error('the lab did not come up');
  }
  return startLightHosts(count, state.image, options);
}

/** Indices (1..50) of the light hosts whose namespace exists. */
export function lightIndices(): number[] {
  return labNetnsNames()
    .filter((name) => name.startsWith(LIGHT_NETNS_PREFIX))
    .map((name) => Number(name.slice(LIGHT_NETNS_PREFIX.length)))
    .filter((index) => Number.isInteger(index) && index >= 1 && index <= LIGHT_MAX)
    .sort((a, b) => a - b);
}

/**
 * Replaces the light hosts with `count` fresh ones (0 removes them) on the
 * running lab's bridge, chrooted into `image`, and waits until each answers
 * SSH with the lab key. Returns the inventory path (LIGHT_INVENTORY).
 * The lab (LAB_NETNS and its bridge) must be up.
 */
export async function startLightHosts(count: number, image: string, options: LightUpOptions = {}): Promise<string> {
  checkLightCount(count);
  const log = options.log ?? (() => {});
  await removeLightHosts();
  if (count === 0) return LIGHT_INVENTORY;
  if (!existsSync(join(image, 'usr/sbin/sshd'))) throw new Error(`the lab image ${image} has no /usr/sbin/sshd`);
  const started = Date.now();
  const indices = Array.from({ length: count }, (_, i) => i + 1);
  try {
    await mkdir(LIGHT_DIR, { recursive: true, mode: 0o755 });
    const labKey = await ensureLabKey();
    await writeFile(AUTHORIZED_KEYS, labKey, { mode: 0o600 });
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'root@uxsv-light', '-f', HOST_KEY]);
    await chmod(HOST_KEY, 0o600);
    const hostKey = (await readFile(`${HOST_KEY}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    await writeFile(LIGHT_KNOWN_HOSTS, indices.map((i) => `${lightAddress(i)} ${hostKey}\n`).join(''), { mode: 0o644 });
    await writeFile(LIGHT_INVENTORY, inventoryYaml(indices), { mode: 0o644 });
    await createLightNetworks(indices);
    const pids = await Promise.all(indices.map((index) => bootLightHost(index, image)));
    log(`starting ${count} light host${count === 1 ? '' : 's'} (${addressRange(indices)})`);
    await waitUntilAnswering(indices, pids, Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS));
  } catch (error) {
    // Leave the lab as it was: no half-started light hosts.
    await removeLightHosts().catch(() => undefined);
    throw error;
  }
  log(`${count} light host${count === 1 ? '' : 's'} up in ${((Date.now() - started) / 1000).toFixed(1)} s; inventory ${LIGHT_INVENTORY}`);
  return LIGHT_INVENTORY;
}

/**
 * Makes each host's namespace and a veth from it to the bridge, as the full
 * hosts have (plugIntoBridge in network.ts), in three `ip -batch` runs instead
 * of seven `ip` processes a host. The host's side (lo, its address) is set up
 * by its boot script, which runs in the namespace.
 */
async function createLightNetworks(indices: readonly number[]): Promise<void> {
  const lines = (line: (index: number) => string): string => indices.map(line).join('\n') + '\n';
  await run(['ip', '-batch', '-'], { input: lines((index) => `netns add ${lightNetns(index)}`) });
  await run(['ip', '-batch', '-'], {
    input: lines(
      (index) => `link add ${lightBridgePort(index)} netns ${LAB_NETNS} type veth peer name ${LIGHT_IFACE} netns ${lightNetns(index)}`,
    ),
  });
  await run(['ip', '-n', LAB_NETNS, '-batch', '-'], { input: lines((index) => `link set ${lightBridgePort(index)} master ${BRIDGE} up`) });
}

/** Starts the host in the background; returns the pid of its `unshare` (sshd's parent). */
async function bootLightHost(index: number, image: string): Promise<number> {
  const root = lightRoot(index);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const log = openSync(lightLog(index), 'a');
  try {
    // `ip netns exec` execs unshare, so the child's pid is unshare's; --kill-child
    // takes sshd (PID 1 of the host's PID namespace, and with it the rest) down with it.
    const child = spawn(
      'ip',
      [
        'netns', 'exec', lightNetns(index),
        'unshare', '--mount', '--uts', '--ipc', '--pid', '--kill-child', '--propagation', 'private',
        'sh', '-c', LIGHT_BOOT, 'uxsv-light-boot', image, root, lightAddress(index), lightName(index), LIGHT_DIR,
      ],
      {
        detached: true,
        stdio: ['ignore', log, log],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
      },
    );
    child.unref();
    if (!child.pid) throw new Error(`could not start ${lightName(index)}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** argv of `ssh` to a light host as root, with the lab key and the light hosts' known_hosts. */
export function lightSshArgv(index: number, command: readonly string[] = []): string[] {
  const argv = [
    'ssh',
    '-i', SSH_KEY,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${LIGHT_KNOWN_HOSTS}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `ProxyCommand=${PROXY_COMMAND}`,
    '-o', 'ConnectTimeout=5',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
    `root@${lightAddress(index)}`,
  ];
  if (command.length > 0) argv.push('--', ...command);
  return argv;
}

/**
 * Runs in the lab's namespace (one process for all hosts): connects to each
 * address's port 22 until sshd sends its banner, bounded by a deadline and a
 * count of attempts; prints the addresses that never answered, with the last
 * error, as JSON. sshd only listens once the boot script has set up the whole
 * host (the script stops at its first failing step), so a banner means the
 * host is complete.
 */
const BANNER_PROBE = String.raw`
const net = require('node:net');
const [deadlineText, ...addresses] = process.argv.slice(1);
const deadline = Number(deadlineText);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
function banner(address) {
  return new Promise((done) => {
    const socket = net.connect({ host: address, port: 22, timeout: 1000 });
    let data = '';
    const finish = (error) => { socket.destroy(); done(error); };
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\n')) finish(data.startsWith('SSH-2.0-') ? undefined : 'not an SSH banner: ' + data.slice(0, 40));
    });
    socket.on('timeout', () => finish('timed out'));
    socket.on('error', (error) => finish(error.code || error.message));
    socket.on('close', () => finish('closed before the banner'));
  });
}
async function probe(address) {
  let last = 'not tried';
  for (let attempt = 0; attempt < 400 && Date.now() < deadline; attempt++) {
    last = await banner(address);
    if (last === undefined) return undefined;
    await sleep(50);
  }
  return last;
}
Promise.all(addresses.map(probe)).then((errors) => {
  const failed = Object.fromEntries(addresses.map((a, i) => [a, errors[i]]).filter(([, e]) => e !== undefined));
  process.stdout.write(JSON.stringify(failed));
});
`;

/**
 * Waits (until `deadline`) for every host's sshd banner, then logs in as root
 * on the first and the last host with the lab key and the light known_hosts
 * (the hosts are identical but for their address). Throws naming the hosts
 * that did not answer, with the end of their logs.
 */
async function waitUntilAnswering(indices: readonly number[], pids: readonly number[], deadline: number): Promise<void> {
  const probe = await run(
    ['ip', 'netns', 'exec', LAB_NETNS, process.execPath, '-e', BANNER_PROBE, String(deadline), ...indices.map(lightAddress)],
    { allowFail: true, timeoutMs: Math.max(5000, deadline - Date.now() + 5000) },
  );
  let failed: Record<string, string>;
  try {
    failed = JSON.parse(probe.stdout) as Record<string, string>;
  } catch {
    throw new Error(`the SSH probe failed (exit ${probe.code}): ${probe.stderr.trim().slice(-500)}`);
  }
  const failures = indices
    .map((index, n) => {
      if (!isAlive(pids[n]!)) return `${lightName(index)} exited: ${logTail(index)}`;
      const error = failed[lightAddress(index)];
      return error === undefined ? undefined : `${lightName(index)} (${lightAddress(index)}): ${error}; ${logTail(index)}`;
    })
    .filter((failure): failure is string => failure !== undefined);
  if (failures.length === 0) {
    for (const index of new Set([indices[0]!, indices[indices.length - 1]!])) {
      const timeoutMs = Math.max(5000, deadline - Date.now());
      const login = await run(lightSshArgv(index, ['true']), { allowFail: true, timeoutMs });
      if (login.code !== 0) failures.push(`${lightName(index)}: ssh as root failed: ${login.stderr.trim().split('\n').pop()}; ${logTail(index)}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`${failures.length} of ${indices.length} light hosts did not answer SSH:\n${failures.slice(0, 5).join('\n')}`);
  }
}

function logTail(index: number): string {
  try {
    const lines = readFileSync(lightLog(index), 'utf8').trim().split('\n').slice(-5).join(' | ');
    return lines ? `log: ${lines}` : `(${lightLog(index)} is empty)`;
  } catch {
    return '(no log)';
  }
}

/**
 * Stops every light host and deletes its namespace (its veth and bridge port
 * go with it) and LIGHT_DIR. The full hosts are not touched.
 */
export async function removeLightHosts(): Promise<void> {
  const indices = lightIndices();
  const pids = (await Promise.all(indices.map((index) => netnsPids(lightNetns(index))))).flat();
  await killAndWait(pids);
  const survivors = pids.filter(isAlive);
  if (survivors.length > 0) throw new Error(`light host processes did not stop: ${survivors.join(', ')}`);
  // Deleting a namespace frees its veth later, in the background; deleting the
  // bridge ports first frees them now, so new hosts can take their names at once.
  const ports = await lightBridgePorts();
  if (ports.length > 0) {
    await run(['ip', '-n', LAB_NETNS, '-force', '-batch', '-'], { input: ports.map((port) => `link del ${port}\n`).join(''), allowFail: true });
  }
  if (indices.length > 0) {
    await run(['ip', '-force', '-batch', '-'], { input: indices.map((index) => `netns del ${lightNetns(index)}\n`).join(''), allowFail: true });
  }
  // The bridge side still knows the old hosts' MAC addresses; new hosts at the
  // same addresses would go unanswered until those entries expire.
  if (netnsExists(LAB_NETNS)) await run(['ip', '-n', LAB_NETNS, 'neigh', 'flush', 'dev', BRIDGE], { allowFail: true });
  const left = [...lightIndices().map(lightNetns), ...(await lightBridgePorts())];
  if (left.length > 0) throw new Error(`could not remove the light hosts' ${left.join(', ')}`);
  // The hosts' mounts only ever exist in their own mount namespaces; if one
  // showed up here, deleting the folder would reach into it.
  const mounted = lightMountsHere();
  if (mounted.length > 0) throw new Error(`not removing ${LIGHT_DIR}: mounts under it: ${mounted.join(', ')}`);
  await rm(LIGHT_DIR, { recursive: true, force: true });
}

/** Light hosts' ports on the lab bridge (`vl-NN`), left over or not. */
async function lightBridgePorts(): Promise<string[]> {
  if (!netnsExists(LAB_NETNS)) return [];
  const links = await run(['ip', '-n', LAB_NETNS, '-o', 'link', 'show'], { allowFail: true });
  return [...links.stdout.matchAll(/^\d+: (vl-\d\d)[@:]/gm)].map((match) => match[1]!);
}

/** Mount points under LIGHT_DIR in this process's mount namespace (there should be none). */
export function lightMountsHere(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point && (point === LIGHT_DIR || point.startsWith(`${LIGHT_DIR}/`)));
}

export async function lightStatus(): Promise<LightStatus> {
  const indices = lightIndices();
  const running = await Promise.all(indices.map(async (index) => (await netnsPids(lightNetns(index))).length > 0));
  return {
    hosts: indices.length,
    running: running.filter(Boolean).length,
    addresses: addressRange(indices),
    ...(existsSync(LIGHT_INVENTORY) ? { inventory: LIGHT_INVENTORY } : {}),
  };
}

/** `198.51.100.30-79` for consecutive hosts, else the addresses joined by commas. */
function addressRange(indices: readonly number[]): string {
  if (indices.length === 0) return '-';
  const first = indices[0]!;
  const last = indices[indices.length - 1]!;
  if (last - first + 1 !== indices.length) return indices.map(lightAddress).join(',');
  if (first === last) return lightAddress(first);
  return `${lightAddress(first)}-${lightAddress(last).split('.').pop()}`;
}

function inventoryYaml(indices: readonly number[]): string {
  const hosts = indices.map((index) => `        ${lightName(index)}:\n          ansible_host: ${lightAddress(index)}\n`).join('');
  return [
    '# uxsv lab light hosts (`uxsv lab up --light N`): only sshd, chrooted into the',
    '# lab image read-only; writable (tmpfs, each host its own): /root, /tmp,',
    '# /var/tmp, /run. No systemd. Rewritten by every `lab up --light`; removed',
    '# by `lab up --light 0` and `lab down`.',
    'all:',
    '  children:',
    '    light:',
    '      hosts:',
    hosts.trimEnd(),
    '  vars:',
    '    ansible_user: root',
    '    ansible_port: 22',
    `    ansible_ssh_private_key_file: ${SSH_KEY}`,
    '    ansible_ssh_common_args: >-',
    `      -o ProxyCommand="${PROXY_COMMAND}"`,
    `      -o UserKnownHostsFile=${LIGHT_KNOWN_HOSTS}`,
    '      -o StrictHostKeyChecking=yes',
    '      -o IdentitiesOnly=yes',
    '    ansible_python_interpreter: /usr/bin/python3',
    '',
  ].join('\n');
}
