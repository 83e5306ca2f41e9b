/**
 * Colour decisions and the few visual primitives (banners, status colours)
 * shared by the plain and the TTY reporters.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { HostStatus } from './events.js';

/**
 * Whether to colour the output. NO_COLOR (https://no-color.org, any non-empty
 * value) wins over everything; FORCE_COLOR enables colour even without a TTY
 * (except the conventional "0"/"false", which disable it); otherwise colour
 * follows the terminal, unless TERM says it cannot show colour.
 */
export function shouldUseColor(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
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

const BANNER_WIDTH = 80;

/** `TITLE *****` padded to 80 columns like Ansible's banners (at least three stars). */
export function banner(title: string): string {
  const stars = Math.max(3, BANNER_WIDTH - title.length - 1);
  return `${title} ${'*'.repeat(stars)}`;
}
