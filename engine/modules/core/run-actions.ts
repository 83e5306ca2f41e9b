/**
 * Actions on the run itself, done on the controller. They return what they
 * ask for in Ansible's result keys and the runner applies it: `add_host`
 * (a host for the rest of the run), `add_group` (group_by), `ansible_stats`
 * (set_stats). async_status asks the run's async jobs; pause waits;
 * wait_for_connection retries the host until it answers.
 */
import type { Module, ModuleContext } from '../types.js';
import { toBool } from '../../values.js';

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const addHost: Module<Record<string, unknown>, void> = {
  name: 'add_host',
  controllerOnly: true,
  bypassHostLoop: true,
  rawParams: true,
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'The host to add (host:port sets ansible_port)' },
      hostname: { type: 'string' },
      host: { type: 'string' },
      groups: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Groups to put it in (a list or comma-separated)' },
      groupname: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      group: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    },
    additionalProperties: true,
  },
  doc: {
    description: 'Adds a host (and its groups and variables: any other argument) to the inventory for the rest of the run. Runs once for the play, not per host (loop it for several).',
    returns: { add_host: 'host_name, groups and host_vars of the host' },
    example: '- add_host:\n    name: "{{ new_ip }}"\n    groups: just_created\n    app_port: 8080',
  },
  async read() {},
  plan(_ctx, input) {
    const { _raw_params: raw, ...args } = input;
    if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
      return { changed: false, failed: true, msg: `Invalid raw parameters passed, requires a dictonary/mapping got a  <class '${typeof raw === 'string' ? 'str' : 'list'}'>` };
    }
    Object.assign(args, raw ?? {});
    const given = args.name ?? args.hostname ?? args.host;
    if (given === undefined) return { changed: false, failed: true, msg: 'name, host or hostname needs to be provided' };
    let name = String(given);
    const hostVars: Record<string, unknown> = {};
    const port = /^([^:[\]]+):(\d+)$/.exec(name) ?? /^\[([^\]]+)\]:(\d+)$/.exec(name);
    if (port) {
      name = port[1];
      hostVars.ansible_ssh_port = Number(port[2]);
    }
    const rawGroups = args.groupname ?? args.groups ?? args.group ?? '';
    const list = Array.isArray(rawGroups) ? rawGroups.map(String) : String(rawGroups).split(',');
    const groups = [...new Set(list.map((g) => g.trim()).filter(Boolean))];
    for (const [k, v] of Object.entries(args)) if (!['name', 'hostname', 'host', 'groupname', 'groups', 'group'].includes(k)) hostVars[k] = v;
    return { changed: false, result: { add_host: { host_name: name, groups, host_vars: hostVars } } };
  },
};

export const groupBy: Module<{ key?: string; parents?: string | string[]; _raw_params?: string }, void> = {
  name: 'group_by',
  controllerOnly: true,
  rawParams: true,
  schema: {
    type: 'object',
    properties: {
      key: { type: 'string', description: 'The group (spaces become dashes)' },
      parents: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], default: ['all'], description: 'Its parent groups' },
      _raw_params: {},
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Puts the host into a group made from its facts or variables, for the rest of the run.',
    returns: { add_group: 'the group', parent_groups: 'its parents' },
    example: '- group_by:\n    key: os_{{ ansible_distribution }}',
  },
  async read() {},
  plan(_ctx, args) {
    if (args.key === undefined) return { changed: false, failed: true, msg: "the 'key' param is required when using group_by" };
    const parents = args.parents === undefined ? ['all'] : Array.isArray(args.parents) ? args.parents : [args.parents];
    return { changed: false, result: { add_group: String(args.key).replace(/ /g, '-'), parent_groups: parents.map((p) => String(p).replace(/ /g, '-')) } };
  },
};

export const setStats: Module<{ data: unknown; per_host?: unknown; aggregate?: unknown }, void> = {
  name: 'set_stats',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      data: { description: 'The statistics to set (a mapping)' },
      per_host: { type: ['boolean', 'string'], default: false, description: 'Keep them per host rather than for the run' },
      aggregate: { type: ['boolean', 'string'], default: true, description: 'Add to earlier values (numbers add, lists and dicts merge) instead of replacing them' },
    },
    required: ['data'],
    additionalProperties: false,
  },
  doc: {
    description: 'Sets custom statistics, shown after the recap (show_custom_stats) and in the report.',
    returns: { ansible_stats: 'data, per_host, aggregate' },
    example: '- set_stats:\n    data:\n      packages_installed: 3',
  },
  async read() {},
  plan(_ctx, args) {
    if (!args.data || typeof args.data !== 'object' || Array.isArray(args.data)) return { changed: false, failed: true, msg: "The 'data' option needs to be a dictionary/hash" };
    const bad = Object.keys(args.data).find((k) => !identifier.test(k));
    if (bad !== undefined) return { changed: false, failed: true, msg: `The variable name '${bad}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.` };
    // Like Ansible, anything that is not a true word is false here.
    const flag = (v: unknown, fallback: boolean) => (v === undefined ? fallback : toBool(v, false));
    return { changed: false, result: { ansible_stats: { data: args.data, per_host: flag(args.per_host, false), aggregate: flag(args.aggregate, true) } } };
  },
};

export const asyncStatus: Module<{ jid: string; mode?: 'status' | 'cleanup' }, void> = {
  name: 'async_status',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      jid: { type: 'string', description: 'The job id (ansible_job_id of the async task)' },
      mode: { enum: ['status', 'cleanup'], default: 'status' },
    },
    required: ['jid'],
    additionalProperties: false,
  },
  doc: {
    description: 'The state of a task started with `async` (and `poll: 0`) earlier in the run: finished or not, and its result once done.',
    returns: { finished: '1 when done', started: '1', ansible_job_id: 'the job id' },
    example: '- async_status:\n    jid: "{{ job.ansible_job_id }}"\n  register: job_result\n  until: job_result.finished\n  retries: 30',
  },
  async read() {},
  plan(ctx, args) {
    if (!ctx.asyncStatus) return { changed: false, failed: true, msg: 'async_status needs the run' };
    const result = ctx.asyncStatus(args.jid, args.mode ?? 'status');
    if (result.failed && result.msg === 'could not find job') return { changed: false, failed: true, msg: 'could not find job', result };
    return { changed: Boolean(result.changed), result };
  },
};

export const pause: Module<{ seconds?: number | string; minutes?: number | string; prompt?: string; echo?: boolean }, void> = {
  name: 'pause',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      seconds: { anyOf: [{ type: 'number' }, { type: 'string' }] },
      minutes: { anyOf: [{ type: 'number' }, { type: 'string' }] },
      prompt: { type: 'string', description: 'A message; without a terminal nothing is read and the run goes on' },
      echo: { type: 'boolean', default: true },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Waits a number of seconds or minutes. A prompt needs a terminal: without one (cron, CI) the run does not wait for input.',
    returns: { start: 'when the pause began', stop: 'when it ended', delta: 'seconds paused', user_input: 'what was typed', stdout: 'a summary' },
    example: '- pause:\n    seconds: 10',
  },
  async read() {},
  plan(_ctx, args) {
    const seconds = args.minutes !== undefined ? Number(args.minutes) * 60 : args.seconds !== undefined ? Number(args.seconds) : 0;
    if (!Number.isFinite(seconds) || seconds < 0) return { changed: false, failed: true, msg: 'non-integer value given for prompt duration' };
    return {
      changed: false,
      apply: async () => {
        const start = new Date();
        if (seconds > 0) await new Promise((r) => setTimeout(r, seconds * 1000));
        const stop = new Date();
        const unit = args.minutes !== undefined ? 'minutes' : 'seconds';
        return {
          start: stamp(start), stop: stamp(stop), delta: Math.round((stop.getTime() - start.getTime()) / 1000), user_input: '', echo: args.echo ?? true,
          stdout: `Paused for ${args.minutes !== undefined ? Number(args.minutes) : seconds} ${unit}`,
        };
      },
    };
  },
};

export const waitForConnection: Module<{ delay?: number; sleep?: number; timeout?: number; connect_timeout?: number }, void> = {
  name: 'wait_for_connection',
  controllerOnly: true,
  schema: {
    type: 'object',
    properties: {
      delay: { type: 'number', default: 0, description: 'Seconds before the first try' },
      sleep: { type: 'number', default: 1, description: 'Seconds between tries' },
      timeout: { type: 'number', default: 600, description: 'Give up after this many seconds' },
      connect_timeout: { type: 'number', default: 5 },
    },
    additionalProperties: false,
  },
  doc: {
    description: 'Waits until the host answers over its connection (a command runs), for instance after a reboot.',
    returns: { elapsed: 'seconds waited' },
    example: '- wait_for_connection:\n    timeout: 300',
  },
  async read() {},
  plan(ctx, args) {
    return { changed: false, apply: () => waitUntilReachable(ctx, args) };
  },
};

async function waitUntilReachable(ctx: ModuleContext, args: { delay?: number; sleep?: number; timeout?: number }): Promise<Record<string, unknown>> {
  const started = Date.now();
  const limit = (args.timeout ?? 600) * 1000;
  if (args.delay) await new Promise((r) => setTimeout(r, args.delay! * 1000));
  let last = '';
  // Bounded by the timeout: each try is one command over the (re)opened connection.
  while (Date.now() - started < limit) {
    try {
      const res = await ctx.run('echo ping', { timeoutMs: 5000 });
      if (res.rc === 0) return { elapsed: Math.round((Date.now() - started) / 1000) };
      last = res.stderr.toString();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, (args.sleep ?? 1) * 1000));
  }
  return { failed: true, elapsed: Math.round((Date.now() - started) / 1000), msg: `timed out waiting for ping module test: ${last}` };
}

function stamp(d: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds() * 1000, 6)}`;
}
