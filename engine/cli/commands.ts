/** Commands beyond `play`: the lab, and (later) the cluster's own shortcuts. */
import type { Command } from 'commander';

export function registerExtraCommands(_program: Command, _io: { write(text: string): void; isTty: boolean; env: NodeJS.ProcessEnv }, _setExit: (code: number) => void): void {
  // Filled as the lab and cluster commands land.
}
