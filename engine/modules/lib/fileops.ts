/**
 * Remote file operations shared by the file modules (and system modules such
 * as cron or authorized_key). Every command goes through `ctx.run`, so the
 * task's become/environment/timeout apply, and every value through `quote`.
 * Each public function costs one remote round trip.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import { quote } from '../../connection/quote.js';
import { readFact, type FactRequest } from '../../facts/index.js';
import { fileFact, parseStatLineIn, statLineCommand, type ChecksumAlgorithm, type FileQuery, type RemoteFileState } from '../../facts/file.js';
import type { FileDiff, ModuleContext } from '../types.js';

export type { RemoteFileState } from '../../facts/file.js';
export { CONTENT_LIMIT } from '../../facts/file.js';

export interface ReadOptions {
  /** Also return the content of regular files (base64 on the wire). */
  content?: boolean;
  /** Stat the link's target (default true); false describes the link itself. An array gives it per path. */
  follow?: boolean | boolean[];
  /** Checksum algorithm of regular files (default sha1; false: none). */
  checksum?: ChecksumAlgorithm | false;
}

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

/** Stat, hash and optionally read several paths in one command (the `file` fact). */
export async function readFileStates(ctx: ModuleContext, paths: string[], options: ReadOptions = {}): Promise<RemoteFileState[]> {
  if (paths.length === 0) return [];
  return readFact(ctx, fileFact, fileQueries(paths, options));
}

/** The fact readFileState reads (a module's `readAhead`). */
export function fileStateRequest(path: string, options: ReadOptions = {}): FactRequest {
  return [fileFact, fileQueries([path], options)];
}

/** The `file` fact's queries for readFileStates' arguments. */
export function fileQueries(paths: string[], options: ReadOptions = {}): FileQuery[] {
  return paths.map((path, i) => ({
    path,
    follow: Array.isArray(options.follow) ? options.follow[i] !== false : options.follow !== false,
    ...(options.content ? { content: true } : {}),
    ...(options.checksum !== undefined ? { checksum: options.checksum } : {}),
  }));
}

export interface WriteOptions {
  mode?: string | number;
  owner?: string;
  group?: string;
  /** A command with %s, run on the temp file before it replaces the destination. */
  validate?: string;
  /** Keep the old file as `path.<pid>.<timestamp>~`. */
  backup?: boolean;
  /**
   * Write through a symbolic link to its target (default true, as lineinfile
   * does); false replaces the link itself with the file (copy and template
   * without `follow`), so a link planted at the destination redirects nothing.
   */
  followLink?: boolean;
  /** Create missing parent folders first (lineinfile/blockinfile `create`). */
  createParents?: boolean;
  /** Copy this remote file instead of `content` (copy with remote_src). */
  sourcePath?: string;
  /** What sourcePath must hold (its size and sha1 as read before): the copy is checked against it. */
  expect?: { size: number; sha1: string };
  /** Give the new file the source's times (copy remote_src, as shutil.copystat; the mode follows the destination). */
  keepSourceStat?: boolean;
}

export interface WriteOutcome {
  backup_file?: string;
  /** The written path (a link's target when following) and its lstat afterwards. */
  final: RemoteFileState;
}

/** Exit code our write script uses when the validator rejects the file. */
const VALIDATE_FAILED = 97;
/** Exit code when the temp file is not exactly what was meant (cut-off input, changed source). */
const INCOMPLETE = 98;

/**
 * Replace `path` atomically: temp file beside it, content on stdin, owner and
 * mode set on the temp file, optional validation and backup, then `mv -f`.
 * Without an explicit mode/owner an existing file keeps its own; a new file
 * gets 0666 minus the umask (what open(2) would give, as Ansible does).
 *
 * Nothing half-written ever replaces the file: the host checks the temp
 * file's size and sha1 against what was sent before renaming it, and removes
 * it when anything is short or wrong, including when the connection dies
 * mid-transfer (stdin then ends early, or the shell gets SIGHUP/SIGPIPE).
 */
export async function writeFileAtomic(
  ctx: ModuleContext,
  path: string,
  content: Buffer | string,
  options: WriteOptions = {},
): Promise<WriteOutcome> {
  if (options.validate !== undefined && !options.validate.includes('%s')) {
    throw new Error(`validate must contain %s: ${options.validate}`);
  }
  const bytes = options.sourcePath !== undefined ? undefined : typeof content === 'string' ? Buffer.from(content) : content;
  const res = await ctx.run(writeScript(path, bytes, options), bytes ? { stdin: bytes } : {});
  const stderr = res.stderr.toString();
  if (res.rc === VALIDATE_FAILED) {
    const lines = res.stdout.toString().split('\n');
    const rc = Number(lines.find((l) => l.startsWith('VR '))?.slice(3) ?? 1);
    throw new ValidationError(rc, tagged(lines, 'VO'), tagged(lines, 'VE'));
  }
  if (res.rc !== 0) {
    const why = res.timedOut ? 'timed out' : stderr.trim() || `rc ${res.rc}`;
    throw new RemoteCommandError(`cannot write ${path}: ${why}`, res.rc, stderr);
  }
  const lines = res.stdout.toString().split('\n');
  const backupLine = lines.find((l) => l.startsWith('B '));
  const finalLine = lines.find((l) => l.startsWith('P '));
  const finalPath = finalLine ? Buffer.from(finalLine.slice(2), 'base64').toString('utf8') : path;
  const outcome: WriteOutcome = { final: parseStatLineIn(finalPath, res.stdout) };
  if (backupLine) outcome.backup_file = Buffer.from(backupLine.slice(2), 'base64').toString('utf8');
  return outcome;
}

/**
 * The shell text of writeFileAtomic. `content` is what goes on stdin (its
 * size and sha1 are checked on the host); undefined with `sourcePath`.
 */
export function writeScript(path: string, content: Buffer | undefined, options: WriteOptions = {}): string {
  const mode = options.mode === undefined ? undefined : resolveMode(options.mode, undefined, false);
  const expected = content !== undefined
    ? { size: content.length, sha1: createHash('sha1').update(content).digest('hex') }
    : options.expect;
  const lines = [
    `p=${quote(path)}`,
    options.followLink !== false ? 'if [ -L "$p" ]; then p=$(readlink -f -- "$p") || exit 1; fi' : '',
    // The folder of the real target (after following a link).
    'd=$(dirname -- "$p")',
    options.createParents ? 'mkdir -p -- "$d" || exit 1' : '',
    // Any way out removes the temp file: a failure, the end, or the signals a
    // dying connection brings (SIGHUP from sshd, SIGPIPE writing to it). The
    // traps come first and the name is chosen here, so there is no moment when
    // the file exists and the shell would not remove it.
    `t="$d/.uxsv.${randomBytes(6).toString('hex')}"`,
    `trap 'rm -f -- "$t" "$t.e"' EXIT`,
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM",
    // Created exclusively (noclobber: O_EXCL, so never through a planted link), private until its mode is set.
    'um=$(umask); umask 077; set -C; { : > "$t"; } || { t=; exit 1; }; set +C; umask "$um"',
    options.sourcePath !== undefined ? `cat -- ${quote(options.sourcePath)} > "$t" || exit 1` : 'cat > "$t" || exit 1',
    options.sourcePath !== undefined && options.keepSourceStat ? `touch -r ${quote(options.sourcePath)} -- "$t" || exit 1` : '',
    expected ? verifyCommand(expected, options.sourcePath !== undefined) : '',
    'if [ -e "$p" ]; then chmod --reference="$p" -- "$t" || exit 1; chown --reference="$p" -- "$t" 2>/dev/null || :;',
    'else chmod "$(printf %o $((0666 & ~0$um)))" -- "$t" || exit 1; fi',
    ownerCommand('"$t"', options.owner, options.group),
    mode ? `chmod ${quote(mode)} -- "$t" || exit 1` : '',
    options.validate ? validateCommand(options.validate) : '',
    options.backup ? backupCommand() : '',
    'mv -f -- "$t" "$p" || exit 1',
    'trap - EXIT',
    // What the file is now, for the result (one round trip for the write and its report).
    'printf "P %s\\n" "$(printf %s "$p" | base64 -w0)"',
    statLineCommand('"$p"'),
  ];
  return lines.filter(Boolean).join('\n');
}

/** The temp file must be exactly what was sent: same size, same sha1. */
function verifyCommand(expected: { size: number; sha1: string }, fromSource: boolean): string {
  const what = fromSource ? 'the source changed while it was copied' : 'the content arrived incomplete';
  return [
    'n=$(stat -c %s -- "$t") || exit 1',
    `if [ "$n" != ${expected.size} ]; then echo "${what}: $n of ${expected.size} bytes" >&2; exit ${INCOMPLETE}; fi`,
    'h=$(sha1sum < "$t") || exit 1',
    `if [ "\${h%% *}" != ${expected.sha1} ]; then echo "${what}: sha1 \${h%% *}, expected ${expected.sha1}" >&2; exit ${INCOMPLETE}; fi`,
  ].join('\n');
}

function ownerCommand(target: string, owner?: string, group?: string): string {
  if (owner === undefined && group === undefined) return '';
  const spec = `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`;
  return `chown ${quote(spec)} -- ${target} || exit 1`;
}

/**
 * Ansible substitutes the temp file's path for %s. The validator's stdout,
 * stderr and exit code come back base64-encoded on tagged lines, so modules
 * can word the failure as Ansible does (they differ).
 */
function validateCommand(validate: string): string {
  const command = validate.split('%s').join('"$t"');
  return [
    `vo=$( (${command}) 2>"$t.e" </dev/null ); vr=$?`,
    'if [ "$vr" -ne 0 ]; then',
    '  printf "VO %s\\n" "$(printf %s "$vo" | base64 -w0)"; printf "VE %s\\n" "$(base64 -w0 < "$t.e")"; printf "VR %s\\n" "$vr"',
    `  exit ${VALIDATE_FAILED}`,
    'fi',
    'rm -f -- "$t.e"',
  ].join('\n');
}

/** The validator rejected the new content (rc != 0). */
export class ValidationError extends RemoteCommandError {
  constructor(rc: number, readonly validatorStdout: string, readonly validatorStderr: string) {
    super(`failed to validate: rc:${rc} error:${validatorStderr}`, rc, validatorStderr, validatorStdout);
    this.name = 'ValidationError';
  }
}

function tagged(lines: string[], tag: string): string {
  const line = lines.find((l) => l.startsWith(`${tag} `));
  return line ? Buffer.from(line.slice(tag.length + 1), 'base64').toString('utf8') : '';
}

/** Ansible's backup_local: `<path>.<pid>.<YYYY-mm-dd@HH:MM:SS>~`, a copy keeping attributes. */
function backupCommand(): string {
  return [
    'if [ -e "$p" ]; then b="$p.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$p" "$b" || exit 1;',
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

/**
 * A private temp file for a host command, named here so the command's
 * cleanup trap can be set before it exists: `name` is the assignment
 * (`var="<folder>/.uxsv.<random>"`), `create` makes it exclusively, 0600.
 * Between them goes the trap that removes it.
 */
export function privateTemp(variable: string, folderExpression = '"${TMPDIR:-/tmp}"'): { name: string; create: string } {
  return {
    name: `${variable}=${folderExpression}/.uxsv.${randomBytes(6).toString('hex')}`,
    create: `(umask 077; set -C; : > "$${variable}") || { ${variable}=; exit 1; }`,
  };
}
