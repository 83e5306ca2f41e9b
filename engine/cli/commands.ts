/** Commands beyond `play`: the lab, and the cluster's own shortcuts. */
import type { Command } from 'commander';
import { registerLabCommands } from '../../lab/cli.js';

export function registerExtraCommands(program: Command, _io: { write(text: string): void; isTty: boolean; env: NodeJS.ProcessEnv }, setExit: (code: number) => void): void {
  registerLabCommands(program, setExit);
}
