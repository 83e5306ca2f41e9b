/**
 * Runs playbooks through the real CLI entry (`main`) in a temp project, on
 * local connections, and collects the output and the run events.
 */
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../engine/cli/main.js';

export interface Project {
  dir: string;
  write(rel: string, text: string): string;
  read(rel: string): string;
  path(rel: string): string;
  cleanup(): void;
}

export function project(files: Record<string, string> = {}): Project {
  const dir = mkdtempSync(path.join(tmpdir(), 'uxsv-engine-'));
  const p: Project = {
    dir,
    write(rel, text) {
      const f = path.join(dir, rel);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, text);
      return f;
    },
    read: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
    path: (rel) => path.join(dir, rel),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const [rel, text] of Object.entries(files)) p.write(rel, text);
  return p;
}

/** Two local hosts in groups, the default inventory of these tests. */
export const LOCAL_INVENTORY = `
all:
  vars:
    ansible_connection: local
  children:
    web:
      hosts:
        h1:
        h2:
    db:
      hosts:
        h3:
`;

export interface Run {
  code: number;
  output: string;
  stderr: string;
  report?: any;
}

/** `uxsv ARGS` in the current folder; output and stderr captured, NO_COLOR, not a TTY. */
export async function uxsvHere(args: string[]): Promise<Run> {
  let output = '';
  let stderr = '';
  const origErr = process.stderr.write.bind(process.stderr);
  (process.stderr as any).write = (chunk: any) => {
    stderr += String(chunk);
    return true;
  };
  try {
    const code = await main(args, { write: (t: string) => void (output += t), isTty: false, env: { NO_COLOR: '1' } });
    return { code, output, stderr };
  } finally {
    (process.stderr as any).write = origErr;
  }
}

/** `uxsv ARGS` inside the project folder. */
export async function uxsv(p: Project, args: string[]): Promise<Run> {
  const cwd = process.cwd();
  process.chdir(p.dir);
  try {
    return await uxsvHere(args);
  } finally {
    process.chdir(cwd);
  }
}

/** Run a playbook text with the local inventory; returns the run and its JSON report. */
export async function play(p: Project, playbook: string, extraArgs: string[] = [], inventory = LOCAL_INVENTORY): Promise<Run> {
  p.write('inventory.yml', inventory);
  p.write('site.yml', playbook);
  const run = await uxsv(p, ['play', 'site.yml', '-i', 'inventory.yml', '--report', 'report.json', ...extraArgs]);
  try {
    run.report = JSON.parse(p.read('report.json'));
  } catch {
    run.report = undefined;
  }
  return run;
}

/** The results of one task (by name) per host, from the report. */
export function results(run: Run, task: string): Record<string, any[]> {
  const out: Record<string, any[]> = {};
  for (const [host, list] of Object.entries<any[]>(run.report?.hosts ?? {})) out[host] = list.filter((r) => r.task === task || r.task.endsWith(` : ${task}`));
  return out;
}
