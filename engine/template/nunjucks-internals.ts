/**
 * What remains of the nunjucks-based engine's interface for code written
 * against it (globals.ts, the HTML filters): a frame with no local names,
 * the context type, and SafeString (Jinja2's Markup: text already escaped
 * for HTML). Templates are now rendered by our own Jinja2 engine (jinja/).
 */
import type { CallContext } from './runtime.js';

export interface NjFrame {
  lookup(name: string): unknown;
}

export type NjContext = CallContext;

class EmptyFrame implements NjFrame {
  lookup(): unknown {
    return undefined;
  }
}

/** Text already escaped for HTML (Jinja2's Markup): a string to everything else. */
class SafeString extends String {}

export const runtime: { Frame: new () => NjFrame; SafeString: new (text: string) => String } = { Frame: EmptyFrame, SafeString };
