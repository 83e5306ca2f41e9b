/**
 * The listr2 side of the TTY output (tty.ts): one task drawn by listr2 until
 * the run says it ended. A module of its own so that listr2 and its terminal
 * helpers are loaded with the first task drawn, never by a run whose output
 * is not a terminal.
 */
import type { ChalkInstance } from 'chalk';
import {
  DefaultRenderer,
  LISTR_DEFAULT_RENDERER_STYLE,
  Listr,
  ListrLogger,
  PRESET_TIMER,
  ProcessOutput,
  type ListrDefaultRendererOptions,
  type ListrTaskWrapper,
} from 'listr2';

/**
 * The caller decided we are on a TTY (it may be a captured stream in tests),
 * so listr2 must not fall back to its line renderer on its own.
 */
class TtyRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

export type Wrapper = ListrTaskWrapper<unknown, typeof TtyRenderer, typeof TtyRenderer>;

/** What listr2's task needs of a task on screen (tty.ts's TaskView). */
export interface ListrTaskView {
  title(): string;
  readonly finished: Promise<'done' | 'interrupted'>;
  /** From now on updates go straight to the screen. */
  attach(wrapper: Wrapper): void;
  readonly hasFailures: boolean;
  readonly allSkipped: boolean;
}

export interface ListrDrawOptions {
  verbosity: number;
  color: boolean;
  chalk: ChalkInstance;
  /** Where to draw; absent = the real process.stdout (and stderr), which listr2 then guards while it renders. */
  write?: (s: string) => void;
}

/** Draws one task until it ends; rejects only when listr2 itself breaks. */
export async function runListrTask(view: ListrTaskView, options: ListrDrawOptions): Promise<void> {
  await new Listr<unknown, typeof TtyRenderer, typeof TtyRenderer>(
    [
      {
        title: view.title(),
        task: async (_ctx, wrapper) => {
          view.attach(wrapper);
          const outcome = await view.finished;
          wrapper.title = view.title();
          // The title stays as drawn: the thrown message is the title itself.
          if (outcome === 'interrupted') throw new Error(`${view.title()}  ${options.chalk.red('(interrupted)')}`);
          if (view.hasFailures) throw new Error(view.title());
          if (view.allSkipped) wrapper.skip(view.title());
        },
        rendererOptions: {
          outputBar: Infinity,
          persistentOutput: true,
          ...(options.verbosity >= 3 && { timer: PRESET_TIMER }),
        },
      },
    ],
    {
      concurrent: false,
      exitOnError: false,
      // The CLI owns Ctrl-C: listr2's own handler would exit the process before the report is written.
      registerSignalListeners: false,
      renderer: TtyRenderer,
      rendererOptions: rendererOptions(options),
      fallbackRenderer: TtyRenderer,
      fallbackRendererOptions: rendererOptions(options),
    },
  ).run();
}

function rendererOptions(options: ListrDrawOptions): ListrDefaultRendererOptions {
  const processOutput = options.write ? capturedOutput(options.write) : new ProcessOutput();
  const plainIcons = Object.fromEntries(Object.keys(LISTR_DEFAULT_RENDERER_STYLE.color ?? {}).map((level) => [level, (s: string) => s]));
  return {
    logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }),
    collapseSubtasks: false,
    collapseErrors: true,
    showErrorMessage: true,
    collapseSkips: true,
    showSkipMessage: true,
    suffixSkips: false,
    ...(options.color ? {} : { color: plainIcons }),
  };
}

/** A ProcessOutput that sends listr2's drawing (stdout and stderr) to `write`. */
function capturedOutput(write: (s: string) => void): ProcessOutput {
  return new ProcessOutput(fakeTerminal(write), fakeTerminal(write), { leaveEmptyLine: false });
}

/** The little of a tty.WriteStream that listr2 and log-update use; plain properties, since listr2 copies them. */
function fakeTerminal(write: (s: string) => void): NodeJS.WriteStream {
  const terminal = {
    isTTY: true,
    columns: process.stdout.columns || 80,
    rows: process.stdout.rows || 24,
    write(chunk: unknown, ...rest: unknown[]): boolean {
      write(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    },
  };
  return terminal as unknown as NodeJS.WriteStream;
}
