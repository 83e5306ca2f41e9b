/** Exit codes of every uxsv command (documented in the README). */
export const EXIT = {
  /** Everything ran; for `check`, no drift. */
  OK: 0,
  /** Bad input or usage: nothing was run on any host. */
  USAGE: 1,
  /** A task failed on at least one host. */
  FAILED: 2,
  /** `uxsv check`: drift found (a task would change something). */
  DRIFT: 3,
  /** A host could not be reached (and no task failed). */
  UNREACHABLE: 4,
  /** Another uxsv run holds the lock of a host (and no task failed): nothing ran there; try again later. */
  LOCKED: 5,
  /** Stopped by Ctrl-C. */
  INTERRUPTED: 130,
} as const;
