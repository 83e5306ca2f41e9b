// `uxsv lab`: three real Debian hosts on this machine (docs/design.md, section 2, and README: the lab).
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { UserError } from '../engine/errors.js';
import {
  CLIENT_NETNS,
  CONTROL_ADDRESS,
  LAB_HOSTS,
  LAB_NETNS,
  LAB_VERSION,
  RUN_DIR,
  hostNetns,
  isLabHost,
  type LabHost,
} from './config.js';
import {
  bootHost,
  createHostDisk,
  hostDiskMounted,
  hostUptimeSeconds,
  killAndWait,
  killHost,
  labMounts,
  nspawnPidsOf,
  personalizeHost,
  removeHostDisks,
  systemState,
} from './hosts.js';
import { ensureImage } from './image.js';
import { lightStatus, removeLightHosts, type LightStatus } from './light.js';
import {
  createBridge,
  createClientNetwork,
  createHostNetwork,
  hostAddresses,
  labNetnsNames,
  netnsExists,
  netnsPids,
  removeNetwork,
  resetHostAddresses,
  setCable,
  silenceHost,
  startNtpServer,
} from './network.js';
import { isAlive, run, runInteractive, sleep } from './run.js';
import { ensureLabKey, removeKnownHosts, sshArgv, writeKnownHosts } from './ssh.js';
import { newState, readState, writeState, type LabState } from './state.js';

export { LAB_HOSTS, HOST_ADDRESSES, MGMT_ADDRESSES, CONTROL_ADDRESS, CLIENT_ADDRESS, KNOWN_HOSTS, SSH_KEY, PROXY_COMMAND } from './config.js';
export type { LabHost } from './config.js';
export { sshArgv, sshOptions } from './ssh.js';
export { LIGHT_INVENTORY, LIGHT_KNOWN_HOSTS, LIGHT_MAX, lightAddress, lightName } from './config.js';
export { labUpLight, lightSshArgv, removeLightHosts, type LightStatus } from './light.js';

export type FailMode = 'power' | 'cable';
export type HostRunState = 'running' | 'starting' | 'powered off' | 'cable pulled' | 'stopped' | 'absent';

export interface HostStatus {
  host: LabHost;
  state: HostRunState;
  /** `systemctl is-system-running` inside, when the host runs. */
  systemd?: string;
  addresses: string[];
  uptimeSeconds?: number;
}

export interface LabStatus {
  up: boolean;
  control: { address: string; ntp: boolean };
  client: { addresses: string[] };
  hosts: HostStatus[];
  /** Light hosts (`lab up --light N`), when there are any. */
  light?: LightStatus;
}

export interface LabUpOptions {
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Bound on waiting for the hosts to boot (default 90 s). */
  bootTimeoutMs?: number;
}

const DEFAULT_BOOT_TIMEOUT_MS = 90_000;

/**
 * Starts the lab, or makes a running one whole again (heals failed hosts).
 * A lab left inconsistent by a crash is torn down first; hosts then start with fresh disks.
 */
export async function labUp(options: LabUpOptions = {}): Promise<LabStatus> {
  const log = options.log ?? (() => {});
  const bootTimeoutMs = options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS;
  const image = await ensureImage(log);
  const existing = readState();
  if (existing && existing.image === image && isConsistent(existing)) {
    log('the lab is already up; healing any failed host');
    for (const host of LAB_HOSTS) await labHeal(host, { bootTimeoutMs });
    return labStatus();
  }
  if (existing || labNetnsNames().length > 0 || labMounts().length > 0 || nspawnPidsOf().length > 0) {
    log('cleaning up an earlier lab');
    await labDown();
  }
  const started = Date.now();
  const state = newState(LAB_VERSION, image);
  await writeState(state);
  const labKey = await ensureLabKey();
  await createBridge();
  state.chronyPid = await startNtpServer();
  await writeState(state);
  await createClientNetwork();
  const hostKeys: Partial<Record<LabHost, string>> = {};
  await Promise.all(
    LAB_HOSTS.map(async (host) => {
      await createHostNetwork(host);
      await createHostDisk(host, image);
      hostKeys[host] = await personalizeHost(host, labKey);
    }),
  );
  await writeKnownHosts(hostKeys);
  for (const host of LAB_HOSTS) state.hosts[host].nspawnPid = await bootHost(host);
  await writeState(state);
  log('booting uxsv01, uxsv02, uxsv03');
  const deadline = Date.now() + bootTimeoutMs;
  await Promise.all(LAB_HOSTS.map((host) => waitUntilReady(host, state, deadline)));
  log(`the lab is up (${Math.round((Date.now() - started) / 1000)} s)`);
  return labStatus();
}

/**
 * The network, the NTP server and every host's disk are there. A host that is
 * not running (failed, or powered off from inside) is healed by `up`, not rebuilt.
 */
function isConsistent(state: LabState): boolean {
  if (!state.chronyPid || !isAlive(state.chronyPid)) return false;
  if (![LAB_NETNS, CLIENT_NETNS, ...LAB_HOSTS.map(hostNetns)].every(netnsExists)) return false;
  return LAB_HOSTS.every((host) => !!state.hosts[host] && hostDiskMounted(host));
}

/**
 * Waits until the host's systemd has finished booting (running or degraded)
 * and root can log in over SSH through the ProxyCommand. Fails early if the
 * host's nspawn exits.
 */
async function waitUntilReady(host: LabHost, state: LabState, deadline: number): Promise<void> {
  let lastSeen = 'not started';
  for (let attempt = 0; attempt < 600 && Date.now() < deadline; attempt++) {
    const nspawnPid = state.hosts[host].nspawnPid;
    if (!nspawnPid || !isAlive(nspawnPid)) {
      throw new Error(`${host} stopped while booting:\n${await logTail(host)}`);
    }
    const systemd = await systemState(host);
    lastSeen = `systemd ${systemd ?? 'not started'}`;
    if (systemd === 'running' || systemd === 'degraded') {
      const ssh = await run(sshArgv(host, ['true'], { batch: true }), { allowFail: true, timeoutMs: 15_000 });
      if (ssh.code === 0) return;
      lastSeen = `systemd ${systemd}, ssh: ${ssh.stderr.trim().split('\n').pop()}`;
    }
    await sleep(250);
  }
  throw new Error(`${host} was not ready in time (${lastSeen}); see ${RUN_DIR}/${host}.log`);
}

async function logTail(host: LabHost): Promise<string> {
  const file = `${RUN_DIR}/${host}.log`;
  if (!existsSync(file)) return '(no log)';
  return (await readFile(file, 'utf8')).split('\n').slice(-20).join('\n');
}

/** Stops and removes everything the lab made: processes, mounts, namespaces (and their veths), runtime files. */
export async function labDown(): Promise<void> {
  // First, so the checks it makes before deleting their folder run.
  await removeLightHosts();
  const state = readState();
  const pids = new Set<number>();
  if (state?.chronyPid) pids.add(state.chronyPid);
  for (const host of LAB_HOSTS) {
    const nspawnPid = state?.hosts[host]?.nspawnPid;
    // A recorded pid is only trusted if it still runs one of our hosts (pids get reused).
    if (nspawnPid && nspawnPidsOf(host).includes(nspawnPid)) pids.add(nspawnPid);
  }
  for (const pid of nspawnPidsOf()) pids.add(pid);
  for (const name of labNetnsNames()) for (const pid of await netnsPids(name)) pids.add(pid);
  if (state?.chronyPid && !(await netnsPids(LAB_NETNS)).includes(state.chronyPid)) pids.delete(state.chronyPid);
  await killAndWait([...pids]);
  await removeHostDisks();
  await removeNetwork();
  await removeKnownHosts();
  await rm(RUN_DIR, { recursive: true, force: true });
}

export async function labStatus(): Promise<LabStatus> {
  const state = readState();
  const up = !!state && netnsExists(LAB_NETNS);
  const hosts = await Promise.all(LAB_HOSTS.map((host) => hostStatus(host, up ? state : undefined)));
  const clientAddresses = netnsExists(CLIENT_NETNS)
    ? [
        ...(await run(['ip', '-n', CLIENT_NETNS, '-4', '-o', 'addr', 'show', 'scope', 'global'], { allowFail: true }))
          .stdout.matchAll(/inet (\S+)/g),
      ].map((match) => match[1]!)
    : [];
  const light = await lightStatus();
  return {
    up,
    control: { address: CONTROL_ADDRESS, ntp: !!state?.chronyPid && isAlive(state.chronyPid) },
    client: { addresses: clientAddresses },
    hosts,
    ...(light.hosts > 0 ? { light } : {}),
  };
}

async function hostStatus(host: LabHost, state: LabState | undefined): Promise<HostStatus> {
  const hostState = state?.hosts[host];
  if (!hostState) return { host, state: 'absent', addresses: [] };
  const addresses = await hostAddresses(host);
  if (hostState.powerFailed) return { host, state: 'powered off', addresses };
  if (!hostState.nspawnPid || !isAlive(hostState.nspawnPid)) return { host, state: 'stopped', addresses };
  const systemd = await systemState(host);
  const uptimeSeconds = await hostUptimeSeconds(host);
  const booted = systemd === 'running' || systemd === 'degraded';
  const runState: HostRunState = hostState.cablePulled ? 'cable pulled' : booted ? 'running' : 'starting';
  return { host, state: runState, systemd, addresses, uptimeSeconds };
}

function requireLab(): LabState {
  const state = readState();
  if (!state || !netnsExists(LAB_NETNS)) throw new UserError('the lab is not up (run `uxsv lab up`)');
  return state;
}

export function parseHost(name: string): LabHost {
  if (!isLabHost(name)) throw new UserError(`unknown lab host "${name}" (expected one of ${LAB_HOSTS.join(', ')})`);
  return name;
}

/** `power`: the host stops as in a crash (its disk is kept). `cable`: its link drops, it keeps running. */
export async function labFail(host: LabHost, mode: FailMode): Promise<void> {
  const state = requireLab();
  const hostState = state.hosts[host];
  if (mode === 'power') {
    await killHost(host, hostState.nspawnPid);
    // The namespace outlives the host; without this its kernel would still answer ping and ARP.
    await silenceHost(host);
    hostState.powerFailed = true;
    delete hostState.nspawnPid;
  } else {
    await setCable(host, false);
    hostState.cablePulled = true;
  }
  await writeState(state);
}

/** Undoes `fail`: plugs the cable back, and boots a powered-off (or crashed) host from its disk. */
export async function labHeal(host: LabHost, options: { bootTimeoutMs?: number } = {}): Promise<void> {
  const state = requireLab();
  const hostState = state.hosts[host];
  if (hostState.cablePulled) {
    await setCable(host, true);
    hostState.cablePulled = false;
    await writeState(state);
  }
  const running = !!hostState.nspawnPid && isAlive(hostState.nspawnPid);
  if (hostState.powerFailed || !running) {
    // Whatever still lingers in its namespace dies with the host, as do the aliases it carried.
    await killHost(host, hostState.nspawnPid);
    await resetHostAddresses(host);
    hostState.nspawnPid = await bootHost(host);
    hostState.powerFailed = false;
    await writeState(state);
  }
  await waitUntilReady(host, state, Date.now() + (options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS));
}

/** argv that runs a command on the client side of the lab network (for callers that capture output). */
export function clientArgv(argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', CLIENT_NETNS, ...argv];
}

/** Runs a command on the client side of the lab network, as a department client; returns its exit code. */
export async function labExec(argv: readonly string[]): Promise<number> {
  if (argv.length === 0) throw new UserError('lab exec: no command given (use `uxsv lab exec -- CMD ...`)');
  if (!netnsExists(CLIENT_NETNS)) throw new UserError('the lab is not up (run `uxsv lab up`)');
  return runInteractive(clientArgv(argv));
}

/** A shell (no argv) or a command on a host over SSH, as root; returns ssh's exit code. */
export async function labSsh(host: LabHost, argv: readonly string[] = []): Promise<number> {
  requireLab();
  const tty = argv.length === 0 && process.stdin.isTTY === true;
  return runInteractive(sshArgv(host, argv, { tty }));
}
