/** What a run is asked to do (the command line and ansible.cfg, resolved), and what it reports back. */
import type { Connection, ConnectionSettings, ConnectionStats } from '../connection/types.js';
import type { Vars } from '../loader/model.js';
import type { LookupHost } from '../lookups/types.js';
import type { HostStats, Reporter } from '../output/events.js';
import type { SecretSink } from '../template/trust.js';
import type { FactCacheSettings } from './fact-cache.js';

/**
 * Connection and privilege defaults from the command line (`-c`, `-u`, `-b`,
 * `--become-user`, `-K`, `--private-key`, `-T`) and ansible.cfg. Inventory
 * variables and play/task keywords override them, as in Ansible.
 */
export interface PlayDefaults {
  connection?: string;
  remoteUser?: string;
  port?: number;
  privateKeyFile?: string;
  /** Connection timeout, seconds. */
  timeoutSec?: number;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  becomePassword?: string;
  /** become_allow_same_user: become even as the login user (ansible.cfg, ANSIBLE_BECOME_ALLOW_SAME_USER). */
  becomeAllowSameUser?: boolean;
  /** Gather facts when a play does not say (ansible.cfg `gathering`: implicit = true, explicit = false). */
  gatherFacts?: boolean;
  /** host_key_checking: false accepts any host key (Ansible's ANSIBLE_HOST_KEY_CHECKING=False). */
  hostKeyChecking?: boolean;
  /** -k / --connection-password-file: ansible_password at the lowest precedence. */
  password?: string;
  /** --ssh-common-args: ansible_ssh_common_args at the lowest precedence. */
  sshCommonArgs?: string;
  /** --ssh-extra-args: ansible_ssh_extra_args at the lowest precedence. */
  sshExtraArgs?: string;
}

export interface RunOptions {
  /** See PlayDefaults. */
  defaults?: PlayDefaults;
  check: boolean;
  diff: boolean;
  forks: number;
  verbosity: number;
  tags: string[];
  skipTags: string[];
  startAtTask?: string;
  limit?: string;
  extraVars: Vars;
  acceptNewHostKeys: boolean;
  knownHostsFile?: string;
  /** Default time limit of one task on one host, in seconds (a task's `timeout` overrides it). */
  taskTimeoutSec: number;
  reporter: Reporter;
  /** Tests replace how connections are made. */
  connect?: (settings: ConnectionSettings) => Connection;
  /** Age after which another run's lock on a host counts as left by a dead run (default 4 h). */
  lockTtlSec?: number;
  /** Called when SIGINT asked the run to stop: the runner finishes the step in flight. */
  stopRequested?: () => boolean;
  /** Run handlers of failed hosts too (--force-handlers, force_handlers). */
  forceHandlers?: boolean;
  /** Inventory sources as given (ansible_inventory_sources). */
  inventorySources?: string[];
  /** The ansible.cfg in use (ansible_config_file). */
  configFile?: string;
  /** Configuration settings, for the `config` lookup. */
  config?: LookupHost['config'];
  /** Decrypts vault text for lookups (unvault, file). */
  decryptVault?: LookupHost['decryptVault'];
  /** Where derived secrets are reported, so the output masks them (the run's secret registry). */
  secrets?: SecretSink;
  /** Render templates with native types (jinja2_native). */
  jinja2Native?: boolean;
  /** Read the state of a host's next tasks together (engine/runner/read-ahead.ts); default: on unless UXSV_READ_AHEAD=0. */
  readAhead?: boolean;
  /** The fact cache (Ansible's cache plugin settings; default: from ANSIBLE_CACHE_PLUGIN* in the environment). */
  factCache?: FactCacheSettings;
  /** A notification that no handler takes is an error (default), or a warning (ERROR_ON_MISSING_HANDLER false). */
  errorOnMissingHandler?: boolean;
  /** The strategy of plays that do not say (DEFAULT_STRATEGY / ANSIBLE_STRATEGY); default linear. */
  defaultStrategy?: string;
  /** no_log for every task that does not say (Ansible's DEFAULT_NO_LOG / ANSIBLE_NO_LOG). */
  noLog?: boolean;
  /** --flush-cache: forget the cached facts of the inventory's hosts first. */
  flushCache?: boolean;
  /** inject_facts_as_vars (ANSIBLE_INJECT_FACT_VARS): facts are also variables of their own (ansible_hostname); default true. */
  injectFactVars?: boolean;
}

export interface RunResult {
  stats: Record<string, HostStats>;
  anyFailed: boolean;
  anyUnreachable: boolean;
  anyChanged: boolean;
  interrupted: boolean;
  connections: Array<{ host: string } & ConnectionStats>;
}
