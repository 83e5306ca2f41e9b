/**
 * synchronize's rsync command line and the reading of its output, pure: the
 * options (Ansible's names, defaults already applied) and where each end is
 * give the command; rsync's itemized output gives `changed`.
 *
 * The command is built as one line in the shape Ansible's module shows in
 * `cmd` (rsync_opts go in as written), then split with Python's shlex rules,
 * as Ansible's run_command splits it: what is shown is what runs.
 */
import { resolve, dirname } from 'node:path';
import { quote } from '../../connection/quote.js';
import { shlexSplit } from '../core/shlex.js';

/** Marks each itemized line rsync prints, so changes are told from rsync's other messages. */
export const CHANGED_MARKER = '<<CHANGED>>';

export interface RsyncOptions {
  archive: boolean;
  checksum: boolean;
  compress: boolean;
  existingOnly: boolean;
  delete: boolean;
  dirs: boolean;
  /** undefined: as archive says. */
  recursive?: boolean;
  links?: boolean;
  perms?: boolean;
  times?: boolean;
  owner?: boolean;
  group?: boolean;
  copyLinks: boolean;
  partial: boolean;
  delayUpdates: boolean;
  rsyncTimeout: number;
  rsyncOpts: string[];
  linkDest: string[];
  /** --rsync-path: the rsync the far end runs (`sudo -u root rsync` under become). */
  rsyncPath?: string;
  dryRun: boolean;
}

/** How the rsync process reaches the far end over OpenSSH (absent: both paths are local). */
export interface RshOptions {
  ssh: string;
  multiplexing: boolean;
  privateKey?: string;
  port?: number;
  /** verify_host false: no check at all, as Ansible; else the known_hosts file and policy of the host's connection. */
  verifyHost: false | { knownHostsFile: string; strict: 'yes' | 'accept-new' | 'no' };
  /** The connection's ProxyCommand, when the ssh arguments below do not already carry it. */
  proxyCommand?: string;
  /** ansible_ssh_common_args and ansible_ssh_extra_args as written (use_ssh_args). */
  sshArgs?: string;
}

export interface RsyncCommand {
  /** The line shown in the result's `cmd`. */
  cmd: string;
  /** The words it runs (cmd split as Python's shlex does). */
  argv: string[];
  warnings: string[];
}

/**
 * A word for the command of rsync's --rsh, which rsync splits itself: on
 * spaces, with single or double quotes (a doubled quote inside is one
 * quote) and no backslashes.
 */
export function rshWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, "''")}'`;
}

export function rshCommand(o: RshOptions): string {
  const words = [o.ssh];
  if (!o.multiplexing) words.push('-S', 'none');
  if (o.privateKey !== undefined) words.push('-i', o.privateKey);
  if (o.port !== undefined) words.push('-o', `Port=${o.port}`);
  if (o.verifyHost === false) {
    words.push('-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null');
  } else {
    words.push('-o', `UserKnownHostsFile=${o.verifyHost.knownHostsFile}`, '-o', `StrictHostKeyChecking=${o.verifyHost.strict}`);
  }
  if (o.proxyCommand !== undefined) words.push('-o', `ProxyCommand=${o.proxyCommand}`);
  const line = words.map(rshWord).join(' ');
  return o.sshArgs ? `${line} ${o.sshArgs}` : line;
}

/** rsync needs a remote shell when either path names a host (`host:path`), unless it is an rsync:// URL. */
export function needsRsh(src: string, dest: string): boolean {
  if (src.startsWith('rsync://') || dest.startsWith('rsync://')) return false;
  return src.includes(':') || dest.includes(':');
}

/** The path part of `user@host:path` (or `[user@host]:path`), or the path itself. */
function localPart(path: string): string {
  const bracketed = /^\[[^\]]*\]:(.*)$/s.exec(path);
  if (bracketed) return bracketed[1]!;
  const colon = path.indexOf(':');
  return colon === -1 ? path : path.slice(colon + 1);
}

export function rsyncCommand(rsync: string, o: RsyncOptions, src: string, dest: string, rsh?: RshOptions): RsyncCommand | { error: string } {
  if (src.startsWith('rsync://') && dest.startsWith('rsync://')) return { error: 'either src or dest must be a localhost' };
  const words: string[] = [quote(rsync)];
  const warnings: string[] = [];
  if (o.delayUpdates) words.push('--delay-updates', '-F');
  if (o.compress) words.push('--compress');
  if (o.rsyncTimeout) words.push(`--timeout=${o.rsyncTimeout}`);
  if (o.dryRun) words.push('--dry-run');
  if (o.delete) words.push('--delete-after');
  if (o.existingOnly) words.push('--existing');
  if (o.checksum) words.push('--checksum');
  if (o.copyLinks) words.push('--copy-links');
  const toggles: Array<[boolean | undefined, string]> = [
    [o.recursive, 'recursive'], [o.links, 'links'], [o.perms, 'perms'], [o.times, 'times'], [o.owner, 'owner'], [o.group, 'group'],
  ];
  if (o.archive) {
    words.push('--archive');
    // Archive implies each of these; only an explicit false turns one off.
    for (const [value, name] of toggles) if (value === false) words.push(`--no-${name}`);
  } else {
    for (const [value, name] of toggles) if (value === true) words.push(`--${name}`);
  }
  if (o.dirs) words.push('--dirs');
  if (rsh && needsRsh(src, dest) && !o.rsyncOpts.some((opt) => opt.includes('--rsh'))) words.push(`--rsh=${quote(rshCommand(rsh))}`);
  if (o.rsyncPath) words.push(`--rsync-path=${quote(o.rsyncPath)}`);
  if (o.rsyncOpts.includes('')) {
    warnings.push('The empty string is present in rsync_opts which will cause rsync to transfer the current working directory. '
      + 'If this is intended, use "." instead to get rid of this warning. '
      + 'If this is unintended, check for problems in your playbook leading to empty string in rsync_opts.');
  }
  // As written: Ansible's module adds them to its command line unquoted, so quotes in them are shell quotes.
  words.push(...o.rsyncOpts);
  if (o.partial) words.push('--partial');
  if (o.linkDest.length > 0) {
    words.push('-H', '-vv');
    const destParent = resolve(dirname(localPart(dest)));
    for (const link of o.linkDest) {
      const linkPath = resolve(link);
      if (destParent.startsWith(linkPath)) {
        return { error: `Hardlinking into a subdirectory of the source would cause recursion. ${destParent} and ${dest}` };
      }
      words.push(`--link-dest=${quote(linkPath)}`);
    }
  }
  words.push(`--out-format=${quote(`${CHANGED_MARKER}%i %n%L`)}`);
  // A path that starts with a dash would read as an option.
  if (src.startsWith('-') || dest.startsWith('-')) words.push('--');
  words.push(quote(src), quote(dest));
  const cmd = words.join(' ');
  return { cmd, argv: shlexSplit(cmd), warnings };
}

export interface RsyncOutcome {
  changed: boolean;
  /** rsync's output without the markers. */
  msg: string;
  stdout_lines: string[];
}

/**
 * What rsync did, from its output: any itemized line is a change; with
 * link_dest (-vv lists unchanged files too) a change unless some line is
 * itemized as unchanged ('.'), as Ansible's module decides.
 */
export function rsyncOutcome(stdout: string, linkDest: boolean): RsyncOutcome {
  const changed = linkDest ? !stdout.includes(`${CHANGED_MARKER}.`) : stdout.includes(CHANGED_MARKER);
  const msg = stdout.split(CHANGED_MARKER).join('');
  return { changed, msg, stdout_lines: msg.split('\n').filter((line) => line !== '') };
}
