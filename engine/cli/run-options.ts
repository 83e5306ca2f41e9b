/**
 * Options shared by `play`, `ad-hoc`, `inventory` and the commands built on
 * `play` (degrade, restore, check), spelled as Ansible's commands spell them.
 */
import type { Command } from 'commander';

export const collect = (value: string, previous: string[] = []) => [...previous, value];
export const increase = (_v: string, previous = 0) => previous + 1;

/** Other spellings Ansible accepts for one option, rewritten before parsing. */
const OPTION_ALIASES: Record<string, string> = {
  '--inventory-file': '--inventory',
  '--vault-pass-file': '--vault-password-file',
  '--ask-vault-password': '--ask-vault-pass',
  '--key-file': '--private-key',
  '--become-pass-file': '--become-password-file',
  '--conn-pass-file': '--connection-password-file',
  '--ask-become-password': '--ask-become-pass',
};

/** Options whose next word is a value (never rewritten, even if it looks like an option). */
const TAKES_VALUE = new Set(['-a', '--args', '-e', '--extra-vars', '-m', '--module-name']);

/** Rewrites Ansible's alternative option names (`--key-file` → `--private-key`, `--vault-pass-file=F` → ...). */
export function normalizeAliases(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (TAKES_VALUE.has(arg) && i + 1 < argv.length) {
      out.push(arg, argv[++i]);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const canonical = OPTION_ALIASES[name];
    out.push(canonical ? canonical + (eq > 0 ? arg.slice(eq) : '') : arg);
  }
  return out;
}

/** -i, -e and the vault options: what reading an inventory needs. */
export function addInventoryOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <path>', 'inventory file, folder or comma-separated host list (repeatable; default: ansible.cfg inventory)', collect)
    .option('-e, --extra-vars <vars>', 'k=v, @file.yml or a JSON/YAML mapping (repeatable)', collect)
    .option('--vault-password-file <file>', 'vault password file, for vault-encrypted vars files and !vault values (repeatable)', collect)
    .option('-J, --ask-vault-pass', 'ask for the vault password')
    .option('--vault-id <id>', 'vault identity LABEL@SOURCE (SOURCE: a password file, an executable, or prompt; repeatable)', collect)
    .option('--playbook-dir <dir>', "the folder taken as the playbook's (its group_vars/, host_vars/ and roles/)")
    .option('-v, --verbose', 'more output (-vv, -vvv for more)', increase);
}

export function addRunOptions(cmd: Command): Command {
  return addInventoryOptions(cmd)
    .option('-l, --limit <pattern>', 'further limit the hosts to this pattern')
    .option('-f, --forks <n>', 'hosts worked on at once (default: ansible.cfg forks, else 10)')
    .option('--report <file>', 'write a JSON report of the run')
    .option('--accept-new-host-keys', 'record the host key of hosts never seen before (a changed key is always refused)')
    .option('--known-hosts <file>', 'known_hosts file (default: UserKnownHostsFile of the inventory, else ~/.ssh/known_hosts)')
    .option('--task-timeout <seconds>', 'default time limit of a task on a host (default: ansible.cfg task_timeout, else 1800)');
}

/** Connection and privilege escalation options of ansible-playbook and ansible. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-c, --connection <type>', 'connection type: ssh or local (default: ansible.cfg transport, else ssh)')
    .option('-u, --user <name>', 'connect as this user (default: ansible.cfg remote_user)')
    .option('--private-key <file>', 'SSH private key file (also --key-file)')
    .option('-T, --timeout <seconds>', 'connection timeout in seconds (default: ansible.cfg timeout)')
    .option('-k, --ask-pass', 'ask for the SSH password')
    .option('--connection-password-file <file>', 'file holding the SSH password')
    .option('--ssh-common-args <args>', 'arguments for every SSH connection (ProxyCommand, UserKnownHostsFile, ... as ssh -o)')
    .option('--ssh-extra-args <args>', 'extra arguments for ssh only')
    .option('--sftp-extra-args <args>', 'extra arguments for sftp (not used: files go over the SSH connection)')
    .option('--scp-extra-args <args>', 'extra arguments for scp (not used: files go over the SSH connection)')
    .option('-b, --become', 'run tasks with privilege escalation (become)')
    .option('--become-user <name>', 'become this user (default: ansible.cfg become_user, else root)')
    .option('--become-method <method>', 'privilege escalation method (default: ansible.cfg become_method, else sudo)')
    .option('-K, --ask-become-pass', 'ask for the privilege escalation password')
    .option('--become-password-file <file>', 'file holding the privilege escalation password');
}
