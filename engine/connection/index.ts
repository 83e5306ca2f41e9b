/**
 * Building a connection from a host's variables (Ansible names).
 */
import { userInfo } from 'node:os';
import { UserError } from '../errors.js';
import { LocalConnection } from './local.js';
import { checkedOutputLimit, defaultOutputLimit, OUTPUT_LIMIT_VAR } from './output-limit.js';
import { SshConnection } from './ssh.js';
import { PERSIST_DIR_ENV } from './mux/paths.js';
import { expandHome, parseSshCommonArgs } from './ssh-options.js';
import { EXEC_TRACE_ENV, traced } from './trace.js';
import type { Connection, ConnectionSettings } from './types.js';

export { quote, shellJoin } from './quote.js';
export { LocalConnection } from './local.js';
export { SshConnection } from './ssh.js';
export { TIMEOUT_RC } from './wrap.js';
export { runMultiplexer } from './mux/server.js';
export { multiplexerProblem } from './mux/client.js';

/** How long a connection is kept after a run by default (OpenSSH's ControlPersist in Ansible's default ssh_args). */
export const DEFAULT_PERSIST_SEC = 60;
export const PERSIST_VAR = 'uxsv_ssh_persist';
export const PERSIST_ENV = 'UXSV_SSH_PERSIST';
const MAX_PERSIST_SEC = 24 * 3600;

export function createConnection(settings: ConnectionSettings): Connection {
  const connection = settings.connection === 'local'
    ? new LocalConnection(settings.host, settings.outputLimit !== undefined ? { outputLimit: settings.outputLimit } : {})
    : new SshConnection(settings);
  const trace = process.env[EXEC_TRACE_ENV];
  return trace ? traced(connection, trace) : connection;
}

/**
 * Reads the connection variables. ansible_become* are deliberately not read:
 * become is per task and the runner passes it to exec.
 */
export function settingsFromVars(
  host: string,
  vars: Record<string, unknown>,
  options: { acceptNewHostKeys: boolean; knownHostsFile?: string },
): ConnectionSettings {
  const commonArgs = optionalString(host, vars, 'ansible_ssh_common_args');
  const common = parseSshCommonArgs(commonArgs);
  const privateKeyFile = optionalString(host, vars, 'ansible_ssh_private_key_file');
  const password = optionalString(host, vars, 'ansible_password') ?? optionalString(host, vars, 'ansible_ssh_pass');
  const persistDir = process.env[PERSIST_DIR_ENV] || undefined;
  const knownHostsFile = common.userKnownHostsFile
    ?? (options.knownHostsFile !== undefined ? expandHome(options.knownHostsFile) : undefined);
  return {
    host,
    connection: connectionType(host, vars['ansible_connection']),
    address: optionalString(host, vars, 'ansible_host') ?? host,
    port: wholeNumber(host, vars, 'ansible_port', 22, 1, 65535),
    user: optionalString(host, vars, 'ansible_user') ?? userInfo().username,
    ...(privateKeyFile !== undefined ? { privateKeyFile: expandHome(privateKeyFile) } : {}),
    ...(commonArgs !== undefined ? { commonArgs } : {}),
    timeoutSec: wholeNumber(host, vars, 'ansible_ssh_timeout', 10, 1, 3600),
    ...(knownHostsFile !== undefined ? { knownHostsFile } : {}),
    acceptNewHostKeys: options.acceptNewHostKeys || common.acceptNewHostKeys === true,
    ...(password !== undefined ? { password } : {}),
    outputLimit: outputLimitFrom(host, vars),
    persistSec: persistFrom(host, vars),
    ...(persistDir !== undefined ? { persistDir } : {}),
  };
}

/** Seconds a connection is kept for the next run: uxsv_ssh_persist, else UXSV_SSH_PERSIST, else 60. */
function persistFrom(host: string, vars: Record<string, unknown>): number {
  const value = vars[PERSIST_VAR];
  if (value !== undefined && value !== null && value !== '') return persistSeconds(value, `host ${host}: ${PERSIST_VAR}`);
  const fromEnv = process.env[PERSIST_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return persistSeconds(fromEnv, `the environment variable ${PERSIST_ENV}`);
  return DEFAULT_PERSIST_SEC;
}

/** A whole number of seconds (0 turns keeping off; so do false and no). */
function persistSeconds(value: unknown, where: string): number {
  if (value === false || (typeof value === 'string' && /^\s*(false|no|off)\s*$/i.test(value))) return 0;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PERSIST_SEC) {
    throw new UserError(`${where} must be a whole number of seconds from 0 (off) to ${MAX_PERSIST_SEC}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** uxsv_output_limit, else UXSV_OUTPUT_LIMIT, else the default. */
function outputLimitFrom(host: string, vars: Record<string, unknown>): number {
  const value = vars[OUTPUT_LIMIT_VAR];
  if (value === undefined || value === null || value === '') return defaultOutputLimit();
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new UserError(`host ${host}: ${OUTPUT_LIMIT_VAR} must be a size, not ${JSON.stringify(value)}`);
  }
  return checkedOutputLimit(value, `host ${host}: ${OUTPUT_LIMIT_VAR}`);
}

function connectionType(host: string, value: unknown): 'ssh' | 'local' {
  if (value === undefined || value === null) return 'ssh';
  switch (String(value)) {
    case 'ssh':
    case 'smart':
    case 'paramiko':
      return 'ssh';
    case 'local':
      return 'local';
    default:
      throw new UserError(`host ${host}: ansible_connection ${JSON.stringify(value)} is not supported (use ssh or local)`);
  }
}

function optionalString(host: string, vars: Record<string, unknown>, name: string): string | undefined {
  const value = vars[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new UserError(`host ${host}: ${name} must be a string, not ${JSON.stringify(value)}`);
}

function wholeNumber(host: string, vars: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = vars[name];
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UserError(`host ${host}: ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}
