import { UserError } from '../errors.js';

export interface TemplateErrorDetails {
  /** The undefined variable, as written (`a.b`), when that is the problem. */
  variable?: string;
  /** 1-based line in the template text, when known. */
  line?: number;
  /** True for a variable that refers to itself (directly or through others). */
  recursion?: boolean;
  /**
   * The problem alone, as Jinja2 or Python words it ("'x' is undefined",
   * "Could not load \"f\": 'f'"), without where it happened: with
   * `pythonType`, what Ansible's template module shows ("TemplateSyntaxError: ...").
   */
  reason?: string;
  /**
   * For a variable whose own template failed on an undefined name: what a
   * template reading it sees as the Undefined's message (Ansible's
   * "{{ b }}: 'b' is undefined"), so `default` and `is defined` apply.
   */
  hint?: string;
  /** The Python exception Ansible would raise (TemplateSyntaxError, UndefinedError...), for messages that name it. */
  pythonType?: string;
}

/**
 * A template that cannot be rendered: undefined variable, syntax error,
 * failing filter. The message names the source (file, or playbook position
 * and field) and the problem, so the CLI can print it as is.
 */
export class TemplateError extends UserError {
  constructor(
    message: string,
    /** Where the template text came from, as the caller named it. */
    readonly source: string,
    readonly details: TemplateErrorDetails = {},
  ) {
    super(message);
    this.name = 'TemplateError';
  }

  get variable(): string | undefined {
    return this.details.variable;
  }
}

/**
 * The message Ansible's template module gives for a template it could not
 * render: the Python exception's name, then its text ("TemplateSyntaxError:
 * Could not load ...", "ZeroDivisionError: division by zero"); an undefined
 * variable is Ansible's AnsibleUndefinedVariable, whose text repeats the
 * reason. Other errors are returned as they are.
 */
export function templateModuleMessage(err: unknown): string {
  if (!(err instanceof TemplateError)) return err instanceof Error ? err.message : String(err);
  const { pythonType, reason } = err.details;
  if (!pythonType || reason === undefined) return err.message;
  if (pythonType === 'UndefinedError') return `AnsibleUndefinedVariable: ${reason}. ${reason}`;
  return `${pythonType}: ${reason}`;
}
