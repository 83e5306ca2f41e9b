/**
 * The benchmark (`npm run bench`): runs the engine as an operator would (the
 * CLI, a new process per run) against the lab, and prints a table of medians
 * with min and max; writes bench/results.json and the table of docs/performance.md.
 *
 * Figures: site.yml with nothing to change; a synthetic 100-task playbook
 * (changing everything, then nothing) on the three lab hosts, on 10 and on 50
 * light hosts (sshd only); SSH handshakes, channels and processes started on
 * the hosts per run; every degrade and restore, and how much of each is the
 * engine's own CPU time; the engine's peak memory. These runs keep no
 * connection between runs (UXSV_SSH_PERSIST=0), as before connections were kept.
 *
 * Kept connections: cold runs (no multiplexer yet: the run starts one and it
 * makes the handshakes) and warm runs (the multiplexer an earlier run left)
 * of the synthetic playbook with nothing to change, of one task on the three
 * hosts, and of `uxsv check`; each with the multiplexer's own CPU time.
 * And the engine's peak memory for a task printing 300 MiB (local and on a
 * lab host).
 *
 * Start-up: `uxsv play` of one task on a local connection, and
 * `uxsv --version`, from the shell (no lab needed).
 *
 * Peers (peers.ts): the no-change synthetic playbook and the one task on the
 * three lab hosts, side by side in one run under uxsv, ansible-playbook and
 * Ansible with Mitogen, each with its connections kept from its previous run.
 *
 * Options: --runs N (default 5), --switch-runs N (default 1), --startup-runs N
 * (default 20), --peer-runs N (default 3), --skip-switch, --skip-light,
 * --skip-persist, --skip-huge, --skip-startup, --skip-peers, --no-readme.
 * --peers-only runs the peers alone and --peer-inventory FILE on another
 * inventory than the lab's (e.g. a local one, without root); --startup-only
 * the start-up figures alone (no lab); these print their table and write
 * nothing. Needs root (the lab).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { labFail, labHeal, labStatus, labUp, LAB_HOSTS, type LabHost } from '../lab/index.js';
import { hostLeader } from '../lab/hosts.js';
import { labUpLight } from '../lab/light.js';
import { ansibleEngines, checkInventory, peerArgv, peerRun, type Engine, type PeerCase, type PeerRun } from './peers.js';
import { coldAndWarm, persistEnv, stopMultiplexers } from './persist.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist/uxsv.mjs');
const LAB_INVENTORY = join(ROOT, 'inventory/lab');
const SYNTHETIC = join(ROOT, 'bench/playbooks/synthetic.yml');
const CLEANUP = join(ROOT, 'bench/playbooks/cleanup.yml');
const ONE_TASK = join(ROOT, 'bench/playbooks/one-task.yml');
const HUGE_OUTPUT = join(ROOT, 'bench/playbooks/huge-output.yml');
const RESULTS = join(ROOT, 'bench/results.json');
const PERFORMANCE_DOC = join(ROOT, 'docs/performance.md');

const pexecFile = promisify(execFile);

interface Options {
  runs: number;
  switchRuns: number;
  startupRuns: number;
  peerRuns: number;
  switch: boolean;
  light: boolean;
  persist: boolean;
  huge: boolean;
  startup: boolean;
  peers: boolean;
  peersOnly: boolean;
  startupOnly: boolean;
  peerInventory?: string;
  readme: boolean;
}

/** What one engine run gives: its wall time from the outside, and what its report says. */
interface Run {
  wallMs: number;
  exitCode: number;
  /** task results per host (ok + skipped + failed), averaged over hosts */
  tasksPerHost: number;
  hosts: number;
  changed: number;
  handshakes: number;
  channels: number;
  commands: number;
  cpuMs: number;
  maxRssMb: number;
  /** Share of the machine's CPU time (all cores) that was busy during the run: hosts, sshd, proxies and the engine. */
  machineBusyPct: number;
  /** SSH connections of an earlier run that this run used (kept by the multiplexer). */
  reused: number;
  /** CPU time of the multiplexer during the run (it does the SSH work of kept connections). */
  muxCpuMs?: number;
}

interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

interface Figure {
  name: string;
  hosts: number;
  tasksPerHost: number;
  wallMs: Summary;
  perTaskPerHostMs: number;
  engineCpuMs: Summary;
  engineCpuPerTaskPerHostMs: number;
  /** The same without the engine's start-up (loading, parsing), measured by --syntax-check of the same playbook. */
  engineRunCpuPerTaskPerHostMs?: number;
  machineBusyPct: number;
  handshakes: number;
  /** Connections kept from an earlier run that the run used instead of a handshake. */
  reused: number;
  channels: number;
  commands: number;
  remoteProcesses?: number;
  /** The multiplexer's CPU time per run, when the run's connections went through it. */
  muxCpuMs?: Summary;
  maxRssMb: number;
  changed: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    runs: 5, switchRuns: 1, startupRuns: 20, peerRuns: 3,
    switch: true, light: true, persist: true, huge: true, startup: true, peers: true, peersOnly: false, startupOnly: false, readme: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const number = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a whole number ≥ 1`);
      return n;
    };
    if (arg === '--runs') options.runs = number();
    else if (arg === '--switch-runs') options.switchRuns = number();
    else if (arg === '--startup-runs') options.startupRuns = number();
    else if (arg === '--peer-runs') options.peerRuns = number();
    else if (arg === '--skip-startup') options.startup = false;
    else if (arg === '--skip-peers') options.peers = false;
    else if (arg === '--peers-only') options.peersOnly = true;
    else if (arg === '--startup-only') options.startupOnly = true;
    else if (arg === '--peer-inventory') {
      const file = argv[++i];
      if (!file) throw new Error('--peer-inventory needs an inventory file');
      options.peerInventory = resolve(file);
      options.peersOnly = true;
    }
    else if (arg === '--skip-switch') options.switch = false;
    else if (arg === '--skip-light') options.light = false;
    else if (arg === '--skip-persist') options.persist = false;
    else if (arg === '--skip-huge') options.huge = false;
    else if (arg === '--no-readme') options.readme = false;
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!), runs: values.length };
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

const scratch = mkdtempSync(join(tmpdir(), 'uxsv-bench-'));
let reportCount = 0;

/** Busy and total CPU ticks of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);   // idle + iowait
  return { busy: total - idle, total };
}

/**
 * One run of the CLI in a process of its own, as from a shell. Unless `env`
 * says otherwise, it keeps no connection for the next run (UXSV_SSH_PERSIST=0).
 */
async function uxsv(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const report = join(scratch, `report-${++reportCount}.json`);
  const ticks = machineTicks();
  const started = process.hrtime.bigint();
  const exitCode = await new Promise<number>((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args, '--report', report], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, UXSV_SSH_PERSIST: '0', ...env },
    });
    child.once('error', fail);
    child.once('close', (code) => done(code ?? -1));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const after = machineTicks();
  const machineBusyPct = (100 * (after.busy - ticks.busy)) / Math.max(1, after.total - ticks.total);
  const data = JSON.parse(readFileSync(report, 'utf8')) as {
    recap: Record<string, { ok: number; changed: number; skipped: number; failed: number }>;
    connections?: Record<string, { handshakes: number; channels: number; commands: number; reused?: number }>;
    engine?: { cpu_user_ms: number; cpu_system_ms: number; max_rss_mb: number };
  };
  const recaps = Object.values(data.recap);
  const connections = Object.values(data.connections ?? {});
  const sum = <T>(items: T[], pick: (item: T) => number): number => items.reduce((total, item) => total + pick(item), 0);
  return {
    wallMs,
    exitCode,
    hosts: recaps.length,
    tasksPerHost: recaps.length ? sum(recaps, (r) => r.ok + r.skipped + r.failed) / recaps.length : 0,
    changed: sum(recaps, (r) => r.changed),
    handshakes: sum(connections, (c) => c.handshakes),
    reused: sum(connections, (c) => c.reused ?? 0),
    channels: sum(connections, (c) => c.channels),
    commands: sum(connections, (c) => c.commands),
    cpuMs: data.engine ? data.engine.cpu_user_ms + data.engine.cpu_system_ms : NaN,
    maxRssMb: data.engine?.max_rss_mb ?? NaN,
    machineBusyPct,
  };
}

async function mustSucceed(what: string, run: Promise<Run>, exitCodes: number[] = [0]): Promise<Run> {
  const result = await run;
  if (!exitCodes.includes(result.exitCode)) throw new Error(`${what} exited with ${result.exitCode}`);
  return result;
}

/**
 * Processes created in each lab host's pid namespace, from its last pid: pids
 * are handed out one after the other, so the difference counts every process
 * (and thread) started there, ours and the host's own.
 */
async function labLastPids(): Promise<number[]> {
  return Promise.all(LAB_HOSTS.map(async (host: LabHost) => {
    const leader = await hostLeader(host);
    if (leader === undefined) return NaN;
    const { stdout } = await pexecFile('nsenter', [`--target=${leader}`, '--pid', '--mount', '--', 'cat', '/proc/sys/kernel/ns_last_pid']);
    return Number(stdout.trim());
  }));
}

/**
 * The engine's CPU time to start, load and validate a playbook and its
 * inventory, up to where it would pick hosts: a --limit that matches none
 * ends the run there (Ansible's "no hosts to target", exit 1). Measured by
 * GNU time, since such a run writes no report.
 */
async function startupCpuMs(inventory: string, playbook: string, runs: number): Promise<number> {
  const results: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { stderr, code } = await new Promise<{ stderr: string; code: number }>((done, fail) => {
      const child = spawn('/usr/bin/time', ['-f', 'uxsv-cpu %U %S', process.execPath, CLI, 'play', '-i', inventory, '--limit', 'no-such-host', playbook], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, UXSV_SSH_PERSIST: '0' },
      });
      let err = '';
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('error', fail);
      child.once('close', (exit) => done({ stderr: err, code: exit ?? -1 }));
    });
    const times = /uxsv-cpu ([\d.]+) ([\d.]+)/.exec(stderr);
    if (code !== 1 || !times || !stderr.includes('leaves us with no hosts to target')) throw new Error(`start-up run ended unexpectedly (exit ${code}): ${stderr.slice(-300)}`);
    results.push(1000 * (Number(times[1]) + Number(times[2])));
  }
  return summarize(results).median;
}

function figure(name: string, runs: Run[], remoteProcesses?: number, startupMs?: number): Figure {
  const first = runs[0]!;
  const wall = summarize(runs.map((r) => r.wallMs));
  const cpu = summarize(runs.map((r) => r.cpuMs));
  const taskHosts = first.tasksPerHost * first.hosts;
  return {
    name,
    hosts: first.hosts,
    tasksPerHost: round(first.tasksPerHost),
    wallMs: wall,
    perTaskPerHostMs: round(wall.median / first.tasksPerHost, 2),
    engineCpuMs: cpu,
    engineCpuPerTaskPerHostMs: round(cpu.median / taskHosts, 2),
    ...(startupMs !== undefined ? { engineRunCpuPerTaskPerHostMs: round((cpu.median - startupMs) / taskHosts, 2) } : {}),
    machineBusyPct: round(summarize(runs.map((r) => r.machineBusyPct)).median, 0),
    handshakes: first.handshakes,
    reused: first.reused,
    channels: first.channels,
    commands: first.commands,
    ...(remoteProcesses !== undefined ? { remoteProcesses } : {}),
    ...(runs.every((r) => r.muxCpuMs !== undefined) ? { muxCpuMs: summarize(runs.map((r) => r.muxCpuMs!)) } : {}),
    maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)),
    changed: first.changed,
  };
}

function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

/** The synthetic playbook on an inventory: `runs` times changing everything (a new folder each time), then nothing. */
async function synthetic(label: string, inventory: string, hosts: number, runs: number, env: Record<string, string> = {}): Promise<Figure[]> {
  const forks = String(Math.max(10, hosts));
  const changing: Run[] = [];
  const unchanged: Run[] = [];
  let processes: number | undefined;
  for (let i = 0; i < runs; i++) {
    const dir = `/var/tmp/uxsv-bench/run-${Date.now()}-${i}`;
    const args = ['play', '-i', inventory, '-f', forks, '-e', `bench_dir=${dir}`, SYNTHETIC];
    changing.push(await mustSucceed(`${label} (changing)`, uxsv(args, env)));
    const before = label.startsWith('lab') ? await labLastPids() : undefined;
    unchanged.push(await mustSucceed(`${label} (no change)`, uxsv(args, env)));
    if (before && processes === undefined) {
      const after = await labLastPids();
      // Minus the one `cat` that read the counter in each host.
      processes = after.reduce((total, value, index) => total + (value - before[index]! - 1), 0);
    }
  }
  await mustSucceed(`${label} (cleanup)`, uxsv(['play', '-i', inventory, '-f', forks, CLEANUP], env));
  const startup = await startupCpuMs(inventory, SYNTHETIC, runs);
  return [
    figure(`${label}: synthetic, all changed`, changing, undefined, startup),
    figure(`${label}: synthetic, no change`, unchanged, processes, startup),
  ];
}

async function siteNoChange(runs: number): Promise<Figure> {
  log('site.yml until nothing changes (the lab may be fresh)');
  for (let i = 0; i < 3; i++) {
    const run = await mustSucceed('site.yml', uxsv(['play', '-i', LAB_INVENTORY, join(ROOT, 'playbooks/site.yml')]));
    if (run.changed === 0) break;
  }
  const results: Run[] = [];
  let processes: number | undefined;
  for (let i = 0; i < runs; i++) {
    const before = await labLastPids();
    results.push(await mustSucceed('site.yml (no change)', uxsv(['play', '-i', LAB_INVENTORY, join(ROOT, 'playbooks/site.yml')])));
    const after = await labLastPids();
    processes ??= after.reduce((total, value, index) => total + (value - before[index]! - 1), 0);
  }
  return figure('lab: site.yml, no change', results, processes, await startupCpuMs(LAB_INVENTORY, join(ROOT, 'playbooks/site.yml'), runs));
}

/** Cold and warm runs of one command line with kept connections (persist.ts). */
async function keptConnections(label: string, args: string[], runs: number, startupMs?: number, exitCodes = [0]): Promise<Figure[]> {
  const { cold, warm } = await coldAndWarm(scratch, runs, (env) => mustSucceed(label, uxsv(args, env), exitCodes));
  if (warm.some((run) => run.reused === 0)) {
    throw new Error(`${label}: a warm run used no kept connection (does \`uxsv __mux\` start the multiplexer? see engine/connection/README.md)`);
  }
  return [
    figure(`${label}, cold (the run starts the multiplexer)`, cold, undefined, startupMs),
    figure(`${label}, warm (connections kept from an earlier run)`, warm, undefined, startupMs),
  ];
}

/** The synthetic playbook with nothing to change, one task on the three hosts, and `uxsv check`: cold and warm. */
async function persistFigures(runs: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  const dir = `/var/tmp/uxsv-bench/run-${Date.now()}-kept`;
  const synthetic = ['play', '-i', LAB_INVENTORY, '-f', '10', '-e', `bench_dir=${dir}`, SYNTHETIC];
  log('kept connections: synthetic playbook, nothing to change');
  await mustSucceed('synthetic (changing, before the runs with kept connections)', uxsv(synthetic));
  figures.push(...await keptConnections('lab: synthetic, no change', synthetic, runs, await startupCpuMs(LAB_INVENTORY, SYNTHETIC, runs)));
  await mustSucceed('cleanup', uxsv(['play', '-i', LAB_INVENTORY, CLEANUP]));
  log('kept connections: one task on the three hosts');
  figures.push(...await keptConnections('lab: one task, no change', ['play', '-i', LAB_INVENTORY, ONE_TASK], runs,
    await startupCpuMs(LAB_INVENTORY, ONE_TASK, runs)));
  log('kept connections: uxsv check');
  // Drift (exit 3) is an answer too: the site may differ from its playbook after the switches of an earlier bench.
  figures.push(...await keptConnections('lab: `uxsv check`', ['check', '-i', LAB_INVENTORY], runs, undefined, [0, 3]));
  return figures;
}

/** An inventory of this machine on a local connection. */
function localInventory(): string {
  const local = join(scratch, 'local-inventory.yml');
  writeFileSync(local, 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n');
  return local;
}

/** The engine's peak memory for a task that prints 300 MiB, on a local connection and on a lab host over SSH. */
async function hugeOutput(): Promise<Figure[]> {
  const local = localInventory();
  log('a task printing 300 MiB, local');
  const here = await mustSucceed('300 MiB of output, local', uxsv(['play', '-i', local, HUGE_OUTPUT]));
  const host = LAB_HOSTS[0]!;
  log(`a task printing 300 MiB, on ${host}`);
  const there = await mustSucceed(`300 MiB of output, ${host}`, uxsv(['play', '-i', LAB_INVENTORY, '--limit', host, HUGE_OUTPUT]));
  return [
    figure('local: one task printing 300 MiB (32 MiB kept)', [here]),
    figure(`lab: one task printing 300 MiB on ${host} (32 MiB kept)`, [there]),
  ];
}

/** Wall time of one CLI run from the shell, its output discarded (for commands without a --report). */
async function wallOf(args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  const exitCode = await new Promise<number>((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', fail);
    child.once('close', (code) => done(code ?? -1));
  });
  if (exitCode !== 0) throw new Error(`uxsv ${args.join(' ')} exited with ${exitCode}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

interface StartupFigure {
  command: string;
  wallMs: Summary;
  /** The engine's CPU time, from the run's report (none for --version). */
  engineCpuMs?: Summary;
}

/** What a command costs before it reaches a host: `uxsv --version`, and `uxsv play` of one task on a local connection. */
async function startupFigures(runs: number): Promise<StartupFigure[]> {
  log(`start-up: uxsv --version and uxsv play of one local task, ${runs} runs each`);
  const version: number[] = [];
  const play: Run[] = [];
  const args = ['play', '-i', localInventory(), ONE_TASK];
  for (let i = 0; i < runs; i++) {
    version.push(await wallOf(['--version']));
    play.push(await mustSucceed('one local task', uxsv(args)));
  }
  return [
    { command: '`uxsv --version`', wallMs: summarize(version) },
    {
      command: '`uxsv play -i <local inventory> bench/playbooks/one-task.yml` (one task, local connection)',
      wallMs: summarize(play.map((r) => r.wallMs)),
      engineCpuMs: summarize(play.map((r) => r.cpuMs)),
    },
  ];
}

/** One row of the peers' table: a playbook under one engine, or why that engine did not run. */
interface PeerFigure {
  playbook: string;
  engine: string;
  hosts?: number;
  wallMs?: Summary;
  /** The peer's median wall time over uxsv's: how many times faster uxsv is (uxsv's own row: 1). */
  uxsvSpeedup?: number;
  skipped?: string;
}

/**
 * The peers (peers.ts) on an inventory: each case under uxsv (kept
 * connections, as by default) and under each Ansible, one untimed run first,
 * then the timed ones, each of which must change nothing.
 */
async function peerFigures(inventory: string, uxsvRuns: number, peerRuns: number, benchDir: string): Promise<PeerFigure[]> {
  const cases: PeerCase[] = [
    { label: 'synthetic, no change (100 tasks)', playbook: SYNTHETIC, extraVars: { bench_dir: `${benchDir}/{engine}` } },
    { label: 'one task, no change', playbook: ONE_TASK },
  ];
  const engines = ansibleEngines(scratch);
  const inventoryProblem = engines.every((e) => e.skipped) ? undefined : await checkInventory(inventory, ROOT);
  if (inventoryProblem) for (const engine of engines) engine.skipped ??= `skipped: ${inventoryProblem}`;
  const forks = 10;
  const uxsvEngine: Engine = { name: 'uxsv', command: [], env: {} };
  const figures: PeerFigure[] = [];
  for (const item of cases) {
    log(`peers: ${item.label}, uxsv`);
    const persistDir = join(mkdtempSync(join(scratch, 'peer-mux-')), 'mux');
    const uxsvArgs = ['play', ...peerArgv(uxsvEngine, inventory, forks, item)];
    const uxsvTimed: Run[] = [];
    try {
      await mustSucceed(`uxsv ${item.label} (first run)`, uxsv(uxsvArgs, persistEnv(persistDir)));
      for (let i = 0; i < uxsvRuns; i++) uxsvTimed.push(await mustSucceed(`uxsv ${item.label}`, uxsv(uxsvArgs, persistEnv(persistDir))));
    } finally {
      await stopMultiplexers(persistDir);
    }
    assertNoChange(`uxsv, ${item.label}`, uxsvTimed);
    const uxsvWall = summarize(uxsvTimed.map((r) => r.wallMs));
    figures.push({ playbook: item.label, engine: 'uxsv', hosts: uxsvTimed[0]!.hosts, wallMs: uxsvWall, uxsvSpeedup: 1 });
    for (const engine of engines) {
      if (engine.skipped) {
        figures.push({ playbook: item.label, engine: engine.name, skipped: engine.skipped });
        continue;
      }
      log(`peers: ${item.label}, ${engine.name} (${peerRuns} runs after a first one)`);
      const argv = peerArgv(engine, inventory, forks, item);
      await peerRun(engine, argv, ROOT);
      const timed: PeerRun[] = [];
      for (let i = 0; i < peerRuns; i++) timed.push(await peerRun(engine, argv, ROOT));
      assertNoChange(`${engine.name}, ${item.label}`, timed);
      const wall = summarize(timed.map((r) => r.wallMs));
      figures.push({ playbook: item.label, engine: engine.name, hosts: timed[0]!.hosts, wallMs: wall, uxsvSpeedup: round(wall.median / uxsvWall.median) });
    }
  }
  return figures;
}

function assertNoChange(what: string, runs: Array<{ changed: number }>): void {
  if (runs.some((r) => r.changed > 0)) throw new Error(`${what}: a timed run changed something (${runs.map((r) => r.changed).join(', ')} changed)`);
}

/** Each degrade after a power failure, then the restore after the host is back. */
async function switches(runs: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const host of LAB_HOSTS) {
    const degrade: Run[] = [];
    const restore: Run[] = [];
    for (let i = 0; i < runs; i++) {
      log(`${host}: power failure, degrade, heal, restore`);
      await labFail(host, 'power');
      degrade.push(await mustSucceed(`degrade ${host}`, uxsv(['degrade', host, '-i', LAB_INVENTORY])));
      await labHeal(host);
      restore.push(await mustSucceed(`restore after ${host}`, uxsv(['restore', '-i', LAB_INVENTORY])));
    }
    const degradeStartup = await startupCpuMs(LAB_INVENTORY, join(ROOT, `playbooks/degrade-${host}.yml`), runs);
    const restoreStartup = await startupCpuMs(LAB_INVENTORY, join(ROOT, 'playbooks/normal.yml'), runs);
    figures.push(
      figure(`lab: \`uxsv degrade ${host}\` (degrade-${host}.yml), ${host} powered off`, degrade, undefined, degradeStartup),
      figure(`lab: \`uxsv restore\` after it (normal.yml)`, restore, undefined, restoreStartup),
    );
  }
  return figures;
}

function machine(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
  };
}

const TARGETS = [
  'no-change synthetic, 100 tasks × 3 hosts: ≤ 1 s wall, process start included',
  'on the same playbook and hosts, side by side in one run: ≥ 50 × faster than ansible-playbook, ≥ 20 × faster than Ansible with Mitogen',
  'engine overhead per task per host: ≤ 3 ms',
  '50 hosts: ≤ 3 × the 3-host wall time; engine memory ≤ 200 MB',
  'one SSH handshake per host per run; none in a warm run (connections kept from an earlier run)',
  'a task printing 300 MiB: engine peak memory bounded by the output limit (32 MiB per stream), not by the output',
];

function table(figures: Figure[]): string {
  const rows = [
    '| run | hosts | tasks per host | wall, median (min–max) | wall per task | engine CPU (share of wall) | engine CPU per task and host, after start-up | multiplexer CPU | machine CPU busy | SSH handshakes | kept connections used | SSH channels | processes started on the hosts | engine peak RSS |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const s = (ms: Summary): string => `${(ms.median / 1000).toFixed(2)} s (${(ms.min / 1000).toFixed(2)}–${(ms.max / 1000).toFixed(2)})`;
  for (const f of figures) {
    const share = `${(f.engineCpuMs.median / 1000).toFixed(2)} s (${Math.round((100 * f.engineCpuMs.median) / f.wallMs.median)} %)`;
    const perTask = `${f.engineRunCpuPerTaskPerHostMs ?? f.engineCpuPerTaskPerHostMs} ms`;
    const mux = f.muxCpuMs ? `${(f.muxCpuMs.median / 1000).toFixed(2)} s` : '–';
    rows.push(`| ${f.name} | ${f.hosts} | ${f.tasksPerHost} | ${s(f.wallMs)} | ${f.perTaskPerHostMs} ms | ${share} | ${perTask} | ${mux} | ` +
      `${f.machineBusyPct} % | ${f.handshakes} | ${f.reused} | ${f.channels} | ${f.remoteProcesses ?? '–'} | ${f.maxRssMb} MB |`);
  }
  return rows.join('\n');
}

const PEER_TARGETS: Record<string, number> = { 'ansible-playbook': 50, 'Ansible with Mitogen': 20 };

function peerTable(figures: PeerFigure[]): string {
  const rows = [
    '| playbook | engine | hosts | wall, median (min–max) | runs | uxsv is faster by (engine ÷ uxsv) | target |',
    '|---|---|---:|---|---:|---:|---:|',
  ];
  for (const f of figures) {
    const target = PEER_TARGETS[f.engine];
    if (f.skipped || !f.wallMs) {
      rows.push(`| ${f.playbook} | ${f.engine} | – | ${f.skipped ?? 'skipped'} | – | – | ${target ? `≥ ${target} ×` : '–'} |`);
      continue;
    }
    const wall = `${(f.wallMs.median / 1000).toFixed(2)} s (${(f.wallMs.min / 1000).toFixed(2)}–${(f.wallMs.max / 1000).toFixed(2)})`;
    const speedup = f.engine === 'uxsv' ? '–' : `${f.uxsvSpeedup} ×`;
    rows.push(`| ${f.playbook} | ${f.engine} | ${f.hosts ?? '–'} | ${wall} | ${f.wallMs.runs} | ${speedup} | ${target ? `≥ ${target} ×` : '–'} |`);
  }
  return rows.join('\n');
}

function startupTable(figures: StartupFigure[]): string {
  const rows = ['| command | runs | wall, median (min–max) | engine CPU, median |', '|---|---:|---|---:|'];
  const s = (ms: Summary): string => `${(ms.median / 1000).toFixed(3)} s (${(ms.min / 1000).toFixed(3)}–${(ms.max / 1000).toFixed(3)})`;
  for (const f of figures) {
    rows.push(`| ${f.command} | ${f.wallMs.runs} | ${s(f.wallMs)} | ${f.engineCpuMs ? `${(f.engineCpuMs.median / 1000).toFixed(3)} s` : '–'} |`);
  }
  return rows.join('\n');
}

function updateReadme(markdown: string): void {
  const text = readFileSync(PERFORMANCE_DOC, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) {
    log('docs/performance.md has no bench markers; table not copied');
    return;
  }
  writeFileSync(PERFORMANCE_DOC, `${text.slice(0, from + start.length)}\n${markdown}\n${text.slice(to)}`);
}

/** Only the peers, on the lab or on `--peer-inventory`: prints their table, writes nothing. */
async function peersOnly(options: Options): Promise<void> {
  let inventory = options.peerInventory;
  let benchDir = join(scratch, 'peers');
  if (inventory === undefined) {
    await labReady();
    inventory = LAB_INVENTORY;
    benchDir = `/var/tmp/uxsv-bench/peers-${Date.now()}`;
  } else {
    mkdirSync(benchDir);
  }
  const figures = await peerFigures(inventory, options.runs, options.peerRuns, benchDir);
  if (options.peerInventory === undefined) await mustSucceed('cleanup', uxsv(['play', '-i', inventory, CLEANUP]));
  process.stdout.write(`${peerTable(figures)}\n`);
}

async function labReady(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (the lab)');
  if (!(await labStatus()).up) {
    log('lab up');
    await labUp({ log });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.peersOnly) return peersOnly(options);
  if (options.startupOnly) {
    process.stdout.write(`${startupTable(await startupFigures(options.startupRuns))}\n`);
    return;
  }
  const startedAt = new Date();
  const startup = options.startup ? await startupFigures(options.startupRuns) : [];
  await labReady();
  const figures: Figure[] = [];
  figures.push(await siteNoChange(options.runs));
  log('synthetic playbook on the three lab hosts');
  figures.push(...await synthetic('lab', LAB_INVENTORY, 3, options.runs));
  log('the same, one process per command (UXSV_RESIDENT_SHELL=0)');
  figures.push(...(await synthetic('lab, no resident shell', LAB_INVENTORY, 3, options.runs, { UXSV_RESIDENT_SHELL: '0' })));
  if (options.persist) figures.push(...await persistFigures(options.runs));
  let peers: PeerFigure[] = [];
  if (options.peers) {
    peers = await peerFigures(LAB_INVENTORY, options.runs, options.peerRuns, `/var/tmp/uxsv-bench/peers-${Date.now()}`);
    await mustSucceed('cleanup', uxsv(['play', '-i', LAB_INVENTORY, CLEANUP]));
  }
  if (options.huge) figures.push(...await hugeOutput());
  if (options.light) {
    for (const count of [10, 50]) {
      log(`${count} light hosts`);
      const inventory = await labUpLight(count);
      figures.push(...await synthetic(`${count} light hosts`, inventory, count, Math.max(1, Math.ceil(options.runs / 2))));
    }
    await labUpLight(0);
  }
  if (options.switch) figures.push(...await switches(options.switchRuns));

  const markdown = [
    `Measured ${startedAt.toISOString().slice(0, 10)} on ${String(machine().cpu)}, ${String(machine().cores)} cores, ` +
      `${String(machine().memoryGiB)} GiB, Node ${process.version}, by \`npm run bench\` (medians of ${options.runs} runs; ` +
      'light hosts and switches fewer). Wall time is from the shell: process start, loading and the run. ' +
      'Runs not marked cold or warm keep no connection for the next run (UXSV_SSH_PERSIST=0); cold runs start the ' +
      'multiplexer (which makes the handshakes), warm runs use the connections an earlier run left with it.',
    '',
    table(figures),
    ...(startup.length ? [
      '',
      `Start-up (medians of ${options.startupRuns} runs, from the shell; no host is contacted):`,
      '',
      startupTable(startup),
    ] : []),
    ...(peers.length ? [
      '',
      `Peers, side by side on the three lab hosts (uxsv: medians of ${options.runs} runs; each Ansible: ${options.peerRuns} runs). ` +
        'Every engine made one untimed run first and kept its connections from it (uxsv its multiplexer; Ansible ' +
        'OpenSSH\'s ControlPersist, with pipelining on); no timed run changed anything.',
      '',
      peerTable(peers),
    ] : []),
  ].join('\n');
  process.stdout.write(`${markdown}\n`);
  writeFileSync(RESULTS, `${JSON.stringify({ measured: startedAt.toISOString(), machine: machine(), options, targets: TARGETS, figures, startup, peers }, null, 2)}\n`);
  log(`wrote ${RESULTS}`);
  if (options.readme) updateReadme(markdown);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(scratch, { recursive: true, force: true }));

