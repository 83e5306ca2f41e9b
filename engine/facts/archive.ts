/**
 * The `archive` fact: which of Ansible's unarchive handlers can read an
 * archive on the host (zip with unzip and zipinfo, or unzip -Z; GNU tar
 * plain, gzip, bzip2, xz, zstd), the files it holds, and how it compares with
 * the destination folder (tar --diff, or for zip the lstat of each entry and
 * whether its content is the same). Tagged NUL-separated records.
 */
import { randomBytes } from 'node:crypto';
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export type HandlerName = 'ZipArchive' | 'ZipZArchive' | 'TgzArchive' | 'TarArchive' | 'TarBzipArchive' | 'TarXzArchive' | 'TarZstdArchive';

/** The tar handlers and their compression flag, in Ansible's order. */
export const TAR_HANDLERS: Array<[HandlerName, string]> = [
  ['TgzArchive', '-z'], ['TarArchive', ''], ['TarBzipArchive', '-j'], ['TarXzArchive', '-J'], ['TarZstdArchive', '--use-compress-program=zstd'],
];

export interface ArchiveQuery {
  /** Shell text of the archive path (quoted, or a variable). */
  archive: string;
  /** The path as shown in messages. */
  shown: string;
  dest: string;
  excludes: string[];
  includes: string[];
  extraOpts: string[];
  owner?: string;
  group?: string;
  keepNewer: boolean;
  /** Only find the handler and list (check mode with tar stops there). */
  listOnly?: boolean;
}

export interface ZipEntry {
  /** zipinfo -T -s line fields. */
  perm: string;
  size: number;
  stamp: string;
  path: string;
  /** lstat of dest/path: '%f %a %u %g %s %.9Y %U %G', or undefined when missing. */
  stat?: { mode: number; perms: number; uid: number; gid: number; size: number; mtime: number; owner: string; group: string };
  /** The content equals the entry's (regular files only). */
  same?: boolean;
}

export interface ArchiveProbe {
  handler?: HandlerName;
  /** Why each handler could not read it. */
  reasons: string[];
  /** The tar (or unzip) program found. */
  program?: string;
  /** Names in the archive, as the handler lists them (excludes applied for tar). */
  files: string[];
  /** tar --diff output lines (stdout and stderr). */
  diffLines: string[];
  zipEntries: ZipEntry[];
  zipinfoRc?: number;
}

function tarArgs(q: ArchiveQuery, flag: string, action: string): string {
  return [
    '"$t"', action, '-C', quote(q.dest), flag,
    ...(q.extraOpts.length ? ['--show-transformed-names', ...q.extraOpts.map(quote)] : []),
    ...(action === '--list' ? [] : [
      ...(q.owner ? [quote(`--owner=${q.owner}`)] : []), ...(q.group ? [quote(`--group=${q.group}`)] : []),
      ...(q.keepNewer ? ['--keep-newer-files'] : []),
    ]),
    ...q.excludes.map((e) => quote(`--exclude=${e.replace(/\/+$/, '')}`)),
    '-f', q.archive, ...q.includes.map(quote),
  ].filter((w) => w !== '').join(' ');
}

function zipScript(q: ArchiveQuery, zipinfo: string): string {
  const exclude = q.excludes.length ? ` -x ${q.excludes.map(quote).join(' ')}` : '';
  const include = q.includes.length ? ` ${q.includes.map(quote).join(' ')}` : '';
  const d = quote(q.dest.replace(/\/+$/, '') || '/');
  return [
    `  printf 'L\\0'; ${zipinfo} -1 ${q.archive}${exclude}${include} 2>/dev/null | tr '\\n' '\\0'; printf 'E\\0'`,
    q.listOnly ? '' : [
      `  ${zipinfo} -T -s ${q.archive}${exclude}${include} 2>/dev/null > "$z.i"; printf 'I\\0%s\\0' "$?"`,
      // Each entry: its line, the lstat of its path under dest, and whether the content is the same.
      `  set -f; while IFS= read -r line; do set -- $line; [ $# -ge 8 ] || continue`,
      '    f=${line#*"$7 "}; printf \'Z\\0%s\\0\' "$line"',
      `    if [ -e ${d}/"$f" ] || [ -L ${d}/"$f" ]; then stat --printf '%f %a %u %g %s %.9Y %U %G' -- ${d}/"$f"; fi; printf '\\0'`,
      `    if [ -f ${d}/"$f" ] && [ ! -L ${d}/"$f" ]; then if unzip -p ${q.archive} "$f" 2>/dev/null | cmp -s - ${d}/"$f"; then printf 1; else printf 0; fi; fi; printf '\\0'`,
      '  done < "$z.i"; rm -f "$z.i"',
    ].join('\n'),
  ].filter(Boolean).join('\n');
}

export const archiveFact: Fact<ArchiveQuery, ArchiveProbe> = {
  name: 'archive',
  command: (q) => {
    const tarTries = TAR_HANDLERS.map(([name, flag]) => [
      'if [ -z "$h" ]; then',
      flag.startsWith('--use-compress-program=')
        ? "  if ! command -v zstd >/dev/null 2>&1; then printf 'R\\0%s\\0' \"Unable to find required 'zstd' binary in the path.\"; else"
        : '  if :; then',
      `    if out=$(${tarArgs(q, flag, '--list')} 2>"$z.e"); then`,
      `      if [ -n "$out" ]; then h=${name}; f=${quote(flag)}; else printf 'R\\0Command "%s" found no files in archive. Empty archive files are not supported.\\0' "$t"; fi`,
      `    else printf 'R\\0Command "%s" could not handle archive: Unable to list files in the archive: %s\\0' "$t" "$(cat "$z.e")"; fi`,
      '  fi',
      'fi',
    ].join('\n'));
    return [
      // Private scratch files, named here (not guessable), made exclusively after the cleanup trap.
      `z="\${TMPDIR:-/tmp}/.uxsv.${randomBytes(6).toString('hex')}"`,
      'trap \'rm -f -- "$z" "$z.e" "$z.i"\' EXIT',
      '(umask 077; set -C; : > "$z" && : > "$z.e" && : > "$z.i") || exit 1',
      'h=',
      // zip: unzip and zipinfo (else unzip -Z), as Ansible's ZipArchive and ZipZArchive.
      'm=; command -v unzip >/dev/null 2>&1 || m=unzip',
      'if ! command -v zipinfo >/dev/null 2>&1; then if [ -n "$m" ]; then m="$m\' or \'zipinfo"; else m=zipinfo; fi; fi',
      'if [ -z "$m" ]; then',
      `  if unzip -l ${q.archive} >/dev/null 2>"$z.e"; then h=ZipArchive; zi=zipinfo; else printf 'R\\0Command "%s" could not handle archive: %s\\0' "$(command -v unzip)" "$(cat "$z.e")"; fi`,
      "else printf 'R\\0Unable to find required \\047%s\\047 binary in the path.\\0' \"$m\"; fi",
      'if [ -z "$h" ] && command -v unzip >/dev/null 2>&1; then',
      `  if unzip -l ${q.archive} >/dev/null 2>&1 && unzip -Z 2>/dev/null | grep -qi zipinfo; then h=ZipZArchive; zi='unzip -Z'; fi`,
      'fi',
      // GNU tar for the tar handlers.
      'if [ -z "$h" ]; then',
      '  t=$(command -v gtar || command -v tar)',
      "  if [ -z \"$t\" ]; then printf 'R\\0%s\\0' \"Unable to find required 'gtar' or 'tar' binary in the path\"; h=none",
      "  elif ! \"$t\" --version 2>/dev/null | head -n 1 | grep -q GNU; then printf 'R\\0Command \"%s\" detected as tar type %s. GNU tar required.\\0' \"$t\" \"$(\"$t\" --version 2>/dev/null | grep -q bsdtar && echo bsd || echo None)\"; h=none",
      '  fi',
      'fi',
      ...tarTries,
      'if [ "$h" = none ]; then h=; fi',
      "printf 'H\\0%s\\0' \"$h\"",
      'case "$h" in',
      "  Zip*) printf 'P\\0%s\\0' \"$(command -v unzip)\"",
      zipScript(q, '$zi'),
      '  ;;',
      "  Tar*|Tgz*) printf 'P\\0%s\\0L\\0' \"$t\"; printf '%s\\n' \"$out\" | tr '\\n' '\\0'; printf 'E\\0'",
      q.listOnly ? '' : `    printf 'D\\0'; ${tarArgs(q, '$f', '--diff').replace(' $f ', ' ${f:+"$f"} ')} 2>&1 | tr '\\n' '\\0'; printf 'E\\0'`,
      '  ;;',
      'esac',
    ].filter(Boolean).join('\n');
  },
  parse(output: FactOutput): ArchiveProbe {
    const f = output.stdout.toString('utf8').split('\0');
    const probe: ArchiveProbe = { reasons: [], files: [], diffLines: [], zipEntries: [] };
    for (let i = 0; i < f.length; i++) {
      const tag = f[i];
      if (tag === 'R') probe.reasons.push(f[++i] ?? '');
      else if (tag === 'H') {
        const name = f[++i];
        if (name) probe.handler = name as HandlerName;
      } else if (tag === 'P') probe.program = f[++i];
      else if (tag === 'L' || tag === 'D') {
        const into = tag === 'L' ? probe.files : probe.diffLines;
        while (i + 1 < f.length && f[i + 1] !== 'E') {
          const value = f[++i]!;
          if (value !== '') into.push(value);
        }
        i++;
      } else if (tag === 'I') probe.zipinfoRc = Number(f[++i]);
      else if (tag === 'Z' && i + 3 < f.length) {
        const line = f[++i]!;
        const stat = f[++i]!;
        const same = f[++i]!;
        const parts = line.trim().split(/\s+/);
        if (parts.length < 8) continue;
        const path = line.slice(line.indexOf(parts[6]!) + parts[6]!.length + 1);
        const entry: ZipEntry = { perm: parts[0]!, size: Number(parts[3]), stamp: parts[6]!, path };
        const s = stat.split(' ');
        if (s.length >= 8) {
          entry.stat = {
            mode: parseInt(s[0]!, 16), perms: parseInt(s[1]!, 8), uid: Number(s[2]), gid: Number(s[3]), size: Number(s[4]),
            mtime: Number(s[5]), owner: s[6] === 'UNKNOWN' ? '' : s[6]!, group: s[7] === 'UNKNOWN' ? '' : s[7]!,
          };
        }
        if (same !== '') entry.same = same === '1';
        probe.zipEntries.push(entry);
      }
    }
    return probe;
  },
};
