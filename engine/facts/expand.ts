/**
 * The `expand` fact: what Python's os.path.expanduser and expandvars need
 * from a host to expand a path argument there: home folders (of the user
 * running the command for `~`, of named users for `~name`) and environment
 * variables. Values travel base64-encoded.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export interface ExpandQuery {
  /** '' for the current user's home. */
  users: string[];
  variables: string[];
}

export interface Expansions {
  homes: Record<string, string>;
  variables: Record<string, string>;
}

const NAME = /^[A-Za-z0-9_]+$/;

export const expandFact: Fact<ExpandQuery, Expansions> = {
  name: 'expand',
  inline: true,
  command: (q) => [
    ...q.users.map((user, i) => (user === ''
      ? `printf 'H ${i} %s\\n' "$(printf %s "$HOME" | base64 -w0)"`
      : `printf 'H ${i} %s\\n' "$(getent passwd -- ${quote(user)} | cut -d: -f6 | head -n 1 | tr -d '\\n' | base64 -w0)"`)),
    // Only names of letters, digits and _ reach here (as in expandvars), so ${...} is safe.
    ...q.variables.filter((v) => NAME.test(v)).map((name) => `if [ -n "\${${name}+set}" ]; then printf 'V %s %s\\n' ${name} "$(printf %s "$${name}" | base64 -w0)"; fi`),
    ':',
  ].join('\n'),
  parse(output: FactOutput, q): Expansions {
    const result: Expansions = { homes: {}, variables: {} };
    for (const line of output.stdout.toString('utf8').split('\n')) {
      const home = /^H (\d+) ([A-Za-z0-9+/=]*)$/.exec(line);
      if (home) {
        const value = Buffer.from(home[2]!, 'base64').toString('utf8');
        const user = q.users[Number(home[1])];
        if (user !== undefined && value !== '') result.homes[user] = value;
        continue;
      }
      const variable = /^V ([A-Za-z0-9_]+) ([A-Za-z0-9+/=]*)$/.exec(line);
      if (variable) result.variables[variable[1]!] = Buffer.from(variable[2]!, 'base64').toString('utf8');
    }
    return result;
  },
};

/** The users and variables a path needs (empty when it needs nothing from the host). */
export function expansionNeeds(path: string): ExpandQuery {
  const users: string[] = [];
  const tilde = /^~([^/]*)/.exec(path);
  if (tilde) users.push(tilde[1]!);
  const variables = [...path.matchAll(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g)].map((m) => m[1] ?? m[2]!);
  return { users, variables };
}

/** Python's os.path.expanduser(os.path.expandvars(path)) with the host's answers (unknown names stay as written). */
export function expandPath(path: string, e: Expansions): string {
  const withVars = path.replace(/\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const value = e.variables[braced ?? bare!];
    return value === undefined ? whole : value;
  });
  const tilde = /^~([^/]*)/.exec(withVars);
  if (!tilde) return withVars;
  const home = e.homes[tilde[1]!];
  if (home === undefined) return withVars;
  const rest = withVars.slice(tilde[0].length);
  return (home.replace(/\/+$/, '') || (rest ? '' : '/')) + rest;
}
