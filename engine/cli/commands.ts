/** Commands beyond `play`: the lab, and the cluster's own shortcuts. */
import type { Command } from 'commander';
import { registerLabCommands } from '../../lab/cli.js';
import { registerClusterCommands } from './cluster.js';
import { registerDocCommand } from './doc.js';
import { registerInventoryCommand } from './inventory.js';
import { registerAdHocCommand } from './adhoc.js';
import { registerVaultCommands } from '../vault/cli.js';

export function registerExtraCommands(program: Command, io: { write(text: string): void; isTty: boolean; env: NodeJS.ProcessEnv }, setExit: (code: number) => void): void {
  registerClusterCommands(program, io, setExit);
  registerAdHocCommand(program, io, setExit);
  registerInventoryCommand(program, io, setExit);
  registerDocCommand(program, io);
  registerVaultCommands(program, io);
  registerLabCommands(program, setExit);
}
