/**
 * The PLAY RECAP block, and the bookkeeping reporters share: counting results
 * (for a recap when the run stopped before the runner sent one) and knowing
 * which loop summaries repeat what their items already said.
 */
import type { ChalkInstance } from 'chalk';
import { emptyStats, type HostStats, type HostStatus } from './events.js';
import type { HostResultEvent } from './format.js';
import { banner, colorForStatus, makeChalk } from './style.js';

/** Column order and colour of Ansible's recap line. */
const RECAP_COLUMNS: { key: keyof HostStats; status: HostStatus }[] = [
  { key: 'ok', status: 'ok' },
  { key: 'changed', status: 'changed' },
  { key: 'unreachable', status: 'unreachable' },
  { key: 'failed', status: 'failed' },
  { key: 'skipped', status: 'skipped' },
  { key: 'rescued', status: 'rescued' },
  { key: 'ignored', status: 'ignored' },
];

/** Ansible pads host names to 26 columns and counts to 4; longer values widen their column for every host. */
const MIN_HOST_WIDTH = 26;
const MIN_COUNT_WIDTH = 4;

/**
 * `PLAY RECAP ****` then one line per host (sorted), columns aligned on the
 * uncoloured text so colour codes never shift them. A count is coloured only
 * when non-zero; the host name takes the colour of its worst outcome.
 */
export function formatRecap(stats: Record<string, HostStats>, color: boolean): string {
  const chalk = makeChalk(color);
  const hosts = Object.keys(stats).sort();
  const hostWidth = Math.max(MIN_HOST_WIDTH, ...hosts.map((host) => host.length));
  const countWidth = Math.max(
    MIN_COUNT_WIDTH,
    ...hosts.flatMap((host) => RECAP_COLUMNS.map(({ key }) => String(stats[host]![key] ?? 0).length)),
  );
  const lines = hosts.map((host) => recapLine(host, stats[host]!, hostWidth, countWidth, chalk));
  return [banner('PLAY RECAP'), ...lines].join('\n');
}

function recapLine(host: string, hostStats: HostStats, hostWidth: number, countWidth: number, chalk: ChalkInstance): string {
  const cells = RECAP_COLUMNS.map(({ key, status }, index) => {
    const count = hostStats[key] ?? 0;
    const isLast = index === RECAP_COLUMNS.length - 1;
    const text = `${key}=${isLast ? count : String(count).padEnd(countWidth)}`;
    return count !== 0 ? colorForStatus(chalk, status)(text) : text;
  });
  return `${hostColor(hostStats, chalk)(host.padEnd(hostWidth))} : ${cells.join(' ')}`;
}

function hostColor(hostStats: HostStats, chalk: ChalkInstance): (text: string) => string {
  if (hostStats.failed > 0 || hostStats.unreachable > 0) return chalk.red;
  if (hostStats.changed > 0) return chalk.yellow;
  return chalk.green;
}

/**
 * Counts outcomes per host from host results, one per task and host (loop
 * items are counted through their summary, as Ansible does). Used only when
 * the run ends without the runner's own recap (interrupted run).
 */
export class StatsTracker {
  private readonly stats: Record<string, HostStats> = {};

  record(event: HostResultEvent): void {
    if (event.item !== undefined) return;
    const hostStats = (this.stats[event.host] ??= emptyStats());
    hostStats[event.status] += 1;
    // Ansible also counts changed and ignored-failure tasks as ok.
    if (event.status === 'changed' || event.status === 'ignored') hostStats.ok += 1;
  }

  get isEmpty(): boolean {
    return Object.keys(this.stats).length === 0;
  }

  snapshot(): Record<string, HostStats> {
    return structuredClone(this.stats);
  }
}

/**
 * Remembers which (task, host) pairs reported loop items, so the loop's
 * summary event (sent after its items) is recognised and not shown twice.
 */
export class LoopTracker {
  private readonly withItems = new Set<string>();

  /** Records the event; true when it is the summary of a loop whose items were already reported. */
  isSummaryOfReportedItems(event: HostResultEvent): boolean {
    const key = `${event.taskId}\u0000${event.host}`;
    if (event.item !== undefined) {
      this.withItems.add(key);
      return false;
    }
    return this.withItems.delete(key);
  }
}
