/**
 * POSIX shell quoting. Every value that reaches a remote shell goes through
 * `quote`: single quotes protect everything but a single quote, which is
 * closed, escaped and reopened. NUL bytes cannot be passed in argv at all.
 * Quoting does not stop a leading dash from reading as an option: callers put
 * `--` before operands that may start with one.
 */
export function quote(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) throw new Error('a NUL byte cannot be passed to a shell');
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Quote each word and join with spaces: `sh(['rm', '-f', path])`. */
export function shellJoin(words: Array<string | number>): string {
  return words.map(quote).join(' ');
}
