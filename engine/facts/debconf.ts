/**
 * The debconf answers of packages, as `debconf-show PACKAGE` shows them
 * (`* question: value`, `*` when seen; passwords hidden).
 *
 * debconf-show is a Perl program that spends most of its ~80 ms loading the
 * debconf database, and given several packages it prints their questions
 * mixed, without saying whose they are (questions are not named after their
 * package: libc6 owns glibc/*, and libraries/restart-without-asking belongs
 * to several). So the fact runs a small Perl program of its own on the same
 * debconf modules: one load, then for each package asked the lines
 * debconf-show would print for it, framed by lengths. Several tasks' reads
 * merge into one run (Fact.merge), and each finds its package's part.
 */
import { quote } from '../connection/quote.js';
import type { Fact } from './types.js';

export interface DebconfParams {
  pkg: string;
  /** Set by merge: every package the one program reads (pkg among them). */
  pkgs?: string[];
}

export interface DebconfState {
  selections: Record<string, string>;
}

/**
 * For each package (argv), "<name bytes> <shown bytes>\n<name><shown>", where
 * shown is what debconf-show prints for that package alone (same tests, same
 * text, same order of questions).
 */
// Only what perl-base has (debconf needs no more): no in-memory file handles, which need PerlIO.pm.
const SHOW_PROGRAM = `use strict;
use Debconf::Db;
use Debconf::Question;
binmode STDOUT;
Debconf::Db->load(readonly => "true");
my @names = @ARGV;
my @shown = map { "" } @names;
my $questions = Debconf::Question->iterator;
while (my $q = $questions->iterate) {
  my %owner = map { $_ => 1 } split(/, /, $q->owners);
  for my $i (0 .. $#names) {
    next unless $owner{$names[$i]};
    my $line = ($q->flag("seen") eq "true" ? "* " : "  ") . $q->name . ":";
    if ($q->type eq "password") { $line .= " (password omitted)" }
    elsif (length $q->value) { $line .= " " . $q->value }
    $shown[$i] .= "$line\\n";
  }
}
printf "%d %d\\n%s%s", length($names[$_]), length($shown[$_]), $names[$_], $shown[$_] for 0 .. $#names;
`;

/** `* question: value` / `  question: value` lines of debconf-show. */
export function parseDebconfShow(out: string): Record<string, string> {
  const selections: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    selections[line.slice(0, colon).replace(/^[\s*]+/, '').trim()] = line.slice(colon + 1).trim();
  }
  return selections;
}

/** The part of the program's output for `pkg`, or undefined when it is not there (the output was cut). */
export function shownFor(stdout: Buffer, pkg: string): Buffer | undefined {
  const want = Buffer.from(pkg, 'utf8');
  let pos = 0;
  while (pos < stdout.length) {
    const nl = stdout.indexOf(10, pos);
    if (nl < 0) return undefined;
    const header = /^(\d{1,9}) (\d{1,12})$/.exec(stdout.subarray(pos, nl).toString('latin1'));
    if (!header) return undefined;
    const nameEnd = nl + 1 + Number(header[1]);
    const end = nameEnd + Number(header[2]);
    if (end > stdout.length) return undefined;
    if (stdout.subarray(nl + 1, nameEnd).equals(want)) return stdout.subarray(nameEnd, end);
    pos = end;
  }
  return undefined;
}

export const debconfFact: Fact<DebconfParams, DebconfState> = {
  name: 'debconf.show',
  command: ({ pkg, pkgs }) => `perl -e ${quote(SHOW_PROGRAM)} -- ${(pkgs ?? [pkg]).map(quote).join(' ')}`,
  key: ({ pkg }) => pkg,
  merge: (all) => ({ pkg: all[0]!.pkg, pkgs: [...new Set(all.flatMap((p) => p.pkgs ?? [p.pkg]))] }),
  parse: (output, { pkg }) => {
    if (output.rc !== 0) throw new Error(output.stderr.trim() || `debconf-show ${pkg} failed (rc ${output.rc})`);
    const shown = shownFor(output.stdout, pkg);
    if (!shown) throw new Error(`could not read the debconf answers of ${pkg}: the output was cut off`);
    return { selections: parseDebconfShow(shown.toString('utf8')) };
  },
};
