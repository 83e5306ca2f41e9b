/** Commands beyond `play`: the lab, and the cluster's own shortcuts. */
import type { Command } from 'commander';
import { registerLabCommands } from '../../lab/cli.js';
import { registerClusterCommands } from './cluster.js';
import { registerDocCommand } from './doc.js';
import { registerVaultCommands } from '../vault/cli.js';

export function registerExtraCommands(program: Command, io: { write(text: string): void; isTty: boolean; env: NodeJS.ProcessEnv }, setExit: (code: number) => void): void {
  registerClusterCommands(program, io, setExit);
  registerDocCommand(program, io);
  registerVaultCommands(program, io);
  registerLabCommands(program, setExit);
}
