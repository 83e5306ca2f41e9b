/**
 * Lab test helpers: a ModuleContext over a real SSH connection to a lab host
 * (settings from inventory/lab, like the engine), commands on the lab's
 * client side, and `uxsv` runs against the lab inventory.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll } from 'vitest';
import { Inventory } from '../../engine/inventory/index.js';
import { createConnection, settingsFromVars } from '../../engine/connection/index.js';
import type { Connection } from '../../engine/connection/types.js';
import type { ModuleContext } from '../../engine/modules/types.js';
import { Templar, lazyVars } from '../../engine/template/index.js';
import { localContext } from './module-context.js';

export const LAB = process.env.UXSV_LAB === '1';
export const LAB_INVENTORY = resolve(import.meta.dirname, '../../inventory/lab');

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
