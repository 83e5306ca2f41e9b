/**
 * The resident shell's wire format (see resident.ts): the driver script it
 * runs, and the reader that splits each of its output streams into the
 * output of one command after another.
 *
 * Input, on the shell's stdin, after the token line:
 *
 *     <id> <stdin bytes> <inline: 0 or 1>\n
 *     <the command's lines>\n
 *     <token>\n
 *     <stdin bytes, if any>
 *
 * Output: whatever the command prints, then `\n<token> <id> <rc>\n` on stdout
 * and `\n<token> <id>\n` on stderr. The shell first prints STARTED_LINE on
 * stderr (after sudo, when there is one), then reads the token from its
 * stdin and answers `\n<token> ready <pid>\n` on stdout. The token is random
 * per shell and travels only on the shell's stdin, never on a command line
 * (which every user of the host can read with ps): no output a command prints,
 * such as a file someone else wrote, can fake the end of a command.
 */
import { CappedOutput } from './output-limit.js';

/** Printed on stderr by the shell once it runs (sudo accepted): now the token may be sent. */
export const STARTED_LINE = 'uxsv-resident-shell-started';

/**
 * The driver. Variables carry a prefix so a user's `shell:` line that uses `$n`
 * or `$s` does not see ours. It writes no file: a full or read-only /tmp does
 * not stop it.
 */
export function driverScript(): string {
  return [
    `printf '%s\\n' ${STARTED_LINE} >&2`,
    'IFS= read -r __uxsv_token || exit 0',
    `printf '\\n%s ready %s\\n' "$__uxsv_token" "$$"`,
    'while IFS=" " read -r __uxsv_id __uxsv_n __uxsv_inline; do',
    '  __uxsv_s=; __uxsv_ok=',
    '  while IFS= read -r __uxsv_l; do',
    '    if [ "$__uxsv_l" = "$__uxsv_token" ]; then __uxsv_ok=1; break; fi',
    '    __uxsv_s="$__uxsv_s$__uxsv_l',
    '"',
    '  done',
    '  [ -n "$__uxsv_ok" ] || exit 0',
    '  if [ "$__uxsv_inline" = 1 ]; then',
    '    eval "$__uxsv_s" </dev/null',
    '  elif [ "$__uxsv_n" -gt 0 ]; then',
    // head reads exactly the command's stdin from ours; cat drains what the
    // command left unread, so the next header is where the loop expects it.
    '    head -c "$__uxsv_n" | { (eval "$__uxsv_s"); __uxsv_rc=$?; cat >/dev/null; exit "$__uxsv_rc"; }',
    '  else',
    '    (eval "$__uxsv_s") </dev/null',
    '  fi',
    '  __uxsv_rc=$?',
    `  printf '\\n%s %s %s\\n' "$__uxsv_token" "$__uxsv_id" "$__uxsv_rc"`,
    `  printf '\\n%s %s\\n' "$__uxsv_token" "$__uxsv_id" >&2`,
    'done',
  ].join('\n');
}

/** A frame line is short (`ready <pid>`, `<id> <rc>`): a longer one means the stream is not what we think. */
const MAX_FRAME_LINE = 64;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

export interface Frame {
  /** The frame line after the token: `ready 123`, `7 0`, `7`. */
  line: string;
  /** What the stream carried before the frame (at most the limit), and how much of it was dropped. */
  output: { bytes: Buffer; dropped: number };
}

/**
 * One output stream of the resident shell. Bytes go to the current command's
 * capped output as they arrive, except the few at the end of a chunk that
 * could be the beginning of a frame marker: memory stays at the output limit
 * however much a command prints, and each byte is searched about once.
 */
export class FrameReader {
  private readonly marker: Buffer;
  /** The end of the stream so far that may be (the start of) a frame. */
  private held: Buffer = EMPTY;
  private output: CappedOutput;
  /** Set when the stream broke the format; nothing is read after that. */
  broken: string | undefined;

  constructor(token: string, limit: number, private readonly onFrame: (frame: Frame) => void) {
    this.marker = Buffer.from(`\n${token} `);
    this.output = new CappedOutput(limit);
  }

  /** The next command's limit; bytes already received (from something left running in the background) stay. */
  setLimit(limit: number): void {
    const stray = this.output.take();
    this.output = new CappedOutput(limit);
    this.output.push(stray.bytes);
    this.output.dropped += stray.dropped;
  }

  push(chunk: Buffer): void {
    if (this.broken !== undefined) return;
    let data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = EMPTY;
    for (;;) {
      const at = data.indexOf(this.marker);
      if (at === -1) {
        const keep = partialMarkerAt(data, this.marker);
        this.output.push(data.subarray(0, keep));
        if (keep < data.length) this.held = Buffer.from(data.subarray(keep));
        return;
      }
      const lineStart = at + this.marker.length;
      const end = data.indexOf(NEWLINE, lineStart);
      if (end === -1 || end - lineStart > MAX_FRAME_LINE) {
        if (data.length - lineStart > MAX_FRAME_LINE) {
          this.broken = 'a frame line without its end';
          return;
        }
        this.output.push(data.subarray(0, at));
        this.held = Buffer.from(data.subarray(at));
        return;
      }
      this.output.push(data.subarray(0, at));
      const line = data.subarray(lineStart, end).toString('latin1');
      this.onFrame({ line, output: this.output.take() });
      data = data.subarray(end + 1);
    }
  }

  /** Everything received and not yet ended by a frame (the output of a command that timed out). */
  drain(): { bytes: Buffer; dropped: number } {
    this.output.push(this.held);
    this.held = EMPTY;
    return this.output.take();
  }
}

/**
 * Where the longest end of `data` that is a beginning of `marker` starts
 * (data.length when none): only those bytes must wait for the next chunk.
 */
export function partialMarkerAt(data: Buffer, marker: Buffer): number {
  const first = marker[0]!;
  for (let start = Math.max(0, data.length - marker.length + 1); start < data.length; start++) {
    const at = data.indexOf(first, start);
    if (at === -1) break;
    const tail = data.subarray(at);
    if (marker.subarray(0, tail.length).equals(tail)) return at;
    start = at;
  }
  return data.length;
}
