/**
 * The setup fact's script and the framing of its output.
 *
 * A run's cost on a host is mostly the processes it starts, so the script
 * starts one per program it truly needs: values the shell knows are printed
 * by builtins, the small /proc, /sys and /etc files are read by one `grep -aH ''`
 * (every line prefixed with its file's name) and parsed here, and no output
 * is captured in `$(...)` or piped to base64.
 *
 * Framing: the script's first line is a token made for this read (random,
 * so no file or program output can know it), and each probe's output is
 * followed by `\n<token> <name>[ <rc>]\n`. The output of a probe is then the
 * bytes between two markers, whatever they hold (NUL bytes, newlines, text
 * that looks like a marker without the token).
 */
import { randomBytes } from 'node:crypto';
import { quote } from '../connection/quote.js';
import { VIRTUALIZATION_SCRIPT } from './virtualization.js';
import { splitOnToken } from './wire.js';

const TOKEN_PREFIX = 'uxsv-setup-';

/** The small files read together, by one grep; missing ones are simply absent from its output. */
export const SETUP_FILES = {
  debianVersion: '/etc/debian_version',
  meminfo: '/proc/meminfo',
  initComm: '/proc/1/comm',
  uptime: '/proc/uptime',
  loadavg: '/proc/loadavg',
  machineId: '/etc/machine-id',
  cmdline: '/proc/cmdline',
  resolv: '/etc/resolv.conf',
  mounts: '/proc/mounts',
  initCgroup: '/proc/1/cgroup',
  xenCapabilities: '/proc/xen/capabilities',
  vendor: '/sys/devices/virtual/dmi/id/sys_vendor',
  product: '/sys/devices/virtual/dmi/id/product_name',
  // uname -s, -n, -r and -v, as the kernel gives them to uname(2).
  ostype: '/proc/sys/kernel/ostype',
  nodename: '/proc/sys/kernel/hostname',
  osrelease: '/proc/sys/kernel/osrelease',
  version: '/proc/sys/kernel/version',
} as const;

export type SetupFile = keyof typeof SETUP_FILES;

/** uname's option for each kernel file, run only where the file cannot be read (no /proc). */
const UNAME_FALLBACK: Array<[string, SetupFile]> = [['s', 'ostype'], ['n', 'nodename'], ['r', 'osrelease'], ['v', 'version']];

export function newSetupToken(): string {
  return TOKEN_PREFIX + randomBytes(16).toString('hex');
}

/**
 * The script (POSIX sh). Every probe tolerates a missing tool or file.
 * /etc/os-release is sourced first, as a shell would, before the script's
 * own names exist. `__uxsv_m NAME` ends a probe's output.
 */
export function setupScript(factPath: string, token: string): string {
  const kernelFallback = UNAME_FALLBACK.map(([option, file]) =>
    `[ -r ${SETUP_FILES[file]} ] || { uname -${option}; __uxsv_m uname-${option}; }`).join('\n');
  return String.raw`if [ -r /etc/os-release ]; then . /etc/os-release; __uxsv_os=1; else __uxsv_os=; fi
__uxsv_t=${token}
printf '%s\n' "$__uxsv_t"
__uxsv_m() { printf '\n%s %s\n' "$__uxsv_t" "$1"; }
if [ -n "$__uxsv_os" ]; then
  printf %s "$ID"; __uxsv_m os_id; printf %s "$NAME"; __uxsv_m os_name; printf %s "$VERSION_ID"; __uxsv_m os_version_id
  printf %s "$VERSION_CODENAME"; __uxsv_m os_codename; printf %s "$PRETTY_NAME"; __uxsv_m os_pretty
fi
env -0 2>/dev/null; __uxsv_m env
LC_ALL=C grep -aH '' ${Object.values(SETUP_FILES).join(' ')} 2>/dev/null; __uxsv_m files
${kernelFallback}
hostname -f 2>/dev/null; __uxsv_m "fqdn $?"
uname -m; __uxsv_m arch
getconf LONG_BIT 2>/dev/null; __uxsv_m bits
nproc 2>/dev/null || echo 1; __uxsv_m nproc
grep -E '^(processor|model name|physical id|core id|cpu cores|siblings)' /proc/cpuinfo 2>/dev/null; __uxsv_m cpuinfo
[ -d /run/systemd/system ] && printf systemd; __uxsv_m systemd
command -v apt-get >/dev/null 2>&1 && printf apt; __uxsv_m pkg_mgr
if command -v python3 2>/dev/null; then
  __uxsv_m python
  python3 -S -c 'import sys; print("%d.%d.%d %s %d" % sys.version_info[:5])' 2>/dev/null; __uxsv_m python_version
else
  __uxsv_m python
fi
__uxsv_u=; __uxsv_g=
while read -r __uxsv_k __uxsv_r __uxsv_e __uxsv_x; do
  case $__uxsv_k in Uid:) __uxsv_u=$__uxsv_e;; Gid:) __uxsv_g=$__uxsv_e;; esac
done 2>/dev/null </proc/self/status
[ -n "$__uxsv_u" ] || __uxsv_u=$(id -u 2>/dev/null)
[ -n "$__uxsv_g" ] || __uxsv_g=$(id -g 2>/dev/null)
printf %s "$__uxsv_u"; __uxsv_m uid; printf %s "$__uxsv_g"; __uxsv_m gid
[ -n "$__uxsv_u" ] && getent passwd "$__uxsv_u" 2>/dev/null; __uxsv_m passwd
date '+%Y-%m-%d %H:%M:%S %s %Z %z %A %j %u %U %b %B %a %w %y'; __uxsv_m date
df -P -k 2>/dev/null; __uxsv_m df
${VIRTUALIZATION_SCRIPT}
[ -d /sys/kernel/security/apparmor ] && printf enabled; __uxsv_m apparmor
if command -v ip >/dev/null 2>&1; then
  ip -force -o -b - 2>/dev/null <<'__UXSV_IP__'
link show
addr show
__UXSV_IP__
  __uxsv_m ip
  ip -4 route show default 2>/dev/null; __uxsv_m route
  ip -6 route show default 2>/dev/null; __uxsv_m route6
fi
__uxsv_fp=${quote(factPath)}
` + LOCAL_FACTS_SCRIPT + '\n__uxsv_m end\n';
}

/**
 * Local facts: an executable prints its facts, another file is read as it
 * is; names the parser would drop (not [A-Za-z0-9_.-]) are not read.
 */
const LOCAL_FACTS_SCRIPT = `for __uxsv_f in "$__uxsv_fp"/*.fact; do
  [ -f "$__uxsv_f" ] || continue
  __uxsv_n=\${__uxsv_f##*/}; __uxsv_n=\${__uxsv_n%.fact}
  case $__uxsv_n in ''|*[!A-Za-z0-9_.-]*) continue;; esac
  if [ -x "$__uxsv_f" ]; then "$__uxsv_f" 2>/dev/null; else cat -- "$__uxsv_f" 2>/dev/null; fi
  __uxsv_m "local $__uxsv_n"
done`;

export interface Probe {
  /** The probe's name (the first word of its marker). */
  name: string;
  /** What follows the name in its marker (an exit code), or ''. */
  detail: string;
  out: Buffer;
}

/**
 * The probes of the script's output, in order. Output that does not start
 * with a token line (the script never ran) has none; output cut short keeps
 * the probes that ended.
 */
export function splitProbes(stdout: Buffer): Probe[] {
  const firstLine = stdout.indexOf(10);
  if (firstLine < 0) return [];
  const token = stdout.subarray(0, firstLine).toString('latin1');
  if (!new RegExp(`^${TOKEN_PREFIX}[0-9a-f]{32}$`).test(token)) return [];
  return splitOnToken(stdout.subarray(firstLine + 1), Buffer.from(`\n${token} `)).map(({ out, tail }) => {
    const space = tail.indexOf(' ');
    return { name: space < 0 ? tail : tail.slice(0, space), detail: space < 0 ? '' : tail.slice(space + 1), out };
  });
}

/**
 * `grep -aH ''` output of SETUP_FILES: each file's text by key. A file that
 * is missing, unreadable or empty is absent. Every line carries its file's
 * name, so no content can pass for another file's; a last line without a
 * newline gets one (no value here depends on it).
 */
export function splitFiles(out: string): Partial<Record<SetupFile, string>> {
  const byPath = new Map<string, SetupFile>(Object.entries(SETUP_FILES).map(([key, path]) => [`${path}:`, key as SetupFile]));
  const files: Partial<Record<SetupFile, string>> = {};
  for (const line of out.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = byPath.get(line.slice(0, colon + 1));
    if (key) files[key] = `${files[key] ?? ''}${line.slice(colon + 1)}\n`;
  }
  return files;
}

/** A value as `$(...)` gives it: NUL bytes dropped, trailing newlines removed. */
export function captured(text: string): string {
  return text.replace(/\0/g, '').replace(/\n+$/, '');
}
