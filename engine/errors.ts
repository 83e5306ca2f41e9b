/**
 * Errors a user can fix (bad YAML, unknown keys, undefined variables...). The
 * CLI prints these without a stack trace and exits 1.
 */
export interface SourcePosition {
  file: string;
  line?: number;   // 1-based
  col?: number;    // 1-based
}

export class UserError extends Error {
  constructor(
    message: string,
    readonly position?: SourcePosition,
    /** A code frame (the offending lines with a caret), printed under the message. */
    readonly frame?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }

  /**
   * The CLI's form, Ansible's order: the message first (scripts look for
   * `ERROR! <message>`), then where, then the frame.
   */
  formatForCli(): string {
    const where = formatPosition(this.position);
    return `${this.message}${where ? ` (${where})` : ''}${this.frame ? `\n${this.frame}` : ''}`;
  }

  /** "file:line:col: message" and the frame (task failures, reports). */
  format(): string {
    const where = this.position
      ? `${this.position.file}${this.position.line ? `:${this.position.line}` : ''}${this.position.col ? `:${this.position.col}` : ''}: `
      : '';
    return `${where}${this.message}${this.frame ? `\n${this.frame}` : ''}`;
  }
}

/**
 * A playbook that cannot be parsed, found while a dynamic include loads: as
 * Ansible's AnsibleParserError, it ends the run rather than failing the hosts.
 */
export class ParserError extends UserError {}

export function formatPosition(p?: SourcePosition): string {
  if (!p) return '';
  return `${p.file}${p.line ? `:${p.line}` : ''}${p.col ? `:${p.col}` : ''}`;
}
