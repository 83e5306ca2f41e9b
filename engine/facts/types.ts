/**
 * Facts: how modules read the state of a host (pyinfra's model). A fact is a
 * shell command and a pure parser of its output. Modules share facts instead
 * of each writing its own `stat`/`dpkg-query` scripts, parsers are tested
 * with fixtures that need no host, and the runner can read the facts of
 * several tasks in one round trip (their commands concatenated) and cache
 * them while nothing has changed.
 */

export interface FactOutput {
  rc: number;
  stdout: Buffer;
  stderr: string;
}

export interface Fact<Params, Value> {
  /** Unique, e.g. 'file', 'dpkg.package'. */
  name: string;
  /** The command reading it. Every value in it is quoted (engine/connection/quote.ts). */
  command(params: Params): string;
  /** Pure: the command's output to the value. Throws a clear Error when the output means failure. */
  parse(output: FactOutput, params: Params): Value;
  /** A key identifying these params (the cache key); default JSON.stringify(params). */
  key?(params: Params): string;
  /**
   * True when the command changes nothing in the shell (no variables, no cd),
   * so the resident shell may run it inline, without a subshell.
   */
  inline?: boolean;
  /**
   * The parameters of one read answering several (facts whose output is
   * looked up by what each asks, like the file fact's paths): a batch sends
   * one command for all of them, and each parses the shared output with its
   * own parameters.
   */
  merge?(params: Params[]): Params;
}
