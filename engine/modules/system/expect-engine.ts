/**
 * The host side of the expect module: a Perl program (perl-base is Essential
 * on Debian, so every host has it, with its POSIX module) that does what
 * pexpect.run does for Ansible: the command gets a pseudo-terminal of its own
 * (opened through /dev/ptmx), its output is searched with each response's
 * regex (earliest match wins, then list order; `.` matches newlines, as
 * pexpect compiles with DOTALL), the answer is written to the terminal, and
 * the wait for the next match is bounded by `timeout` seconds.
 *
 * Input (stdin): one line per record, fields hex-encoded so no byte of a
 * pattern or answer can break the format:
 *   T <seconds or ->   E <0|1>   C <argv words...>   P <pattern> <L|S> <answers...>
 * Output: the command's output on stdout (bytes as the terminal gave them);
 * on stderr one final line: "@@uxsv-expect@@ exit N", "... signal N",
 * "... timeout", "... noresponse <pattern> <last output>" or "... notfound".
 */

export const EXPECT_MARK = '@@uxsv-expect@@';

export const EXPECT_PERL = String.raw`
use strict; use warnings; use POSIX qw(:sys_wait_h setsid);
my ($timeout, $echo, @argv, @pats) = (undef, 0);
sub unhex { my $h = shift; return pack('H*', $h) }
while (my $line = <STDIN>) {
  chomp $line; my ($tag, @f) = split / /, $line;
  next unless defined $tag;
  if ($tag eq 'T') { $timeout = $f[0] eq '-' ? undef : $f[0] }
  elsif ($tag eq 'E') { $echo = $f[0] }
  elsif ($tag eq 'C') { @argv = map { unhex($_) } @f }
  elsif ($tag eq 'P') { my $p = unhex(shift @f); my $kind = shift @f;
    push @pats, { key => $p, re => qr/$p/s, list => $kind eq 'L', answers => [map { unhex($_) } @f], next => 0 } }
}
sub done { print STDERR "\n" . '${EXPECT_MARK}' . " @_\n"; exit 0 }
my $prog = $argv[0];
if ($prog !~ m{/}) { ($prog) = grep { -f "$_/$argv[0]" && -x _ } split /:/, ($ENV{PATH} // '/usr/bin:/bin'); $prog = defined $prog ? "$prog/$argv[0]" : undef }
done('notfound') unless defined $prog && -f $prog && -x _;
sysopen(my $m, '/dev/ptmx', POSIX::O_RDWR() | POSIX::O_NOCTTY()) or die "cannot open /dev/ptmx: $!\n";
my $unlock = pack('i', 0); ioctl($m, 0x40045431, $unlock) or die "cannot unlock the terminal: $!\n";
my $n = pack('i', 0); ioctl($m, 0x80045430, $n) or die "cannot name the terminal: $!\n";
my $slave = '/dev/pts/' . unpack('i', $n);
my $pid = fork(); die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
  close $m; setsid();
  sysopen(my $s, $slave, POSIX::O_RDWR()) or die "cannot open $slave: $!\n";
  my $size = pack('S4', 24, 80, 0, 0); ioctl($s, 0x5414, $size);
  my $t = POSIX::Termios->new; $t->getattr(fileno $s);
  $t->setlflag($echo ? ($t->getlflag | POSIX::ECHO()) : ($t->getlflag & ~POSIX::ECHO())); $t->setattr(fileno $s, POSIX::TCSANOW());
  open(STDIN, '<&', $s); open(STDOUT, '>&', $s); open(STDERR, '>&', $s); close $s if fileno($s) > 2;
  exec { $prog } @argv; exit 127;
}
binmode STDOUT; $| = 1;
my ($buf, $last, $eof) = ('', '', 0);
my $deadline = defined $timeout ? time + $timeout : undef;
while (1) {
  my ($best, $start, $end);
  for my $p (@pats) { if ($buf =~ $p->{re} && (!defined $start || $-[0] < $start)) { ($best, $start, $end) = ($p, $-[0], $+[0]) } }
  if ($best) {
    $last = substr($buf, 0, $end); $buf = substr($buf, $end);
    my $answer;
    if ($best->{list}) {
      if ($best->{next} >= @{$best->{answers}}) { kill 'KILL', $pid; waitpid($pid, 0); done('noresponse', unpack('H*', $best->{key}), unpack('H*', $last)) }
      $answer = $best->{answers}[$best->{next}++];
    } else { $answer = $best->{answers}[0] }
    syswrite($m, $answer);
    $deadline = defined $timeout ? time + $timeout : undef;
    next;
  }
  last if $eof;
  my $wait = defined $deadline ? $deadline - time : undef;
  if (defined $wait && $wait <= 0) { kill 'HUP', $pid; select(undef, undef, undef, 0.1); kill 'KILL', $pid; waitpid($pid, 0); done('timeout') }
  my $rin = ''; vec($rin, fileno($m), 1) = 1;
  my $ready = select(my $rout = $rin, undef, undef, $wait);
  next unless $ready > 0;
  my $got = sysread($m, my $chunk, 65536);
  if (!$got) { $eof = 1; next }
  print STDOUT $chunk; $buf .= $chunk;
}
waitpid($pid, 0);
done(WIFSIGNALED($?) ? ('signal', WTERMSIG($?)) : ('exit', WEXITSTATUS($?)));
`;

export interface ExpectResponse {
  pattern: string;
  answers: string[];
  /** A list: one answer per match, in order; a match after the last one fails. */
  list: boolean;
}

function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** The program's input. Answers end with exactly one newline, as Ansible sends them. */
export function expectInput(argv: string[], responses: ExpectResponse[], timeout: number | null, echo: boolean): string {
  const lines = [`T ${timeout === null ? '-' : Math.max(0, Math.trunc(timeout))}`, `E ${echo ? 1 : 0}`, `C ${argv.map(hex).join(' ')}`];
  for (const r of responses) {
    const answers = r.answers.map((a) => hex(`${a.replace(/\n+$/, '')}\n`));
    lines.push(`P ${hex(r.pattern)} ${r.list ? 'L' : 'S'}${answers.length ? ` ${answers.join(' ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

export type ExpectEnd =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number }
  | { kind: 'timeout' }
  | { kind: 'notfound' }
  | { kind: 'noresponse'; pattern: string; last: string }
  | { kind: 'lost'; detail: string };

/** The final status line on stderr. */
export function parseExpectEnd(stderr: string): ExpectEnd {
  const m = new RegExp(`\\n${EXPECT_MARK} ([^\\n]*)\\n?$`).exec(`\n${stderr}`);
  if (!m) return { kind: 'lost', detail: stderr.trim() };
  const [kind = '', a = '', b = ''] = m[1]!.split(' ');
  if (kind === 'exit') return { kind, code: Number(a) };
  if (kind === 'signal') return { kind, signal: Number(a) };
  if (kind === 'timeout' || kind === 'notfound') return { kind };
  if (kind === 'noresponse') return { kind, pattern: Buffer.from(a, 'hex').toString('utf8'), last: Buffer.from(b, 'hex').toString('utf8') };
  return { kind: 'lost', detail: stderr.trim() };
}
