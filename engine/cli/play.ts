/** `uxsv play`: load and validate everything, then run (or list, or only check syntax). */
import path from 'node:path';
import type { AnsibleConfig } from '../config/index.js';
import { Inventory } from '../inventory/index.js';
import { Loader } from '../loader/playbook.js';
import type { Node, Play, Playbook, Vars } from '../loader/model.js';
import { modules, modulesForRun } from '../modules/registry.js';
import { createReporter, JsonReport, combineReporters, outputSettings } from '../output/index.js';
import type { Reporter } from '../output/events.js';
import { screenColumns, warningText } from '../output/display.js';
import { Runner, checkNotifyTargets, playPattern, taskTitle, type RunOptions, type RunResult } from '../runner/runner.js';
import { tagsSelected } from '../runner/tags.js';
import { takeLockRefusals } from '../runner/lock.js';
import { UserError } from '../errors.js';
import { parseExtraVars } from './extra-vars.js';
import { preflight } from './preflight.js';
import { EXIT } from './exit-codes.js';
import { flushStdout } from './stdout-buffer.js';
import { setActiveVaultSecrets, type VaultSecrets } from '../vault/index.js';
import { clearSecrets, maskSecrets } from '../vault/secrets.js';
import {
  colorFrom,
  outputSettingsFrom,
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

export interface PlayOptions extends ConnectionCliOptions, InventoryCliOptions {
  limit?: string;
  extraVars?: string[];
  check?: boolean;
  diff?: boolean;
  forks?: string;
  tags?: string[];
  skipTags?: string[];
  startAtTask?: string;
  listHosts?: boolean;
  listTasks?: boolean;
  listTags?: boolean;
  syntaxCheck?: boolean;
  step?: boolean;
  flushCache?: boolean;
  forceHandlers?: boolean;
  modulePath?: string[];
  report?: string;
  verbose?: number;
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
  taskTimeout?: string;
  /** The vault passwords, already read by the caller (uxsv degrade/restore/check read the inventory first). */
  vaultSecrets?: VaultSecrets;
  /** The configuration (default: ansible.cfg and ANSIBLE_* of this process). */
  config?: AnsibleConfig;
}

export interface PlayIo {
  write(text: string): void;
  /** Warnings and deprecations, as ansible-playbook prints them on stderr (default: process.stderr). */
  writeError?(text: string): void;
  isTty: boolean;
  env: NodeJS.ProcessEnv;
  /** Extra reporter (tests, check command). */
  reporter?: Reporter;
  /** Where warnings go (default: standard error, as Ansible's `[WARNING]:` lines). */
  warn?: (message: string) => void;
}

export function warner(io: { warn?: (m: string) => void; writeError?: (text: string) => void }): (message: string) => void {
  if (io.warn) return io.warn;
  const write = io.writeError ?? ((text: string) => void process.stderr.write(text));
  return (m: string) => write(`${warningText(maskSecrets(m), screenColumns(undefined))}\n`);
}


function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function loadPlaybooks(files: string[], config: AnsibleConfig = loadConfig(), runModules = modules, extraVars?: Vars): { playbooks: Playbook[]; loader: Loader } {
  const loader = new Loader({ modules: runModules, rolesPath: rolesPathFrom(config), ...(extraVars ? { extraVars } : {}) });
  const playbooks = files.map((f) => loader.loadPlaybook(path.resolve(f)));
  // A notification that no handler takes is refused before the run (Ansible finds it when the task notifies), unless the setting says to warn.
  if (config.get<boolean>('ERROR_ON_MISSING_HANDLER')) for (const pb of playbooks) for (const play of pb.plays) checkNotifyTargets(play);
  return { playbooks, loader };
}

/** Only -i sources (no configuration): the cluster commands and tests. */
export function loadInventory(sources: string[] | undefined): Inventory {
  return sources && sources.length ? Inventory.load(sources) : Inventory.empty();
}

export interface PlayOutcome {
  exitCode: number;
  result?: RunResult;
}

/** Options of ansible-playbook that uxsv takes but cannot apply: refused or named in a warning. */
function checkUnsupported(options: PlayOptions): void {
  if (options.step) throw new UserError('--step is not supported: uxsv does not ask before each task (use --start-at-task, --tags or --check)');
}

export async function runPlay(files: string[], options: PlayOptions, io: PlayIo): Promise<PlayOutcome> {
  // Installed first: a Ctrl-C while loading stops before anything runs, one during the run after the step in flight.
  let stop = false;
  const onSigint = () => {
    if (stop) {
      flushStdout();
      process.exit(EXIT.INTERRUPTED);
    }
    stop = true;
    io.write('\n[interrupted: finishing the step in flight; press Ctrl-C again to quit at once]\n');
  };
  process.on('SIGINT', onSigint);
  try {
    return await loadAndRun(files, options, io, () => stop);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

async function loadAndRun(files: string[], options: PlayOptions, io: PlayIo, stopRequested: () => boolean): Promise<PlayOutcome> {
  const warn = warner(io);
  const config = options.config ?? loadConfig(io.env);
  for (const w of configWarnings(config)) warn(w);
  checkUnsupported(options);
  // The output masks what this run decrypts as it loads (engine/vault/secrets.ts), and only that.
  clearSecrets();
  // Only this run's passwords: none given means none (not those of an earlier run in the same process).
  const secrets = options.vaultSecrets ?? (await vaultSecretsFor(options, config));
  setActiveVaultSecrets(secrets);
  // The site's modules (library/ beside the playbooks and in their roles, --module-path, ANSIBLE_LIBRARY or ansible.cfg library) are known before loading.
  const modulePath = [...(options.modulePath ?? []), ...config.get<string[]>('DEFAULT_MODULE_PATH')];
  const extraVars = parseExtraVars(options.extraVars ?? []);
  const { playbooks, loader } = loadPlaybooks(files, config, await modulesForRun(files, { rolesPath: rolesPathFrom(config), modulePath }), extraVars);
  const inventory = loadInventoryFrom(options, config, warn);
  targetHosts(inventory, 'all', options.limit, warn);
  if (options.syntaxCheck) {
    for (const pb of playbooks) io.write(`\nplaybook: ${pb.file}\n`);
    return { exitCode: EXIT.OK };
  }
  if (options.listHosts || options.listTasks || options.listTags) {
    io.write(maskSecrets(listing(playbooks, inventory, options, extraVars)));
    return { exitCode: EXIT.OK };
  }
  preflight(playbooks, inventory, loader, { extraVars, limit: options.limit });
  const defaults = await playDefaults(options, config, warn);
  if (stopRequested()) return { exitCode: EXIT.INTERRUPTED };
  const verbosity = verbosityFrom(options.verbose, config);
  const color = colorFrom(config, io.env, io.isTty);
  const reporters: Reporter[] = [
    createReporter({
      tty: io.isTty,
      color,
      verbosity,
      diff: Boolean(options.diff),
      check: Boolean(options.check),
      write: io.write,
      ...(io.writeError ? { writeError: io.writeError } : {}),
      settings: outputSettings(io.env, outputSettingsFrom(config)),
    }),
  ];
  if (options.report) reporters.push(new JsonReport(options.report));
  if (io.reporter) reporters.push(io.reporter);
  const reporter = combineReporters(...reporters);
  try {
    const runOptions: RunOptions = {
      ...runContext(config, inventory, secrets),
      defaults,
      check: Boolean(options.check),
      diff: Boolean(options.diff) || (config.isSet('DIFF_ALWAYS') && config.get<boolean>('DIFF_ALWAYS')),
      forks: forksFrom(options.forks, config),
      verbosity,
      tags: splitList(options.tags ?? config.get<string[]>('TAGS_RUN')),
      skipTags: splitList(options.skipTags ?? config.get<string[]>('TAGS_SKIP')),
      startAtTask: options.startAtTask,
      limit: options.limit,
      extraVars,
      acceptNewHostKeys: Boolean(options.acceptNewHostKeys),
      knownHostsFile: options.knownHosts,
      taskTimeoutSec: taskTimeoutFrom(options.taskTimeout, config),
      reporter,
      stopRequested,
      forceHandlers: Boolean(options.forceHandlers) || config.get<boolean>('DEFAULT_FORCE_HANDLERS'),
      flushCache: Boolean(options.flushCache),
      noLog: config.get<boolean>('DEFAULT_NO_LOG'),
      defaultStrategy: config.get<string>('DEFAULT_STRATEGY'),
      errorOnMissingHandler: config.get<boolean>('ERROR_ON_MISSING_HANDLER'),
      factCache: {
        plugin: config.get<string>('CACHE_PLUGIN'),
        connection: config.get<string | undefined>('CACHE_PLUGIN_CONNECTION'),
        prefix: config.get<string>('CACHE_PLUGIN_PREFIX'),
        timeoutSec: config.get<number>('CACHE_PLUGIN_TIMEOUT'),
      },
      injectFactVars: config.get<boolean>('INJECT_FACTS_AS_VARS'),
    };
    takeLockRefusals();
    const result = await new Runner(inventory, loader, runOptions).run(playbooks);
    return { exitCode: exitCodeOf(result, takeLockRefusals()), result };
  } finally {
    await reporter.close();
  }
}

/**
 * The run's exit code. Hosts refused because another run held their lock
 * (`lockedHosts`) count as failed in the recap; when they are the only
 * failures, the code says so (EXIT.LOCKED): a script may simply try again.
 */
export function exitCodeOf(result: RunResult, lockedHosts: ReadonlySet<string> = new Set()): number {
  const failedHosts = Object.entries(result.stats).filter(([, s]) => s.failed > 0).map(([host]) => host);
  if (result.anyFailed && !failedHosts.every((host) => lockedHosts.has(host))) return EXIT.FAILED;
  if (lockedHosts.size) return EXIT.LOCKED;
  if (result.anyFailed) return EXIT.FAILED;
  if (result.anyUnreachable) return EXIT.UNREACHABLE;
  if (result.interrupted) return EXIT.INTERRUPTED;
  return EXIT.OK;
}

function listing(playbooks: Playbook[], inventory: Inventory, options: PlayOptions, extraVars: Record<string, unknown>): string {
  const out: string[] = [];
  const only = splitList(options.tags);
  const skip = splitList(options.skipTags);
  for (const pb of playbooks) {
    out.push(`\nplaybook: ${pb.file}\n`);
    pb.plays.forEach((play: Play, i) => {
      const pattern = playPattern(play, extraVars, inventory);
      out.push(`  play #${i + 1} (${pattern}): ${play.name}\tTAGS: [${play.tags.join(', ')}]`);
      if (options.listHosts) {
        const hosts = inventory.select(pattern, options.limit);
        out.push(`    pattern: ['${pattern}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
      }
      if (options.listTasks) out.push('    tasks:');
      const taskTags = new Set<string>();
      const visit = (nodes: Node[]) => {
        for (const n of nodes) {
          if (n.kind === 'block') visit([...n.block, ...n.rescue, ...n.always]);
          else if (tagsSelected(n.tags, only, skip)) {
            for (const t of n.tags) taskTags.add(t);
            if (options.listTasks) out.push(`      ${taskTitle(n)}\tTAGS: [${[...new Set(n.tags)].sort().join(', ')}]`);
          }
        }
      };
      visit([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks]);
      if (options.listTags) out.push(`      TASK TAGS: [${[...taskTags].sort().join(', ')}]`);
      out.push('');
    });
  }
  return out.join('\n') + '\n';
}
