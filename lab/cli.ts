// `uxsv lab ...` subcommands. The main CLI calls registerLabCommands(program).
import { Command, Option } from 'commander';
import { UserError } from '../engine/errors.js';
import type { FailMode, LabStatus } from './index.js';

/** The lab itself, loaded by the lab's commands only: every other command starts without it. */
const loadLab = (): Promise<typeof import('./index.js')> => import('./index.js');

const log = (line: string): void => {
  process.stderr.write(`lab: ${line}\n`);
};

/** `setExit` receives the exit code of `ssh` and `exec` (the remote command's). */
export function registerLabCommands(program: Command, setExit: (code: number) => void = (code) => void (process.exitCode = code)): void {
  const lab = program
    .command('lab')
    .description('three Debian hosts (uxsv01..03) on this machine, in network namespaces with systemd-nspawn');

  lab
    .command('up')
    .description('build the image if needed, start the network and the hosts, wait until they answer SSH')
    .option('--boot-timeout <seconds>', 'how long to wait for the hosts to boot', '90')
    .option(
      '--light <n>',
      'also run N light hosts (sshd only, 0..50; replaces any there are, 0 removes them) for benchmarks; ' +
        'a running lab is left as it is; inventory: /run/uxsv-lab/light/hosts.yml',
    )
    .action(async (options: { bootTimeout: string; light?: string }) => {
      const { labStatus, labUp, labUpLight, LIGHT_MAX } = await loadLab();
      const upOptions = { log, bootTimeoutMs: Number(options.bootTimeout) * 1000 };
      if (options.light !== undefined) {
        if (!/^\d+$/.test(options.light)) throw new UserError(`--light takes a number from 0 to ${LIGHT_MAX} (got "${options.light}")`);
        await labUpLight(Number(options.light), upOptions);
        process.stdout.write(formatStatus(await labStatus()));
        return;
      }
      const status = await labUp(upOptions);
      process.stdout.write(formatStatus(status));
    });

  lab
    .command('down')
    .description('stop the hosts and remove every namespace, veth, mount and process of the lab')
    .action(async () => {
      await (await loadLab()).labDown();
    });

  lab
    .command('status')
    .description("each host's state, addresses and uptime")
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await (await loadLab()).labStatus();
      process.stdout.write(options.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
    });

  lab
    .command('fail')
    .description('fail a host: --power stops it as a crash, --cable cuts its link while it keeps running')
    .argument('<host>')
    .addOption(new Option('--power', 'stop the host as in a crash').conflicts('cable'))
    .addOption(new Option('--cable', 'pull its network cable (split brain)'))
    .action(async (host: string, options: { power?: boolean; cable?: boolean }) => {
      const { labFail, parseHost } = await loadLab();
      const mode: FailMode = options.cable ? 'cable' : 'power';
      await labFail(parseHost(host), mode);
    });

  lab
    .command('heal')
    .description('undo `fail`: plug the cable back in, or boot the host again from its disk')
    .argument('<host>')
    .action(async (host: string) => {
      const { labHeal, parseHost } = await loadLab();
      await labHeal(parseHost(host));
    });

  lab
    .command('ssh')
    .description('a shell, or a command (after --), on a host as root')
    .argument('<host>')
    .argument('[command...]')
    .action(async (host: string, command: string[]) => {
      const { labSsh, parseHost } = await loadLab();
      setExit(await labSsh(parseHost(host), command));
    });

  lab
    .command('exec')
    .description('run a command on the client side of the lab network (after --), e.g. dig, curl, swaks')
    .argument('<command...>')
    .action(async (command: string[]) => {
      setExit(await (await loadLab()).labExec(command));
    });
}

export function formatStatus(status: LabStatus): string {
  if (!status.up) return 'lab: down\n';
  const rows = [['HOST', 'STATE', 'SYSTEMD', 'ADDRESSES', 'UPTIME']];
  for (const host of status.hosts) {
    rows.push([
      host.host,
      host.state,
      host.systemd ?? '-',
      host.addresses.join(',') || '-',
      host.uptimeSeconds === undefined ? '-' : formatDuration(host.uptimeSeconds),
    ]);
  }
  rows.push(['control', status.control.ntp ? 'ntp serving' : 'ntp stopped', '-', status.control.address, '-']);
  rows.push(['client', 'up', '-', status.client.addresses.join(',') || '-', '-']);
  if (status.light) {
    const { hosts, running, addresses } = status.light;
    const state = running === hosts ? `${hosts} hosts up` : `${hosts} hosts, ${running} up`;
    rows.push(['light', state, '-', addresses, '-']);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function formatDuration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : minutes > 0 ? `${minutes}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}
