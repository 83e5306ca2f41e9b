/**
 * Errors of the Jinja engine itself; the Templar turns them into
 * TemplateError messages that name the task or file (templar.ts).
 */

/** A template that does not parse: Jinja2's message and the 1-based line. */
export class TemplateSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

/** A failure while rendering, with the template (undefined for inline text) and line where it happened. */
export class RenderError extends Error {
  constructor(
    readonly reason: unknown,
    readonly template: string | undefined,
    readonly line: number | undefined,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'RenderError';
  }
}

/** `{% include %}`/`{% import %}` of a template that cannot be found. */
export class TemplateNotFound extends Error {
  constructor(readonly template: string, message?: string) {
    super(message ?? template);
    this.name = 'TemplateNotFound';
  }
}
