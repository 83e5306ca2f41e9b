/**
 * git: a checkout of a repository on the host, with the host's git, as
 * Ansible's git module: clone when dest is not a repository, else (update)
 * fetch and move to `version` (HEAD, a branch, a tag or a sha), refusing
 * local modifications unless force. One read gathers the checkout's state
 * and the remote's refs (`git ls-remote`), so check mode knows the sha a run
 * would reach; apply runs the same steps as Ansible's clone/fetch/switch.
 */
import { posix } from 'node:path';
import { quote, shellJoin } from '../../connection/quote.js';
import { readFact } from '../../facts/index.js';
import { lines, sectionsFact } from '../../facts/sections.js';
import type { Fact } from '../../facts/types.js';
import { boolSchema, text, toBool } from '../lib/args.js';
import type { Module, ModuleContext, Plan } from '../types.js';
import { runText } from './util.js';

export interface GitArgs {
  repo: string;
  name?: string;
  dest?: string;
  version?: string;
  remote?: string;
  refspec?: string;
  force?: unknown;
  depth?: number | string;
  clone?: unknown;
  update?: unknown;
  bare?: unknown;
  reference?: string;
  single_branch?: unknown;
  recursive?: unknown;
  track_submodules?: unknown;
  umask?: string;
  executable?: string;
  key_file?: string;
  ssh_opts?: string;
  accept_hostkey?: unknown;
  accept_newhostkey?: unknown;
  separate_git_dir?: string;
  verify_commit?: unknown;
  gpg_whitelist?: string[];
  archive?: string;
  archive_prefix?: string;
}

export interface GitState {
  gitFound: boolean;
  /** dest holds a repository (its config exists). */
  exists: boolean;
  before?: string;
  localMods: boolean;
  remoteUrl?: string;
  /** The branch HEAD follows (or the remote's HEAD branch when detached). */
  headBranch?: string;
  /** `git ls-remote REPO`: ref -> sha. */
  refs: Map<string, string>;
  lsRemoteError?: string;
  /** The local branch named like version exists. */
  localBranch: boolean;
}

function normalized(args: GitArgs) {
  const repoGiven = text(args.repo ?? args.name) ?? '';
  const repo = repoGiven.startsWith('/') ? `file://${repoGiven}` : repoGiven;
  const bare = toBool(args.bare, false);
  return {
    repo,
    repoGiven,
    dest: args.dest !== undefined ? posix.resolve('/', args.dest) : undefined,
    version: text(args.version) ?? 'HEAD',
    remote: args.remote ?? 'origin',
    refspec: args.refspec,
    force: toBool(args.force, false),
    depth: args.depth === undefined || args.depth === null ? undefined : Number(args.depth),
    clone: toBool(args.clone, true),
    update: toBool(args.update, true),
    bare,
    recursive: toBool(args.recursive, true),
    git: args.executable ?? 'git',
  };
}

/** Environment of every git command: C locale, and ssh options for the transport. */
function gitPrefix(args: GitArgs): string {
  const parts = ['LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C'];
  let ssh = args.ssh_opts;
  const hostKey = toBool(args.accept_hostkey, false) ? 'no' : toBool(args.accept_newhostkey, false) ? 'accept-new' : undefined;
  if (hostKey) {
    if (ssh === undefined) ssh = `-o StrictHostKeyChecking=${hostKey}`;
    else if (!ssh.includes('-o StrictHostKeyChecking=no') && !ssh.includes('-o StrictHostKeyChecking=accept-new')) ssh += ` -o StrictHostKeyChecking=${hostKey}`;
  }
  if (args.key_file !== undefined || ssh !== undefined) {
    const words = ['ssh'];
    if (args.key_file !== undefined) words.push('-i', args.key_file, '-o', 'IdentitiesOnly=yes');
    parts.push(`GIT_SSH_COMMAND=${quote(`${shellJoin(words)}${ssh ? ` ${ssh}` : ''}`)}`);
  }
  return parts.join(' ');
}

const gitFact: Fact<{ args: GitArgs }, GitState> = sectionsFact(
  'git.checkout',
  ({ args }) => {
    const a = normalized(args);
    const g = `${gitPrefix(args)} ${quote(a.git)}`;
    const d = a.dest !== undefined ? quote(a.dest) : "''";
    const config = a.bare ? `${d}/config` : `${d}/.git`;
    return {
      git: `command -v ${quote(a.git)} >/dev/null 2>&1 && echo yes; true`,
      exists: a.dest === undefined ? 'true' : `if [ -e ${config} ] && ${g} -C ${d} rev-parse --git-dir >/dev/null 2>&1; then echo yes; fi`,
      before: a.dest === undefined ? 'true' : `${g} -C ${d} rev-parse HEAD 2>/dev/null; true`,
      mods: a.dest === undefined || a.bare ? 'true' : `${g} -C ${d} status --porcelain 2>/dev/null | grep -v '^??' ; true`,
      url: a.dest === undefined ? 'true' : `${g} -C ${d} config --get ${quote(`remote.${a.remote}.url`)} 2>/dev/null; true`,
      head: a.dest === undefined ? 'true'
        : `${g} -C ${d} symbolic-ref -q --short HEAD 2>/dev/null || ${g} -C ${d} symbolic-ref -q --short ${quote(`refs/remotes/${a.remote}/HEAD`)} 2>/dev/null; true`,
      local: a.dest === undefined ? 'true' : `${g} -C ${d} show-ref --verify --quiet ${quote(`refs/heads/${a.version}`)} 2>/dev/null && echo yes; true`,
      refs: `${g} ls-remote -- ${quote(a.repo)} 2>&1`,
    };
  },
  (s, { args }) => {
    const a = normalized(args);
    const refs = new Map<string, string>();
    let lsRemoteError: string | undefined;
    if (s.refs!.rc !== 0) lsRemoteError = s.refs!.out.trim();
    else {
      for (const line of lines(s.refs!.out)) {
        const [sha, ref] = line.split('\t');
        if (sha && ref && /^[0-9a-f]{7,64}$/.test(sha)) refs.set(ref, sha);
      }
    }
    const head = s.head!.out.trim();
    return {
      gitFound: s.git!.out.trim() === 'yes',
      exists: s.exists!.out.trim() === 'yes',
      before: lines(s.before!.out)[0]?.trim() || undefined,
      localMods: lines(s.mods!.out).length > 0,
      remoteUrl: lines(s.url!.out)[0]?.trim() || undefined,
      headBranch: head ? head.replace(new RegExp(`^${a.remote.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`), '') : undefined,
      refs,
      ...(lsRemoteError !== undefined ? { lsRemoteError } : {}),
      localBranch: s.local!.out.trim() === 'yes',
    };
  },
);

type Kind = 'head' | 'branch' | 'tag' | 'sha';

function versionKind(version: string, refs: Map<string, string>): Kind {
  if (version === 'HEAD') return 'head';
  if (refs.has(`refs/heads/${version}`)) return 'branch';
  if (refs.has(`refs/tags/${version}`)) return 'tag';
  return 'sha';
}

/** Ansible's get_remote_head: the sha `version` names on the remote. */
export function remoteHead(version: string, state: GitState, cloning: boolean): string | undefined {
  const kind = versionKind(version, state.refs);
  if (kind === 'head') {
    if (cloning || !state.headBranch) return state.refs.get('HEAD');
    return state.refs.get(`refs/heads/${state.headBranch}`);
  }
  if (kind === 'branch') return state.refs.get(`refs/heads/${version}`);
  if (kind === 'tag') return state.refs.get(`refs/tags/${version}^{}`) ?? state.refs.get(`refs/tags/${version}`);
  return version;
}

/** The shell steps moving a checkout to `version` (Ansible's switch_version). */
function switchSteps(a: ReturnType<typeof normalized>, kind: Kind, localBranch: boolean, g: string): string[] {
  const r = a.remote;
  if (kind === 'head') {
    return [
      `b=$(${g} symbolic-ref -q --short HEAD || ${g} symbolic-ref -q --short ${quote(`refs/remotes/${r}/HEAD`)} | sed 's|^[^/]*/||')`,
      `${g} checkout --force "$b" >&2 || { echo "Failed to checkout branch $b" >&3; exit 1; }`,
      `${g} reset --hard ${quote(r)}/"$b" -- >&2 || { echo "Failed to checkout branch $b" >&3; exit 1; }`,
    ];
  }
  if (kind === 'branch') {
    const steps: string[] = [];
    if (a.depth && !localBranch) steps.push(`${g} fetch --depth=${a.depth} ${quote(r)} ${quote(`+refs/heads/${a.version}:refs/remotes/${r}/${a.version}`)} >&2`);
    if (!localBranch) {
      steps.push(`${g} checkout --track -b ${quote(a.version)} ${quote(`${r}/${a.version}`)} >&2 || { echo ${quote(`Failed to checkout ${a.version}`)} >&3; exit 1; }`);
    } else {
      steps.push(
        `${g} checkout --force ${quote(a.version)} >&2 || { echo ${quote(`Failed to checkout branch ${a.version}`)} >&3; exit 1; }`,
        `${g} reset --hard ${quote(`${r}/${a.version}`)} >&2 || { echo ${quote(`Failed to checkout ${a.version}`)} >&3; exit 1; }`,
      );
    }
    return steps;
  }
  return [`${g} checkout --force ${quote(a.version)} >&2 || { echo ${quote(`Failed to checkout ${a.version}`)} >&3; exit 1; }`];
}

function fetchStep(a: ReturnType<typeof normalized>, kind: Kind, headBranch: string | undefined, g: string): string {
  const cmd = ['fetch'];
  let refspecs: string[] = [];
  if (a.depth) {
    if (a.refspec) refspecs.push(a.refspec);
    else if (kind === 'head' && headBranch) refspecs.push(headBranch);
    else if (kind === 'branch') {
      if (headBranch !== a.version) refspecs.push(`+refs/heads/${a.version}:refs/heads/${a.version}`);
      refspecs.push(`+refs/heads/${a.version}:refs/remotes/${a.remote}/${a.version}`);
    } else if (kind === 'tag') refspecs.push(`+refs/tags/${a.version}:refs/tags/${a.version}`);
    if (refspecs.length > 0) cmd.push('--depth', String(a.depth));
  }
  if (!a.depth || refspecs.length === 0) {
    if (a.bare) refspecs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
    else cmd.push('--tags');
    if (a.refspec) refspecs.push(a.refspec);
  }
  if (a.force) cmd.push('--force');
  cmd.push(a.remote, ...refspecs);
  return `${g} ${shellJoin(cmd)} >&2 || { echo 'Failed to download remote objects and refs' >&3; exit 1; }`;
}

function cloneSteps(a: ReturnType<typeof normalized>, kind: Kind, args: GitArgs, g: string): { steps: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const cmd = ['clone'];
  if (a.bare) cmd.push('--bare');
  else cmd.push('--origin', a.remote);
  const branchOrTag = kind === 'branch' || kind === 'tag';
  if (a.depth) {
    if (a.version === 'HEAD' || a.refspec) cmd.push('--depth', String(a.depth));
    else if (branchOrTag) cmd.push('--depth', String(a.depth), '--branch', a.version);
    else warnings.push('Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.');
  }
  if (args.reference) cmd.push('--reference', args.reference);
  if (toBool(args.single_branch, false)) {
    cmd.push('--single-branch');
    if (branchOrTag) cmd.push('--branch', a.version);
  }
  if (args.separate_git_dir) cmd.push(`--separate-git-dir=${args.separate_git_dir}`);
  const dest = a.dest!;
  const steps = [
    `mkdir -p -- ${quote(posix.dirname(dest))} 2>/dev/null; cd -- ${quote(posix.dirname(dest))} || exit 1`,
    `${g} ${shellJoin([...cmd, a.repo, dest])} >&2 || { echo 'git clone failed' >&3; exit 1; }`,
    `cd -- ${quote(dest)} || exit 1`,
  ];
  if (a.bare && a.remote !== 'origin') steps.push(`${g} remote add ${quote(a.remote)} ${quote(a.repo)} >&2`);
  if (a.refspec) steps.push(`${g} fetch ${a.depth ? `--depth ${a.depth} ` : ''}${quote(a.remote)} ${quote(a.refspec)} >&2 || { echo 'git fetch failed' >&3; exit 1; }`);
  return { steps, warnings };
}

function verifySteps(args: GitArgs, a: ReturnType<typeof normalized>, kind: Kind, g: string): string[] {
  if (!toBool(args.verify_commit, false)) return [];
  const what = kind === 'tag' ? 'verify-tag' : 'verify-commit';
  return [`${g} ${what} ${quote(a.version)} >&2 || { echo ${quote(`Failed to verify GPG signature of commit/tag "${a.version}"`)} >&3; exit 1; }`];
}

function archiveSteps(args: GitArgs, a: ReturnType<typeof normalized>, g: string): string[] {
  if (!args.archive) return [];
  const fmt = /\.(zip|tar\.gz|tgz|tar)$/.exec(args.archive)?.[1] ?? 'zip';
  const format = fmt === 'tgz' ? 'tar.gz' : fmt;
  const prefix = args.archive_prefix !== undefined ? ` --prefix=${quote(args.archive_prefix)}` : '';
  const out = quote(args.archive);
  return [
    `t=$(mktemp) || exit 1`,
    `${g} archive --format=${format}${prefix} -o "$t" ${quote(a.version)} >&2 || { rm -f "$t"; echo 'Failed to create archive' >&3; exit 1; }`,
    `if [ -e ${out} ] && cmp -s "$t" ${out}; then rm -f "$t"; else mv -f "$t" ${out} && echo archived; fi`,
  ];
}

export function planGit(ctx: ModuleContext, args: GitArgs, state: GitState): Plan {
  const a = normalized(args);
  if (!state.gitFound) return { changed: false, failed: true, msg: `Failed to find required executable "${a.git}" in paths: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
  if (a.dest === undefined && a.clone) return { changed: false, failed: true, msg: 'the destination directory must be specified unless clone=no' };
  if (args.umask !== undefined && !/^[0-7]{1,4}$/.test(String(args.umask))) return { changed: false, failed: true, msg: 'umask must be an octal integer' };
  if (state.lsRemoteError !== undefined) return { changed: false, failed: true, msg: state.lsRemoteError };
  const kind = versionKind(a.version, state.refs);
  const g = `${gitPrefix(args)} ${quote(a.git)}`;
  const umask = args.umask !== undefined ? `umask ${args.umask}\n` : '';
  const result: Record<string, unknown> = { before: null };
  const warnings: string[] = [];

  if (!state.exists || a.dest === undefined) {
    const head = remoteHead(a.version, state, true);
    if (head === undefined) return { changed: false, failed: true, msg: `Could not determine remote revision for ${a.version}` };
    result.after = head;
    if (!a.clone || a.dest === undefined) return { changed: true, result };
    const clone = cloneSteps(a, kind, args, g);
    warnings.push(...clone.warnings);
    const steps = [...clone.steps, ...(a.bare ? [] : switchSteps(a, kind, false, g)), ...verifySteps(args, a, kind, g)];
    if (a.recursive && !a.bare) steps.push(`${g} submodule update --init --recursive >&2 || { echo 'Failed to init/update submodules' >&3; exit 1; }`);
    steps.push(...archiveSteps(args, a, g));
    return finish(ctx, { changed: true, result: { ...result, ...(warnings.length ? { warnings } : {}) }, diff: [{ prepared: `>> Newly checked out ${head}` }] }, umask + steps.join('\n'), a, undefined);
  }

  result.before = state.before ?? null;
  if (!a.update) {
    result.after = state.before ?? null;
    if (!args.archive) return { changed: false, result };
    return finish(ctx, { changed: true, result }, umask + `cd -- ${quote(a.dest)} || exit 1\n${archiveSteps(args, a, g).join('\n')}`, a, state.before);
  }
  if (state.localMods && !a.force) {
    return { changed: false, failed: true, msg: `Local modifications exist in the destination: ${a.dest} (force=no).`, result };
  }
  const remoteUrlChanged = state.remoteUrl !== undefined && state.remoteUrl !== a.repo && unfrack(state.remoteUrl) !== unfrack(a.repo);
  result.remote_url_changed = remoteUrlChanged;
  const head = remoteHead(a.version, state, false);
  if (head === undefined) return { changed: false, failed: true, msg: `Could not determine remote revision for ${a.version}` };
  result.after = head;
  const steps = [`cd -- ${quote(a.dest)} || exit 1`];
  if (state.localMods) steps.push(`${g} reset --hard HEAD >&2 || exit 1`);
  if (state.remoteUrl === undefined || remoteUrlChanged) {
    steps.push(`${g} remote set-url ${quote(a.remote)} ${quote(a.repo)} >&2 2>/dev/null || ${g} remote add ${quote(a.remote)} ${quote(a.repo)} >&2 || { echo ${quote(`Failed to set a new url ${a.repo} for ${a.remote}`)} >&3; exit 1; }`);
  }
  steps.push(fetchStep(a, kind, state.headBranch, g));
  if (!a.bare) steps.push(...switchSteps(a, kind, state.localBranch, g));
  steps.push(...verifySteps(args, a, kind, g));
  if (a.recursive && !a.bare) steps.push(`if [ -f .gitmodules ]; then s0=$(${g} submodule status --recursive 2>/dev/null); ${g} submodule sync --recursive >&2; ${g} submodule update --init --recursive ${a.force ? '--force ' : ''}>&2 || { echo 'Failed to init/update submodules' >&3; exit 1; }; [ "$s0" = "$(${g} submodule status --recursive 2>/dev/null)" ] || echo submodules; fi`);
  steps.push(...archiveSteps(args, a, g));
  const changed = state.before !== head || remoteUrlChanged || state.localMods || Boolean(args.archive);
  const plan: Plan = { changed, result };
  if (changed && state.before !== head) plan.diff = [{ prepared: `>> ${state.before} -> ${head}` }];
  return finish(ctx, plan, umask + steps.join('\n'), a, state.before, state.localMods ? `Local modifications exist in the destination: ${a.dest}` : undefined);
}

/** Ansible's unfrackgitpath: a URL compared without a trailing slash or `.git`. */
function unfrack(url: string): string {
  return url.replace(/\/$/, '').replace(/\.git$/, '');
}

function finish(ctx: ModuleContext, plan: Plan, script: string, a: ReturnType<typeof normalized>, before: string | undefined, msg?: string): Plan {
  return {
    ...plan,
    apply: async () => {
      // Step failures print Ansible's message on fd 3; git's own output goes to stderr.
      const res = await runText(ctx, `{ ${script}\n} 3>&1`);
      if (res.rc !== 0) return { failed: true, msg: lines(res.stdout).filter((l) => l !== 'archived' && l !== 'submodules').pop() ?? `git failed (rc ${res.rc})`, stderr: res.stderr, rc: res.rc };
      const after = (await runText(ctx, `cd -- ${quote(a.dest!)} && ${quote(a.git)} rev-parse HEAD`)).stdout.trim();
      const archived = lines(res.stdout).includes('archived');
      const submodules = lines(res.stdout).includes('submodules');
      const extra: Record<string, unknown> = { after };
      const remoteUrlChanged = plan.result?.remote_url_changed === true;
      extra.changed = before !== after || remoteUrlChanged || msg !== undefined || archived || submodules;
      if (submodules) extra.submodules_changed = true;
      if (msg) extra.msg = msg;
      if (ctx.diff && before !== after) {
        if (before === undefined) extra.diff = [{ prepared: `>> Newly checked out ${after}` }];
        else {
          const d = await runText(ctx, `cd -- ${quote(a.dest!)} && ${quote(a.git)} diff ${quote(before)} ${quote(after)}`);
          extra.diff = [{ prepared: d.rc === 0 ? (d.stdout || `>> No visual differences between ${before} and ${after}`) : `>> Failed to get proper diff between ${before} and ${after}` }];
        }
      }
      return extra;
    },
  };
}

const bool = (description: string) => ({ ...boolSchema, description });

export const git: Module<GitArgs, GitState> = {
  name: 'git',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      repo: { type: 'string', description: 'The repository: URL, host:path or a local path' },
      name: { type: 'string', description: 'Alias of repo' },
      dest: { type: 'string', description: 'Where the checkout goes' },
      version: { type: ['string', 'number'], description: 'HEAD (default), a branch, a tag or a sha' },
      remote: { type: 'string', description: 'The remote\'s name (default origin)' },
      refspec: { type: 'string', description: 'Extra refspec to fetch' },
      force: bool('Throw local modifications away'),
      depth: { type: ['integer', 'string'], description: 'Shallow clone/fetch of this many commits' },
      clone: bool('Clone when dest is not a repository (default true)'),
      update: bool('Fetch and move to version (default true)'),
      bare: bool('A bare repository'),
      reference: { type: 'string', description: 'git clone --reference' },
      single_branch: bool('git clone --single-branch'),
      recursive: bool('Submodules too (default true)'),
      track_submodules: bool('Accepted; submodules follow the recorded commits'),
      umask: { type: 'string', description: 'The umask (octal) for the git commands' },
      executable: { type: 'string', description: 'The git program' },
      key_file: { type: 'string', description: 'SSH private key for the transport' },
      ssh_opts: { type: 'string', description: 'Extra ssh options' },
      accept_hostkey: bool('StrictHostKeyChecking=no'),
      accept_newhostkey: bool('StrictHostKeyChecking=accept-new'),
      separate_git_dir: { type: 'string', description: 'git clone --separate-git-dir' },
      verify_commit: bool('Check the GPG signature of version'),
      gpg_whitelist: { type: 'array', items: { type: 'string' }, description: 'Accepted; not checked' },
      archive: { type: 'string', description: 'Write an archive (zip, tar, tar.gz, tgz by its name) of version' },
      archive_prefix: { type: 'string', description: 'Prefix of the paths in the archive' },
    },
    anyOf: [{ required: ['repo'] }, { required: ['name'] }],
  },
  doc: {
    description:
      'Clones or updates a git checkout on the host with its own git, like Ansible\'s git: version HEAD/branch/tag/sha, ' +
      'force, depth, bare, single_branch, reference, refspec, remote, submodules, umask, key_file/ssh_opts/accept_hostkey, ' +
      'separate_git_dir, verify_commit, archive. Local modifications fail the task unless force. The remote\'s refs are ' +
      'read with `git ls-remote` so check mode reports the sha a run would reach.',
    returns: {
      before: 'the sha before (null for a new clone)', after: 'the sha after', remote_url_changed: 'the remote URL was changed',
      submodules_changed: 'submodules moved', warnings: 'e.g. an ignored depth', diff: 'in diff mode: git diff before after',
    },
    example: '- name: Site content\n  git:\n    repo: /srv/git/site.git\n    dest: /var/www/site\n    version: main\n',
  },
  read: (ctx, args) => readFact(ctx, gitFact, { args }),
  plan: planGit,
};
