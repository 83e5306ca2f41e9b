/**
 * The benchmark's peers (bench/run.ts): the same playbooks on the same hosts,
 * in one run, under uxsv, ansible-playbook (Debian's ansible-core) and
 * Ansible with Mitogen (its `mitogen_linear` strategy), each run timed from
 * the shell, a new process per run.
 *
 * Configured as an operator would: the repository's ansible.cfg (the runs
 * start in the repository's root), pipelining on, Ansible's own SSH settings
 * otherwise (ControlPersist 60 s, so its runs after the first reuse their
 * connections); uxsv with its default kept connections (the multiplexer). Each
 * engine makes one untimed run first (it changes what there is to change and
 * opens the kept connections), then the timed runs, which must change nothing.
 * Each engine writes into a folder of its own, so no engine sees another's files.
 *
 * Mitogen is a Python package used from a checkout (no pip): MITOGEN_PATH, else
 * /work/ref/mitogen; without one its rows say so and the bench goes on.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const pexecFile = promisify(execFile);

export const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
export const MITOGEN_HINT = 'set MITOGEN_PATH to a checkout of mitogen-hq/mitogen';
const MITOGEN_PLACES = ['/work/ref/mitogen'];
const MITOGEN_STRATEGY_DIR = 'ansible_mitogen/plugins/strategy';
/** Ansible's output may be long (a failure's result); what an error quotes of it. */
const OUTPUT_TAIL = 2000;

/** One engine of the comparison; `skipped` says why it does not run here. */
export interface Engine {
  name: string;
  /** argv before the playbook's own arguments (-i, -f, -e, the playbook). */
  command: string[];
  env: Record<string, string>;
  skipped?: string;
}

/** What a peer run gives: wall time, and the recap read from its output. */
export interface PeerRun {
  wallMs: number;
  exitCode: number;
  hosts: number;
  changed: number;
  failed: number;
}

/** A playbook run the same way by every engine. */
export interface PeerCase {
  label: string;
  playbook: string;
  /** Extra variables, e.g. the folder the synthetic playbook writes into; `{engine}` becomes the engine's name. */
  extraVars?: Record<string, string>;
}

/** Where Mitogen's checkout is (the folder holding ansible_mitogen/), or why there is none. */
export function findMitogen(env: NodeJS.ProcessEnv = process.env): { path: string } | { skipped: string } {
  const given = env['MITOGEN_PATH'];
  const candidates = given ? [given] : MITOGEN_PLACES;
  for (const candidate of candidates) {
    if (existsSync(join(candidate, MITOGEN_STRATEGY_DIR, 'mitogen_linear.py'))) return { path: candidate };
  }
  if (given) return { skipped: `skipped: no ${MITOGEN_STRATEGY_DIR}/mitogen_linear.py under MITOGEN_PATH=${given} (${MITOGEN_HINT})` };
  return { skipped: `skipped: Mitogen not found (${MITOGEN_HINT})` };
}

/**
 * ansible-playbook and Ansible with Mitogen, as an operator would run them.
 * Their SSH control sockets go to `scratch` (Ansible's ControlPersist masters
 * end on their own 60 s after the last run).
 */
export function ansibleEngines(scratch: string, env: NodeJS.ProcessEnv = process.env): Engine[] {
  const common: Record<string, string> = {
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_SSH_CONTROL_PATH_DIR: mkdtempSync(join(scratch, 'ansible-cp-')),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    // A run's output is read for its recap; no cowsay banners.
    ANSIBLE_NOCOWS: '1',
  };
  const ansible: Engine = { name: 'ansible-playbook', command: [ANSIBLE_PLAYBOOK], env: common };
  if (!existsSync(ANSIBLE_PLAYBOOK)) ansible.skipped = `skipped: ${ANSIBLE_PLAYBOOK} not installed (Debian's ansible-core)`;
  const mitogen = findMitogen(env);
  const withMitogen: Engine = 'path' in mitogen
    ? {
      name: 'Ansible with Mitogen',
      command: [ANSIBLE_PLAYBOOK],
      env: { ...common, ANSIBLE_STRATEGY_PLUGINS: join(mitogen.path, MITOGEN_STRATEGY_DIR), ANSIBLE_STRATEGY: 'mitogen_linear' },
    }
    : { name: 'Ansible with Mitogen', command: [ANSIBLE_PLAYBOOK], env: common, skipped: mitogen.skipped };
  if (ansible.skipped && !withMitogen.skipped) withMitogen.skipped = ansible.skipped;
  return [ansible, withMitogen];
}

/** Recap lines (`host : ok=1 changed=0 unreachable=0 failed=0 ...`) of Ansible's default output. */
export function parseRecap(output: string): { hosts: number; changed: number; failed: number } {
  const recap = output.slice(output.lastIndexOf('PLAY RECAP'));
  let hosts = 0;
  let changed = 0;
  let failed = 0;
  for (const match of recap.matchAll(/^\S+\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    hosts++;
    changed += Number(match[2]);
    failed += Number(match[3]) + Number(match[4]);
  }
  return { hosts, changed, failed };
}

/** The argv of one engine's run of a case on an inventory. */
export function peerArgv(engine: Engine, inventory: string, forks: number, item: PeerCase): string[] {
  const vars = Object.entries(item.extraVars ?? {}).flatMap(([name, value]) => ['-e', `${name}=${value.replaceAll('{engine}', slug(engine.name))}`]);
  return [...engine.command, '-i', inventory, '-f', String(forks), ...vars, item.playbook];
}

const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** One run of an engine, from `cwd` (where ansible.cfg is), its output read for the recap. */
export async function peerRun(engine: Engine, argv: string[], cwd: string): Promise<PeerRun> {
  const started = process.hrtime.bigint();
  let output = '';
  const exitCode = await new Promise<number>((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...engine.env } });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', fail);
    child.once('close', (code) => done(code ?? -1));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const recap = parseRecap(output);
  if (exitCode !== 0 || recap.hosts === 0 || recap.failed > 0) {
    throw new Error(`${engine.name} (${argv.join(' ')}) exited with ${exitCode}, ${recap.failed} failed or unreachable:\n${output.slice(-OUTPUT_TAIL)}`);
  }
  return { wallMs, exitCode, ...recap };
}

/** Whether ansible-playbook can read the inventory (it parses it and lists the hosts, connecting to none). */
export async function checkInventory(inventory: string, cwd: string): Promise<string | undefined> {
  try {
    const { stdout } = await pexecFile(ANSIBLE_PLAYBOOK, ['--version'], { cwd });
    if (!/core 2\.14/.test(stdout)) return `ansible-playbook is not ansible-core 2.14: ${stdout.split('\n')[0]}`;
    await pexecFile('/usr/bin/ansible-inventory', ['-i', inventory, '--list'], { cwd, maxBuffer: 16 << 20 });
    return undefined;
  } catch (error) {
    return `ansible cannot read ${inventory}: ${(error as Error).message}`;
  }
}
