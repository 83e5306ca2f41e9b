/**
 * `uxsv inventory --list | --host HOST | --graph [GROUP] [--vars]`: what
 * ansible-inventory prints, from the same sources (-i, else ansible.cfg).
 * Unlike ansible-inventory, `--limit` is accepted: it keeps only the
 * matching hosts in `--list`.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { InventoryListing, dumpJson, dumpYaml } from '../inventory/listing.js';
import { setActiveVaultSecrets } from '../vault/index.js';
import { clearSecrets } from '../vault/secrets.js';
import { parseExtraVars } from './extra-vars.js';
import { warner } from './play.js';
import { addInventoryOptions } from './run-options.js';
import { configWarnings, loadConfig, loadInventoryFrom, playbookDirFrom, vaultSecretsFor, type InventoryCliOptions } from './settings.js';
import { EXIT } from './exit-codes.js';

interface InventoryOptions extends InventoryCliOptions {
  list?: boolean;
  host?: string;
  graph?: boolean;
  vars?: boolean;
  yaml?: boolean;
  toml?: boolean;
  export?: boolean;
  output?: string;
  extraVars?: string[];
  limit?: string;
}

interface Io {
  write(text: string): void;
  env: NodeJS.ProcessEnv;
  warn?: (m: string) => void;
}

export function registerInventoryCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  addInventoryOptions(
    program
      .command('inventory')
      .description('show the inventory (like ansible-inventory)')
      .argument('[pattern]', 'with --graph: the group to start at (default all)')
      .option('--list', 'every group and host, with host variables under _meta (JSON)')
      .option('--host <host>', "one host's variables (JSON)")
      .option('--graph', 'a tree of groups and hosts')
      .option('--vars', 'with --graph: show variables too')
      .option('-y, --yaml', 'YAML instead of JSON')
      .option('--toml', 'TOML instead of JSON (not supported)')
      .option('--export', "with --list: each group's own vars, hosts with only their own vars")
      .option('--output <file>', 'with --list: write to this file instead of the screen')
      .option('-l, --limit <pattern>', 'with --list: only hosts matching this pattern (ansible-inventory refuses --limit)'),
  ).action(async (pattern: string | undefined, options: InventoryOptions) => {
    setExit(await showInventory(pattern, options, io));
  });
}

export async function showInventory(pattern: string | undefined, options: InventoryOptions, io: Io): Promise<number> {
  const actions = [options.list, options.host !== undefined, options.graph].filter(Boolean).length;
  if (actions === 0) throw new UserError('No action selected, at least one of --host, --graph or --list needs to be specified.');
  if (actions > 1) throw new UserError('Conflicting options used, only one of --host, --graph or --list can be used at the same time.');
  if (options.toml) throw new UserError('--toml is not supported: use --yaml or the default JSON');
  const warn = warner(io);
  const config = loadConfig(io.env);
  for (const w of configWarnings(config, 'other')) warn(w);
  clearSecrets();
  setActiveVaultSecrets(await vaultSecretsFor(options, config));
  const inventory = loadInventoryFrom(options, config, warn);
  const listing = new InventoryListing(inventory, {
    export: Boolean(options.export) || config.get<boolean>('INVENTORY_EXPORT'),
    extraVars: parseExtraVars(options.extraVars ?? []),
    playbookDir: playbookDirFrom(options.playbookDir, config),
    onlyHosts: options.limit ? new Set(inventory.select('all', options.limit)) : undefined,
  });
  let text: string;
  if (options.host !== undefined) {
    const hosts = inventory.select(options.host);
    if (hosts.length === 0) warn(`Could not match supplied host pattern, ignoring: ${options.host}`);
    if (hosts.length !== 1) throw new UserError('You must pass a single valid host to --host parameter');
    text = options.yaml ? dumpYaml(listing.hostVars(hosts[0])) : dumpJson(listing.hostVars(hosts[0]));
  } else if (options.graph) {
    const graph = listing.graphOf(pattern ?? 'all', Boolean(options.vars));
    if (graph === undefined) throw new UserError('Pattern must be valid group name when using --graph');
    text = graph;
  } else {
    text = options.yaml ? listing.yaml() : listing.json();
  }
  if (options.output !== undefined) {
    try {
      writeFileSync(options.output, text);
    } catch (err) {
      throw new UserError(`Unable to write to destination file (${options.output}): ${(err as Error).message}`);
    }
  } else {
    io.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  return EXIT.OK;
}

