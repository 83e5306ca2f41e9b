/**
 * Where synchronize's rsync runs and how it reaches the other end, as
 * Ansible's synchronize action decides:
 *   - the task's host over SSH, not delegated: rsync runs on the controller
 *     (not under become) and reaches the host as user@address over OpenSSH;
 *   - delegate_to another host: rsync runs there (not under become) and
 *     reaches the task's host the same way;
 *   - the task's host reached locally (ansible_connection=local), or
 *     delegate_to the task's host itself: rsync runs there with both paths
 *     local, under the task's become.
 * When the far end is remote, become turns into `--rsync-path "sudo -u USER
 * rsync"`, and the host is checked to have rsync before rsync is started.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { settingsFromVars } from '../../connection/index.js';
import { LocalConnection } from '../../connection/local.js';
import { quote, shellJoin } from '../../connection/quote.js';
import { SshConnection } from '../../connection/ssh.js';
import { resolveTarget, type SshTarget } from '../../connection/ssh-target.js';
import type { Connection, ConnectionSettings, ExecResult } from '../../connection/types.js';
import { toBool as ansibleBool } from '../../values.js';
import { toBool } from '../lib/args.js';
import type { ModuleContext } from '../types.js';
import type { RshOptions } from './synchronize-command.js';

export interface Ends {
  /** The rsync program on the end that runs it. */
  rsync: string;
  src: string;
  dest: string;
  rsh?: RshOptions;
  rsyncPath?: string;
  /** Runs rsync's words where rsync runs. */
  run(argv: string[]): Promise<ExecResult>;
}

/** Where Ansible's get_bin_path looks besides PATH. */
const SBIN = ['/sbin', '/usr/sbin', '/usr/local/sbin'];

/** A program on this machine, as Ansible's get_bin_path finds it; undefined when it is not there. */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return name;
  const dirs = [...path.split(delimiter).filter(Boolean), ...SBIN];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, fsConstants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

function missingProgram(name: string): string {
  return `Failed to find required executable "${name}" in paths: ${[...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN].join(delimiter)}`;
}

function optionalText(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/**
 * The host's connection settings as its connection resolved them (command
 * line defaults, play keywords and the --known-hosts file included). The
 * module contract gives a module no way to ask for them, so they are read
 * from the SSH connection itself; a connection of another kind (tests
 * replacing how connections are made) falls back to the host's variables.
 */
function connectionSettings(conn: Connection, host: string, vars: Record<string, unknown>): ConnectionSettings {
  if (conn instanceof SshConnection) {
    const settings = (conn as unknown as { settings?: ConnectionSettings }).settings;
    if (settings && typeof settings.address === 'string') return settings;
  }
  return settingsFromVars(host, vars, { acceptNewHostKeys: false });
}

/** Ansible's host_key_checking for the host: its variables, else the environment; default true. */
function hostKeyChecking(vars: Record<string, unknown>): boolean {
  // A value that is not a boolean leaves checking on.
  const setting = (value: unknown): boolean => {
    try {
      return ansibleBool(value);
    } catch {
      return true;
    }
  };
  for (const name of ['ansible_host_key_checking', 'ansible_ssh_host_key_checking']) {
    if (vars[name] !== undefined && vars[name] !== null) return setting(vars[name]);
  }
  for (const name of ['ANSIBLE_HOST_KEY_CHECKING', 'ANSIBLE_SSH_HOST_KEY_CHECKING']) {
    const value = process.env[name];
    if (value !== undefined && value !== '') return setting(value);
  }
  return true;
}

/**
 * A path on the controller side: absolute and remote (`host:path`) paths as
 * given, `~` expanded, a relative path looked up in the role's or
 * playbook's files/ (else taken from the playbook's folder), keeping a
 * trailing slash, which tells rsync to copy a folder's contents.
 */
export function controllerPath(ctx: ModuleContext, path: string): string {
  if (path.includes(':') || path.startsWith('/')) return path;
  if (path === '~' || path.startsWith('~/')) return `${homedir()}${path.slice(1)}`;
  let found: string;
  try {
    found = ctx.findFile('files', path);
  } catch {
    const base = optionalText(ctx.vars.playbook_dir) ?? ctx.searchPath?.at(-1) ?? process.cwd();
    found = resolve(base, path);
  }
  if (!isAbsolute(found)) found = resolve(found);
  return path.endsWith('/') && !found.endsWith('/') ? `${found}/` : found;
}

/** user@host:path, with an IPv6 address in brackets, as rsync reads it. */
function remotePath(address: string, path: string, user: string | undefined): string {
  if (path.startsWith('rsync://')) return path;
  const who = user ? `${user}@` : '';
  return address.includes(':') ? `[${who}${address}]:${path}` : `${who}${address}:${path}`;
}

/** `command -v` of each program on a host: the paths found (undefined where not found). */
async function probePrograms(run: (command: string) => Promise<ExecResult>, names: string[]): Promise<Array<string | undefined>> {
  const script = names.map((name) => `command -v -- ${quote(name)} || echo`).join('\n');
  const result = await run(script);
  const lines = result.stdout.toString().split('\n');
  return names.map((name, i) => {
    const line = lines[i]?.trim();
    if (!line) return undefined;
    return name.includes('/') ? name : line;
  });
}

function rsyncMissingOn(host: string, where: string): string {
  return `rsync is not installed on ${host} (${where}): synchronize needs rsync on both ends; install it there (Debian: apt-get install rsync)`;
}

export async function resolveEnds(ctx: ModuleContext, args: Record<string, unknown>): Promise<Ends | { error: string }> {
  const managed = String(ctx.vars.inventory_hostname ?? ctx.host);
  const delegated = ctx.host !== managed;
  const ids = [managed, optionalText(ctx.vars.ansible_host)].filter((v): v is string => v !== undefined);
  const managedConn = await ctx.connectionFor(managed);
  const runnerConn = delegated ? await ctx.connectionFor(ctx.host) : managedConn;
  const destIsLocal = delegated ? ids.includes(ctx.host) : managedConn instanceof LocalConnection;
  const onController = !destIsLocal && !delegated;
  const thisMachine = onController || runnerConn instanceof LocalConnection;
  const timeoutMs = ctx.timeoutMs;

  const mode = args.mode === 'pull' ? 'pull' : 'push';
  let src = String(args.src);
  let dest = String(args.dest);

  // The programs on the end that runs rsync.
  const localRsync = optionalText(ctx.vars.ansible_rsync_path) ?? 'rsync';
  const wanted = destIsLocal ? [localRsync] : [localRsync, 'ssh'];
  const found = thisMachine
    ? wanted.map((name) => findProgram(name))
    : await probePrograms((command) => ctx.run(command, { become: false }), wanted);
  const missing = wanted.find((_name, i) => found[i] === undefined);
  if (missing !== undefined) {
    return { error: thisMachine ? missingProgram(missing) : `Failed to find required executable "${missing}" on ${ctx.host}` };
  }
  const rsync = found[0]!;

  if (destIsLocal) {
    src = controllerPath(ctx, src);
    dest = controllerPath(ctx, dest);
    return {
      rsync, src, dest,
      ...(optionalText(args.rsync_path) !== undefined ? { rsyncPath: String(args.rsync_path) } : {}),
      run: (argv) => ctx.run(shellJoin(argv)),
    };
  }

  // The far end is the task's host over SSH: it needs rsync too.
  const probe = (command: string) => (delegated ? managedConn.exec(command, timeoutMs !== undefined ? { timeoutMs } : {}) : ctx.run(command, { become: false }));
  const [remoteRsync] = await probePrograms(probe, ['rsync']);
  if (remoteRsync === undefined) return { error: rsyncMissingOn(managed, 'the remote end of the transfer') };

  const settings = connectionSettings(managedConn, managed, ctx.vars);
  const target: SshTarget = resolveTarget(settings);
  let user: string | undefined;
  if (toBool(args.set_remote_user, true)) {
    user = delegated ? optionalText(ctx.hostVars(ctx.host).ansible_user) ?? target.user : target.user;
  }
  const remote = (path: string) => remotePath(target.address, path, user);
  if (mode === 'pull') {
    src = remote(src);
    dest = controllerPath(ctx, dest);
  } else {
    src = controllerPath(ctx, src);
    dest = remote(dest);
  }

  const useSshArgs = toBool(args.use_ssh_args, false);
  const sshArgs = useSshArgs ? [settings.commonArgs, optionalText(ctx.vars.ansible_ssh_extra_args)].filter(Boolean).join(' ') : '';
  const strict = !hostKeyChecking(ctx.vars) ? 'no' : target.acceptNewHostKeys ? 'accept-new' : 'yes';
  const rsh: RshOptions = {
    ssh: found[1]!,
    multiplexing: toBool(args.ssh_connection_multiplexing, false),
    port: args.dest_port !== undefined && args.dest_port !== null ? Number(args.dest_port) : target.port,
    verifyHost: toBool(args.verify_host, false) ? { knownHostsFile: target.knownHostsFile, strict } : false,
    // The host is reached the way its connection reaches it: through its ProxyCommand when it has one.
    ...(target.proxyCommand !== undefined && !useSshArgs ? { proxyCommand: target.proxyCommand } : {}),
    ...(sshArgs ? { sshArgs } : {}),
  };
  const privateKey = optionalText(args.private_key) ?? target.privateKeyFile;
  if (privateKey !== undefined) rsh.privateKey = privateKey;

  let rsyncPath = optionalText(args.rsync_path);
  if (rsyncPath === undefined && ctx.become) rsyncPath = `sudo -u ${quote(ctx.become.user)} rsync`;

  // ssh cannot take a password by itself: Ansible's module hands it to sshpass.
  const password = settings.password;
  let passwordRun: { prefix: string[]; stdin: string } | undefined;
  if (password !== undefined) {
    const sshpass = thisMachine ? findProgram('sshpass') : (await probePrograms((command) => ctx.run(command, { become: false }), ['sshpass']))[0];
    if (sshpass === undefined) return { error: 'to use rsync connection with passwords, you must install the sshpass program' };
    passwordRun = { prefix: [sshpass, '-d0'], stdin: `${password}\n` };
  }
  const words = (argv: string[]) => shellJoin(passwordRun ? [...passwordRun.prefix, ...argv] : argv);
  const stdin = passwordRun ? { stdin: passwordRun.stdin } : {};

  const run = onController
    ? async (argv: string[]) => {
      const local = new LocalConnection('localhost');
      try {
        return await local.exec(words(argv), { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...stdin });
      } finally {
        await local.close();
      }
    }
    : (argv: string[]) => ctx.run(words(argv), { become: false, ...stdin });
  return { rsync, src, dest, rsh, ...(rsyncPath !== undefined ? { rsyncPath } : {}), run };
}
