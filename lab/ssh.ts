// SSH into the lab: one key for root on every host, a known_hosts written when
// the hosts are made, and a ProxyCommand that enters the lab's namespace (so
// with the lab down, connecting fails at once on this machine).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { HOST_ADDRESSES, MGMT_ADDRESSES, KEY_DIR, KNOWN_HOSTS, PROXY_COMMAND, SSH_KEY, type LabHost } from './config.js';
import { run } from './run.js';

/** The lab's public key, creating the key pair once (it is kept across `down`). */
export async function ensureLabKey(): Promise<string> {
  await mkdir(KEY_DIR, { recursive: true, mode: 0o700 });
  if (!existsSync(SSH_KEY) || !existsSync(`${SSH_KEY}.pub`)) {
    await rm(SSH_KEY, { force: true });
    await rm(`${SSH_KEY}.pub`, { force: true });
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'uxsv-lab', '-f', SSH_KEY]);
  }
  return readFile(`${SSH_KEY}.pub`, 'utf8');
}

/** known_hosts lines naming each host by name, management address and service address. */
export async function writeKnownHosts(hostKeys: Partial<Record<LabHost, string>>): Promise<void> {
  const lines = Object.entries(hostKeys).map(([host, key]) => {
    const [type, blob] = (key ?? '').split(/\s+/);
    return `${host},${MGMT_ADDRESSES[host as LabHost]},${HOST_ADDRESSES[host as LabHost]} ${type} ${blob}`;
  });
  await writeFile(KNOWN_HOSTS, lines.join('\n') + '\n', { mode: 0o644 });
}

export async function removeKnownHosts(): Promise<void> {
  await rm(KNOWN_HOSTS, { force: true });
}

/** The OpenSSH client options the lab inventory also uses. */
export function sshOptions(): string[] {
  return [
    '-i',
    SSH_KEY,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${KNOWN_HOSTS}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `ProxyCommand=${PROXY_COMMAND}`,
    '-o',
    'ConnectTimeout=10',
    '-o',
    'LogLevel=ERROR',
  ];
}

/** argv of `ssh` to a host; with a command it runs that, without one it opens a shell. */
export function sshArgv(host: LabHost, command: readonly string[] = [], { batch = false, tty = false } = {}): string[] {
  const argv = ['ssh', ...sshOptions()];
  if (batch) argv.push('-o', 'BatchMode=yes');
  if (tty) argv.push('-t');
  argv.push(`root@${MGMT_ADDRESSES[host]}`);
  if (command.length > 0) argv.push('--', ...command);
  return argv;
}
