/**
 * The part of OpenSSH's command line that ansible_ssh_common_args may carry
 * and that uxsv honours: `-o Key=Value` options (also `-o Key Value` and
 * `-oKey=Value`) for ProxyCommand, UserKnownHostsFile, StrictHostKeyChecking,
 * ServerAliveInterval and ConnectTimeout. Other words are ignored.
 */
import { homedir } from 'node:os';
import { UserError } from '../errors.js';
import { shellWords } from './quote.js';

export interface SshCommonOptions {
  proxyCommand?: string;
  userKnownHostsFile?: string;
  /** true: unknown host keys are recorded and accepted (`accept-new`, `no`, `off`). */
  acceptNewHostKeys?: boolean;
  serverAliveIntervalSec?: number;
  connectTimeoutSec?: number;
}

/** Split like a POSIX shell would (quotes, backslashes), without any expansion. */
export function splitShellWords(text: string): string[] {
  return shellWords(text, 'ssh arguments');
}

export function parseSshCommonArgs(text: string | undefined): SshCommonOptions {
  const options: SshCommonOptions = {};
  if (!text) return options;
  const words = splitShellWords(text);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let setting: string | undefined;
    if (word === '-o') setting = words[++i];
    else if (word.startsWith('-o')) setting = word.slice(2);
    if (setting !== undefined) applySetting(options, setting);
  }
  return options;
}

/** One `-o` argument: a keyword, then `=` or whitespace, then the value (as in ssh_config). */
function applySetting(options: SshCommonOptions, setting: string): void {
  const match = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/s.exec(setting);
  if (!match) return;
  const key = match[1]!.toLowerCase();
  const value = match[2]!.trim();
  switch (key) {
    case 'proxycommand':
      options.proxyCommand = value.toLowerCase() === 'none' ? undefined : value;
      break;
    case 'userknownhostsfile':
      // Several files may be listed; the first is the one OpenSSH writes to.
      options.userKnownHostsFile = expandHome(splitShellWords(value)[0] ?? value);
      break;
    case 'stricthostkeychecking': {
      const v = value.toLowerCase();
      options.acceptNewHostKeys = v === 'accept-new' || v === 'no' || v === 'off';
      break;
    }
    case 'serveraliveinterval':
      options.serverAliveIntervalSec = positiveNumber(key, value);
      break;
    case 'connecttimeout':
      options.connectTimeoutSec = positiveNumber(key, value);
      break;
    default:
      break;
  }
}

function positiveNumber(key: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`ssh option ${key}: not a number of seconds: ${value}`);
  return n;
}

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return `${homedir()}${path.slice(1)}`;
  return path;
}

/** OpenSSH's ProxyCommand escapes: %h host, %p port, %r user, %% a percent sign. */
export function expandProxyCommand(command: string, address: string, port: number, user: string): string {
  return command.replace(/%([hpr%])/g, (_all, letter: string) => {
    switch (letter) {
      case 'h': return address;
      case 'p': return String(port);
      case 'r': return user;
      default: return '%';
    }
  });
}
