/**
 * Everything that determines an SSH connection, resolved once from the
 * connection settings and this process's environment (home folder, agent):
 * the same description opens a connection here or in the multiplexer, and its
 * digest names the multiplexer's socket for that connection, so a connection
 * is only ever shared with a run that would have made the very same one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expandHome, parseSshCommonArgs } from './ssh-options.js';
import type { ConnectionSettings } from './types.js';

/** A host that died silently (power cut, cable) is noticed after about four intervals. */
export const KEEPALIVE_INTERVAL_SEC = 5;
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** The environment a ProxyCommand may depend on (finding programs, an ssh jump host's agent and config). */
const PROXY_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SSH_AUTH_SOCK', 'LANG', 'LC_ALL'];

export interface SshTarget {
  /** inventory_hostname, for messages and errors. */
  host: string;
  address: string;
  port: number;
  user: string;
  /** ansible_ssh_private_key_file: the only key offered when set. */
  privateKeyFile?: string;
  /** Without a key file: ssh-agent's socket, then these default keys (those that exist). */
  agentSocket?: string;
  defaultKeyFiles: string[];
  password?: string;
  proxyCommand?: string;
  /** Where the ProxyCommand runs and what it sees of the environment: the run's, wherever the connection is made. */
  proxyCwd?: string;
  proxyEnv?: Record<string, string>;
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  connectTimeoutSec: number;
  keepaliveIntervalSec: number;
}

export function resolveTarget(settings: ConnectionSettings, env: NodeJS.ProcessEnv = process.env): SshTarget {
  const common = parseSshCommonArgs(settings.commonArgs);
  const knownHostsFile = common.userKnownHostsFile
    ?? (settings.knownHostsFile !== undefined ? expandHome(settings.knownHostsFile) : join(homedir(), '.ssh', 'known_hosts'));
  const target: SshTarget = {
    host: settings.host,
    address: settings.address,
    port: settings.port,
    user: settings.user,
    defaultKeyFiles: [],
    knownHostsFile,
    acceptNewHostKeys: settings.acceptNewHostKeys || common.acceptNewHostKeys === true,
    connectTimeoutSec: common.connectTimeoutSec ?? settings.timeoutSec,
    keepaliveIntervalSec: common.serverAliveIntervalSec ?? KEEPALIVE_INTERVAL_SEC,
  };
  if (settings.privateKeyFile !== undefined) {
    target.privateKeyFile = expandHome(settings.privateKeyFile);
  } else {
    const agent = env['SSH_AUTH_SOCK'];
    if (agent) target.agentSocket = agent;
    target.defaultKeyFiles = DEFAULT_KEYS.map((name) => join(homedir(), '.ssh', name)).filter((file) => existsSync(file));
  }
  if (settings.password !== undefined) target.password = settings.password;
  if (common.proxyCommand !== undefined) {
    target.proxyCommand = common.proxyCommand;
    target.proxyCwd = process.cwd();
    target.proxyEnv = Object.fromEntries(PROXY_ENV.flatMap((name) => (env[name] !== undefined ? [[name, env[name]!]] : [])));
  }
  return target;
}

/** "root@127.0.0.1:2222", the start of every failure message. */
export function targetName(target: SshTarget): string {
  return `${target.user}@${target.address}:${target.port}`;
}

/**
 * A digest of everything that decides what the connection is and how it was
 * checked: the target, the contents of the key files (a replaced key is
 * another identity) and the password; not the inventory name or the connect
 * timeout, which change nothing once connected. 32 hex digits, for a socket name.
 */
export function targetKey(target: SshTarget): string {
  const digestOf = (file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    try {
      return createHash('sha256').update(readFileSync(file)).digest('hex');
    } catch (error) {
      return `unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
    }
  };
  const material = JSON.stringify({
    ...target,
    host: undefined,   // the inventory name does not change the connection,
    connectTimeoutSec: undefined,   // nor how long connecting may take
    password: target.password === undefined ? undefined : createHash('sha256').update(`uxsv-password\0${target.password}`).digest('hex'),
    privateKeyDigest: digestOf(target.privateKeyFile),
    defaultKeyDigests: target.defaultKeyFiles.map(digestOf),
    uid: process.geteuid?.(),
  });
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}
