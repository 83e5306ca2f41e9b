// The three hosts: an overlay on the image each (its own disk), booted by
// systemd-nspawn into its own network namespace.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  DOMAIN,
  HOST_ADDRESSES,
  HOSTS_DIR,
  LAB_HOSTS,
  RUN_DIR,
  SERVICE_NAMES,
  hostNetns,
  type LabHost,
} from './config.js';
import { createHostCgroups, nspawnLockFile, removeLabCgroups } from './cgroups.js';
import { hostAddressScript, netnsPids } from './network.js';
import { isAlive, run, sleep } from './run.js';

export const hostDir = (host: LabHost): string => join(HOSTS_DIR, host);
export const hostRoot = (host: LabHost): string => join(hostDir(host), 'merged');
const hostLog = (host: LabHost): string => join(RUN_DIR, `${host}.log`);

/** Creates the host's disk afresh (an empty overlay upper folder on the image) and mounts it. */
export async function createHostDisk(host: LabHost, image: string): Promise<void> {
  const dir = hostDir(host);
  await rm(dir, { recursive: true, force: true });
  for (const sub of ['upper', 'work', 'merged']) await mkdir(join(dir, sub), { recursive: true });
  await run([
    'mount',
    '-t',
    'overlay',
    `overlay-${host}`,
    '-o',
    `lowerdir=${image},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
    hostRoot(host),
  ]);
}

/** Writes what makes the host itself: name, machine-id, SSH host key, the lab key for root. */
export async function personalizeHost(host: LabHost, labPublicKey: string): Promise<string> {
  const root = hostRoot(host);
  await writeFile(join(root, 'etc/hostname'), `${host}\n`);
  await writeFile(join(root, 'etc/hosts'), hostsFile(host));
  await writeFile(join(root, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
  await mkdir(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(join(root, 'root/.ssh/authorized_keys'), labPublicKey, { mode: 0o600 });
  await chmod(join(root, 'root/.ssh'), 0o700);
  // One host key per host, made here so known_hosts is written without asking the network.
  const hostKey = join(root, 'etc/ssh/ssh_host_ed25519_key');
  await rm(hostKey, { force: true });
  await rm(`${hostKey}.pub`, { force: true });
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${host}`, '-f', hostKey]);
  await writeFile(
    join(root, 'etc/ssh/sshd_config.d/uxsv-lab.conf'),
    `# uxsv lab: the one host key made for this host\nHostKey /etc/ssh/ssh_host_ed25519_key\n`,
  );
  return (await readFile(`${hostKey}.pub`, 'utf8')).trim();
}

function hostsFile(host: LabHost): string {
  const lines = ['127.0.0.1\tlocalhost', `127.0.1.1\t${host}.${DOMAIN} ${host}`];
  for (const other of LAB_HOSTS) {
    if (other !== host) lines.push(`${HOST_ADDRESSES[other]}\t${other}.${DOMAIN} ${other}`);
  }
  for (const [name, address] of Object.entries(SERVICE_NAMES)) lines.push(`${address}\t${name}.${DOMAIN} ${name}`);
  return lines.join('\n') + '\n';
}

/**
 * Boots the host with systemd-nspawn in the background, in a cgroup of its own.
 * Returns the pid of a small sh that joins the cgroup and runs nspawn, and runs
 * it again when the host reboots itself (nspawn exits 133 on `reboot`; at most
 * 20 times); the host counts as powered on while that sh lives.
 */
export async function bootHost(host: LabHost): Promise<number> {
  await mkdir(RUN_DIR, { recursive: true });
  const cgroups = await createHostCgroups(host);
  const joinCgroupsThenBoot = [
    'IFS=:; for d in $UXSV_LAB_CGROUPS; do echo $$ > "$d/cgroup.procs" || exit 97; done',
    'unset UXSV_LAB_CGROUPS',
    'n=0; while [ $n -lt 20 ]; do',
    '  systemd-nspawn "$@"; rc=$?; [ $rc -eq 133 ] || exit $rc; n=$((n+1))',
    // A reboot forgets the aliases the host carried, as on real hardware.
    hostAddressScript(host).replace(/^/gm, '  '),
    'done',
  ].join('\n');
  const log = openSync(hostLog(host), 'a');
  try {
    const child = spawn('sh', ['-c', joinCgroupsThenBoot, 'uxsv-lab-boot', ...nspawnArgs(host)], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, UXSV_LAB_CGROUPS: cgroups.join(':') },
    });
    child.unref();
    if (!child.pid) throw new Error(`could not start systemd-nspawn for ${host}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

function nspawnArgs(host: LabHost): string[] {
  return [
    '--boot',
    '--quiet',
    `--directory=${hostRoot(host)}`,
    `--machine=${host}`,
    `--network-namespace-path=/run/netns/${hostNetns(host)}`,
    // Taking over an address (IP aliasing) needs it.
    '--capability=CAP_NET_ADMIN',
    // PID 1 of this machine is not systemd: no machined to register with, no scope to create.
    '--register=no',
    '--keep-unit',
    '--resolv-conf=off',
    '--timezone=off',
    '--link-journal=no',
    '--console=passive',
  ];
}

/** The host's PID 1 (its systemd) as a pid of this machine, found among its namespace's processes. */
export async function hostLeader(host: LabHost): Promise<number | undefined> {
  for (const pid of await netnsPids(hostNetns(host))) {
    const nsPids = readStatusField(pid, 'NSpid')?.split(/\s+/);
    if (nsPids && nsPids.length > 1 && nsPids[nsPids.length - 1] === '1') return pid;
  }
  return undefined;
}

function readStatusField(pid: number, field: string): string | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/** Runs a command inside the host's namespaces (as `machinectl shell` would), without the network. */
export function inHost(leader: number, argv: readonly string[]): string[] {
  return ['nsenter', `--target=${leader}`, '--mount', '--uts', '--ipc', '--net', '--pid', '--', ...argv];
}

/** `systemctl is-system-running` inside the host: running, degraded, starting, ... */
export async function systemState(host: LabHost): Promise<string | undefined> {
  const leader = await hostLeader(host);
  if (!leader) return undefined;
  const result = await run(inHost(leader, ['systemctl', 'is-system-running']), {
    allowFail: true,
    timeoutMs: 10_000,
  });
  return result.stdout.trim() || undefined;
}

/** Seconds since the host's PID 1 started (from /proc, so no procps is needed). */
export async function hostUptimeSeconds(host: LabHost): Promise<number | undefined> {
  const leader = await hostLeader(host);
  if (!leader) return undefined;
  try {
    // Field 22 of /proc/PID/stat is the start time in clock ticks since boot;
    // Linux reports USER_HZ = 100 ticks per second to user space.
    const stat = readFileSync(`/proc/${leader}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startedTicks = Number(fields[22 - 3]);
    const machineUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return Math.max(0, Math.round(machineUptime - startedTicks / 100));
  } catch {
    return undefined;
  }
}

/**
 * Stops the host as a crash would: SIGKILL to every process in its namespace
 * (its PID 1 first, which takes the whole container down) and to its nspawn.
 */
export async function killHost(host: LabHost, nspawnPid: number | undefined): Promise<void> {
  const pids = [...(await netnsPids(hostNetns(host)))];
  if (nspawnPid && isNspawnOf(nspawnPid, host)) pids.push(nspawnPid);
  pids.push(...nspawnPidsOf(host));
  await killAndWait(pids);
  // Its next boot starts from an empty cgroup, as after a real power cycle.
  await removeLabCgroups(host);
}

/** SIGKILLs the pids and waits (at most 10 s) until they are gone. */
export async function killAndWait(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let attempt = 0; attempt < 100 && pids.some(isAlive); attempt++) await sleep(100);
}

function isNspawnOf(pid: number, host: LabHost): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const runsNspawn = argv[0]?.endsWith('systemd-nspawn') === true || argv.includes('uxsv-lab-boot');
    return runsNspawn && argv.includes(`--directory=${hostRoot(host)}`);
  } catch {
    return false;
  }
}

/** Any systemd-nspawn still running one of our hosts, recorded or not (an earlier lab that crashed). */
export function nspawnPidsOf(host?: LabHost): number[] {
  const hosts = host ? [host] : [...LAB_HOSTS];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (hosts.some((candidate) => isNspawnOf(pid, candidate))) found.push(pid);
  }
  return found;
}

/** Unmounts everything under the hosts' folder (deepest first) and deletes the disks. */
export async function removeHostDisks(): Promise<void> {
  const lockFiles = LAB_HOSTS.map((host) => nspawnLockFile(hostRoot(host)));
  for (const mountPoint of labMounts().reverse()) {
    const result = await run(['umount', mountPoint], { allowFail: true });
    if (result.code !== 0) await run(['umount', '--lazy', mountPoint], { allowFail: true });
  }
  await rm(HOSTS_DIR, { recursive: true, force: true });
  await removeLabCgroups();
  // Left by an nspawn that was killed before it could clean up.
  for (const lockFile of lockFiles) if (lockFile) await rm(lockFile, { force: true });
  for (const host of LAB_HOSTS) {
    await rm(`/run/systemd/nspawn/propagate/${host}`, { recursive: true, force: true });
  }
}

/** Mount points of this machine under the hosts' folder, in mount order. */
export function labMounts(): string[] {
  const mountInfo = readFileSync('/proc/self/mountinfo', 'utf8');
  return mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point && (point === HOSTS_DIR || point.startsWith(`${HOSTS_DIR}/`)));
}

export function hostDiskMounted(host: LabHost): boolean {
  return labMounts().includes(hostRoot(host));
}
