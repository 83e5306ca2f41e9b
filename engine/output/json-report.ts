/**
 * The machine-readable run report (`--report FILE`), written once at close()
 * and atomically (temp file + rename), so a reader (the nightly drift check,
 * monitoring) never sees half a file.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ConnectionStats } from '../connection/types.js';
import type { FileDiff } from '../modules/types.js';
import { censorEvent } from './censor.js';
import type { HostResultEvent, HostStats, HostStatus, Reporter, RunEvent, TaskStartEvent } from './events.js';
import { pythonStr } from './python.js';
import { LoopTracker, StatsTracker } from './recap.js';
import { NO_LOG_MESSAGE } from './results.js';

export const REPORT_VERSION = 1;

/** One task's outcome on one host (one loop item). */
export interface ReportEntry {
  play: string | null;
  task: string;
  role?: string;
  location: string | null;
  status: HostStatus;
  changed: boolean;
  /** The loop item's label, as the output shows it (Python's str()). */
  item?: string;
  /** Tries of a task with `until`. */
  attempts?: number;
  /** The file the task manages (result.path or result.dest), so a drift report names it. */
  path?: string;
  msg?: string;
  rc?: number;
  stdout?: string;
  stderr?: string;
  diff?: FileDiff[];
  duration_ms: number;
  delegated_to?: string;
  /** Present instead of msg/diff/stdout/stderr/item/path for no_log results. */
  censored?: string;
}

export interface ReportWarning {
  message: string;
  host?: string;
}

export interface ReportDeprecation {
  message: string;
  version?: string;
  date?: string;
  collection_name?: string;
}

export interface RunReport {
  version: typeof REPORT_VERSION;
  started: string;
  finished: string;
  check: boolean;
  playbooks: string[];
  recap: Record<string, HostStats>;
  hosts: Record<string, ReportEntry[]>;
  /** The run's warnings, and those a task's result carried (with its host). */
  warnings: ReportWarning[];
  deprecations: ReportDeprecation[];
  /** set_stats data: per host, and `_run` for the whole run. */
  custom_stats: Record<string, Record<string, unknown>>;
  /** Per host: SSH handshakes, command lines run, channels opened (a resident shell is one). */
  connections: Record<string, ConnectionStats>;
  /** The engine process itself, for the benchmark and for anyone watching its cost. */
  engine: EngineUsage;
}

export interface EngineUsage {
  cpu_user_ms: number;
  cpu_system_ms: number;
  max_rss_mb: number;
}

function engineUsage(): EngineUsage {
  const usage = process.resourceUsage();
  return {
    cpu_user_ms: Math.round(usage.userCPUTime / 1000),
    cpu_system_ms: Math.round(usage.systemCPUTime / 1000),
    max_rss_mb: Math.round(usage.maxRSS / 1024),
  };
}

export class JsonReport implements Reporter {
  private readonly startedAt = new Date();
  private readonly playbooks: string[] = [];
  private readonly hosts: Record<string, ReportEntry[]> = {};
  private readonly warnings: ReportWarning[] = [];
  private readonly deprecations: ReportDeprecation[] = [];
  private readonly resultWarningKeys = new Set<string>();
  private customStats: Record<string, Record<string, unknown>> = {};
  private readonly tasks = new Map<number, TaskStartEvent>();
  private readonly loops = new LoopTracker();
  private readonly stats = new StatsTracker();
  private recap: Record<string, HostStats> | undefined;
  private connections: Record<string, ConnectionStats> = {};
  private check = false;
  private currentPlay: string | null = null;

  constructor(private readonly path: string) {}

  handle(raw: RunEvent): void {
    const event = censorEvent(raw);
    switch (event.type) {
      case 'playbook_start':
        this.playbooks.push(event.file);
        this.check ||= event.check;
        return;
      case 'play_start':
        this.currentPlay = event.name;
        return;
      case 'task_start':
        this.tasks.set(event.id, event);
        return;
      case 'host_result':
        this.record(event);
        return;
      case 'warning':
        this.warnings.push(event.host !== undefined ? { message: event.message, host: event.host } : { message: event.message });
        return;
      case 'deprecation':
        this.deprecations.push({
          message: event.message,
          ...(event.version !== undefined && { version: event.version }),
          ...(event.date !== undefined && { date: event.date }),
          ...(event.collectionName !== undefined && { collection_name: event.collectionName }),
        });
        return;
      case 'recap':
        this.recap = event.stats;
        this.connections = event.connections ?? {};
        this.customStats = event.custom ?? {};
        return;
      default:
        return;
    }
  }

  /** The report as it stands (what close() writes). */
  build(finishedAt = new Date()): RunReport {
    return {
      version: REPORT_VERSION,
      started: this.startedAt.toISOString(),
      finished: finishedAt.toISOString(),
      check: this.check,
      playbooks: [...this.playbooks],
      recap: this.recap ?? this.stats.snapshot(),
      hosts: this.hosts,
      warnings: this.warnings,
      deprecations: this.deprecations,
      custom_stats: this.customStats,
      connections: this.connections,
      engine: engineUsage(),
    };
  }

  async close(): Promise<void> {
    const text = `${JSON.stringify(this.build(), null, 2)}\n`;
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(temp, text, { mode: 0o640 });
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private record(event: HostResultEvent): void {
    this.stats.record(event);
    this.resultWarnings(event);
    // A loop's summary repeats its items, which are already in the report.
    if (this.loops.isSummaryOfReportedItems(event)) return;
    (this.hosts[event.host] ??= []).push(this.entryFor(event));
  }

  /** Warnings a result carries (a loop's summary repeats its items', so each text is kept once per host). */
  private resultWarnings(event: HostResultEvent): void {
    const warnings = event.noLog ? undefined : event.result.warnings;
    if (!Array.isArray(warnings)) return;
    for (const warning of warnings) {
      const message = pythonStr(warning);
      const key = `${event.host}\u0000${message}`;
      if (this.resultWarningKeys.has(key)) continue;
      this.resultWarningKeys.add(key);
      this.warnings.push({ message, host: event.host });
    }
  }

  private entryFor(event: HostResultEvent): ReportEntry {
    const task = this.tasks.get(event.taskId);
    const entry: ReportEntry = {
      play: this.currentPlay,
      task: event.task,
      ...(task?.role !== undefined && { role: task.role }),
      location: task?.location ?? null,
      status: event.status,
      changed: event.result.changed === true,
      duration_ms: Math.round(event.durationMs),
      ...(event.delegatedTo !== undefined && { delegated_to: event.delegatedTo }),
    };
    // no_log: nothing that came from the task's data, not even the item or path.
    if (event.noLog) return { ...entry, censored: NO_LOG_MESSAGE };
    return { ...entry, ...resultDetails(event) };
  }
}

/**
 * The file a task manages: the result's path or dest, else the module's own
 * arguments (a check-mode result of copy or template need not repeat them).
 */
function managedPath(result: Record<string, unknown>): string | undefined {
  const args = (result.invocation as { module_args?: Record<string, unknown> } | undefined)?.module_args ?? {};
  for (const value of [result.path, result.dest, args.path, args.dest]) if (typeof value === 'string') return value;
  return undefined;
}

function resultDetails(event: HostResultEvent): Partial<ReportEntry> {
  const { result } = event;
  const details: Partial<ReportEntry> = {};
  if (event.item !== undefined) details.item = pythonStr(event.item);
  if (typeof result.attempts === 'number') details.attempts = result.attempts;
  const path = managedPath(result);
  if (path !== undefined) details.path = path;
  if (result.msg !== undefined) details.msg = String(result.msg);
  if (typeof result.rc === 'number') details.rc = result.rc;
  if (typeof result.stdout === 'string' && result.stdout !== '') details.stdout = result.stdout;
  if (typeof result.stderr === 'string' && result.stderr !== '') details.stderr = result.stderr;
  if (Array.isArray(result.diff) && result.diff.length > 0) details.diff = result.diff;
  return details;
}
