// A cgroup of its own for each host. nspawn with --keep-unit (needed here: PID 1
// of this machine is not systemd, so nobody makes a scope for it) runs the
// container in the cgroup it was started in; three hosts started from the same
// cgroup would share one tree, and each host's systemd would delete the
// others' service cgroups ("Failed to attach to cgroup ... status=219/CGROUP").
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabHost } from './config.js';
import { sleep } from './run.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const LAB_CGROUP = 'uxsv-lab';

/** Hierarchies systemd uses: the named v1 one and/or the v2 one (hybrid or unified layout). */
function hierarchies(): string[] {
  const found: string[] = [];
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [CGROUP_ROOT];
  for (const name of ['systemd', 'unified']) {
    if (existsSync(join(CGROUP_ROOT, name, 'cgroup.procs'))) found.push(join(CGROUP_ROOT, name));
  }
  return found;
}

/** Creates the host's cgroup in each hierarchy; returns their paths (write a pid to `<path>/cgroup.procs` to join). */
export async function createHostCgroups(host: LabHost): Promise<string[]> {
  const paths = hierarchies().map((root) => join(root, LAB_CGROUP, host));
  for (const path of paths) await mkdir(path, { recursive: true });
  return paths;
}

/**
 * Removes the lab's cgroups (or one host's), deepest first. A cgroup can only
 * go once its processes have been reaped, so retry a little (at most 5 s).
 */
export async function removeLabCgroups(host?: LabHost): Promise<void> {
  const relative = host ? join(LAB_CGROUP, host) : LAB_CGROUP;
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = hierarchies()
      .map((root) => join(root, relative))
      .filter((path) => existsSync(path));
    if (left.length === 0) return;
    for (const path of left) removeTree(path);
    await sleep(100);
  }
}

function removeTree(path: string): void {
  try {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(join(path, entry.name));
    }
    rmdirSync(path);
  } catch {
    // busy (a process not reaped yet) or already gone: the caller retries
  }
}

/** Lock file nspawn keeps for a directory it runs; a killed nspawn leaves it behind. */
export function nspawnLockFile(directory: string): string | undefined {
  try {
    const stat = statSync(directory);
    return `/run/systemd/nspawn/locks/inode-${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}
