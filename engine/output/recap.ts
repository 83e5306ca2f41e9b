/**
 * The PLAY RECAP block (and the CUSTOM STATS of set_stats), as Ansible
 * prints it, and the bookkeeping reporters share: counting results (for a
 * recap when the run stopped before the runner sent one) and knowing which
 * loop summaries repeat what their items already said.
 */
import { emptyStats, type HostResultEvent, type HostStats } from './events.js';
import { bannerText, paint, type ColorName } from './display.js';
import { compareCodePoints } from './python.js';
import { dumpResult } from './results.js';

/** Column order and colour of Ansible's recap line. */
const RECAP_COLUMNS: { key: keyof HostStats; color: ColorName }[] = [
  { key: 'ok', color: 'ok' },
  { key: 'changed', color: 'changed' },
  { key: 'unreachable', color: 'unreachable' },
  { key: 'failed', color: 'error' },
  { key: 'skipped', color: 'skip' },
  { key: 'rescued', color: 'ok' },
  { key: 'ignored', color: 'warn' },
];

/**
 * One line per host (sorted): the name padded to 26 columns, then each
 * count as `name=N` padded to 4, coloured when not zero; the host takes the
 * colour of its worst outcome (Ansible pads the coloured name to 37, which is
 * the same 26 visible columns).
 */
export function recapLines(stats: Record<string, HostStats>, color: boolean): string[] {
  return Object.keys(stats)
    .sort(compareCodePoints)
    .map((host) => {
      const hostStats = stats[host]!;
      const cells = RECAP_COLUMNS.map(({ key, color: cellColor }) => {
        const count = hostStats[key] ?? 0;
        const text = `${key}=${String(count).padEnd(4)}`;
        return count !== 0 ? paint(text, cellColor, color) : text;
      });
      const name = color ? paint(host, hostColor(hostStats), true).padEnd(37) : host.padEnd(26);
      return `${name} : ${cells.join(' ')}`;
    });
}

function hostColor(hostStats: HostStats): ColorName {
  if (hostStats.failed > 0 || hostStats.unreachable > 0) return 'error';
  if (hostStats.changed > 0) return 'changed';
  return 'ok';
}

/** `PLAY RECAP ****` and its lines, without the empty line before the banner. */
export function formatRecap(stats: Record<string, HostStats>, color: boolean, columns = 79): string {
  return [bannerText('PLAY RECAP', columns).slice(1), ...recapLines(stats, color)].join('\n');
}

/**
 * set_stats data after the recap: a tab, the host (or RUN for the whole
 * run, last and after an empty line), and the data as JSON indented by one
 * with the line breaks taken out (`{ "a": 1}`), as Ansible prints it.
 */
export function customStatsLines(custom: Record<string, Record<string, unknown>>, verbosity: number): string[] {
  const oneLine = (data: Record<string, unknown>) => dumpResult(data, { verbosity, indent: 1 }).replace(/\n/g, '');
  const lines: string[] = [];
  for (const host of Object.keys(custom).sort(compareCodePoints)) {
    if (host !== '_run') lines.push(`\t${host}: ${oneLine(custom[host]!)}`);
  }
  if (custom._run !== undefined) lines.push('', `\tRUN: ${oneLine(custom._run)}`);
  return lines;
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
    // Ansible also counts changed and ignored-failure tasks as ok, and an ignored failure's change.
    if (event.status === 'changed' || event.status === 'ignored') hostStats.ok += 1;
    if (event.status === 'ignored' && event.result.changed === true) hostStats.changed += 1;
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
