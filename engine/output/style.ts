/**
 * Colour decisions and the few visual primitives (banners, status colours)
 * shared by the plain and the TTY reporters.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { toBool } from '../values.js';
import type { HostStatus } from './events.js';

/**
 * Whether to colour the output. Ansible's ANSIBLE_FORCE_COLOR (a boolean)
 * wins over everything, as in Ansible; then NO_COLOR (https://no-color.org,
 * any non-empty value) and ANSIBLE_NOCOLOR disable it; FORCE_COLOR enables
 * it even without a TTY (except the conventional "0"/"false"); otherwise
 * colour follows the terminal, unless TERM says it cannot show colour.
 */
export function shouldUseColor(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env.ANSIBLE_FORCE_COLOR !== undefined && toBool(env.ANSIBLE_FORCE_COLOR, false)) return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.ANSIBLE_NOCOLOR !== undefined && toBool(env.ANSIBLE_NOCOLOR, false)) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTty && env.TERM !== 'dumb';
}

/**
 * A chalk instance that colours exactly when asked: level 0 emits no escape
 * codes at all; level 1 (16 colours) is all the palette we use, and works on
 * every terminal.
 */
export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/** Ansible's colours: green ok, yellow changed, red failures, cyan skips, magenta for the tolerated failures. */
export function colorForStatus(chalk: ChalkInstance, status: HostStatus): (text: string) => string {
  switch (status) {
    case 'ok':
      return chalk.green;
    case 'changed':
      return chalk.yellow;
    case 'failed':
    case 'unreachable':
      return chalk.red;
    case 'skipped':
      return chalk.cyan;
    case 'rescued':
    case 'ignored':
      return chalk.magenta;
  }
}
