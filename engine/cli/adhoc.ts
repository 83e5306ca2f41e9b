/**
 * `uxsv ad-hoc PATTERN [-m MODULE] [-a ARGS]`: what `ansible` does. One task
 * (command by default) in a play without fact gathering, run through the
 * Runner on the hosts of PATTERN, and printed as Ansible's minimal (or, with
 * -o, oneline) callback prints it. Exit codes are uxsv's: 2 when a host
 * failed, 4 when one was unreachable and none failed (Ansible gives 4 as soon
 * as one host was unreachable).
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { modules } from '../modules/registry.js';
import { Loader } from '../loader/playbook.js';
import { combineReporters, JsonReport } from '../output/index.js';
import type { Reporter } from '../output/events.js';
import { Runner, type RunOptions } from '../runner/runner.js';
import { takeLockRefusals } from '../runner/lock.js';
import { setActiveVaultSecrets } from '../vault/index.js';
import { clearSecrets, maskSecrets } from '../vault/secrets.js';
import { AdHocReporter } from './adhoc-output.js';
import { EXIT } from './exit-codes.js';
import { parseExtraVars } from './extra-vars.js';
import { exitCodeOf, warner, type PlayIo } from './play.js';
import { addConnectionOptions, addRunOptions } from './run-options.js';
import {
  adHocOneLine,
  playbookDirFrom,
  colorFrom,
  configWarnings,
  forksFrom,
  loadConfig,
  loadInventoryFrom,
  playDefaults,
  rolesPathFrom,
  runContext,
  targetHosts,
  taskTimeoutFrom,
  vaultSecretsFor,
  verbosityFrom,
  type ConnectionCliOptions,
  type InventoryCliOptions,
} from './settings.js';

export interface AdHocOptions extends ConnectionCliOptions, InventoryCliOptions {
  moduleName?: string;
  args?: string;
  limit?: string;
  extraVars?: string[];
  forks?: string;
  verbose?: number;
  check?: boolean;
  diff?: boolean;
  oneLine?: boolean;
  tree?: string;
  background?: string;
  poll?: string;
  listHosts?: boolean;
  report?: string;
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
  taskTimeout?: string;
}

/** Modules that need -a (Ansible's MODULE_REQUIRE_ARGS). */
const NEEDS_ARGS = new Set(['command', 'shell', 'raw', 'script', 'win_command', 'win_shell']);
/** Actions that make no sense as one ad-hoc task. */
const NOT_AD_HOC = new Set(['import_playbook', 'ansible.builtin.import_playbook', 'ansible.legacy.import_playbook']);

function shortName(module: string): string {
  return module.replace(/^ansible\.(builtin|legacy)\./, '');
}

export function registerAdHocCommand(program: Command, io: PlayIo, setExit: (code: number) => void): void {
  addConnectionOptions(
    addRunOptions(
      program
        .command('ad-hoc')
        .description('run one module on the hosts of a pattern (like ansible)')
        .argument('<pattern>', 'host pattern')
        .option('-m, --module-name <module>', 'the module to run (default: ansible.cfg module_name, else command)')
        .option('-a, --args <args>', "the module's arguments: k=v k2=v2, free-form text (command, shell, raw) or a JSON mapping")
        .option('-C, --check', 'change nothing; report what would change')
        .option('-D, --diff', 'show differences of changed files')
        .option('-o, --one-line', 'one line per host')
        .option('-t, --tree <dir>', "write each host's result as JSON to DIR/HOST")
        .option('-B, --background <seconds>', 'run asynchronously, failing after this many seconds (the async keyword)')
        .option('-P, --poll <seconds>', 'poll an asynchronous task every this many seconds (the poll keyword)')
        .option('--list-hosts', 'list the matching hosts and exit'),
    ),
  ).action(async (pattern: string, options: AdHocOptions) => {
    setExit(await runAdHoc(pattern, options, io));
  });
}

/**
 * The one-task play as YAML for the Loader, one key per line so that an
 * error's code frame shows the line at fault (values written as JSON, which
 * YAML reads as they are).
 */
export function adHocPlaybookText(pattern: string, module: string, args: string | undefined, keywords: Record<string, unknown>): string {
  const text = (args ?? '').trim();
  let moduleArgs: unknown = text === '' ? null : text;
  if (text.startsWith('{') && text.endsWith('}')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) moduleArgs = parsed;
    } catch {
      // not JSON: Ansible then reads it as k=v / free form
    }
  }
  const j = (v: unknown) => JSON.stringify(v);
  return [
    '- name: Ansible Ad-Hoc',
    `  hosts: ${j(pattern)}`,
    '  gather_facts: false',
    '  tasks:',
    `    - name: ${j(module)}`,
    `      ${j(module)}: ${j(moduleArgs)}`,
    ...Object.entries(keywords).map(([k, v]) => `      ${k}: ${j(v)}`),
    '',
  ].join('\n');
}

function wholeSeconds(text: string, what: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UserError(`${what} must be a whole number of seconds, got '${text}'`);
  return Number(text);
}

export async function runAdHoc(pattern: string, options: AdHocOptions, io: PlayIo): Promise<number> {
  const warn = warner(io);
  const config = loadConfig(io.env);
  for (const w of configWarnings(config, 'ad-hoc')) warn(w);
  clearSecrets();
  const secrets = await vaultSecretsFor(options, config);
  setActiveVaultSecrets(secrets);
  const inventory = loadInventoryFrom(options, config, warn);
  let hosts: string[];
  try {
    hosts = targetHosts(inventory, pattern, options.limit, warn);
  } catch (err) {
    if (options.limit || !(err instanceof UserError)) throw err;
    hosts = [];
    warn('No hosts matched, nothing to do');
  }
  if (options.listHosts) {
    io.write([`  hosts (${hosts.length}):`, ...hosts.map((h) => `    ${h}`)].join('\n') + '\n');
    return EXIT.OK;
  }
  const module = options.moduleName ?? config.get<string>('DEFAULT_MODULE_NAME') ?? 'command';
  const args = options.args ?? config.get<string | null>('DEFAULT_MODULE_ARGS') ?? undefined;
  if (NEEDS_ARGS.has(shortName(module)) && !args) {
    throw new UserError(`No argument passed to ${module} module${pattern.endsWith('.yml') ? ' (did you mean to run ansible-playbook?)' : ''}`);
  }
  if (NOT_AD_HOC.has(module)) throw new UserError(`'${module}' is not a valid action for ad-hoc commands`);
  if (hosts.length === 0) return EXIT.OK;

  const keywords: Record<string, unknown> = {};
  if (options.taskTimeout !== undefined) keywords.timeout = wholeSeconds(options.taskTimeout, '--task-timeout');
  if (options.background !== undefined) {
    keywords.async = wholeSeconds(options.background, '-B');
    keywords.poll = options.poll !== undefined ? wholeSeconds(options.poll, '-P') : config.get<number>('DEFAULT_POLL_INTERVAL');
  } else if (options.poll !== undefined) {
    keywords.poll = wholeSeconds(options.poll, '-P');
  }
  const loader = new Loader({ modules, rolesPath: rolesPathFrom(config) });
  const playbook = loader.loadPlaybookText(adHocPlaybookText(pattern, module, args, keywords), '__adhoc_playbook__', playbookDirFrom(options.playbookDir, config) ?? process.cwd());

  const verbosity = verbosityFrom(options.verbose, config);
  const reporters: Reporter[] = [
    new AdHocReporter({
      module,
      oneLine: adHocOneLine(options.oneLine, config),
      treeDir: options.tree,
      verbosity,
      diff: Boolean(options.diff),
      diffContext: config.get<number>('DIFF_CONTEXT'),
      color: colorFrom(config, io.env, io.isTty),
      write: (t) => io.write(maskSecrets(t)),
      warn,
    }),
  ];
  if (options.report) reporters.push(new JsonReport(options.report));
  if (io.reporter) reporters.push(io.reporter);
  const reporter = combineReporters(...reporters);
  try {
    const runOptions: RunOptions = {
      ...runContext(config, inventory, secrets),
      defaults: await playDefaults(options, config, warn),
      check: Boolean(options.check),
      diff: Boolean(options.diff),
      forks: forksFrom(options.forks, config),
      verbosity,
      tags: [],
      skipTags: [],
      limit: options.limit,
      extraVars: parseExtraVars(options.extraVars ?? []),
      acceptNewHostKeys: Boolean(options.acceptNewHostKeys),
      knownHostsFile: options.knownHosts,
      taskTimeoutSec: taskTimeoutFrom(undefined, config),
      reporter,
    };
    takeLockRefusals();
    const result = await new Runner(inventory, loader, runOptions).run([playbook]);
    return exitCodeOf(result, takeLockRefusals());
  } finally {
    await reporter.close();
  }
}
