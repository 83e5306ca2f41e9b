/**
 * The cluster's own commands, shortcuts over the mode playbooks:
 *   uxsv degrade HOST [--planned]   playbooks/degrade-HOST.yml
 *   uxsv restore                    playbooks/normal.yml
 *   uxsv check                      the current mode's playbook in check mode (exit 0 / 3 drift / 2 / 4)
 *   uxsv status [--json]            the seed's table, read from the live hosts
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createConnection, settingsFromVars } from '../connection/index.js';
import { UserError } from '../errors.js';
import { Inventory } from '../inventory/index.js';
import { NORMAL, servicesByHost, validatePlacement, type ModePlacement, type Placement } from '../../module_utils/placement.js';
import { parseReading, readingScript, type HostReading } from './cluster-reading.js';
import { EXIT } from './exit-codes.js';
import { runPlay, type PlayIo, type PlayOptions } from './play.js';
import { addRunOptions } from './run-options.js';
import { setActiveVaultSecrets } from '../vault/index.js';
import type { VaultPasswordOptions } from '../vault/cli.js';
import { loadConfig, vaultSecretsFor } from './settings.js';

/** The repository's playbooks folder (beside dist/ when installed from the repository). */
export function playbooksDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/engine/cli/ (tsc output), dist/ (the bundle), then the current folder.
  for (const candidate of [path.resolve(here, '../../../playbooks'), path.resolve(here, '../playbooks'), path.resolve('playbooks')]) {
    if (existsSync(path.join(candidate, 'site.yml'))) return candidate;
  }
  throw new UserError('cannot find the playbooks folder (playbooks/site.yml); run uxsv from the repository');
}

interface ClusterView {
  inventory: Inventory;
  hosts: string[];
  placement: Placement;
  vars: Record<string, unknown>;
}

/**
 * The vault passwords of a cluster command, read once (--ask-vault-pass asks
 * once) and made active before the inventory is read: production's
 * group_vars/all/vault.yml is encrypted. The options returned carry them to
 * runPlay.
 */
async function withVault<T extends VaultPasswordOptions>(options: T): Promise<T & { vaultSecrets?: PlayOptions['vaultSecrets'] }> {
  const vaultSecrets = await vaultSecretsFor(options, loadConfig());
  setActiveVaultSecrets(vaultSecrets);
  return { ...options, vaultSecrets };
}

/** The cluster's hosts and placement matrix, from the inventory, validated. */
export function loadCluster(sources: string[] | undefined): ClusterView {
  if (!sources?.length) throw new UserError('give the inventory with -i (e.g. -i inventory/lab)');
  const inventory = Inventory.load(sources);
  const first = inventory.hostNames()[0];
  if (!first) throw new UserError('the inventory has no hosts');
  const vars = inventory.hostVars(first);
  const hosts = (vars.cluster_hosts as string[] | undefined) ?? inventory.hostNames();
  const addresses = Object.keys((vars.cluster_addresses as Record<string, string> | undefined) ?? {});
  const placement = validatePlacement(vars.cluster_modes, hosts, addresses, 'cluster_modes in the inventory group_vars');
  return { inventory, hosts, placement, vars };
}

export function playbookForMode(mode: string): string {
  if (mode === NORMAL) return 'site.yml';
  const m = /^degraded-(.+)$/.exec(mode);
  if (!m) throw new UserError(`unknown mode '${mode}'`);
  return `degrade-${m[1]}.yml`;
}

/** One command per host (cluster-reading.ts). */
async function readHost(view: ClusterView, host: string, modeFile: string, iface: string, timeoutSec: number): Promise<HostReading> {
  const vars = { ...view.inventory.hostVars(host), ansible_ssh_timeout: timeoutSec };
  const conn = createConnection(settingsFromVars(host, vars, { acceptNewHostKeys: false }));
  try {
    const r = await conn.exec(readingScript(modeFile, iface), { timeoutMs: timeoutSec * 1000 });
    return parseReading(host, r.stdout.toString());
  } catch (err) {
    return { host, reachable: false, error: (err as Error).message, active: {}, addresses: [], sites: [] };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

async function readCluster(view: ClusterView, timeoutSec = 5): Promise<HostReading[]> {
  const modeFile = String(view.vars.cluster_mode_file ?? '/etc/uxsv/mode');
  const iface = String(view.vars.cluster_interface ?? 'eth0');
  return Promise.all(view.hosts.map((h) => readHost(view, h, modeFile, iface, timeoutSec)));
}

/** The mode the live hosts record; refuses when they disagree. A host that records its own absence counts with the others. */
export function agreedMode(readings: HostReading[]): string {
  const modes = [...new Set(readings.filter((r) => r.reachable && r.mode && r.mode !== 'none').map((r) => r.mode!))];
  if (modes.length === 0) throw new UserError('no reachable host records a mode (is the cluster provisioned? run site.yml)');
  if (modes.length > 1) throw new UserError(`the hosts disagree on the mode: ${readings.map((r) => `${r.host}=${r.reachable ? r.mode : 'unreachable'}`).join(', ')}`);
  return modes[0];
}

interface StatusRow {
  service: string;
  cells: Record<string, { value: string; expected: string; differs: boolean }>;
}

/** The seed's table: services as rows, hosts as columns; what runs vs what the recorded mode places. */
export function statusTable(view: ClusterView, readings: HostReading[], mode: string | undefined): StatusRow[] {
  const p: ModePlacement | undefined = mode ? view.placement[mode] : undefined;
  const addresses = (view.vars.cluster_addresses as Record<string, string>) ?? {};
  const expected = p ? servicesByHost(p, view.hosts) : {};
  const rows: StatusRow[] = [];
  const row = (service: string, actual: (r: HostReading) => string, want: (h: string) => string) => {
    const cells: StatusRow['cells'] = {};
    for (const r of readings) {
      const value = r.reachable ? actual(r) : 'unreachable';
      const exp = p ? want(r.host) : '';
      cells[r.host] = { value, expected: exp, differs: Boolean(p) && r.reachable && value !== exp };
    }
    rows.push({ service, cells });
  };
  const has = (h: string, s: string) => (expected[h] ?? []).includes(s);
  row('mode', (r) => r.mode ?? 'none', () => mode ?? '');
  row('DNS', (r) => (r.active.named ? (r.dnsRole ?? 'running') : '-'), (h) => (has(h, 'dns-primary') ? 'primary' : has(h, 'dns-secondary') ? 'secondary' : '-'));
  row('DHCP', (r) => (r.active['uxsv-dhcpd'] ? 'running' : '-'), (h) => (has(h, 'dhcp') ? 'running' : '-'));
  for (const site of Object.keys(p?.web ?? { www: '', www3: '' })) {
    row(`web ${site}`, (r) => (r.active.apache2 && r.sites.some((s) => s === site || s.endsWith(`-${site}`) || s.startsWith(`${site}`)) && r.addresses.includes(addresses[site]) ? 'running' : '-'), (h) => (has(h, `web-${site}`) ? 'running' : '-'));
  }
  row('mail+POP+ML', (r) => (r.active.postfix && r.active.dovecot ? 'running' : r.active.postfix || r.active.dovecot ? 'partly' : '-'), (h) => (has(h, 'mail') ? 'running' : '-'));
  row('NTP', (r) => (r.active.chrony ? 'running' : '-'), (h) => (has(h, 'ntp') ? 'running' : '-'));
  const addressName = (a: string) => Object.entries(addresses).find(([, v]) => v === a)?.[0];
  row(
    'addresses',
    (r) => r.addresses.map(addressName).filter((n): n is string => Boolean(n)).sort().join(' ') || '-',
    (h) => (p && p.down !== h ? [h, ...(p.addresses[h] ?? [])].sort().join(' ') : '-'),
  );
  row('mirror', (r) => (r.active['uxsv-mirror.timer'] ? 'on' : 'off'), (h) => (p?.mirror && p.down !== h ? 'on' : 'off'));
  return rows;
}

function formatTable(rows: StatusRow[], hosts: string[], mode: string | undefined): string {
  const header = ['', ...hosts];
  const body = rows.map((r) => [r.service, ...hosts.map((h) => `${r.cells[h].value}${r.cells[h].differs ? ` !(want ${r.cells[h].expected})` : ''}`)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((line) => line[i].length)));
  const fmt = (line: string[]) => line.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const differs = rows.some((r) => Object.values(r.cells).some((c) => c.differs));
  const verdict = mode === undefined ? 'no agreed mode recorded on the hosts (not provisioned yet, or they disagree)' : differs ? `! differs from the placement of mode ${mode}` : `everything as placed for mode ${mode}`;
  return [fmt(header), ...body.map(fmt), '', verdict].join('\n') + '\n';
}

async function timed(io: PlayIo, what: string, fn: () => Promise<number>): Promise<number> {
  const t0 = Date.now();
  const code = await fn();
  io.write(`${what} ${code === EXIT.OK ? 'done' : `ended with exit code ${code}`} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return code;
}

export function registerClusterCommands(program: Command, io: PlayIo, setExit: (code: number) => void): void {
  addRunOptions(
    program
      .command('degrade')
      .description('switch to two-host operation without HOST (playbooks/degrade-HOST.yml)')
      .argument('<host>', 'the host that is down or leaves for maintenance')
      .option('--planned', 'planned maintenance: HOST is up; its services stop and its data gets a last mirror pass first'),
  ).action(async (host: string, given: PlayOptions & { planned?: boolean }) => {
    const options = await withVault(given);
    const view = loadCluster(options.inventory);
    if (!view.hosts.includes(host)) throw new UserError(`'${host}' is not a cluster host (${view.hosts.join(', ')})`);
    const playbook = path.join(playbooksDir(), `degrade-${host}.yml`);
    const extra = [...(options.extraVars ?? []), ...(options.planned ? ['planned=true'] : [])];
    setExit(await timed(io, `degrade ${host}${options.planned ? ' (planned)' : ''}`, async () => (await runPlay([playbook], { ...options, extraVars: extra }, io)).exitCode));
  });

  addRunOptions(program.command('restore').description('return to three hosts after the repaired host is back (playbooks/normal.yml)')).action(async (given: PlayOptions) => {
    const options = await withVault(given);
    loadCluster(options.inventory);
    const playbook = path.join(playbooksDir(), 'normal.yml');
    setExit(await timed(io, 'restore', async () => (await runPlay([playbook], options, io)).exitCode));
  });

  addRunOptions(program.command('check').description("drift check: run the current mode's playbook in check mode (exit 0 in sync, 3 drift, 2 failed, 4 unreachable, 5 locked by another run)")).action(async (given: PlayOptions) => {
    const options = await withVault(given);
    const view = loadCluster(options.inventory);
    const readings = await readCluster(view);
    const mode = agreedMode(readings);
    const p = view.placement[mode];
    if (!p) throw new UserError(`the hosts record mode '${mode}', which the placement matrix does not know`);
    const lost = readings.filter((r) => !r.reachable && r.host !== p.down);
    const playbook = path.join(playbooksDir(), playbookForMode(mode));
    io.write(`mode ${mode}: checking with ${path.relative(process.cwd(), playbook)}\n`);
    const outcome = await runPlay([playbook], { ...options, check: true, diff: true }, io);
    let code = outcome.exitCode;
    if (code === EXIT.OK && lost.length) code = EXIT.UNREACHABLE;
    if (code === EXIT.OK && outcome.result?.anyChanged) code = EXIT.DRIFT;
    io.write(code === EXIT.OK ? 'in sync\n' : code === EXIT.DRIFT ? 'DRIFT: the tasks marked changed above would change the hosts\n' : '');
    setExit(code);
  });

  program
    .command('status')
    .description("the placement table from the live hosts: services by host, addresses, mode; '!' marks what differs from the placement")
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON')
    .option('--vault-password-file <file>', 'vault password file, for vault-encrypted vars files such as group_vars/all/vault.yml (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ask-vault-pass', 'ask for the vault password')
    .action(async (given: VaultPasswordOptions & { inventory?: string[]; json?: boolean }) => {
      const options = await withVault(given);
      const view = loadCluster(options.inventory);
      const readings = await readCluster(view);
      let mode: string | undefined;
      try {
        mode = agreedMode(readings);
      } catch {
        mode = undefined;
      }
      const rows = statusTable(view, readings, mode);
      const differs = rows.some((r) => Object.values(r.cells).some((c) => c.differs)) || mode === undefined;
      if (options.json) io.write(JSON.stringify({ mode: mode ?? null, hosts: readings, table: rows, differs }, null, 2) + '\n');
      else io.write(formatTable(rows, view.hosts, mode));
      setExit(readings.some((r) => !r.reachable && r.host !== view.placement[mode ?? '']?.down) ? EXIT.UNREACHABLE : differs ? EXIT.DRIFT : EXIT.OK);
    });
}
