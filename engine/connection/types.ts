/**
 * The connection contract. A connection runs POSIX shell command lines on one
 * host. It is opened once per host per run and reused by every task.
 */

/** Who a command runs as, after privilege escalation (Ansible's `become`). */
export interface BecomeSpec {
  /** Target user; Ansible's default is root. */
  user: string;
  /** Password for `sudo -S`, from ansible_become_password. */
  password?: string;
  /** Become even when the login user is the become user (become_allow_same_user). */
  allowSameUser?: boolean;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** The command is killed and the result has timedOut=true after this many ms. */
  timeoutMs?: number;
  /** Extra environment, exported (quoted) before the command runs. */
  env?: Record<string, string>;
  /** Run as another user via sudo; omitted or same as login user = no sudo. */
  become?: BecomeSpec;
  /** Working directory (quoted `cd` before the command). */
  cwd?: string;
  /**
   * The command changes nothing in the shell that runs it: builtins such as
   * `[ -e ... ]` and `echo`, and programs, but no assignment, cd, exit,
   * export, set, trap or function. A resident shell then runs it itself
   * instead of in a subshell: a builtin-only test starts no process at all.
   * Ignored with env or cwd.
   */
  inline?: boolean;
  /**
   * Bytes kept of each of stdout and stderr for this command, instead of the
   * connection's limit (settings.outputLimit): for a module that knows it
   * reads more, such as a fetched file of known size.
   */
  outputLimit?: number;
}

export interface ExecResult {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
  /** True when timeoutMs ended the command. */
  timedOut?: boolean;
  /**
   * Present when the command printed more than the output limit on a stream
   * (ExecOptions.outputLimit, else the connection's): the number of bytes
   * dropped from each stream. stdout and stderr then hold the first `limit`
   * bytes of their stream (whatever was printed after that was read and
   * discarded, so the command ran to its end). Whoever shows the result warns
   * and marks the task result `truncated`.
   */
  truncated?: { stdout: number; stderr: number };
}

/** Thrown when a host cannot be reached or the link drops; the runner marks the host unreachable. */
export class UnreachableError extends Error {
  constructor(message: string, readonly host: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/**
 * An established connection dropped while a command was running or starting.
 * The command may or may not have run: the runner reconnects and runs the
 * task again, a bounded number of times (as Ansible's ssh retries do).
 */
export class ConnectionLostError extends UnreachableError {
  override name = 'ConnectionLostError';
}

/** Thrown when a host key does not match known_hosts; never retried. */
export class HostKeyError extends UnreachableError {
  override name = 'HostKeyError';
}

export interface ConnectionStats {
  /** SSH handshakes done (0 for local). */
  handshakes: number;
  /** Remote command lines run. */
  commands: number;
  /** SSH channels opened (ssh) or processes spawned (local): a resident shell is one, a one-off command one each. */
  channels: number;
  /**
   * SSH connections of an earlier run, kept by the multiplexer (see
   * uxsv_ssh_persist), that this run used instead of a handshake of its own
   * (0 for local). handshakes + reused is the number of times the run connected.
   */
  reused: number;
}

export interface Connection {
  /** inventory_hostname */
  readonly host: string;
  /** Open the connection (idempotent; the first exec also opens it). */
  connect(): Promise<void>;
  /** Run `command` with /bin/sh -c on the host. Never rejects for rc != 0. Rejects with UnreachableError on transport loss. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** The line `exec` would give the host's shell for `command` (shown at -vvv, as Ansible's EXEC lines). */
  describe?(command: string, options?: ExecOptions): string;
  /** Copy a local file's bytes to the host atomically (temp file in the same folder, then rename). */
  putFile(content: Buffer, remotePath: string, options?: { mode?: string; become?: BecomeSpec }): Promise<void>;
  /**
   * Ends the run's use of the connection. With `reset` (meta: reset_connection),
   * a connection kept for later runs is ended too, so the next connect makes a
   * new one (a new login: new group memberships, limits, environment).
   */
  close(options?: { reset?: boolean }): Promise<void>;
  readonly stats: ConnectionStats;
}

/** Connection settings resolved from the host's variables (Ansible names). */
export interface ConnectionSettings {
  host: string;                 // inventory_hostname
  connection: 'ssh' | 'local';  // ansible_connection
  address: string;              // ansible_host, default inventory_hostname
  port: number;                 // ansible_port, default 22
  user: string;                 // ansible_user, default current user
  privateKeyFile?: string;      // ansible_ssh_private_key_file
  commonArgs?: string;          // ansible_ssh_common_args (ProxyCommand, UserKnownHostsFile honoured)
  timeoutSec: number;           // ansible_ssh_timeout, default 10
  knownHostsFile?: string;      // UserKnownHostsFile from commonArgs or --known-hosts; default ~/.ssh/known_hosts
  acceptNewHostKeys: boolean;   // --accept-new-host-keys
  password?: string;            // ansible_password / ansible_ssh_pass
  /** Bytes kept of each output stream of a command (uxsv_output_limit, UXSV_OUTPUT_LIMIT); default 32 MiB. */
  outputLimit?: number;
  /**
   * Seconds an SSH connection is kept after the run for the next run
   * (uxsv_ssh_persist, UXSV_SSH_PERSIST; default 60); 0 = each run connects
   * and disconnects by itself.
   */
  persistSec?: number;
  /** The multiplexer's private folder (UXSV_SSH_PERSIST_DIR); default /run/uxsv/mux for root, else ~/.uxsv/mux. */
  persistDir?: string;
}
