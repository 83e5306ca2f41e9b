/**
 * The `identity` fact: the numeric ids of user and group names on a host
 * (getent), and the names of numeric ids, so a plan can tell whether an
 * owner exists and what uid a chown will give before anything changes.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';

export interface IdentityQuery {
  users: string[];
  groups: string[];
}

export interface Identities {
  /** name (or number as text) -> uid; absent when the host does not know it. */
  users: Record<string, number>;
  groups: Record<string, number>;
}

function lookup(kind: 'passwd' | 'group', tag: string, names: string[]): string[] {
  // getent takes a name or a number; field 3 is the id either way.
  return names.map((name, i) => `printf '${tag} ${i} '; getent ${kind} -- ${quote(name)} | cut -d: -f3 | head -n 1; echo`);
}

export const identityFact: Fact<IdentityQuery, Identities> = {
  name: 'identity',
  inline: true,
  command: (q) => [...lookup('passwd', 'U', q.users), ...lookup('group', 'G', q.groups), ':'].join('\n'),
  parse(output: FactOutput, q): Identities {
    const result: Identities = { users: {}, groups: {} };
    for (const line of output.stdout.toString('utf8').split('\n')) {
      const m = /^([UG]) (\d+) (\d+)$/.exec(line);
      if (!m) continue;
      const names = m[1] === 'U' ? q.users : q.groups;
      const name = names[Number(m[2])];
      if (name !== undefined) (m[1] === 'U' ? result.users : result.groups)[name] = Number(m[3]);
    }
    return result;
  },
};
