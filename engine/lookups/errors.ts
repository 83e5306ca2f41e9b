/**
 * Errors raised by lookup plugins. Ansible treats them differently by
 * class, and so do we (engine/lookups/call.ts):
 *
 * - LookupFailure (Ansible's AnsibleLookupError): the plugin's own verdict
 *   ("No file was found when using first_found."); `errors='warn'|'ignore'`
 *   turns it into a warning or nothing.
 * - LookupOptionsError (AnsibleOptionsError): bad options; always an error.
 * - LookupError (any other AnsibleError or Python exception): also subject
 *   to `errors=`, and a `lookup()`/`query()` call reports it as Ansible
 *   does: "An unhandled exception occurred while running the lookup plugin
 *   'x'. Error was a <class '...'>, original message: ...". `pyClass` is the
 *   Python class Ansible would name there.
 *
 * Undefined variables are template errors (UndefinedVariableError), never
 * swallowed by `errors=`.
 */
import { UserError } from '../errors.js';
import { UndefinedVariableError } from '../template/python.js';

export class LookupError extends UserError {
  constructor(
    message: string,
    /** The Python exception class Ansible reports for this failure. */
    readonly pyClass = 'ansible.errors.AnsibleError',
  ) {
    super(message);
    this.name = 'LookupError';
  }
}

export class LookupFailure extends LookupError {
  constructor(message: string) {
    super(message, 'ansible.errors.AnsibleLookupError');
    this.name = 'LookupFailure';
  }
}

export class LookupOptionsError extends LookupError {
  constructor(message: string) {
    super(message, 'ansible.errors.AnsibleOptionsError');
    this.name = 'LookupOptionsError';
  }
}

/** An undefined-variable error raised by a plugin (vars, env with default=Undefined). */
export function undefinedError(variable: string, message: string): UndefinedVariableError {
  return new UndefinedVariableError(variable, message);
}
