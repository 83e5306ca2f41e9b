#!/usr/bin/env node
/** The `uxsv` command. */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { maskSecrets } from '../vault/secrets.js';
import { EXIT } from './exit-codes.js';
import type { PrivateCache } from '../private-files.js';
import { configureYamlCache } from '../loader/yaml-cache.js';
import { configureValidatorCache } from '../loader/precompiled.js';
import { UXSV_VERSION } from './version.js';
import { flushStdout, writeStderr, writeStdout } from './stdout-buffer.js';
import { runPlay, type PlayOptions } from './play.js';
import { registerExtraCommands } from './commands.js';
import { addConnectionOptions, addRunOptions, collect, normalizeAliases } from './run-options.js';

/** Where a command writes: standard output, and warnings and errors (standard error by default). */
export interface CliIo {
  write(text: string): void;
  writeError?(text: string): void;
  isTty: boolean;
  env: NodeJS.ProcessEnv;
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('uxsv')
    .description('Ansible-style playbooks for the uxsv01-03 failover cluster: provisioning, degrade/restore, drift checks, and a lab')
    .version(UXSV_VERSION)
    .showHelpAfterError()
    .exitOverride();

  addConnectionOptions(addRunOptions(
    program
      .command('play')
      .description('run playbooks (like ansible-playbook)')
      .argument('<playbook...>', 'playbook files')
      .option('-C, --check', 'change nothing; report what would change')
      .option('-D, --diff', 'show differences of changed files')
      .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated, repeatable)', collect)
      .option('--skip-tags <tags>', 'skip tasks with these tags', collect)
      .option('--start-at-task <name>', 'start at the task of this name')
      .option('--list-hosts', 'list the hosts of each play and exit')
      .option('--list-tasks', 'list the tasks of each play and exit')
      .option('--list-tags', 'list the tags of each play and exit')
      .option('--syntax-check', 'only load and validate the playbooks, inventory and roles')
      .option('--force-handlers', 'run notified handlers even on hosts where a task failed')
      .option('--flush-cache', 'clear the fact cache of every inventory host first')
      .option('--step', 'confirm each task before running it (not supported)')
      .option('-M, --module-path <path>', 'folders of site modules (<name>.mjs exporting a uxsv module), before ANSIBLE_LIBRARY or ansible.cfg library', collect),
  )).action(async (playbooks: string[], options: PlayOptions) => {
    const outcome = await runPlay(playbooks, options, io);
    setExit(outcome.exitCode);
  });
  registerExtraCommands(program, io, setExit);
  return program;
}

export async function main(argv: string[], io: CliIo = { write: writeStdout, writeError: writeStderr, isTty: Boolean(process.stdout.isTTY), env: process.env }): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(io, (c) => (code = c));
  program.configureOutput({ writeOut: (s) => io.write(s), writeErr: (s) => (io.writeError ?? ((t: string) => process.stderr.write(t)))(s) });
  try {
    await program.parseAsync(normalizeAliases(argv), { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (err instanceof UserError) {
      writeStderr(`ERROR! ${maskSecrets(err.formatForCli())}\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
}

/**
 * Runs the command line of this process and sets its exit code. `cache`
 * (the compile cache's private folder and the bundle's name, given by
 * engine/cli/compile-cache.ts) turns on the parse cache of playbooks and
 * task files there.
 */
export function runCli(options: { cache?: PrivateCache } = {}): void {
  if (options.cache) {
    configureYamlCache(options.cache);
    configureValidatorCache(options.cache);
  }
  main(process.argv.slice(2)).then(
    (code) => exitWhenWritten(code),
    (err) => {
      writeStderr(`uxsv: internal error: ${maskSecrets((err as Error).stack ?? String(err))}\n`);
      exitWhenWritten(70);
    },
  );
}

/**
 * Ends the process once its output is written. The run is over when its last
 * task is: a fire-and-forget job (`async` with `poll: 0`) goes on without the
 * engine, as under ansible-playbook, instead of keeping it alive.
 */
function exitWhenWritten(code: number): void {
  flushStdout();
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
// Run as a program of its own (the unbundled build); the bundle enters through entry.ts.
if (isMain) runCli();
