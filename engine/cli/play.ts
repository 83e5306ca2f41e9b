/** `uxsv play`: load and validate everything, then run (or list, or only check syntax). */
import path from 'node:path';
import { Inventory } from '../inventory/index.js';
import { Loader, configuredRolesPath } from '../loader/playbook.js';
import type { Node, Play, Playbook } from '../loader/model.js';
import { modules, modulesForRun } from '../modules/registry.js';
import { createReporter, JsonReport, combineReporters, outputSettings, shouldUseColor } from '../output/index.js';
import type { Reporter } from '../output/events.js';
import { Runner, checkNotifyTargets, playPattern, taskTitle, type RunResult } from '../runner/runner.js';
import { tagsSelected } from '../runner/tags.js';
import { parseExtraVars } from './extra-vars.js';
import { preflight } from './preflight.js';
import { EXIT } from './exit-codes.js';
import { setActiveVaultSecrets, type VaultSecrets } from '../vault/index.js';
import { clearSecrets, maskSecrets } from '../vault/secrets.js';
import { resolveVaultSecrets } from '../vault/cli.js';

export interface PlayOptions {
  inventory?: string[];
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
  syntaxCheck?: boolean;
  report?: string;
  verbose?: number;
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
  taskTimeout?: string;
  vaultPasswordFile?: string[];
  askVaultPass?: boolean;
  /** The vault passwords, already read by the caller (uxsv degrade/restore/check read the inventory first). */
  vaultSecrets?: VaultSecrets;
}

export interface PlayIo {
  write(text: string): void;
  /** Warnings and deprecations, as ansible-playbook prints them on stderr (default: process.stderr). */
  writeError?(text: string): void;
  isTty: boolean;
  env: NodeJS.ProcessEnv;
  /** Extra reporter (tests, check command). */
  reporter?: Reporter;
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function loadPlaybooks(files: string[], runModules = modules): { playbooks: Playbook[]; loader: Loader } {
  const loader = new Loader({ modules: runModules, rolesPath: configuredRolesPath() });
  const playbooks = files.map((f) => loader.loadPlaybook(path.resolve(f)));
  for (const pb of playbooks) for (const play of pb.plays) checkNotifyTargets(play);
  return { playbooks, loader };
}

export function loadInventory(sources: string[] | undefined): Inventory {
  return sources && sources.length ? Inventory.load(sources) : Inventory.empty();
}

export interface PlayOutcome {
  exitCode: number;
  result?: RunResult;
}

export async function runPlay(files: string[], options: PlayOptions, io: PlayIo): Promise<PlayOutcome> {
  // The output masks what this run decrypts as it loads (engine/vault/secrets.ts), and only that.
  clearSecrets();
  // Only this run's passwords: none given means none (not those of an earlier run in the same process).
  const given = options.vaultPasswordFile?.length || options.askVaultPass;
  setActiveVaultSecrets(options.vaultSecrets ?? (given ? await resolveVaultSecrets(options) : undefined));
  // The site's modules (library/ beside the playbooks and in roles, ANSIBLE_LIBRARY, ansible.cfg library) are known before loading.
  const { playbooks, loader } = loadPlaybooks(files, await modulesForRun(files, { rolesPath: configuredRolesPath() }));
  const inventory = loadInventory(options.inventory);
  const extraVars = parseExtraVars(options.extraVars ?? []);
  if (options.syntaxCheck) {
    for (const pb of playbooks) io.write(`\nplaybook: ${pb.file}\n`);
    return { exitCode: EXIT.OK };
  }
  if (options.listHosts || options.listTasks) {
    io.write(maskSecrets(listing(playbooks, inventory, options, extraVars)));
    return { exitCode: EXIT.OK };
  }
  preflight(playbooks, inventory, loader, { extraVars, limit: options.limit });
  const verbosity = options.verbose ?? 0;
  const color = shouldUseColor(io.env, io.isTty);
  const reporters: Reporter[] = [createReporter({ tty: io.isTty, color, verbosity, diff: Boolean(options.diff), check: Boolean(options.check), write: io.write, ...(io.writeError ? { writeError: io.writeError } : {}), settings: outputSettings(io.env) })];
  if (options.report) reporters.push(new JsonReport(options.report));
  if (io.reporter) reporters.push(io.reporter);
  const reporter = combineReporters(...reporters);
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(EXIT.INTERRUPTED);
    stop = true;
    io.write('\n[interrupted: finishing the step in flight; press Ctrl-C again to quit at once]\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const runner = new Runner(inventory, loader, {
      check: Boolean(options.check),
      diff: Boolean(options.diff),
      forks: Number(options.forks ?? 10),
      verbosity,
      tags: splitList(options.tags),
      skipTags: splitList(options.skipTags),
      startAtTask: options.startAtTask,
      limit: options.limit,
      extraVars,
      acceptNewHostKeys: Boolean(options.acceptNewHostKeys),
      knownHostsFile: options.knownHosts,
      taskTimeoutSec: Number(options.taskTimeout ?? 1800),
      reporter,
      stopRequested: () => stop,
    });
    const result = await runner.run(playbooks);
    return { exitCode: exitCodeOf(result), result };
  } finally {
    process.off('SIGINT', onSigint);
    await reporter.close();
  }
}

export function exitCodeOf(result: RunResult): number {
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
      if (options.listTasks) {
        out.push('    tasks:');
        const visit = (nodes: Node[]) => {
          for (const n of nodes) {
            if (n.kind === 'block') visit([...n.block, ...n.rescue, ...n.always]);
            else if (tagsSelected(n.tags, only, skip)) out.push(`      ${taskTitle(n)}\tTAGS: [${[...new Set(n.tags)].join(', ')}]`);
          }
        };
        visit([...play.preTasks, ...play.roleTasks, ...play.tasks, ...play.postTasks]);
      }
      out.push('');
    });
  }
  return out.join('\n') + '\n';
}
