/** A synthetic run covering every status, a loop, a diff, debug output and a no_log secret. */
import type { HostStats, RunEvent } from '../../../engine/output/events.js';

export const SECRET = 's3cr3t-Pa55w0rd';

export const RECAP_STATS: Record<string, HostStats> = {
  uxsv01: { ok: 5, changed: 2, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 },
  uxsv02: { ok: 4, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 1, ignored: 1 },
  uxsv03: { ok: 1, changed: 0, unreachable: 1, failed: 1, skipped: 0, rescued: 0, ignored: 0 },
};

const HOSTS = ['uxsv01', 'uxsv02', 'uxsv03'];

function result(
  taskId: number,
  task: string,
  host: string,
  status: Extract<RunEvent, { type: 'host_result' }>['status'],
  extra: Partial<Extract<RunEvent, { type: 'host_result' }>> = {},
): RunEvent {
  return {
    type: 'host_result',
    taskId,
    task,
    host,
    status,
    result: { changed: status === 'changed' },
    durationMs: 12,
    noLog: false,
    ...extra,
  };
}

export function sampleRun(): RunEvent[] {
  return [
    { type: 'playbook_start', file: 'playbooks/site.yml', check: false },
    { type: 'play_start', name: 'base', hosts: HOSTS },
    // 1: ok / changed with a file diff / unreachable
    { type: 'task_start', id: 1, name: 'write motd', role: 'base-install', location: 'roles/base-install/tasks/main.yml:3', hosts: HOSTS, handler: false },
    result(1, 'write motd', 'uxsv01', 'ok', { result: { changed: false, path: '/etc/motd' } }),
    result(1, 'write motd', 'uxsv02', 'changed', {
      result: {
        changed: true,
        dest: '/etc/motd',
        diff: [{ before_header: '/etc/motd', after_header: '/etc/motd', before: 'hello\nold line\n', after: 'hello\nnew line\n' }],
      },
    }),
    result(1, 'write motd', 'uxsv03', 'unreachable', { result: { changed: false, unreachable: true, msg: 'ssh: connect timed out' } }),
    { type: 'task_end', id: 1, name: 'write motd' },
    // 2: a loop with items, then its summaries
    { type: 'task_start', id: 2, name: 'install packages', location: 'playbooks/site.yml:10', hosts: ['uxsv01', 'uxsv02'], handler: false },
    result(2, 'install packages', 'uxsv01', 'changed', { item: 'bind9' }),
    result(2, 'install packages', 'uxsv01', 'ok', { item: 'chrony' }),
    result(2, 'install packages', 'uxsv02', 'ok', { item: 'bind9' }),
    result(2, 'install packages', 'uxsv02', 'ok', { item: 'chrony' }),
    result(2, 'install packages', 'uxsv01', 'changed', { result: { changed: true, results: [] } }),
    result(2, 'install packages', 'uxsv02', 'ok', { result: { changed: false, results: [] } }),
    { type: 'task_end', id: 2, name: 'install packages' },
    // 3: failed command, ignored failure, skipped, attribute diff
    { type: 'task_start', id: 3, name: 'check config', location: 'playbooks/site.yml:20', hosts: ['uxsv01', 'uxsv02'], handler: false },
    result(3, 'check config', 'uxsv01', 'skipped', { result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } }),
    result(3, 'check config', 'uxsv02', 'ignored', {
      result: { changed: false, failed: true, msg: 'non-zero return code', rc: 2, stderr: 'named-checkconf: bad zone\nline 2 of stderr\n' },
    }),
    { type: 'task_end', id: 3, name: 'check config' },
    // 4: rescued failure and file attributes
    { type: 'task_start', id: 4, name: 'fix mode', location: 'playbooks/site.yml:30', hosts: ['uxsv01', 'uxsv02'], handler: false },
    result(4, 'fix mode', 'uxsv01', 'changed', {
      result: { changed: true, path: '/srv/dns', diff: [{ before: { mode: '0755' } as unknown as string, after: { mode: '0750' } as unknown as string }] },
    }),
    result(4, 'fix mode', 'uxsv02', 'rescued', { result: { changed: false, failed: true, msg: 'chmod failed' } }),
    { type: 'task_end', id: 4, name: 'fix mode' },
    // 5: debug
    { type: 'task_start', id: 5, name: 'show mode', location: 'playbooks/site.yml:40', hosts: ['uxsv01'], handler: false, action: 'debug' },
    result(5, 'show mode', 'uxsv01', 'ok', { result: { changed: false, msg: 'mode is normal', _ansible_verbose_always: true } }),
    { type: 'task_end', id: 5, name: 'show mode' },
    // 6: no_log, with a secret that reached the result anyway (defence in depth)
    { type: 'task_start', id: 6, name: 'set password', location: 'playbooks/site.yml:50', hosts: ['uxsv01', 'uxsv02'], handler: false },
    result(6, 'set password', 'uxsv01', 'changed', {
      noLog: true,
      item: SECRET,
      result: { changed: true, msg: `password ${SECRET}`, stdout: SECRET, dest: `/etc/${SECRET}`, diff: [{ before: '', after: SECRET }] },
    }),
    result(6, 'set password', 'uxsv02', 'failed', {
      noLog: true,
      result: { changed: false, failed: true, msg: `bad ${SECRET}`, stderr: SECRET, rc: 1 },
    }),
    { type: 'task_end', id: 6, name: 'set password' },
    { type: 'warning', message: 'mirror is off', host: 'uxsv02' },
    { type: 'play_end', name: 'base' },
    { type: 'recap', stats: RECAP_STATS, durationMs: 3210 },
  ];
}

/** Collects what a reporter writes. */
export function capture(): { write: (s: string) => void; text: () => string } {
  const chunks: string[] = [];
  return { write: (s) => void chunks.push(s), text: () => chunks.join('') };
}

export const ESC = '\u001b[';
