/**
 * uxsv.mirror_sync: the ring mirror's copy between two cluster hosts (or two
 * folders of one host), with rsync over the hosts' own SSH and the ring key.
 * It is not Ansible's synchronize (which copies between the controller and
 * a host): it names both ends and the key on the host that runs rsync.
 *   - `src` is a path on `src_host`, `dest` a path on `dest_host`; both hosts
 *     are inventory names and default to the task's host;
 *   - `mode: push` (default) runs rsync on src_host and pushes to dest_host;
 *     `mode: pull` runs rsync on dest_host and pulls from src_host;
 *   - the remote side is reached with `ssh -o BatchMode=yes` at its
 *     ansible_host (port ansible_port, user ansible_user or root) using the
 *     private key `ssh_key` (a path on the host that runs rsync), its host key
 *     checked against `known_hosts` (a file on that host) when given;
 *   - when src_host and dest_host are the same host, rsync copies locally.
 * `changed` is exact: a dry run with --itemize-changes is read first (that is
 * all check mode does), and the real run happens only when it listed changes.
 */
import { shellJoin } from '../engine/connection/quote.js';
import type { Connection } from '../engine/connection/types.js';
import { boolSchema, toBool } from '../engine/modules/lib/args.js';
import type { Module, ModuleContext, Plan } from '../engine/modules/types.js';
import { asText, lines, type TextResult } from '../engine/modules/system/util.js';

export interface MirrorSyncArgs {
  src: string;
  dest: string;
  src_host?: string;
  dest_host?: string;
  mode?: 'push' | 'pull';
  ssh_key?: string;
  delete?: unknown;
  archive?: unknown;
  checksum?: unknown;
  compress?: unknown;
  recursive?: unknown;
  links?: unknown;
  copy_links?: unknown;
  perms?: unknown;
  times?: unknown;
  owner?: unknown;
  group?: unknown;
  existing_only?: unknown;
  rsync_opts?: string[];
  excludes?: string[];
  rsync_path?: string;
  rsync_timeout?: number;
  verify_host?: unknown;
  /** Ours: a known_hosts file on the rsync host; implies verify_host. */
  known_hosts?: string;
}

const CHANGED_MARK = '<<CHANGED>>';

/** Where the remote side is and how to log in (from its host variables). */
export interface RemoteEnd {
  address: string;
  port?: number;
  user: string;
}

export function remoteEnd(vars: Record<string, unknown>, host: string): RemoteEnd {
  const address = typeof vars.ansible_host === 'string' && vars.ansible_host ? vars.ansible_host : host;
  const port = vars.ansible_port !== undefined ? Number(vars.ansible_port) : undefined;
  const user = typeof vars.ansible_user === 'string' && vars.ansible_user ? vars.ansible_user : 'root';
  return { address, port, user };
}

/** rsync's options, in the order Ansible's synchronize builds them. */
export function rsyncOptions(args: MirrorSyncArgs): string[] {
  const opt: string[] = ['--delay-updates', '-F'];
  const flag = (v: unknown) => (v === undefined || v === null ? undefined : toBool(v, false));
  if (toBool(args.compress, true)) opt.push('--compress');
  if (args.rsync_timeout !== undefined) opt.push(`--timeout=${args.rsync_timeout}`);
  if (toBool(args.archive, true)) {
    opt.push('--archive');
    if (flag(args.recursive) === false) opt.push('--no-recursive');
    if (flag(args.links) === false) opt.push('--no-links');
    if (flag(args.copy_links) === true) opt.push('--copy-links');
    if (flag(args.perms) === false) opt.push('--no-perms');
    if (flag(args.times) === false) opt.push('--no-times');
    if (flag(args.owner) === false) opt.push('--no-owner');
    if (flag(args.group) === false) opt.push('--no-group');
  } else {
    if (flag(args.recursive) === true) opt.push('--recursive');
    if (flag(args.links) === true) opt.push('--links');
    if (flag(args.copy_links) === true) opt.push('--copy-links');
    if (flag(args.perms) === true) opt.push('--perms');
    if (flag(args.times) === true) opt.push('--times');
    if (flag(args.owner) === true) opt.push('--owner');
    if (flag(args.group) === true) opt.push('--group');
  }
  if (toBool(args.checksum, false)) opt.push('--checksum');
  if (toBool(args.existing_only, false)) opt.push('--existing');
  if (toBool(args.delete, false)) opt.push('--delete-after');
  for (const pattern of args.excludes ?? []) opt.push(`--exclude=${pattern}`);
  opt.push(...(args.rsync_opts ?? []));
  opt.push(`--out-format=${CHANGED_MARK}%i %n%L`);
  return opt;
}

export function sshCommand(args: MirrorSyncArgs, remote: RemoteEnd): string {
  const words = ['ssh', '-S', 'none', '-o', 'BatchMode=yes'];
  if (args.ssh_key) words.push('-i', args.ssh_key);
  if (remote.port !== undefined) words.push('-o', `Port=${remote.port}`);
  if (args.known_hosts) words.push('-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${args.known_hosts}`);
  else if (!toBool(args.verify_host, false)) words.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null');
  // rsync splits --rsh on spaces itself, honouring quotes.
  return shellJoin(words);
}

export interface RsyncPlan {
  /** The inventory host that runs rsync. */
  runner: string;
  command: string;
}

/** The rsync command line and where it runs. `dryRun` adds --dry-run. */
export function rsyncCommand(args: MirrorSyncArgs, taskHost: string, hostVars: (h: string) => Record<string, unknown>, dryRun: boolean): RsyncPlan {
  const srcHost = args.src_host ?? taskHost;
  const destHost = args.dest_host ?? taskHost;
  const pull = (args.mode ?? 'push') === 'pull';
  const words = ['rsync', ...(dryRun ? ['--dry-run'] : []), ...rsyncOptions(args)];
  if (srcHost === destHost) return { runner: srcHost, command: `${shellJoin([...words, '--', args.src, args.dest])}` };
  const remoteHost = pull ? srcHost : destHost;
  const remote = remoteEnd(hostVars(remoteHost), remoteHost);
  words.push(`--rsh=${sshCommand(args, remote)}`);
  if (args.rsync_path) words.push(`--rsync-path=${args.rsync_path}`);
  const remotePath = (path: string) => `${remote.user}@${remote.address}:${path}`;
  const [from, to] = pull ? [remotePath(args.src), args.dest] : [args.src, remotePath(args.dest)];
  return { runner: pull ? destHost : srcHost, command: shellJoin([...words, '--', from, to]) };
}

export function itemizedLines(stdout: string): string[] {
  return lines(stdout).filter((l) => l.startsWith(CHANGED_MARK)).map((l) => l.slice(CHANGED_MARK.length));
}

export interface SyncState {
  dryRun: TextResult;
  itemized: string[];
  runner: string;
  command: string;
}

async function execOn(ctx: ModuleContext, host: string, command: string): Promise<TextResult> {
  if (host === ctx.host) return asText(await ctx.run(command, { env: { LC_ALL: 'C' } }));
  const conn: Connection = await ctx.connectionFor(host);
  return asText(await conn.exec(command, { become: ctx.become, env: { LC_ALL: 'C' }, timeoutMs: ctx.timeoutMs }));
}

async function readSync(ctx: ModuleContext, args: MirrorSyncArgs): Promise<SyncState> {
  const plan = rsyncCommand(args, ctx.host, (h) => ctx.hostVars(h), true);
  const dryRun = await execOn(ctx, plan.runner, plan.command);
  return { dryRun, itemized: itemizedLines(dryRun.stdout), runner: plan.runner, command: plan.command };
}

function planSync(ctx: ModuleContext, args: MirrorSyncArgs, state: SyncState): Plan {
  const result: Record<string, unknown> = { cmd: state.command, rc: state.dryRun.rc, itemized: state.itemized, runner: state.runner };
  if (state.dryRun.rc !== 0) {
    return { changed: false, failed: true, msg: state.dryRun.stderr.trim() || `rsync failed (rc ${state.dryRun.rc})`, result: { ...result, stdout: state.dryRun.stdout, stderr: state.dryRun.stderr } };
  }
  const changed = state.itemized.length > 0;
  const dryResult = { ...result, msg: state.dryRun.stdout, stdout_lines: lines(state.dryRun.stdout) };
  if (!changed || ctx.check) return { changed, result: dryResult };
  return {
    changed,
    result: dryResult,
    apply: async () => {
      const real = rsyncCommand(args, ctx.host, (h) => ctx.hostVars(h), false);
      const res = await execOn(ctx, real.runner, real.command);
      if (res.rc !== 0) throw new Error(`rsync failed (rc ${res.rc}): ${res.stderr.trim()}`);
      return { cmd: real.command, rc: res.rc, msg: res.stdout, stdout_lines: lines(res.stdout), itemized: itemizedLines(res.stdout) };
    },
  };
}

export const mirrorSync: Module<MirrorSyncArgs, SyncState> = {
  name: 'uxsv.mirror_sync',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string' },
      dest: { type: 'string' },
      src_host: { type: 'string' },
      dest_host: { type: 'string' },
      mode: { enum: ['push', 'pull'] },
      ssh_key: { type: 'string' },
      known_hosts: { type: 'string', description: 'known_hosts file on the host that runs rsync; the remote host key must be in it' },
      delete: boolSchema,
      archive: boolSchema,
      checksum: boolSchema,
      compress: boolSchema,
      recursive: boolSchema,
      links: boolSchema,
      copy_links: boolSchema,
      perms: boolSchema,
      times: boolSchema,
      owner: boolSchema,
      group: boolSchema,
      existing_only: boolSchema,
      rsync_opts: { type: 'array', items: { type: 'string' } },
      excludes: { type: 'array', items: { type: 'string' } },
      rsync_path: { type: 'string' },
      rsync_timeout: { type: 'integer' },
      verify_host: boolSchema,
    },
  },
  doc: {
    description:
      'The ring mirror\'s copy: rsync between two cluster hosts (not Ansible\'s synchronize, which copies between the controller and a host). `src` is a path on `src_host` and `dest` a path on `dest_host` (inventory names, both ' +
      'default to the task\'s host; when they are equal rsync copies locally). mode push (default) runs rsync on src_host ' +
      'pushing to dest_host; mode pull runs it on dest_host pulling from src_host. The remote side is reached with ' +
      '`ssh -o BatchMode=yes -i ssh_key` (a key path on the host running rsync) at its ansible_host/ansible_port as ' +
      'ansible_user (default root); its host key is checked against `known_hosts` (a file on the host running rsync) when given, ' +
      'otherwise only with verify_host. rsync options named as in Ansible\'s synchronize: archive (default), ' +
      'compress (default), checksum, delete (--delete-after), recursive/links/perms/times/owner/group overrides, rsync_opts, ' +
      'plus `excludes` (list of --exclude patterns). A dry run with --itemize-changes decides `changed` exactly; check mode ' +
      'stops there and returns its itemized lines.',
    returns: { cmd: 'the rsync command', itemized: 'rsync --itemize-changes lines (%i %n%L)', msg: 'rsync output', runner: 'the host that ran rsync' },
    example:
      '- name: Mirror /srv/dns to the next host\n  uxsv.mirror_sync:\n    src: /srv/dns/\n    dest: /srv/dns/\n    dest_host: uxsv02\n' +
      '    ssh_key: /root/.ssh/uxsv_mirror\n    known_hosts: /etc/uxsv/mirror_known_hosts\n    delete: true\n',
  },
  read: readSync,
  plan: planSync,
};

export default mirrorSync;
