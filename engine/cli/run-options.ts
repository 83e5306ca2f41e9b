/** Options shared by `play` and the commands built on it (degrade, restore, check). */
import type { Command } from 'commander';

export const collect = (value: string, previous: string[] = []) => [...previous, value];
export const increase = (_v: string, previous = 0) => previous + 1;

export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('-i, --inventory <path>', 'inventory file or folder (repeatable)', collect)
    .option('-l, --limit <pattern>', 'further limit the hosts to this pattern')
    .option('-e, --extra-vars <vars>', 'k=v, @file.yml or a JSON/YAML mapping (repeatable)', collect)
    .option('-f, --forks <n>', 'hosts worked on at once', '10')
    .option('-v, --verbose', 'more output (-vv, -vvv for more)', increase)
    .option('--report <file>', 'write a JSON report of the run')
    .option('--accept-new-host-keys', 'record the host key of hosts never seen before (a changed key is always refused)')
    .option('--known-hosts <file>', 'known_hosts file (default: UserKnownHostsFile of the inventory, else ~/.ssh/known_hosts)')
    .option('--task-timeout <seconds>', 'default time limit of a task on a host', '1800')
    .option('--vault-password-file <file>', 'vault password file, for vault-encrypted vars files and !vault values (repeatable)', collect)
    .option('--ask-vault-pass', 'ask for the vault password');
}

