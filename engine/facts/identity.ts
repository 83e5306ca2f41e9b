/**
 * The `identity` fact: the numeric ids of user and group names on a host
 * (getent), and the names of numeric ids, so a plan can tell whether an
 * owner exists and what uid a chown will give before anything changes.
 *
 * One process per distinct name: `getent passwd -- NAME` (or `group`), its
 * output framed by a header the controller writes (the kind and the hex of
 * the name), and the id taken from the entry here. The queries of several
 * tasks merge into one read (each name once).
 *
 * Wire format: NUL-separated tokens (an entry from the name service is C
 * text and holds no NUL), a header then the entry, for each name:
 *   \0U <hex of the name>\0<getent's output>   (G for groups)
 * A name the host does not know gives an empty entry.
 *
 * Several names in one getent would be cheaper, but getent skips the keys it
 * does not know, and a name service may answer a name with its canonical
 * spelling or a number with any name: the entries could not be told apart.
 */
import { quote } from '../connection/quote.js';
import type { Fact, FactOutput } from './types.js';
import { hexOf } from './wire.js';

export interface IdentityQuery {
  users: string[];
  groups: string[];
}

export interface Identities {
  /** name (or number as text) -> uid; absent when the host does not know it. */
  users: Record<string, number>;
  groups: Record<string, number>;
}

type Kind = 'U' | 'G';

/** The largest id a 32-bit uid_t/gid_t holds. */
const MAX_ID = 0xffffffff;

/** Each name once; a name with a NUL cannot be passed to getent (the host cannot know it). */
function distinct(names: readonly string[]): string[] {
  return [...new Set(names)].filter((name) => !name.includes('\0'));
}

function lookups(kind: Kind, names: readonly string[]): string[] {
  const database = kind === 'U' ? 'passwd' : 'group';
  // getent takes a name or a number (all digits: a uid or gid); the id is field 3 either way.
  return distinct(names).map((name) => `printf '\\000${kind} ${hexOf(name)}\\000'; getent ${database} -- ${quote(name)}`);
}

/**
 * The id in one entry (`name:password:id:...`), or undefined. The entry must
 * be whole (ended by its newline: a cut-off output must not give a shorter
 * number); only the name and password come before the id, so a newline or a
 * colon in a later field (a GECOS from a directory) does not move it.
 */
export function idOfEntry(entry: string): number | undefined {
  if (!entry.endsWith('\n')) return undefined;
  const field = entry.slice(0, -1).split(':')[2];
  if (field === undefined || !/^\d{1,10}$/.test(field)) return undefined;
  const id = Number(field);
  return id <= MAX_ID ? id : undefined;
}

/** The entries of an output, by kind and hex of the name. */
function entriesOf(stdout: Buffer): Map<string, string> {
  const entries = new Map<string, string>();
  const tokens = stdout.toString('utf8').split('\0');
  // tokens[0] is what came before the first header (nothing); then header, entry, header, entry...
  for (let i = 1; i + 1 < tokens.length; i += 2) {
    const header = tokens[i]!;
    // Out of step (not a header where one must be): nothing after it can be trusted to belong to its name.
    if (!/^[UG] [0-9a-f]*$/.test(header)) break;
    if (!entries.has(header)) entries.set(header, tokens[i + 1]!);
  }
  return entries;
}

export const identityFact: Fact<IdentityQuery, Identities> = {
  name: 'identity',
  inline: true,
  command: (q) => [...lookups('U', q.users), ...lookups('G', q.groups), ':'].join('\n'),
  merge: (queries) => ({ users: distinct(queries.flatMap((q) => q.users)), groups: distinct(queries.flatMap((q) => q.groups)) }),
  parse(output: FactOutput, q): Identities {
    const entries = entriesOf(output.stdout);
    const ids = (kind: Kind, names: readonly string[]): Record<string, number> => {
      // No prototype: a name such as `constructor` or `__proto__` is only ever a name.
      const found: Record<string, number> = Object.create(null);
      for (const name of names) {
        const entry = entries.get(`${kind} ${hexOf(name)}`);
        const id = entry === undefined ? undefined : idOfEntry(entry);
        if (id !== undefined) found[name] = id;
      }
      return found;
    };
    return { users: ids('U', q.users), groups: ids('G', q.groups) };
  },
};
