/**
 * What remains of the nunjucks-based engine's interface for code written
 * against it (globals.ts): a frame with no local names, and the context
 * type. Templates are now rendered by our own Jinja2 engine (jinja/).
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

export const runtime: { Frame: new () => NjFrame } = { Frame: EmptyFrame };
