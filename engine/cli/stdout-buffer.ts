/**
 * Standard output, written in one piece per turn of the event loop. A run
 * prints a few lines for every task and host; written one by one they cost a
 * system call each (standard output to a file or pipe is synchronous), which
 * a drift check printing its diffs paid in hundreds of milliseconds. The
 * lines of one turn go out together right after it, so the output stays live
 * (a task's lines appear as its hosts answer). Standard error is written at
 * once, after what standard output holds, so the two keep their order.
 */

/** Flushed at once past this many characters, so the buffer stays small. */
const MAX_PENDING = 64 * 1024;

let pending: string[] = [];
let pendingLength = 0;
let scheduled = false;

/** Writes what is pending now. */
export function flushStdout(): void {
  if (!pending.length) return;
  const text = pending.join('');
  pending = [];
  pendingLength = 0;
  process.stdout.write(text);
}

export function writeStdout(text: string): void {
  if (!text) return;
  pending.push(text);
  pendingLength += text.length;
  if (pendingLength > MAX_PENDING) flushStdout();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flushStdout();
    });
  }
}

/** Standard error, after what standard output holds. */
export function writeStderr(text: string): void {
  flushStdout();
  process.stderr.write(text);
}
