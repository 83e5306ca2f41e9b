/**
 * What a run takes from the command line and from ansible.cfg / ANSIBLE_*
 * (engine/config): the command line wins, then the configuration, then
 * uxsv's own defaults. Connection and become settings become the run's
 * PlayDefaults, below inventory variables and play keywords as in Ansible.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AnsibleConfig, vaultConfigDefaults } from '../config/index.js';
import { UserError } from '../errors.js';
import { Inventory, isLocalhostName, type InventoryLoadOptions } from '../inventory/index.js';
import type { PlayDefaults, RunOptions } from '../runner/runner.js';
import { registerSecret } from '../vault/secrets.js';
import { parseExtraVars } from './extra-vars.js';
import { shouldUseColor } from '../output/style.js';
import type { OutputSettings } from '../output/options.js';
import { existsSync } from 'node:fs';
import { promptHidden, resolveVaultSecrets, vaultPasswordGiven, type VaultPasswordOptions } from '../vault/cli.js';
import type { VaultSecrets } from '../vault/index.js';

export interface ConnectionCliOptions {
  connection?: string;
  user?: string;
  privateKey?: string;
  timeout?: string;
  askPass?: boolean;
  connectionPasswordFile?: string;
  sshCommonArgs?: string;
  sshExtraArgs?: string;
  sftpExtraArgs?: string;
  scpExtraArgs?: string;
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: string;
  askBecomePass?: boolean;
  becomePasswordFile?: string;
}

/** PlayDefaults plus connection settings the run's SSH connection may take from the command line. */
/** The run's defaults as the command line and ansible.cfg give them (PlayDefaults has them all). */
export type CliPlayDefaults = PlayDefaults;

const CONNECTIONS = ['ssh', 'smart', 'paramiko', 'local'];

/** The configuration of this process: loaded once per command (tests give their own). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AnsibleConfig {
  return AnsibleConfig.load({ env });
}

function positiveInt(text: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1) throw new UserError(`${what} must be a whole number of at least 1, got '${text}'`);
  return Number(text);
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UserError(`cannot read the ${what} file ${file}: ${(err as Error).message}`, { file });
  }
}

/**
 * The run's connection and become defaults. Only what is given (on the
 * command line or in the configuration) is set, so that inventory variables
 * and uxsv's own defaults apply otherwise. Prompts (-k, -K) ask on the terminal.
 */
export async function playDefaults(options: ConnectionCliOptions, config: AnsibleConfig, warn: (m: string) => void): Promise<CliPlayDefaults> {
  const d: CliPlayDefaults = {};
  const fromConfig = <T>(name: string): T | undefined => (config.isSet(name) ? config.get<T>(name) ?? undefined : undefined);

  const connection = options.connection ?? fromConfig<string>('DEFAULT_TRANSPORT');
  if (connection !== undefined) {
    if (!CONNECTIONS.includes(connection)) throw new UserError(`connection '${connection}' is not supported (use ssh or local)`);
    d.connection = connection === 'smart' || connection === 'paramiko' ? 'ssh' : connection;
  }
  const user = options.user ?? fromConfig<string>('DEFAULT_REMOTE_USER');
  if (user) d.remoteUser = user;
  const port = fromConfig<number>('DEFAULT_REMOTE_PORT');
  if (port !== undefined && port !== null) d.port = port;
  const key = options.privateKey ? path.resolve(options.privateKey) : fromConfig<string>('DEFAULT_PRIVATE_KEY_FILE');
  if (key) d.privateKeyFile = key;
  if (options.timeout !== undefined) d.timeoutSec = positiveInt(options.timeout, '--timeout');
  else if (config.isSet('DEFAULT_TIMEOUT')) d.timeoutSec = config.get<number>('DEFAULT_TIMEOUT');

  if (options.askPass) d.password = await promptHidden('SSH password: ');
  else if (options.connectionPasswordFile) d.password = readSecretFile(options.connectionPasswordFile, 'connection password');
  else if (fromConfig<string>('CONNECTION_PASSWORD_FILE')) d.password = readSecretFile(config.get<string>('CONNECTION_PASSWORD_FILE'), 'connection password');

  const common = options.sshCommonArgs ?? config.iniValue('ssh_connection', 'ssh_common_args')?.value ?? config.env('ANSIBLE_SSH_COMMON_ARGS');
  if (common) d.sshCommonArgs = common;
  const extra = options.sshExtraArgs ?? config.iniValue('ssh_connection', 'ssh_extra_args')?.value ?? config.env('ANSIBLE_SSH_EXTRA_ARGS');
  if (extra) d.sshExtraArgs = extra;
  if (options.sftpExtraArgs || options.scpExtraArgs) warn('--sftp-extra-args and --scp-extra-args have no effect: uxsv moves files over its one SSH connection');
  if (config.iniValue('ssh_connection', 'pipelining') || config.isSet('ANSIBLE_PIPELINING')) {
    // Accepted silently: every uxsv command already runs without temporary module files.
  }

  if (options.become) d.become = true;
  else if (config.isSet('DEFAULT_BECOME')) d.become = config.get<boolean>('DEFAULT_BECOME');
  const becomeUser = options.becomeUser ?? fromConfig<string>('DEFAULT_BECOME_USER');
  if (becomeUser) d.becomeUser = becomeUser;
  const becomeMethod = options.becomeMethod ?? fromConfig<string>('DEFAULT_BECOME_METHOD');
  if (becomeMethod) d.becomeMethod = becomeMethod;
  const askBecome = options.askBecomePass || (config.isSet('DEFAULT_BECOME_ASK_PASS') && config.get<boolean>('DEFAULT_BECOME_ASK_PASS'));
  if (askBecome) d.becomePassword = await promptHidden(`${(d.becomeMethod ?? 'sudo').toUpperCase()} password: `);
  else if (options.becomePasswordFile) d.becomePassword = readSecretFile(options.becomePasswordFile, 'become password');
  else if (fromConfig<string>('BECOME_PASSWORD_FILE')) d.becomePassword = readSecretFile(config.get<string>('BECOME_PASSWORD_FILE'), 'become password');
  if (config.isSet('BECOME_ALLOW_SAME_USER')) d.becomeAllowSameUser = config.get<boolean>('BECOME_ALLOW_SAME_USER');

  if (config.isSet('DEFAULT_GATHERING')) {
    const gathering = config.get<string>('DEFAULT_GATHERING');
    if (!['implicit', 'explicit', 'smart'].includes(gathering)) throw new UserError(`ansible.cfg gathering must be implicit, explicit or smart, got '${gathering}'`);
    d.gatherFacts = gathering !== 'explicit';
  }
  if (config.isSet('HOST_KEY_CHECKING')) d.hostKeyChecking = config.get<boolean>('HOST_KEY_CHECKING');
  return d;
}

export interface InventoryCliOptions extends VaultPasswordOptions {
  inventory?: string[];
  playbookDir?: string;
}

/**
 * The inventory of -i (each source in order), else of ansible.cfg's
 * `inventory` (DEFAULT_HOST_LIST). As in Ansible, a source that does not
 * exist is a warning, and none read at all leaves only the implicit
 * localhost; `any_unparsed_is_failed` and `unparsed_is_failed`
 * (ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED, ANSIBLE_INVENTORY_UNPARSED_FAILED)
 * make them errors.
 */
export function loadInventoryFrom(options: InventoryCliOptions & { verbose?: number; extraVars?: string[] }, config: AnsibleConfig, warn: (m: string) => void): Inventory {
  const loadOptions: InventoryLoadOptions = {
    ignoreExtensions: config.get<string[]>('INVENTORY_IGNORE_EXTS'),
    ignorePatterns: config.get<string[]>('INVENTORY_IGNORE_PATTERNS').filter((p) => p !== ''),
    missingSourceIsError: config.get<boolean>('INVENTORY_ANY_UNPARSED_IS_FAILED'),
    hostListRanges: config.get<string[]>('INVENTORY_ENABLED').some((p) => p.endsWith('advanced_host_list')),
    enabledPlugins: config.get<string[]>('INVENTORY_ENABLED'),
    ...(options.extraVars?.length ? { extraVars: parseExtraVars(options.extraVars) } : {}),
  };
  const given = options.inventory?.length ? options.inventory : undefined;
  const sources = given ?? config.get<string[]>('DEFAULT_HOST_LIST');
  const inventory = Inventory.load(sources, loadOptions);
  // A missing default inventory (/etc/ansible/hosts) is not named, as in Ansible.
  for (const w of inventory.warnings) if (given || !w.startsWith('Unable to parse')) warn(w);
  if (verbosityFrom(options.verbose, config) >= 3) for (const note of inventory.verboseNotes) process.stderr.write(`${note}\n`);
  if (inventory.parsedSources === 0) {
    if (config.get<boolean>('INVENTORY_UNPARSED_IS_FAILED')) throw new UserError('No inventory was parsed, please check your configuration and options.');
    warn('No inventory was parsed, only implicit localhost is available');
  }
  return inventory;
}

/**
 * Ansible's check before a run: an empty inventory only warns (the implicit
 * localhost remains), but hosts that the pattern and --limit leave none of
 * are an error. Returns the hosts.
 */
export function targetHosts(inventory: Inventory, pattern: string, limit: string | undefined, warn: (m: string) => void): string[] {
  const empty = inventory.hostNames().length === 0;
  if (empty && !isLocalhostName(pattern)) warn("provided hosts list is empty, only localhost is available. Note that the implicit localhost does not match 'all'");
  const unmatchedLimit = limit ? inventory.unmatchedPatterns(limit).filter((t) => !t.startsWith('@')) : [];
  for (const term of [...inventory.unmatchedPatterns(pattern), ...unmatchedLimit]) {
    warn(`Could not match supplied host pattern, ignoring: ${term}`);
  }
  const hosts = inventory.select(pattern, limit);
  if (hosts.length === 0 && !empty) throw new UserError('Specified inventory, host pattern and/or --limit leaves us with no hosts to target.');
  return hosts;
}

/** The vault passwords of the command line and the configuration, or none when nothing names one. */
export async function vaultSecretsFor(options: VaultPasswordOptions, config: AnsibleConfig): Promise<VaultSecrets | undefined> {
  const defaults = vaultConfigDefaults(config);
  return vaultPasswordGiven(options, defaults) ? resolveVaultSecrets(options, false, defaults) : undefined;
}

/** Role folders: ansible.cfg roles_path / ANSIBLE_ROLES_PATH (Ansible's defaults included), relative ones already resolved. */
export function rolesPathFrom(config: AnsibleConfig): string[] {
  return config.get<string[]>('DEFAULT_ROLES_PATH').filter((p) => p !== '');
}

/** -f: the command line, then ansible.cfg forks, then uxsv's 10. */
export function forksFrom(given: string | undefined, config: AnsibleConfig): number {
  if (given !== undefined) return positiveInt(given, '--forks');
  return config.isSet('DEFAULT_FORKS') ? config.get<number>('DEFAULT_FORKS') : 10;
}

/** -v count, or ansible.cfg verbosity. */
export function verbosityFrom(given: number | undefined, config: AnsibleConfig): number {
  return given ?? config.get<number>('DEFAULT_VERBOSITY') ?? 0;
}

/** A task's default time limit: --task-timeout, then ansible.cfg task_timeout (0 means none), then 1800 s. */
export function taskTimeoutFrom(given: string | undefined, config: AnsibleConfig): number {
  if (given !== undefined) return positiveInt(given, '--task-timeout');
  if (config.isSet('TASK_TIMEOUT')) {
    const t = config.get<number>('TASK_TIMEOUT');
    return t > 0 ? t : 1800;
  }
  return 1800;
}

/** Settings Ansible has that uxsv does not apply, named when they are set so nobody relies on them silently. */
export function configWarnings(config: AnsibleConfig, command: 'play' | 'ad-hoc' | 'other' = 'play'): string[] {
  const out = [...config.warnings];
  const callback = config.get<string>('DEFAULT_STDOUT_CALLBACK');
  // ansible uses stdout_callback only with bin_ansible_callbacks, and knows minimal and oneline itself.
  const applies = command === 'play' || (command === 'ad-hoc' && config.get<boolean>('DEFAULT_LOAD_CALLBACK_PLUGINS'));
  const known = command === 'ad-hoc' ? ['default', 'minimal', 'oneline'] : ['default'];
  if (applies && config.isSet('DEFAULT_STDOUT_CALLBACK') && !known.includes(callback)) {
    out.push(`stdout_callback '${callback}' is not available: uxsv prints as Ansible's ${command === 'ad-hoc' ? 'minimal' : 'default'} callback`);
  }
  if (config.isSet('DEFAULT_HASH_BEHAVIOUR') && config.get<string>('DEFAULT_HASH_BEHAVIOUR') !== 'replace') out.push("hash_behaviour 'merge' is not supported: variables replace each other as with Ansible's default");
  if (command !== 'other') {
    for (const [name, key, wanted] of NOT_APPLIED) {
      if (config.isSet(name) && config.get(name) !== wanted) out.push(`${key} = ${String(config.get(name))} is not applied yet: uxsv runs and prints as with Ansible's default (${String(wanted)})`);
    }
  }
  return out;
}

/** Settings read but not yet applied by the run: [setting, ansible.cfg key, Ansible's default]. */
const NOT_APPLIED: Array<[string, string, unknown]> = [['DEFAULT_UNDEFINED_VAR_BEHAVIOR', 'error_on_undefined_vars', true]];

/** The output settings of ansible.cfg and ANSIBLE_* (display_skipped_hosts, display_ok_hosts, ...). */
export function outputSettingsFrom(config: AnsibleConfig): Partial<OutputSettings> {
  const pretty = config.get<boolean | null>('CALLBACK_FORMAT_PRETTY');
  return {
    displaySkippedHosts: config.get<boolean>('DISPLAY_SKIPPED_HOSTS'),
    displayOkHosts: config.get<boolean>('DISPLAY_OK_HOSTS'),
    displayFailedStderr: config.get<boolean>('DISPLAY_FAILED_STDERR'),
    showCustomStats: config.get<boolean>('SHOW_CUSTOM_STATS'),
    checkModeMarkers: config.get<boolean>('CHECK_MODE_MARKERS'),
    showTaskPathOnFailure: config.get<boolean>('SHOW_TASK_PATH_ON_FAILURE'),
    displayArgsToStdout: config.get<boolean>('DISPLAY_ARGS_TO_STDOUT'),
    ...(pretty === null || pretty === undefined ? {} : { prettyResults: pretty }),
    actionWarnings: config.get<boolean>('ACTION_WARNINGS'),
    deprecationWarnings: config.get<boolean>('DEPRECATION_WARNINGS'),
    diffContext: config.get<number>('DIFF_CONTEXT'),
  };
}

/** ansible's output: -o (oneline), or stdout_callback when bin_ansible_callbacks allows it, else minimal. */
export function adHocOneLine(oneLine: boolean | undefined, config: AnsibleConfig): boolean {
  if (oneLine) return true;
  return config.get<boolean>('DEFAULT_LOAD_CALLBACK_PLUGINS') && config.get<string>('DEFAULT_STDOUT_CALLBACK') === 'oneline';
}

/** Colour: ansible.cfg / ANSIBLE_NOCOLOR (and NO_COLOR) turn it off, ANSIBLE_FORCE_COLOR on; else the terminal decides. */
export function colorFrom(config: AnsibleConfig, env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (config.get<boolean>('ANSIBLE_NOCOLOR')) return false;
  if (config.get<boolean>('ANSIBLE_FORCE_COLOR')) return true;
  return shouldUseColor(env, isTty);
}

/** What every run takes from the configuration and the inventory: the config lookup, magic variables, vault and secrets. */
export function runContext(
  config: AnsibleConfig,
  inventory: Inventory,
  secrets: VaultSecrets | undefined,
): Pick<RunOptions, 'config' | 'configFile' | 'inventorySources' | 'jinja2Native' | 'decryptVault' | 'secrets'> {
  return {
    config: (name) => config.lookup(name),
    configFile: config.file,
    // ansible_inventory_sources: paths made absolute, host lists as given.
    inventorySources: inventory.sources.map((s) => (existsSync(s) ? path.resolve(s) : s)),
    jinja2Native: config.get<boolean>('DEFAULT_JINJA2_NATIVE'),
    ...(secrets ? { decryptVault: (text: string, source: string) => secrets.decrypt(text, source).toString('utf8') } : {}),
    secrets: { add: (text: string) => registerSecret(text) },
  };
}

/** --playbook-dir, else ansible.cfg playbook_dir / ANSIBLE_PLAYBOOK_DIR (ansible and ansible-inventory's base folder). */
export function playbookDirFrom(given: string | undefined, config: AnsibleConfig): string | undefined {
  if (given !== undefined) return path.resolve(given);
  return config.get<string | null>('PLAYBOOK_DIR') ?? undefined;
}
