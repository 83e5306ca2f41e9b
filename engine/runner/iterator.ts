/**
 * The play iterator: where each host is in the play. A play is a list of
 * blocks (the loader's nodes, wrapped per section); each host has a cursor
 * made of a stack of frames, one per block it is inside, and moves through
 * them on its own: a failure sends it to the block's rescue, then its always,
 * or out to the enclosing block; a dynamic include inserts the included
 * tasks right after the include in that host's own copy of the list. The
 * strategy (strategy/*.ts) asks for each host's next task and decides which
 * hosts run it together; it never looks inside a cursor.
 *
 * Handlers run as a phase of the cursor: a flush point (implicit after
 * pre_tasks, after roles and tasks, after post_tasks, or `meta:
 * flush_handlers`) walks the play's handler list in order, stopping at each
 * handler notified for the host.
 */
import { UserError } from '../errors.js';
import type { BlockNode, HandlerNode, IncludeNode, MetaNode, Node, TaskNode } from '../loader/model.js';

export type RunnableNode = TaskNode | IncludeNode | MetaNode;
type Section = 'block' | 'rescue' | 'always';

interface Frame {
  block: BlockNode;
  /** The block's lists for this host (includes may have added tasks to them). */
  lists: Record<Section, Node[]>;
  section: Section;
  index: number;
  /** A failure of this block could not be rescued: it goes on to the enclosing block once `always` is done. */
  pendingFailure: boolean;
}

interface HandlerPhase {
  list: HandlerNode[];
  index: number;
}

export interface HostCursor {
  /** Index of the current top-level block. */
  top: number;
  /** Frames from the top-level block (first) to the innermost one. */
  stack: Frame[];
  /** The host's own copy of the top-level blocks (an include inserts into a copy of the block it is in). */
  blocks: BlockNode[];
  /** Set while the host runs handlers. */
  handlers?: HandlerPhase;
  complete: boolean;
  /** The host failed for good (no rescue took it). */
  failed: boolean;
}

export interface IteratorOptions {
  /** Top-level blocks in order (the strategy's setup block first, with the implicit handler flushes). */
  blocks: BlockNode[];
  /** The play's handlers, in order (may grow: include_role adds its role's handlers). */
  handlers: () => HandlerNode[];
  /** Whether a handler was notified on a host. */
  isNotified: (handler: HandlerNode, host: string) => boolean;
}

function frameFor(block: BlockNode): Frame {
  return { block, lists: { block: block.block, rescue: block.rescue, always: block.always }, section: 'block', index: 0, pendingFailure: false };
}

function cloneCursor(c: HostCursor): HostCursor {
  return {
    ...c,
    stack: c.stack.map((f) => ({ ...f, lists: { ...f.lists } })),
    blocks: c.blocks,
    handlers: c.handlers ? { ...c.handlers } : undefined,
  };
}

export class PlayIterator {
  private readonly cursors = new Map<string, HostCursor>();
  /** Every task of the play in order, included ones inserted as they are included: the linear strategy's lockstep order. */
  readonly allTasks: RunnableNode[];
  /** Position in allTasks of the last task the lockstep chose. */
  lockstepIndex = 0;
  /** meta: end_play was run: the play ends for every batch. */
  endPlay = false;

  constructor(
    hosts: string[],
    private readonly options: IteratorOptions,
  ) {
    this.allTasks = options.blocks.flatMap(tasksOf);
    for (const host of hosts) this.cursors.set(host, { top: 0, stack: [], blocks: options.blocks, complete: false, failed: false });
  }

  hosts(): string[] {
    return [...this.cursors.keys()];
  }

  has(host: string): boolean {
    return this.cursors.has(host);
  }

  cursor(host: string): HostCursor {
    const c = this.cursors.get(host);
    if (!c) throw new Error(`internal: host ${host} is not in this play`);
    return c;
  }

  /** The host's next task; with `peek` the cursor does not move. Undefined when the host is done. */
  next(host: string, peek = false): RunnableNode | undefined {
    const current = this.cursor(host);
    const c = peek ? cloneCursor(current) : current;
    const task = this.advance(c, host);
    return task;
  }

  /**
   * The host's next `count` tasks, as far as its cursor can tell without
   * running them: as if none failed and no include added tasks. The cursor
   * does not move.
   */
  upcoming(host: string, count: number): RunnableNode[] {
    const c = cloneCursor(this.cursor(host));
    const out: RunnableNode[] = [];
    while (out.length < count) {
      const task = this.advance(c, host);
      if (!task) break;
      out.push(task);
    }
    return out;
  }

  /** Moves the host past `task` (the lockstep chose it for this host). */
  take(host: string, task: RunnableNode): void {
    const got = this.next(host);
    if (got !== task) throw new Error(`internal: host ${host} was not at the task the strategy chose`);
  }

  isComplete(host: string): boolean {
    const c = this.cursor(host);
    if (c.complete) return true;
    return this.next(host, true) === undefined;
  }

  isFailed(host: string): boolean {
    const c = this.cursor(host);
    return c.failed || c.stack.some((f) => f.pendingFailure);
  }

  /** Whether a failure of the host's current task would be rescued (some enclosing block has a rescue it is not yet in). */
  isRescuable(host: string): boolean {
    const c = this.cursor(host);
    if (c.handlers) return false;
    return c.stack.some((f) => f.section === 'block' && f.lists.rescue.length > 0);
  }

  /** In the rescue or always part of a block after a failure (any_errors_fatal spares such hosts). */
  isRescuing(host: string): boolean {
    const frame = this.cursor(host).stack.at(-1);
    return frame !== undefined && (frame.section === 'rescue' || frame.section === 'always');
  }

  inHandlers(host: string): boolean {
    return Boolean(this.cursor(host).handlers);
  }

  handlerIndex(host: string): number {
    return this.cursor(host).handlers?.index ?? -1;
  }

  /** The task the host just ran failed: go to the rescue or always of the enclosing blocks, or end the host. */
  markFailed(host: string): void {
    const c = this.cursor(host);
    if (c.handlers) {
      c.handlers = undefined;
      this.fail(c);
      return;
    }
    this.fail(c);
  }

  private fail(c: HostCursor): void {
    for (;;) {
      const frame = c.stack[c.stack.length - 1];
      if (!frame) {
        c.failed = true;
        c.complete = true;
        return;
      }
      if (frame.section === 'block' && frame.lists.rescue.length) {
        frame.section = 'rescue';
        frame.index = 0;
        return;
      }
      if ((frame.section === 'block' || frame.section === 'rescue') && frame.lists.always.length) {
        frame.section = 'always';
        frame.index = 0;
        frame.pendingFailure = true;
        return;
      }
      // No rescue or always left here: the block as a whole failed in its parent.
      c.stack.pop();
    }
  }

  /** meta: end_host / end_play / end_batch. */
  endHost(host: string): void {
    const c = this.cursor(host);
    c.complete = true;
    c.stack = [];
    c.handlers = undefined;
  }

  /** meta: clear_host_errors: a failed host goes on with the next block. */
  clearErrors(host: string): void {
    const c = this.cursor(host);
    for (const f of c.stack) f.pendingFailure = false;
    if (c.failed) {
      c.failed = false;
      c.complete = false;
      c.stack = [];
      c.top++;
    }
  }

  /** Starts the handler phase for a host (at a flush point). */
  startHandlers(host: string): void {
    const c = this.cursor(host);
    if (c.handlers) throw new UserError('flush_handlers cannot be used as a handler');
    c.handlers = { list: [...this.options.handlers()], index: 0 };
  }

  /**
   * An include ran on the host: its blocks go right after the include, in
   * the host's own copy of the list. In the handler phase, included
   * handlers go next in the handler list.
   */
  insert(host: string, blocks: BlockNode[], includedTasks: RunnableNode[]): void {
    if (!blocks.length) return;
    const c = this.cursor(host);
    if (c.handlers) {
      c.handlers.list.splice(c.handlers.index, 0, ...blocks.flatMap(tasksOf).filter((t): t is HandlerNode => t.kind === 'task' || t.kind === 'include_tasks' || t.kind === 'include_role' || t.kind === 'meta'));
      return;
    }
    const frame = c.stack[c.stack.length - 1];
    if (!frame) return;
    const list = frame.lists[frame.section];
    frame.lists[frame.section] = [...list.slice(0, frame.index), ...blocks, ...list.slice(frame.index)];
    void includedTasks;
  }

  /** Adds tasks to the lockstep order right after the current position. */
  addToOrder(tasks: RunnableNode[]): void {
    this.allTasks.splice(this.lockstepIndex, 0, ...tasks);
  }

  private advance(c: HostCursor, host: string): RunnableNode | undefined {
    if (c.complete) return undefined;
    if (c.handlers) {
      const h = c.handlers;
      while (h.index < h.list.length) {
        const handler = h.list[h.index++];
        if (this.options.isNotified(handler, host)) return handler;
      }
      c.handlers = undefined;
    }
    for (;;) {
      const frame = c.stack[c.stack.length - 1];
      if (!frame) {
        const block = c.blocks[c.top];
        if (!block) {
          c.complete = true;
          return undefined;
        }
        c.stack.push(frameFor(block));
        c.top++;
        continue;
      }
      const list = frame.lists[frame.section];
      if (frame.index < list.length) {
        const node = list[frame.index++];
        if (node.kind === 'block') {
          c.stack.push(frameFor(node));
          continue;
        }
        return node;
      }
      // The section is done.
      if (frame.section !== 'always' && frame.lists.always.length) {
        frame.section = 'always';
        frame.index = 0;
        continue;
      }
      c.stack.pop();
      if (frame.pendingFailure) {
        this.fail(c);
        if (c.complete) return undefined;
      }
    }
  }
}

/** Every runnable node of a block, in order (block, rescue, always, depth first). */
export function tasksOf(node: Node): RunnableNode[] {
  if (node.kind === 'block') return [...node.block, ...node.rescue, ...node.always].flatMap(tasksOf);
  return [node];
}
