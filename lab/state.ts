// The lab's runtime record: which processes belong to it and which host is
// failed how. Kept in /run, so it never outlives the machine's processes.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { LAB_HOSTS, RUN_DIR, STATE_FILE, type LabHost } from './config.js';

export interface HostState {
  /** pid of the systemd-nspawn process running the host (absent while powered off). */
  nspawnPid?: number;
  /** The host was stopped as in a crash (`fail --power`). */
  powerFailed: boolean;
  /** The host's link to the bridge is down (`fail --cable`). */
  cablePulled: boolean;
}

export interface LabState {
  labVersion: number;
  image: string;
  startedAt: string;
  chronyPid?: number;
  hosts: Record<LabHost, HostState>;
}

export function newState(labVersion: number, image: string): LabState {
  const hosts = Object.fromEntries(
    LAB_HOSTS.map((host) => [host, { powerFailed: false, cablePulled: false }]),
  ) as Record<LabHost, HostState>;
  return { labVersion, image, startedAt: new Date().toISOString(), hosts };
}

/** The recorded state, or undefined when there is none or it cannot be read (a crashed writer). */
export function readState(): LabState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  try {
    const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
    return state && typeof state === 'object' && state.hosts ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state atomically, so a reader never sees half a file. */
export async function writeState(state: LabState): Promise<void> {
  await mkdir(RUN_DIR, { recursive: true });
  const temporary = `${STATE_FILE}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(state, null, 2) + '\n');
  await rename(temporary, STATE_FILE);
}
