// The lab network: a bridge in its own namespace (the control side, which also
// serves NTP), a namespace per host and one for the client, joined by veths.
// Nothing is created in the machine's main namespace, so the lab range is
// never routed from it.
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import {
  BRIDGE,
  CLIENT_ADDRESS,
  CLIENT_BRIDGE_PORT,
  CLIENT_IFACE,
  CLIENT_NETNS,
  CONTROL_ADDRESS,
  HOST_ADDRESSES,
  MGMT_ADDRESSES,
  HOST_IFACE,
  LAB_HOSTS,
  LAB_NETNS,
  LAB_NETWORK,
  LAB_PREFIX_LENGTH,
  NETNS_PREFIX,
  RUN_DIR,
  hostBridgePort,
  hostNetns,
  type LabHost,
} from './config.js';
import { run } from './run.js';

const NETNS_DIR = '/run/netns';
/** Files that `ip netns exec uxsv-client` mounts over /etc: the client's own resolver, so a DHCP client never rewrites this machine's. */
const CLIENT_ETC = `/etc/netns/${CLIENT_NETNS}`;
const CHRONY_DIR = `${RUN_DIR}/chrony`;

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/** All namespaces the lab may have created, including those of an earlier crashed lab. */
export function labNetnsNames(): string[] {
  if (!existsSync(NETNS_DIR)) return [];
  return readdirSync(NETNS_DIR).filter((name) => name.startsWith(NETNS_PREFIX));
}

const ip = (...args: string[]) => run(['ip', ...args]);

async function addNetns(name: string): Promise<void> {
  await ip('netns', 'add', name);
  await ip('-n', name, 'link', 'set', 'lo', 'up');
}

export async function createBridge(): Promise<void> {
  await addNetns(LAB_NETNS);
  await ip('-n', LAB_NETNS, 'link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
  await ip('-n', LAB_NETNS, 'addr', 'add', `${CONTROL_ADDRESS}/${LAB_PREFIX_LENGTH}`, 'dev', BRIDGE);
  await ip('-n', LAB_NETNS, 'link', 'set', BRIDGE, 'up');
}

/** Creates a namespace with a veth whose other end is a port of the bridge. */
async function plugIntoBridge(netns: string, bridgePort: string, iface: string): Promise<void> {
  await addNetns(netns);
  await ip('link', 'add', bridgePort, 'netns', LAB_NETNS, 'type', 'veth', 'peer', 'name', iface, 'netns', netns);
  await ip('-n', LAB_NETNS, 'link', 'set', bridgePort, 'master', BRIDGE);
  await ip('-n', LAB_NETNS, 'link', 'set', bridgePort, 'up');
}

export async function createHostNetwork(host: LabHost): Promise<void> {
  await plugIntoBridge(hostNetns(host), hostBridgePort(host), HOST_IFACE);
  await resetHostAddresses(host);
}

/**
 * Gives the host's interface its management address and, when no other host
 * carries it (after a takeover), its own service address; nothing else. Set
 * from outside because the namespace outlives the host; after a crash the
 * aliases the host had carried must be gone, as on real hardware.
 */
export async function resetHostAddresses(host: LabHost): Promise<void> {
  await run(['sh', '-c', hostAddressScript(host)]);
}

/** Shell that (re)sets a host's addresses; also run by the boot loop after a reboot. */
export function hostAddressScript(host: LabHost): string {
  const netns = hostNetns(host);
  return [
    `ip -n ${netns} addr flush dev ${HOST_IFACE}`,
    `ip -n ${netns} addr add ${MGMT_ADDRESSES[host]}/${LAB_PREFIX_LENGTH} dev ${HOST_IFACE}`,
    `ip -n ${netns} link set ${HOST_IFACE} up`,
    // Duplicate address detection from the bridge: arping -D exits 0 when nobody answers.
    `if ip netns exec ${LAB_NETNS} arping -q -D -c 1 -w 1 -I ${BRIDGE} ${HOST_ADDRESSES[host]}; then`,
    `  ip -n ${netns} addr add ${HOST_ADDRESSES[host]}/${LAB_PREFIX_LENGTH} dev ${HOST_IFACE}`,
    'else',
    `  echo "${host}: ${HOST_ADDRESSES[host]} is in use on the lab network (taken over); not claiming it" >&2`,
    'fi',
  ].join('\n');
}

/** A powered-off host answers nothing: its interface goes down and loses every address. */
export async function silenceHost(host: LabHost): Promise<void> {
  const netns = hostNetns(host);
  await ip('-n', netns, 'addr', 'flush', 'dev', HOST_IFACE);
  await ip('-n', netns, 'link', 'set', HOST_IFACE, 'down');
}

export async function createClientNetwork(): Promise<void> {
  await mkdir(CLIENT_ETC, { recursive: true });
  const nameservers = LAB_HOSTS.map((host) => `nameserver ${HOST_ADDRESSES[host]}`).join('\n');
  await writeFile(`${CLIENT_ETC}/resolv.conf`, `# uxsv lab client\n${nameservers}\n`);
  await plugIntoBridge(CLIENT_NETNS, CLIENT_BRIDGE_PORT, CLIENT_IFACE);
  await ip('-n', CLIENT_NETNS, 'addr', 'add', `${CLIENT_ADDRESS}/${LAB_PREFIX_LENGTH}`, 'dev', CLIENT_IFACE);
  await ip('-n', CLIENT_NETNS, 'link', 'set', CLIENT_IFACE, 'up');
}

/** Pulls (`up=false`) or plugs back the host's cable: its bridge port goes down, the host keeps running. */
export async function setCable(host: LabHost, up: boolean): Promise<void> {
  await ip('-n', LAB_NETNS, 'link', 'set', hostBridgePort(host), up ? 'up' : 'down');
}

export async function hostAddresses(host: LabHost): Promise<string[]> {
  const netns = hostNetns(host);
  if (!netnsExists(netns)) return [];
  const result = await run(['ip', '-n', netns, '-4', '-o', 'addr', 'show', 'dev', HOST_IFACE], { allowFail: true });
  return [...result.stdout.matchAll(/inet (\S+)/g)].map((match) => match[1]!);
}

/** pids of every process inside a namespace (`ip netns pids`). */
export async function netnsPids(name: string): Promise<number[]> {
  if (!netnsExists(name)) return [];
  const result = await run(['ip', 'netns', 'pids', name], { allowFail: true });
  return result.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/**
 * Starts the control side's NTP server: chronyd that never touches the clock
 * (-x), serving the lab range from its own local clock, with no upstream.
 */
export async function startNtpServer(): Promise<number> {
  await mkdir(CHRONY_DIR, { recursive: true, mode: 0o750 });
  await chown(CHRONY_DIR, await chronyUid(), 0).catch(() => {});
  const config = [
    '# uxsv lab: the "external" time server of the hosts; no upstream, no clock control',
    `allow ${LAB_NETWORK}`,
    'local stratum 8',
    `bindaddress ${CONTROL_ADDRESS}`,
    'cmdport 0',
    `bindcmdaddress ${CHRONY_DIR}/chronyd.sock`,
    `pidfile ${CHRONY_DIR}/chronyd.pid`,
    '',
  ].join('\n');
  const configFile = `${RUN_DIR}/chrony.conf`;
  await writeFile(configFile, config);
  const log = openSync(`${RUN_DIR}/chronyd.log`, 'a');
  try {
    // `ip netns exec` execs its command, so the child's pid is chronyd's.
    const child = spawn('ip', ['netns', 'exec', LAB_NETNS, 'chronyd', '-d', '-x', '-f', configFile], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    if (!child.pid) throw new Error('could not start chronyd');
    return child.pid;
  } finally {
    closeSync(log);
  }
}

async function chronyUid(): Promise<number> {
  const result = await run(['id', '-u', '_chrony'], { allowFail: true });
  return result.code === 0 ? Number(result.stdout.trim()) : 0;
}

/** Deletes every lab namespace (their veths and the bridge go with them) and the client's /etc overlay. */
export async function removeNetwork(): Promise<void> {
  for (const name of labNetnsNames()) {
    await run(['ip', 'netns', 'del', name], { allowFail: true });
  }
  await rm(CLIENT_ETC, { recursive: true, force: true });
  // /etc/netns itself only if the lab made it and nothing else uses it.
  if (existsSync('/etc/netns') && readdirSync('/etc/netns').length === 0) await rm('/etc/netns', { recursive: true });
}
