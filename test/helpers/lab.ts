/**
 * Lab test helpers: a ModuleContext over a real SSH connection to a lab host
 * (settings from inventory/lab, like the engine), commands on the lab's
 * client side and on its hosts, `uxsv play` runs against the lab inventory
 * with their recap read from the run's JSON report, and a DHCP exchange.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';
import { Inventory } from '../../engine/inventory/index.js';
import { createConnection, settingsFromVars } from '../../engine/connection/index.js';
import type { Connection } from '../../engine/connection/types.js';
import type { ModuleContext } from '../../engine/modules/types.js';
import type { HostStats } from '../../engine/output/events.js';
import type { RunReport } from '../../engine/output/json-report.js';
import { Templar, lazyVars } from '../../engine/template/index.js';
import { HOST_ADDRESSES, LAB_HOSTS, type LabHost } from '../../lab/config.js';
import { localContext } from './module-context.js';

export const LAB = process.env.UXSV_LAB === '1';
export const LAB_INVENTORY = resolve(import.meta.dirname, '../../inventory/lab');

/** The hosts' own service addresses. */
export const HOSTS = HOST_ADDRESSES;
export type Host = LabHost;
export const ALL_HOSTS: Host[] = [...LAB_HOSTS];

const open = new Map<string, Connection>();
let inventory: Inventory | undefined;

afterAll(async () => {
  await Promise.all([...open.values()].map((c) => c.close()));
  open.clear();
});

function labInventory(): Inventory {
  return (inventory ??= Inventory.load([LAB_INVENTORY]));
}

/** One SSH connection per lab host, reused by every test of the file. */
export async function labConnection(host: string): Promise<Connection> {
  let conn = open.get(host);
  if (!conn) {
    const settings = settingsFromVars(host, labInventory().hostVars(host), { acceptNewHostKeys: false });
    conn = createConnection(settings);
    await conn.connect();
    open.set(host, conn);
  }
  return conn;
}

/** Closes and forgets a host's connection (after its reboot, the next labContext connects again). */
export async function dropLabConnection(host: string): Promise<void> {
  const conn = open.get(host);
  open.delete(host);
  await conn?.close().catch(() => undefined);
}

/** A ModuleContext on a lab host, shaped like the runner's. */
export async function labContext(host: string, options: { check?: boolean; diff?: boolean; vars?: Record<string, unknown> } = {}): Promise<ModuleContext> {
  const conn = await labConnection(host);
  const vars = { ...labInventory().hostVars(host), inventory_hostname: host, ...(options.vars ?? {}) };
  const templar = new Templar();
  const base = localContext({ check: options.check, diff: options.diff, vars, host });
  return {
    ...base,
    host,
    conn,
    run: (command, execOptions = {}) => {
      const { become: _become, ...rest } = execOptions;
      return conn.exec(command, { timeoutMs: 300_000, ...rest });
    },
    renderTemplate: (text, source) => templar.render(text, lazyVars(vars, templar, source), source),
    connectionFor: (other) => labConnection(other),
    hostVars: (other) => ({ ...labInventory().hostVars(other), inventory_hostname: other }),
    timeoutMs: 300_000,
  };
}

export interface Exec {
  rc: number;
  stdout: string;
  stderr: string;
}

function run(argv: string[], timeoutMs: number): Promise<Exec> {
  return new Promise((done) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const rc = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      done({ rc, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** A shell command on the lab's client side (a department PC). */
export function labExec(cmd: string, timeoutMs = 60_000): Promise<Exec> {
  return run(['ip', 'netns', 'exec', 'uxsv-client', '/bin/sh', '-c', cmd], timeoutMs);
}

/** `uxsv ARGS` with the built CLI (dist/), as an operator would run it. */
export function uxsvCli(args: string[], timeoutMs = 600_000): Promise<Exec> {
  return run([process.execPath, resolve(import.meta.dirname, '../../dist/uxsv.mjs'), ...args], timeoutMs);
}

/** A command on a lab host, as root (`uxsv lab ssh`). */
export function onHost(host: Host, command: string, timeoutMs = 60_000): Promise<Exec> {
  return uxsvCli(['lab', 'ssh', host, '--', command], timeoutMs);
}

/** A `uxsv play` run, with the recap counters per host from its --report. */
export interface PlayRun extends Exec {
  recap: Record<string, HostStats>;
}

/**
 * `uxsv play ARGS` with the built CLI, writing its JSON report to a temporary
 * file; the recap is empty when the run ended before writing one.
 */
export async function uxsvPlay(args: string[], timeoutMs = 600_000): Promise<PlayRun> {
  const dir = mkdtempSync(join(tmpdir(), 'uxsv-lab-play-'));
  const report = join(dir, 'report.json');
  try {
    const result = await uxsvCli(['play', '--report', report, ...args], timeoutMs);
    let recap: PlayRun['recap'] = {};
    try {
      recap = (JSON.parse(readFileSync(report, 'utf8')) as RunReport).recap;
    } catch {
      // No report: the run stopped before its end (the caller sees rc and output).
    }
    return { ...result, recap };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs of one playbook against the lab inventory: `play(...extra)` is `uxsv play -i inventory/lab PLAYBOOK ...extra`. */
export function labPlaybook(playbook: string, timeoutMs = 600_000): (...extra: string[]) => Promise<PlayRun> {
  return (...extra) => uxsvPlay(['-i', 'inventory/lab', playbook, ...extra], timeoutMs);
}

/** The run succeeded on exactly `hosts`, none failed; returns the recap counters per host. */
export function expectOk(result: PlayRun, hosts: string[] = ALL_HOSTS): Record<string, HostStats> {
  const counts = result.recap;
  if (result.rc !== 0) console.error(result.stdout.slice(-4000), result.stderr);
  expect(result.rc).toBe(0);
  expect(Object.keys(counts).sort()).toEqual([...hosts].sort());
  for (const host of hosts) expect(counts[host]!.failed).toBe(0);
  return counts;
}

export interface Lease {
  address: string;
  server: string;
}

export interface DhcpExchange extends Exec {
  /** fixed-address and dhcp-server-identifier of every lease in the lease file, oldest first. */
  addresses: string[];
  servers: string[];
}

/**
 * One DHCP exchange with dhclient from the lab's client side (-sf /bin/true:
 * the client keeps its static address), with the files BASE.conf, .leases and
 * .pid; the dhclient left in the background is stopped without releasing, so
 * the lease stays the client's. `want` asks for an address; `freshLeases`
 * starts from an empty lease file (else leases accumulate, newest last).
 */
export async function dhclientExchange(base: string, options: { want?: string; freshLeases?: boolean } = {}): Promise<DhcpExchange> {
  const request = 'request subnet-mask, routers, domain-name, domain-name-servers, ntp-servers;';
  const conf = options.want ? `${request} send dhcp-requested-address ${options.want};` : request;
  const r = await labExec(
    [
      options.freshLeases ? `rm -f ${base}.leases ${base}.pid` : `rm -f ${base}.pid`,
      `printf '%s\\n' '${conf}' > ${base}.conf`,
      `timeout 60 dhclient -4 -1 -v -cf ${base}.conf -lf ${base}.leases -pf ${base}.pid -sf /bin/true eth0; rc=$?`,
      `[ -s ${base}.pid ] && kill $(cat ${base}.pid) 2>/dev/null`,
      `cat ${base}.leases`,
      'exit $rc',
    ].join('\n'),
    90_000,
  );
  const addresses = [...r.stdout.matchAll(/fixed-address ([\d.]+);/g)].map((m) => m[1]!);
  const servers = [...r.stdout.matchAll(/dhcp-server-identifier ([\d.]+);/g)].map((m) => m[1]!);
  return { ...r, addresses, servers };
}
