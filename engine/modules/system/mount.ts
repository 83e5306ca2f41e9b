/**
 * mount (ansible.posix.mount): a line of /etc/fstab and the mount itself, as
 * ansible.posix's module on Linux: states present/absent/absent_from_fstab
 * (fstab only, absent also unmounts and removes the folder), mounted (fstab,
 * then mount or remount when the line changed), unmounted, remounted and
 * ephemeral (mounted without fstab). One read: fstab, /proc/self/mountinfo
 * and whether the path is a mount point.
 */
import { quote, shellJoin } from '../../connection/quote.js';
import { contentSections } from '../../facts/content.js';
import { readFact } from '../../facts/index.js';
import { lines, sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { writeFileAtomic } from '../lib/fileops.js';
import { boolSchema, pick, toBool } from '../lib/args.js';
import type { FileDiff, Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface MountArgs {
  path?: string;
  name?: string;
  src?: string;
  fstype?: string;
  opts?: string;
  dump?: string | number;
  passno?: string | number;
  fstab?: string;
  boot?: unknown;
  backup?: unknown;
  state: 'absent' | 'absent_from_fstab' | 'mounted' | 'present' | 'unmounted' | 'remounted' | 'ephemeral';
}

export interface MountRecord {
  dst: string;
  src: string;
  opts: string;
  fs: string;
}

export interface MountState {
  fstabExists: boolean;
  fstab: string;
  /** /proc/self/mountinfo resolved as ansible.posix's get_linux_mounts (bind mounts get their source folder). */
  mounts: Map<string, MountRecord>;
  /** os.path.ismount(path). */
  isMount: boolean;
  pathExists: boolean;
}

/** ansible.posix's get_linux_mounts. */
export function parseMountinfo(text: string): Map<string, MountRecord> {
  interface Info { id: number; parent: number; root: string; dst: string; opts: string; fs: string; src: string }
  const info = new Map<number, Info>();
  for (const line of lines(text)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    info.set(Number(f[0]), { id: Number(f[0]), parent: Number(f[1]), root: f[3]!, dst: f[4]!, opts: f[5]!, fs: f[f.length - 3]!, src: f[f.length - 2]! });
  }
  const mounts = new Map<string, MountRecord>();
  for (const m of info.values()) {
    let src: string;
    const parent = info.get(m.parent);
    if (m.parent !== 1 && parent) {
      let root = m.root;
      if (parent.root.length > 1 && root.startsWith(`${parent.root}/`)) root = root.slice(parent.root.length);
      if (parent.dst !== '/') root = `${parent.dst}${root}`;
      src = root;
    } else {
      src = m.src;
    }
    mounts.set(m.dst, { dst: m.dst, src, opts: m.opts, fs: m.fs });
  }
  return mounts;
}

const mountFact: Fact<{ path: string; fstab: string }, MountState> = sectionsFact(
  'mount.state',
  ({ path, fstab }) => ({
    ...contentSections({ path: fstab }),
    mountinfo: 'cat /proc/self/mountinfo',
    ismount: `if mountpoint -q -- ${quote(path)} 2>/dev/null; then echo yes; fi; if [ -e ${quote(path)} ]; then echo exists; fi; true`,
  }),
  (s) => {
    const out = s.file!.out;
    const flags = lines(s.ismount!.out);
    return {
      fstabExists: out.startsWith('file\n'),
      fstab: out.startsWith('file\n') ? Buffer.from(out.slice(5).trim(), 'base64').toString('utf8') : '',
      mounts: parseMountinfo(s.mountinfo!.out),
      isMount: flags.includes('yes'),
      pathExists: flags.includes('exists'),
    };
  },
);

/** Spaces, ampersands and backslashes in fstab fields as octal escapes. */
export function escapeFstab(value: string): string {
  return value.replace(/\\/g, '\\134').replace(/ /g, '\\040').replace(/&/g, '\\046');
}

interface MountFields {
  name: string;
  src?: string;
  fstype?: string;
  opts: string;
  dump: string;
  passno: string;
  fstab: string;
  boot: string;
  warnings: string[];
  backup_file: string;
}

export function mountFields(args: MountArgs): MountFields {
  const a: MountFields = {
    name: String(pick(args as unknown as Record<string, unknown>, 'path', 'name')),
    opts: args.opts ?? 'defaults',
    dump: args.dump !== undefined ? String(args.dump) : '0',
    passno: args.passno !== undefined ? String(args.passno) : '0',
    fstab: args.fstab ?? '/etc/fstab',
    boot: 'yes',
    warnings: [],
    backup_file: '',
  };
  if (args.src !== undefined) a.src = args.src;
  if (args.fstype !== undefined) a.fstype = args.fstype;
  const opts = a.opts.split(',');
  if (opts.includes('noauto')) a.warnings.push("Ignore the 'boot' due to 'opts' contains 'noauto'.");
  else if (!toBool(args.boot, true)) {
    a.boot = 'no';
    if (opts.includes('defaults')) a.warnings.push("Ignore the 'boot' due to 'opts' contains 'defaults'.");
    else a.opts = [...opts, 'noauto'].join(',');
  }
  return a;
}

/** _set_mount_save_old: the fstab with the line set, and whether it changed. */
export function setFstab(fstab: string, a: MountFields): { text: string; changed: boolean } {
  const e = { src: escapeFstab(a.src ?? ''), name: escapeFstab(a.name), fstype: escapeFstab(a.fstype ?? ''), opts: escapeFstab(a.opts), dump: escapeFstab(a.dump), passno: escapeFstab(a.passno) };
  const out: string[] = [];
  let exists = false;
  let changed = false;
  for (let line of fstab.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    if (!line.endsWith('\n')) line += '\n';
    if (!line.trim() || line.trim().startsWith('#')) {
      out.push(line);
      continue;
    }
    const fields = line.split(/\s+/).filter(Boolean);
    if (![4, 5, 6].includes(fields.length)) {
      out.push(line);
      continue;
    }
    const ld: Record<string, string> = { src: fields[0]!, name: fields[1]!, fstype: fields[2]!, opts: fields[3]!, dump: fields[4] ?? '0', passno: fields[5] ?? '0' };
    if (ld.name !== e.name || (a.src !== undefined && ld.name === 'none' && ld.fstype === 'swap' && ld.src !== a.src)) {
      out.push(line);
      continue;
    }
    exists = true;
    let lineChanged = false;
    for (const k of ['src', 'fstype', 'opts', 'dump', 'passno'] as const) {
      if (ld[k] !== e[k]) {
        ld[k] = e[k];
        lineChanged = true;
      }
    }
    // As ansible.posix: once one line changed, later matching lines are rewritten too.
    changed ||= lineChanged;
    out.push(changed ? `${ld.src} ${ld.name} ${ld.fstype} ${ld.opts} ${ld.dump} ${ld.passno}\n` : line);
  }
  if (!exists) {
    out.push(`${e.src} ${e.name} ${e.fstype} ${e.opts} ${e.dump} ${e.passno}\n`);
    changed = true;
  }
  return { text: out.join(''), changed };
}

/** unset_mount: the fstab without the path's lines. */
export function unsetFstab(fstab: string, a: MountFields): { text: string; changed: boolean } {
  const name = escapeFstab(a.name);
  const out: string[] = [];
  let changed = false;
  for (const line of fstab.match(/[^\n]*\n|[^\n]+$/g) ?? []) {
    const fields = line.split(/\s+/).filter(Boolean);
    if (!line.trim() || line.trim().startsWith('#') || fields.length !== 6) {
      out.push(line);
      continue;
    }
    if (fields[1] !== name || (a.src !== undefined && fields[1] === 'none' && fields[2] === 'swap' && fields[0] !== a.src)) {
      out.push(line);
      continue;
    }
    changed = true;
  }
  return { text: out.join(''), changed };
}

function fstabArgs(fstab: string): string[] {
  return fstab && fstab !== '/etc/fstab' ? ['-T', fstab] : [];
}

function ephemeralArgs(a: MountFields): string[] {
  return ['-t', a.fstype ?? '', ...(a.opts !== 'defaults' ? ['-o', a.opts] : []), a.src ?? ''];
}

function mountCommand(a: MountFields, state: string): string {
  return shellJoin(['mount', ...(state === 'ephemeral' ? ephemeralArgs(a) : fstabArgs(a.fstab)), a.name]);
}

function remountCommand(a: MountFields, state: string): string {
  const o = state === 'remounted' && a.opts !== 'defaults' ? `remount,${a.opts}` : 'remount';
  const first = shellJoin(['mount', '-o', o, ...(state === 'ephemeral' ? ephemeralArgs(a) : fstabArgs(a.fstab)), a.name]);
  if (state === 'remounted' && a.opts !== 'defaults') {
    return `${first} || { echo 'Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a "state: unmounted" followed by a "state: mounted" using the full desired mount options instead.' >&2; exit 1; }`;
  }
  // The remount may be refused: unmount and mount instead, as ansible.posix does.
  return `${first} 2>/dev/null || { umount -- ${quote(a.name)} && ${mountCommand(a, state)}; }`;
}

interface Step {
  command?: string;
  fstab?: string;
  /** The failure message's start (the command's output follows). */
  failure: string;
}

export function planMount(ctx: ModuleContext, args: MountArgs, state: MountState): Plan {
  const a = mountFields(args);
  if (['mounted', 'present', 'ephemeral'].includes(args.state) && (a.src === undefined || a.fstype === undefined)) {
    const missing = ['src', 'fstype'].filter((k) => (k === 'src' ? a.src : a.fstype) === undefined).join(', ');
    return { changed: false, failed: true, msg: `state is ${args.state} but all of the following are missing: ${missing}` };
  }
  const mounted = state.isMount || state.mounts.has(a.name);
  const steps: Step[] = [];
  let changed = false;
  let newFstab: string | undefined;
  const backup = toBool(args.backup, false);
  const q = quote(a.name);

  if (args.state === 'absent_from_fstab' || args.state === 'absent') {
    const r = unsetFstab(state.fstab, a);
    changed = r.changed;
    if (changed) {
      newFstab = r.text;
      steps.push({ fstab: r.text, failure: '' });
      if (args.state === 'absent') {
        if (mounted) steps.push({ command: `umount -- ${q}`, failure: `Error unmounting ${a.name}: ` });
        if (state.pathExists) steps.push({ command: `rmdir -- ${q}`, failure: `Error rmdir ${a.name}: ` });
      }
    }
  } else if (args.state === 'unmounted') {
    if (mounted) {
      changed = true;
      steps.push({ command: `umount -- ${q}`, failure: `Error unmounting ${a.name}: ` });
    }
  } else if (args.state === 'mounted' || args.state === 'ephemeral') {
    if (!state.pathExists) steps.push({ command: `mkdir -p -- ${q}`, failure: `Error making dir ${a.name}: ` });
    let fstabChanged = false;
    if (args.state === 'mounted') {
      const r = setFstab(state.fstab, a);
      fstabChanged = r.changed;
      if (r.changed) {
        newFstab = r.text;
        steps.push({ fstab: r.text, failure: '' });
      }
    }
    changed = fstabChanged;
    const boundHere = mounted && (a.src === undefined || !state.mounts.has(a.name) || state.isMount || state.mounts.get(a.name)!.src === a.src);
    if (boundHere) {
      if (fstabChanged) steps.push({ command: remountCommand(a, args.state), failure: `Error mounting ${a.name}: ` });
      if (args.state === 'ephemeral') {
        const current = state.mounts.get(a.name);
        if (current && current.src !== a.src) {
          return {
            changed: false,
            failed: true,
            msg: 'Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a "state: unmounted" followed by a "state: ephemeral", or use a different destination path.',
          };
        }
        changed = true;
        steps.push({ command: remountCommand(a, args.state), failure: `Error mounting ${a.name}: ` });
      }
    } else {
      changed = true;
      steps.push({ command: mountCommand(a, args.state), failure: `Error mounting ${a.name}: ` });
    }
    if (!changed) steps.length = 0;
  } else if (args.state === 'present') {
    const r = setFstab(state.fstab, a);
    changed = r.changed;
    if (changed) {
      newFstab = r.text;
      steps.push({ fstab: r.text, failure: '' });
    }
  } else if (args.state === 'remounted') {
    changed = true;
    steps.push({ command: remountCommand(a, args.state), failure: `Error remounting ${a.name}: ` });
  }
  const result: Record<string, unknown> = { ...a };
  const diff: FileDiff[] | undefined = newFstab !== undefined ? [{ before_header: a.fstab, after_header: a.fstab, before: state.fstab, after: newFstab }] : undefined;
  return {
    changed,
    result,
    diff,
    apply: steps.length === 0 ? undefined : async () => {
      const extra: Record<string, unknown> = {};
      for (const step of steps) {
        if (step.fstab !== undefined) {
          const written = await writeFileAtomic(ctx, a.fstab, step.fstab, { backup, ...(state.fstabExists ? {} : { mode: '0644', createParents: true }) });
          if (written.backup_file) extra.backup_file = written.backup_file;
          continue;
        }
        const res = await runText(ctx, step.command!);
        if (res.rc !== 0) {
          // A failed mount puts the old fstab back (ansible.posix restores it).
          if (newFstab !== undefined && args.state === 'mounted') await writeFileAtomic(ctx, a.fstab, state.fstab);
          return { failed: true, msg: `${step.failure}${res.stdout}${res.stderr}`.trim() };
        }
      }
      return extra;
    },
  };
}

export const mount: Module<MountArgs, MountState> = {
  name: 'ansible.posix.mount',
  aliases: ['mount'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['state'],
    properties: {
      path: { type: 'string', description: 'The mount point' },
      name: { type: 'string', description: 'Alias of path' },
      src: { type: 'string', description: 'The device, label, or remote share' },
      fstype: { type: 'string', description: 'Filesystem type' },
      opts: { type: 'string', description: 'Mount options (default "defaults")' },
      dump: { type: ['string', 'integer'], description: 'fstab dump field (default 0)' },
      passno: { type: ['string', 'integer'], description: 'fstab pass field (default 0)' },
      fstab: { type: 'string', description: 'The fstab file (default /etc/fstab)' },
      boot: { ...boolSchema, description: 'Mount at boot (false adds noauto)' },
      backup: { ...boolSchema, description: 'Keep a copy of fstab before changing it' },
      state: { enum: ['absent', 'absent_from_fstab', 'mounted', 'present', 'unmounted', 'remounted', 'ephemeral'] },
    },
    anyOf: [{ required: ['path'] }, { required: ['name'] }],
  },
  doc: {
    description:
      'Manages an fstab line and the mount, like ansible.posix.mount on Linux: present/absent_from_fstab (fstab only), ' +
      'mounted (fstab, then mount; remount when the line changed), unmounted, remounted, ephemeral (mount without fstab), ' +
      'absent (fstab line removed, unmounted, mount point removed). Fields are escaped (\\040 for spaces) as fstab wants.',
    returns: { name: 'the mount point', src: 'the source', fstype: 'the type', opts: 'the options', dump: 'dump', passno: 'passno', fstab: 'the fstab', boot: 'yes/no', backup_file: 'the copy of fstab, with backup' },
    example: '- name: Mirror volume\n  ansible.posix.mount:\n    path: /srv/mirror\n    src: LABEL=mirror\n    fstype: ext4\n    state: mounted\n',
  },
  read: (ctx, args) => {
    const a = mountFields(args);
    return readFact(ctx, mountFact, { path: a.name, fstab: a.fstab });
  },
  plan: planMount,
};
