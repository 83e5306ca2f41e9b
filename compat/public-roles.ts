/**
 * Public roles under both engines, on the lab (`npm run compat:roles`): each
 * role of compat/public-roles.json, at its pinned commit, runs twice under
 * ansible-playbook on uxsv02 and twice under uxsv on uxsv03 (two hosts from
 * the same image), then the end states are compared: the files below the
 * role's paths (type, mode, owner, group, content with the host's name
 * written as {host}), the units' enabled and active states, and the
 * packages' versions. The second runs must change nothing.
 *
 * Run by hand, as root, with the lab up and fresh (the roles change the
 * hosts; `uxsv lab down && uxsv lab up` afterwards): not part of CI, because
 * the roles are not in this repository and CI has no network to fetch them.
 * The hosts have no network either: the packages a role installs are
 * downloaded here (apt-get download, with the dependencies the host's apt
 * asks for) and put into the hosts' apt cache; python3-apt (which Ansible's
 * apt module needs) is installed on both.
 *
 * Options: --mirror DIR (git mirrors as OWNER+NAME/repo or DIR/NAME, default
 * /work/.mirror), --only NAME, --report FILE (markdown, default
 * docs/public-roles.md).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from '../engine/connection/quote.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const UXSV = join(ROOT, 'dist/uxsv.mjs');
const KEY = '/var/lib/uxsv-lab/id_ed25519';
const KNOWN_HOSTS = '/var/lib/uxsv-lab/known_hosts';
const HOSTS = { ansible: { name: 'uxsv02', address: '198.51.100.112' }, uxsv: { name: 'uxsv03', address: '198.51.100.113' } } as const;
type Engine = keyof typeof HOSTS;
const SSH_OPTIONS = [
  '-o', 'ProxyCommand=ip netns exec uxsv-lab socat - TCP:%h:%p,nodelay', '-o', `UserKnownHostsFile=${KNOWN_HOSTS}`,
  '-o', 'StrictHostKeyChecking=yes', '-o', 'IdentitiesOnly=yes', '-i', KEY,
];

interface RoleSpec {
  name: string;
  repo: string;
  commit: string;
  packages: string[];
  vars?: Record<string, unknown>;
  compare: { paths: string[]; units: string[]; packages: string[] };
}

interface RunResult { code: number; changed: number; failed: number; seconds: number; tail: string }

function sh(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

const onHost = (engine: Engine, script: string, input?: string | Buffer) =>
  sh('ssh', [...SSH_OPTIONS, `root@${HOSTS[engine].address}`, script], { input });

/** The role's files at the pinned commit, from a git mirror. */
async function extractRole(role: RoleSpec, mirror: string, rolesDir: string): Promise<void> {
  const candidates = [join(mirror, role.repo.replace('/', '+'), 'repo'), join(mirror, role.repo.split('/')[1]!, '.git'), join(mirror, role.repo.split('/')[1]!)];
  const gitDir = candidates.find((c) => existsSync(c));
  if (!gitDir) throw new Error(`${role.name}: no mirror of ${role.repo} under ${mirror}`);
  const target = join(rolesDir, role.name);
  mkdirSync(target, { recursive: true });
  const archive = await sh('sh', ['-c', `git --git-dir=${quote(gitDir)} archive ${quote(role.commit)} | tar -x -C ${quote(target)}`]);
  if (archive.code !== 0) throw new Error(`${role.name}: cannot extract ${role.commit}: ${archive.stderr}`);
}

const copied: Record<Engine, Set<string>> = { ansible: new Set(), uxsv: new Set() };

/** Puts the packages (and what the host's apt would install with them) into both hosts' apt caches. */
async function providePackages(packages: string[], cache: string): Promise<void> {
  for (const engine of Object.keys(HOSTS) as Engine[]) {
    const plan = await onHost(engine, `apt-get -s install ${packages.map(quote).join(' ')}`);
    const wanted = [...plan.stdout.matchAll(/^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/gm)].map((m) => `${m[1]}=${m[2]}`);
    if (!wanted.length) continue;
    const download = await sh('apt-get', ['download', ...wanted], { cwd: cache });
    if (download.code !== 0) throw new Error(`apt-get download ${wanted.join(' ')}: ${download.stderr}`);
    for (const deb of readdirSync(cache).filter((f) => f.endsWith('.deb') && !copied[engine].has(f))) {
      copied[engine].add(deb);
      const copy = await onHost(engine, `cat > /var/cache/apt/archives/${quote(deb)}`, readFileSync(join(cache, deb)));
      if (copy.code !== 0) throw new Error(`copy ${deb} to ${HOSTS[engine].name}: ${copy.stderr}`);
    }
  }
}

function recap(output: string, host: string): { changed: number; failed: number } {
  const line = new RegExp(`^${host}\\s*:.*changed=(\\d+).*failed=(\\d+)`, 'm').exec(output);
  return line ? { changed: Number(line[1]), failed: Number(line[2]) } : { changed: -1, failed: -1 };
}

async function runEngine(engine: Engine, work: string): Promise<RunResult> {
  const host = HOSTS[engine].name;
  const started = Date.now();
  const args = ['-i', join(work, 'hosts.yml'), '-l', host, join(work, 'site.yml')];
  const env = { ...process.env, ANSIBLE_ROLES_PATH: join(work, 'roles'), ANSIBLE_NOCOLOR: '1', ANSIBLE_RETRY_FILES_ENABLED: 'False', NO_COLOR: '1' };
  const res = engine === 'ansible'
    ? await sh('ansible-playbook', args, { cwd: work, env })
    : await sh('node', [UXSV, 'play', ...args], { cwd: work, env });
  const output = res.stdout + res.stderr;
  return { code: res.code, ...recap(res.stdout, host), seconds: (Date.now() - started) / 1000, tail: output.split('\n').filter((l) => /fatal|ERROR|failed:/.test(l)).slice(0, 5).join('\n') };
}

/** The end state a role left: files (content with the host's name replaced), units, package versions. */
async function endState(engine: Engine, role: RoleSpec): Promise<Map<string, string>> {
  const host = HOSTS[engine].name;
  const paths = role.compare.paths.map(quote).join(' ');
  const script = [
    `find ${paths} -xdev 2>/dev/null | sort | while IFS= read -r p; do`,
    `  if [ -f "$p" ] && [ ! -L "$p" ] && [ "$(stat -c %s "$p")" -lt 1048576 ]; then s=$(sed "s/${host}/{host}/g" "$p" | sha1sum | cut -c1-12); else s=-; fi`,
    `  printf 'file %s %s\\n' "$p" "$(stat -c '%F %a %U %G' "$p") $s $(readlink "$p")"`,
    'done',
    ...role.compare.units.map((u) => `printf 'unit %s %s %s\\n' ${quote(u)} "$(systemctl is-enabled ${quote(u)} 2>/dev/null)" "$(systemctl is-active ${quote(u)} 2>/dev/null)"`),
    ...role.compare.packages.map((p) => `printf 'package %s %s\\n' ${quote(p)} "$(dpkg-query -W -f '\${Version} \${Status}' ${quote(p)} 2>/dev/null)"`),
  ].join('\n');
  const res = await onHost(engine, script);
  const state = new Map<string, string>();
  for (const line of res.stdout.split('\n').filter(Boolean)) {
    const [kind, key, ...rest] = line.split(' ');
    state.set(`${kind} ${key}`, rest.join(' '));
  }
  return state;
}

function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(key) !== b.get(key)) out.push(`${key}: ansible-playbook ${a.get(key) ?? '(absent)'} / uxsv ${b.get(key) ?? '(absent)'}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const mirror = option('--mirror') ?? '/work/.mirror';
  const only = option('--only');
  const reportFile = option('--report') ?? join(ROOT, 'docs/public-roles.md');
  const config = JSON.parse(readFileSync(join(ROOT, 'compat/public-roles.json'), 'utf8')) as { roles: RoleSpec[] };
  const roles = config.roles.filter((r) => !only || r.name === only);
  const work = mkdtempSync(join(tmpdir(), 'uxsv-public-roles-'));
  const cache = join(work, 'debs');
  mkdirSync(cache);
  mkdirSync(join(work, 'roles'));
  const hostLines = Object.values(HOSTS).map((h) => `    ${h.name}: { ansible_host: ${h.address} }`).join('\n');
  writeFileSync(join(work, 'hosts.yml'), `all:\n  hosts:\n${hostLines}\n  vars:\n    ansible_user: root\n    ansible_ssh_private_key_file: ${KEY}\n` +
    `    ansible_ssh_common_args: >-\n      -o ProxyCommand="ip netns exec uxsv-lab socat - TCP:%h:%p,nodelay" -o UserKnownHostsFile=${KNOWN_HOSTS} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes\n` +
    '    ansible_python_interpreter: /usr/bin/python3\n');
  console.log(`work folder ${work}`);
  await providePackages(['python3-apt'], cache);
  for (const engine of Object.keys(HOSTS) as Engine[]) {
    // Offline: the lists are as old as the image; a cache_valid_time must not send apt to the network.
    await onHost(engine, 'apt-get install -y --no-download python3-apt >/dev/null && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp');
  }
  const rows: string[] = [];
  const notes: string[] = [];
  for (const role of roles) {
    console.log(`== ${role.name} at ${role.commit.slice(0, 12)}`);
    await extractRole(role, mirror, join(work, 'roles'));
    await providePackages(role.packages, cache);
    const vars = role.vars ? `  vars: ${JSON.stringify(role.vars)}\n` : '';
    writeFileSync(join(work, 'site.yml'), `- hosts: all\n  become: true\n${vars}  roles:\n    - ${role.name}\n`);
    const runs: Record<Engine, RunResult[]> = { ansible: [], uxsv: [] };
    for (const engine of Object.keys(HOSTS) as Engine[]) {
      for (let i = 0; i < 2; i++) runs[engine].push(await runEngine(engine, work));
    }
    const diff = differences(await endState('ansible', role), await endState('uxsv', role));
    const cell = (r: RunResult) => `${r.code === 0 ? 'ok' : `exit ${r.code}`}, changed ${r.changed} (${r.seconds.toFixed(1)} s)`;
    const same = diff.length === 0 ? 'same' : `${diff.length} difference(s)`;
    rows.push(`| ${role.name} | \`${role.commit.slice(0, 12)}\` | ${cell(runs.ansible[0]!)} | ${cell(runs.ansible[1]!)} | ${cell(runs.uxsv[0]!)} | ${cell(runs.uxsv[1]!)} | ${same} |`);
    for (const [engine, list] of Object.entries(runs)) for (const r of list) if (r.tail) notes.push(`- ${role.name}, ${engine}: \`${r.tail.replace(/\n/g, ' ').slice(0, 400)}\``);
    for (const d of diff) notes.push(`- ${role.name}: ${d}`);
    console.log(rows.at(-1));
  }
  const report = [
    '# Public roles under both engines',
    '',
    'Written by `npm run compat:roles` (compat/public-roles.ts) on the lab: each role at its pinned commit, twice under',
    'ansible-playbook 2.14 on uxsv02 and twice under uxsv on uxsv03, then the end states compared (files below the',
    'role\'s paths with their type, mode, owner, group and content, units\' enabled/active states, package versions).',
    '',
    '| role | commit | ansible-playbook, 1st run | 2nd run | uxsv, 1st run | 2nd run | end state |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(notes.length ? ['Failures and differences:', '', ...notes, ''] : []),
  ].join('\n');
  writeFileSync(reportFile, report);
  console.log(`\nwrote ${reportFile}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
