/**
 * ansible.posix.synchronize: rsync between the controller (or the
 * delegate_to host) and the task's host over OpenSSH, as Ansible's action
 * and module do. Where rsync runs and how it reaches the other end is in
 * ./synchronize-ends.ts; its command line and output in
 * ./synchronize-command.ts.
 *
 * rsync both finds and makes the change, so a real run is one rsync whose
 * itemized output tells `changed` (the plan cannot know it beforehand); check
 * mode runs the same command with --dry-run in the read, and the plan reports
 * what it printed.
 */
import type { ExecResult } from '../../connection/types.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { boolSchema, toBool } from '../lib/args.js';
import { rsyncCommand, rsyncOutcome, type RsyncOptions } from './synchronize-command.js';
import { resolveEnds, type Ends } from './synchronize-ends.js';

type Args = Record<string, unknown>;

interface Ready {
  ends: Ends;
  cmd: string;
  argv: string[];
  warnings: string[];
  linkDest: boolean;
}

type SyncState = { error: string; rc?: number; cmd?: string } | (Ready & { dryRun?: ExecResult });

const intSchema = { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^\\s*-?\\d+\\s*$' }] };
const listSchema = { anyOf: [{ type: 'array', items: { type: ['string', 'number'] } }, { type: 'string' }, { type: 'number' }] };
const bool = (description: string) => ({ ...boolSchema, description });

/** Ansible's list type from a string splits on commas (nothing trimmed). */
function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'number') return [String(value)];
  return String(value).split(',');
}

function wholeNumber(value: unknown, name: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = Number(String(value).trim());
  if (!Number.isInteger(n)) throw new Error(`argument '${name}' is of type ${typeof value} and we were unable to convert to int`);
  return n;
}

function rsyncOptions(args: Args, dryRun: boolean, rsyncPath: string | undefined): RsyncOptions {
  const maybe = (name: string): boolean | undefined => (args[name] === undefined || args[name] === null ? undefined : toBool(args[name], false));
  return {
    archive: toBool(args.archive, true),
    checksum: toBool(args.checksum, false),
    compress: toBool(args.compress, true),
    existingOnly: toBool(args.existing_only, false),
    delete: toBool(args.delete, false),
    dirs: toBool(args.dirs, false),
    recursive: maybe('recursive'),
    links: maybe('links'),
    perms: maybe('perms'),
    times: maybe('times'),
    owner: maybe('owner'),
    group: maybe('group'),
    copyLinks: toBool(args.copy_links, false),
    partial: toBool(args.partial, false),
    delayUpdates: toBool(args.delay_updates, true),
    rsyncTimeout: wholeNumber(args.rsync_timeout, 'rsync_timeout'),
    rsyncOpts: stringList(args.rsync_opts),
    linkDest: stringList(args.link_dest),
    ...(rsyncPath !== undefined ? { rsyncPath } : {}),
    dryRun,
  };
}

async function readSync(ctx: ModuleContext, args: Args): Promise<SyncState> {
  if (args.src === undefined || args.src === null || args.dest === undefined || args.dest === null) {
    return { error: 'synchronize requires both src and dest parameters are set' };
  }
  let options: RsyncOptions;
  try {
    options = rsyncOptions(args, ctx.check, undefined);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const ends = await resolveEnds(ctx, args);
  if ('error' in ends) return ends;
  const built = rsyncCommand(ends.rsync, { ...options, ...(ends.rsyncPath !== undefined ? { rsyncPath: ends.rsyncPath } : {}) }, ends.src, ends.dest, ends.rsh);
  if ('error' in built) return { error: built.error, rc: 1 };
  const ready: Ready = { ends, ...built, linkDest: options.linkDest.length > 0 };
  if (!ctx.check) return ready;
  return { ...ready, dryRun: await ends.run(ready.argv) };
}

/** The result of one rsync run: Ansible's module fails with rsync's stderr as msg. */
function outcome(ctx: ModuleContext, state: Ready, run: ExecResult): Record<string, unknown> {
  const stdout = run.stdout.toString();
  const warnings = state.warnings.length ? { warnings: state.warnings } : {};
  if (run.rc !== 0) {
    const msg = run.timedOut ? `rsync did not finish within the task's time limit\n${run.stderr.toString()}` : run.stderr.toString();
    return { changed: false, failed: true, msg, rc: run.rc, cmd: state.cmd, ...warnings };
  }
  const done = rsyncOutcome(stdout, state.linkDest);
  return { ...done, rc: 0, cmd: state.cmd, ...(ctx.diff ? { diff: [{ prepared: done.msg }] } : {}), ...warnings };
}

function planSync(ctx: ModuleContext, state: SyncState): Plan {
  if ('error' in state) {
    return { changed: false, failed: true, msg: state.error, result: { ...(state.rc !== undefined ? { rc: state.rc } : {}), ...(state.cmd !== undefined ? { cmd: state.cmd } : {}) } };
  }
  if (state.dryRun) {
    const result = outcome(ctx, state, state.dryRun);
    const { changed, failed, msg, ...rest } = result;
    return failed ? { changed: false, failed: true, msg: String(msg), result: rest } : { changed: Boolean(changed), msg: String(msg), result: rest };
  }
  // Only rsync can tell what changes, by making the change: apply reports it.
  return {
    changed: true,
    apply: async () => {
      return outcome(ctx, state, await state.ends.run(state.argv));
    },
  };
}

export const synchronize: Module<Args, SyncState> = {
  name: 'ansible.posix.synchronize',
  aliases: ['synchronize'],
  schema: {
    type: 'object',
    properties: {
      src: { type: ['string', 'number'], description: 'Required. Source path: on the controller (push), on the host (pull). A relative path is looked up in the role\'s or playbook\'s files/. A trailing slash copies the folder\'s contents.' },
      dest: { type: ['string', 'number'], description: 'Required. Destination path: on the host (push), on the controller (pull).' },
      mode: { type: 'string', enum: ['push', 'pull'], description: 'push: controller to host (default); pull: host to controller.' },
      archive: bool('rsync --archive: recursive, links, perms, times, owner, group (default true).'),
      checksum: bool('Compare checksums, not modification time and size (default false).'),
      compress: bool('Compress data in transfer (default true).'),
      existing_only: bool('Only update files that already exist on the receiver (default false).'),
      delete: bool('Delete files on the receiver that the source does not have (--delete-after; default false).'),
      dirs: bool('Transfer folders without recursing (default false).'),
      recursive: bool('Recurse into folders (default: as archive).'),
      links: bool('Copy symlinks as symlinks (default: as archive).'),
      copy_links: bool('Copy what symlinks point to (default false).'),
      perms: bool('Preserve permissions (default: as archive).'),
      times: bool('Preserve modification times (default: as archive).'),
      owner: bool('Preserve the owner; super-user only (default: as archive).'),
      group: bool('Preserve the group (default: as archive).'),
      rsync_path: { type: 'string', description: 'The rsync the far end runs (--rsync-path); default rsync, or "sudo -u USER rsync" under become.' },
      rsync_timeout: { ...intSchema, description: 'rsync --timeout in seconds (default 0: none).' },
      set_remote_user: bool('Give the host\'s ansible_user to rsync as user@host (default true).'),
      use_ssh_args: bool('Also pass ansible_ssh_common_args and ansible_ssh_extra_args to ssh (default false).'),
      ssh_connection_multiplexing: bool('Let ssh use ControlPath multiplexing (default false: -S none).'),
      rsync_opts: { ...listSchema, description: 'More rsync options, as written (a list, or a comma-separated string).' },
      partial: bool('Keep partially transferred files (--partial; default false).'),
      verify_host: bool('Check the host\'s key against the known_hosts file of the host\'s connection (default false: not checked, as in Ansible).'),
      private_key: { type: 'string', description: 'SSH key file (default: ansible_ssh_private_key_file).' },
      link_dest: { ...listSchema, description: 'Hard-link unchanged files to these folders (--link-dest).' },
      delay_updates: bool('Put all updated files in place at the end (--delay-updates; default true).'),
      dest_port: { ...intSchema, description: 'SSH port of the host (default: ansible_port, else 22).' },
    },
    // src and dest are checked when the task runs, so that only that task fails (as in Ansible).
    additionalProperties: false,
  },
  doc: {
    description:
      'Copies a tree between the controller and the host with rsync over OpenSSH (ansible.posix.synchronize): rsync runs on the controller, '
      + 'or on the delegate_to host, with the task\'s host as the remote end, reached with the host\'s address, port, user, key and ProxyCommand. '
      + 'Under become the far end runs "sudo -u USER rsync". A host with ansible_connection=local is synchronized locally, without ssh. '
      + 'rsync must be installed on both ends. changed comes from rsync\'s itemized output; check mode runs rsync --dry-run.',
    returns: {
      cmd: 'the rsync command line',
      msg: 'rsync\'s itemized output (or its error)',
      rc: 'rsync\'s exit status',
      stdout_lines: 'the itemized lines',
    },
    example: '- ansible.posix.synchronize:\n    src: site/\n    dest: /srv/www/\n    delete: true\n    rsync_opts: ["--exclude=.git"]',
  },
  read: readSync,
  plan: (ctx, _args, state) => planSync(ctx, state),
};
