/**
 * Remote file operations shared by the file modules (and system modules such
 * as cron or authorized_key). Every command goes through `ctx.run`, so the
 * task's become/environment/timeout apply, and every value through `quote`.
 * Each public function costs one remote round trip.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { quote } from '../../connection/quote.js';
import type { FileDiff, ModuleContext } from '../types.js';

export interface RemoteFileState {
  path: string;
  exists: boolean;
  type?: 'file' | 'directory' | 'link' | 'other';
  /** 4-digit octal, e.g. '0644'. */
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  /** Seconds since the epoch. */
  mtime?: number;
  /** For regular files. */
  sha1?: string;
  /** When requested, for regular files up to CONTENT_LIMIT bytes. */
  content?: Buffer;
  /** For symbolic links (whatever `follow` says). */
  linkTarget?: string;
  /** For symbolic links: the fully resolved path (readlink -f), as Ansible's lnk_source. */
  realPath?: string;
  /** Inode and device numbers (hard links). */
  inode?: number;
  dev?: number;
}

export interface ReadOptions {
  /** Also return the content of regular files (base64 on the wire). */
  content?: boolean;
  /** Stat the link's target (default true); false describes the link itself. An array gives it per path. */
  follow?: boolean | boolean[];
}

/** Files larger than this are not transferred by readFileState(…, {content: true}). */
export const CONTENT_LIMIT = 16 * 1024 * 1024;

/** Thrown when a remote command fails; carries its output for the task result. */
export class RemoteCommandError extends Error {
  constructor(message: string, readonly rc: number, readonly stderr: string, readonly stdout = '') {
    super(message);
    this.name = 'RemoteCommandError';
  }
}

export async function readFileState(ctx: ModuleContext, path: string, options: ReadOptions = {}): Promise<RemoteFileState> {
  const [state] = await readFileStates(ctx, [path], options);
  return state!;
}

/**
 * Stat, hash and optionally read several paths in one command. Output is one
 * record per path; every field is either numeric, a user/group name, hex or
 * base64, so no file name or content can break the parsing.
 */
export async function readFileStates(ctx: ModuleContext, paths: string[], options: ReadOptions = {}): Promise<RemoteFileState[]> {
  if (paths.length === 0) return [];
  const followFor = (i: number) => (Array.isArray(options.follow) ? options.follow[i] !== false : options.follow !== false);
  const script = paths.map((p, i) => statScript(p, i, options.content ?? false, followFor(i))).join('\n');
  const res = await ctx.run(script, { inline: true });
  if (res.rc !== 0) {
    const why = res.timedOut ? 'timed out' : res.stderr.toString().trim() || `rc ${res.rc}, no error output (the command was cut off?)`;
    throw new RemoteCommandError(`cannot stat ${[...new Set(paths)].join(', ')}: ${why}`, res.rc, res.stderr.toString());
  }
  return parseStatRecords(res.stdout.toString('latin1'), paths);
}

const STAT_FORMAT = "'%f %a %u %g %s %Y %i %d %U %G'";

function statScript(path: string, index: number, withContent: boolean, follow: boolean): string {
  const p = quote(path);
  // With follow, a dangling link still exists (as a link) like os.lstat fallback.
  const statCmd = follow
    ? `stat -L -c ${STAT_FORMAT} -- ${p} 2>/dev/null || stat -c ${STAT_FORMAT} -- ${p}`
    : `stat -c ${STAT_FORMAT} -- ${p}`;
  const isRegular = follow ? `[ -f ${p} ]` : `[ -f ${p} ] && [ ! -L ${p} ]`;
  // With the content, its hash is computed here, not on the host.
  const hash = `printf 'H '; sha1sum < ${p} || echo;`;
  const body = withContent
    ? `if [ "$(stat -L -c %s -- ${p})" -le ${CONTENT_LIMIT} ]; then printf 'C '; base64 -w0 < ${p}; echo; else ${hash} fi`
    : hash;
  // A task's cost is mostly the processes it starts on the host: no variable
  // (so the resident shell can run this without a subshell: `inline`) and no
  // command substitution but the size check. `|| echo` ends a line whose
  // command printed nothing.
  return [
    `echo "@R ${index}"`,
    `if [ -e ${p} ] || [ -L ${p} ]; then`,
    `  printf 'S '; ${statCmd} || echo`,
    `  if [ -L ${p} ]; then printf 'L '; readlink -- ${p} | base64 -w0; echo; printf 'R '; readlink -f -- ${p} | base64 -w0; echo; fi`,
    `  if ${isRegular} && [ -r ${p} ]; then ${body} fi`,
    'fi',
  ].join('\n');
}

function parseStatRecords(out: string, paths: string[]): RemoteFileState[] {
  const states: RemoteFileState[] = paths.map((path) => ({ path, exists: false }));
  let current: RemoteFileState | undefined;
  for (const line of out.split('\n')) {
    const tag = line.slice(0, 2);
    const value = line.slice(2);
    if (tag === '@R') current = states[Number(line.slice(3))];
    else if (!current) continue;
    else if (tag === 'S ') Object.assign(current, parseStatLine(value));
    else if (tag === 'L ') current.linkTarget = Buffer.from(value, 'base64').toString('utf8').replace(/\n$/, '');
    else if (tag === 'R ') current.realPath = Buffer.from(value, 'base64').toString('utf8').replace(/\n$/, '') || undefined;
    else if (tag === 'H ') current.sha1 = /^[0-9a-f]{40}/.exec(value)?.[0];   // sha1sum prints "<hash>  -"
    else if (tag === 'C ') {
      current.content = Buffer.from(value, 'base64');
      current.sha1 = createHash('sha1').update(current.content).digest('hex');
    }
  }
  return states;
}

function parseStatLine(line: string): Partial<RemoteFileState> {
  const [rawMode, perms, uid, gid, size, mtime, inode, dev, owner, group] = line.trim().split(' ');
  if (!rawMode || !perms) return {};
  const fileType = parseInt(rawMode, 16) & 0o170000;
  const type = fileType === 0o100000 ? 'file' : fileType === 0o040000 ? 'directory' : fileType === 0o120000 ? 'link' : 'other';
  return {
    exists: true,
    type,
    mode: perms.padStart(4, '0'),
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    mtime: Number(mtime),
    inode: Number(inode),
    dev: Number(dev),
    owner,
    group,
  };
}

export interface WriteOptions {
  mode?: string | number;
  owner?: string;
  group?: string;
  /** A command with %s, run on the temp file before it replaces the destination. */
  validate?: string;
  /** Keep the old file as `path.<pid>.<timestamp>~`. */
  backup?: boolean;
  /** Write through a symbolic link to its target (default true, as lineinfile/copy do). */
  followLink?: boolean;
  /** Create missing parent folders first (lineinfile/blockinfile `create`). */
  createParents?: boolean;
  /** Copy this remote file instead of `content` (copy with remote_src). */
  sourcePath?: string;
}

/** Exit code our write script uses when the validator rejects the file. */
const VALIDATE_FAILED = 97;

/**
 * Replace `path` atomically: temp file beside it, content on stdin, owner and
 * mode set on the temp file, optional validation and backup, then `mv -f`.
 * Without an explicit mode/owner an existing file keeps its own; a new file
 * gets 0666 minus the umask (what open(2) would give, as Ansible does).
 */
export async function writeFileAtomic(
  ctx: ModuleContext,
  path: string,
  content: Buffer | string,
  options: WriteOptions = {},
): Promise<{ backup_file?: string }> {
  if (options.validate !== undefined && !options.validate.includes('%s')) {
    throw new Error(`validate must contain %s: ${options.validate}`);
  }
  const mode = options.mode === undefined ? undefined : resolveMode(options.mode, undefined, false);
  const lines = [
    'set -e',
    `p=${quote(path)}`,
    options.followLink !== false ? 'if [ -L "$p" ]; then p=$(readlink -f -- "$p"); fi' : '',
    // The folder of the real target (after following a link).
    'd=$(dirname -- "$p")',
    options.createParents ? 'mkdir -p -- "$d"' : '',
    't=$(mktemp -- "$d/.uxsv.XXXXXXXX")',
    `trap 'rm -f -- "$t"' EXIT`,
    options.sourcePath !== undefined ? `cat -- ${quote(options.sourcePath)} > "$t"` : 'cat > "$t"',
    'if [ -e "$p" ]; then chmod --reference="$p" -- "$t"; chown --reference="$p" -- "$t" 2>/dev/null || true;',
    'else chmod "$(printf %o $((0666 & ~$(umask))))" -- "$t"; fi',
    ownerCommand('"$t"', options.owner, options.group),
    mode ? `chmod ${quote(mode)} -- "$t"` : '',
    options.validate ? validateCommand(options.validate) : '',
    options.backup ? backupCommand() : '',
    'mv -f -- "$t" "$p"',
    'trap - EXIT',
  ];
  const stdin = options.sourcePath !== undefined ? undefined : typeof content === 'string' ? Buffer.from(content) : content;
  const res = await ctx.run(lines.filter(Boolean).join('\n'), stdin ? { stdin } : {});
  const stderr = res.stderr.toString();
  if (res.rc === VALIDATE_FAILED) {
    throw new RemoteCommandError(`failed to validate: ${stderr.trim()}`, res.rc, stderr);
  }
  if (res.rc !== 0) throw new RemoteCommandError(`cannot write ${path}: ${stderr.trim()}`, res.rc, stderr);
  const backupLine = res.stdout.toString().split('\n').find((l) => l.startsWith('B '));
  return backupLine ? { backup_file: Buffer.from(backupLine.slice(2), 'base64').toString('utf8') } : {};
}

function ownerCommand(target: string, owner?: string, group?: string): string {
  if (owner === undefined && group === undefined) return '';
  const spec = `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`;
  return `chown ${quote(spec)} -- ${target}`;
}

/** Ansible substitutes the temp file's path for %s; the rc and output end up in the message. */
function validateCommand(validate: string): string {
  const command = validate.split('%s').join('"$t"');
  return [
    'set +e',
    `out=$( (${command}) 2>&1 )`,
    'rc=$?',
    'set -e',
    `if [ "$rc" -ne 0 ]; then printf 'rc:%s error:%s\\n' "$rc" "$out" >&2; exit ${VALIDATE_FAILED}; fi`,
  ].join('\n');
}

/** Ansible's backup_local: `<path>.<pid>.<YYYY-mm-dd@HH:MM:SS>~`, a copy keeping attributes. */
function backupCommand(): string {
  return [
    'if [ -e "$p" ]; then b="$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$p" "$b";',
    '  printf "B %s\\n" "$(printf %s "$b" | base64 -w0)"; fi',
  ].join('\n');
}

/**
 * Normalise a mode to 4 octal digits. Accepts an octal string ('0644', '644'),
 * a number and a symbolic mode ('u+rwx,g-w,o=r'), which is computed against
 * `currentMode` locally so check mode can predict it.
 *
 * Numbers: as in Ansible, a number is the mode's value. Our YAML loader is
 * YAML 1.1 like Ansible's, so an unquoted `mode: 0644` arrives as 420 and
 * means 0644; an unquoted `mode: 644` is decimal 644 (0o1204), the pitfall
 * Ansible documents: quote modes.
 */
export function resolveMode(mode: string | number | undefined, currentMode: string | undefined, isDirectory: boolean): string | undefined {
  if (mode === undefined || mode === null) return undefined;
  if (typeof mode === 'number') {
    // As in Ansible, a number is the mode's value: YAML 1.1 reads an unquoted 0644 as 420 = 0o644.
    // (An unquoted 644 is the value 644 = 0o1204, Ansible's documented pitfall: quote modes.)
    if (Number.isInteger(mode) && mode >= 0 && mode <= 0o7777) return mode.toString(8).padStart(4, '0');
    throw new Error(`bad mode: ${mode}`);
  }
  const text = mode.trim();
  if (/^0?[0-7]{1,4}$/.test(text)) {
    const value = parseInt(text, 8);
    if (value > 0o7777) throw new Error(`bad mode: ${mode}`);
    return value.toString(8).padStart(4, '0');
  }
  const current = currentMode ? parseInt(currentMode, 8) : 0;
  return applySymbolicMode(text, current, isDirectory).toString(8).padStart(4, '0');
}

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };

/** Ansible's _symbolic_mode_to_octal: clauses applied in order, no umask; `X` uses the mode before the change. */
function applySymbolicMode(symbolic: string, current: number, isDirectory: boolean): number {
  let mode = current & 0o7777;
  for (const clause of symbolic.split(',')) {
    const m = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/.exec(clause);
    if (!m) throw new Error(`bad symbolic permission for mode: ${symbolic}`);
    const who = !m[1] || m[1].includes('a') ? 'ugo' : m[1];
    for (const op of m[2]!.matchAll(/([-+=])([rwxXstugo]*)/g)) {
      const bits = permissionBits(who, op[2]!, mode, current, isDirectory);
      const whoMask = [...who].reduce((acc, w) => acc | WHO_BITS[w]!, 0);
      if (op[1] === '+') mode |= bits;
      else if (op[1] === '-') mode &= ~bits;
      else mode = (mode & ~whoMask) | bits;
    }
  }
  return mode;
}

function permissionBits(who: string, perms: string, mode: number, original: number, isDirectory: boolean): number {
  let bits = 0;
  for (const w of who) {
    const shift = w === 'u' ? 6 : w === 'g' ? 3 : 0;
    for (const p of perms) {
      if (p === 'r') bits |= 4 << shift;
      else if (p === 'w') bits |= 2 << shift;
      else if (p === 'x') bits |= 1 << shift;
      else if (p === 'X' && (isDirectory || (original & 0o111) !== 0)) bits |= 1 << shift;
      else if (p === 's' && w === 'u') bits |= 0o4000;
      else if (p === 's' && w === 'g') bits |= 0o2000;
      else if (p === 't' && w === 'o') bits |= 0o1000;
      else if (p === 'u' || p === 'g' || p === 'o') {
        // Copy another class's current rwx bits (e.g. g=u).
        const fromShift = p === 'u' ? 6 : p === 'g' ? 3 : 0;
        bits |= ((mode >> fromShift) & 7) << shift;
      }
    }
  }
  return bits;
}

/** True for 'u+x'-style modes that must be recomputed per file when recursing. */
export function isSymbolicMode(mode: string | number | undefined): boolean {
  return typeof mode === 'string' && !/^0?[0-7]{1,4}$/.test(mode.trim());
}

export interface AttributeOptions {
  /** chown -R / chmod -R on a directory tree. */
  recurse?: boolean;
  /** false: change a symbolic link itself (chown -h); chmod cannot change a link. */
  follow?: boolean;
}

/**
 * chown/chmod in one command. `mode` is octal, or symbolic when recursing (it
 * is then passed to chmod with an explicit `a` so the umask does not apply,
 * as in Ansible).
 */
export async function setAttributes(
  ctx: ModuleContext,
  path: string,
  attrs: { mode?: string; owner?: string; group?: string },
  options: AttributeOptions = {},
): Promise<void> {
  const command = attributeCommands(path, attrs, options);
  if (!command) return;
  const res = await ctx.run(command);
  if (res.rc !== 0) throw new RemoteCommandError(`cannot set attributes of ${path}: ${res.stderr.toString().trim()}`, res.rc, res.stderr.toString());
}

/** The shell text of setAttributes (also embedded by modules that batch it with other commands). */
export function attributeCommands(path: string, attrs: { mode?: string; owner?: string; group?: string }, options: AttributeOptions = {}): string {
  const parts: string[] = [];
  const recurse = options.recurse ? ' -R' : '';
  if (attrs.owner !== undefined || attrs.group !== undefined) {
    const spec = `${attrs.owner ?? ''}${attrs.group !== undefined ? `:${attrs.group}` : ''}`;
    const noDeref = options.follow === false ? ' -h' : '';
    parts.push(`chown${recurse}${noDeref} ${quote(spec)} -- ${quote(path)}`);
  }
  if (attrs.mode !== undefined) {
    const mode = isSymbolicMode(attrs.mode) ? explicitWho(attrs.mode) : attrs.mode;
    parts.push(`chmod${recurse} ${quote(mode)} -- ${quote(path)}`);
  }
  return parts.join(' && ');
}

function explicitWho(symbolic: string): string {
  return symbolic.split(',').map((c) => (/^[-+=]/.test(c) ? `a${c}` : c)).join(',');
}

/** A unified diff of file content with Ansible's headers ("before: path"). */
export function contentDiff(path: string, before: string | undefined, after: string, header = path): FileDiff {
  const patch = createTwoFilesPatch(`before: ${header}`, `after: ${header}`, before ?? '', after, undefined, undefined, { context: 3 });
  // jsdiff starts with a "=====" rule line that Ansible's output does not have.
  const prepared = patch.replace(/^=+\n/, '');
  return { before_header: header, after_header: header, before: before ?? '', after, prepared };
}

/** before/after attribute dicts, serialised like Ansible's callback (sorted JSON, indent 4). */
export function attributeDiff(path: string, before: Record<string, unknown>, after: Record<string, unknown>, header = path): FileDiff {
  return { before_header: header, after_header: header, before: sortedJson(before), after: sortedJson(after) };
}

function sortedJson(value: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
  return `${JSON.stringify(sorted, null, 4)}\n`;
}
