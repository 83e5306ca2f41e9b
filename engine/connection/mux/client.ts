/**
 * A run's side of the multiplexer (server.ts): find the kept connection's
 * socket, or the multiplexer's, or start the multiplexer; check each socket
 * before trusting it (paths.ts); say hello; then run commands over it
 * (MuxLink, with the same channels, exit codes and failures as a connection
 * of the run's own).
 *
 * Persistence is only an optimisation: whenever the multiplexer cannot be
 * used (no multiplexer program in this build, a folder that cannot be
 * trusted, a multiplexer that does not answer), the run connects by itself,
 * and `multiplexerProblem()` says why.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TransientUnreachableError, type SshLink } from '../ssh-client.js';
import { targetKey, type SshTarget } from '../ssh-target.js';
import { HostKeyError, UnreachableError } from '../types.js';
import { MuxLink } from './link.js';
import {
  connectionSocket, controlSocket, defaultPersistDir, ensurePrivateDir, lstatOrUndefined, socketProblem, unlinkIfSame,
} from './paths.js';
import { MUX_PROTOCOL, muxIdentity, readLine, type ConnectFailure, type Hello, type HelloReply } from './protocol.js';

/** How long a new multiplexer may take to say it listens (loading the program on a busy machine). */
const START_TIMEOUT_MS = 30_000;
/** Beyond the connect timeout, how long a hello may take (the kept connection's check, a busy machine). */
const HELLO_MARGIN_MS = 8_000;

interface MuxCommand {
  argv: string[];
  identity: string;
}

let command: MuxCommand | undefined;
let detected = false;
let problem: string | undefined;
const starting = new Map<string, Promise<boolean>>();

/**
 * The program that runs the multiplexer: `node dist/uxsv.mjs __mux` in the
 * bundled command (this code may be in one of its chunks, dist/uxsv-*.mjs), `node .../mux/main.js` in the unbundled build; none when
 * running from sources.
 */
export function multiplexerCommand(): MuxCommand | undefined {
  if (detected) return command;
  detected = true;
  const self = fileURLToPath(import.meta.url);
  // The bundle is dist/uxsv.mjs and the chunks it loads lie beside it.
  const bundle = basename(self) === 'uxsv.mjs' ? self : join(dirname(self), 'uxsv.mjs');
  if (basename(self) === 'uxsv.mjs' || (basename(self).startsWith('uxsv-') && existsSync(bundle))) {
    command = { argv: [process.execPath, bundle, '__mux'], identity: muxIdentity(bundle) };
  } else {
    const main = join(dirname(self), 'main.js');
    if (existsSync(main)) command = { argv: [process.execPath, main], identity: muxIdentity(main) };
  }
  return command;
}

/** Sets the program that runs the multiplexer (its argv without the folder), or none. */
export function setMultiplexerCommand(argv: string[] | undefined): void {
  detected = true;
  problem = undefined;
  command = argv === undefined ? undefined : { argv, identity: muxIdentity(argv[1] ?? argv[0]!) };
}

/** Why kept connections could not be used in this process, if that happened. */
export function multiplexerProblem(): string | undefined {
  return problem;
}

export interface Attached {
  link: SshLink;
  /** True when the multiplexer made the connection for this run (a handshake); false when it was kept from an earlier one. */
  fresh: boolean;
}

/**
 * A connection through the multiplexer, or undefined when it cannot be used
 * (the caller connects by itself). Rejects like a connection of our own
 * would when the host cannot be reached or its key is refused.
 */
export async function attachMultiplexer(target: SshTarget, options: { persistSec: number; dir?: string }): Promise<Attached | undefined> {
  const mux = multiplexerCommand();
  if (!mux) return undefined;
  // Absolute: the multiplexer runs in / .
  const dir = resolve(options.dir ?? defaultPersistDir());
  try {
    ensurePrivateDir(dir);
  } catch (error) {
    problem = `connections are not kept between runs: ${(error as Error).message}`;
    return undefined;
  }
  const key = targetKey(target);
  const hello: Hello = { protocol: MUX_PROTOCOL, identity: mux.identity, key, target, persistSec: options.persistSec };
  const replyTimeout = target.connectTimeoutSec * 1000 + HELLO_MARGIN_MS;
  // Two rounds: the second after a multiplexer of another build retired or one did not answer.
  for (let round = 0; round < 2; round++) {
    let found = await connectTrusted(connectionSocket(dir, key)) ?? await connectTrusted(controlSocket(dir));
    if (!found) {
      if (!(await startMultiplexer(mux, dir))) return undefined;
      found = await connectTrusted(controlSocket(dir));
      if (!found) return undefined;
    }
    const { socket, path, id } = found;
    let answer: { reply: HelloReply; rest: Buffer } | undefined;
    try {
      socket.write(`${JSON.stringify(hello)}\n`);
      const { line, rest } = await readLine(socket, replyTimeout);
      answer = { reply: JSON.parse(line) as HelloReply, rest };
    } catch {
      // No answer: whatever listens there is not a multiplexer we can use. Its name goes, a new one comes.
      socket.destroy();
      unlinkIfSame(path, id);
      continue;
    }
    const { reply, rest } = answer;
    if (reply.ok) return { link: new MuxLink(socket, rest, target), fresh: reply.fresh };
    socket.destroy();
    if (reply.why === 'connect') throw connectError(reply.error, target.host);
    if (reply.why !== 'identity' && reply.why !== 'retiring') {
      problem = `the multiplexer refused the connection (${reply.why}${reply.message ? `: ${reply.message}` : ''})`;
      return undefined;
    }
  }
  problem = 'the multiplexer could not be replaced';
  return undefined;
}

interface Found {
  socket: Socket;
  path: string;
  id: { ino: number; dev: number };
}

/** A connected socket, if `path` is a socket we may trust and someone listens on it; a stale or untrusted one is removed. */
function connectTrusted(path: string): Promise<Found | undefined> {
  const stat = lstatOrUndefined(path);
  if (!stat) return Promise.resolve(undefined);
  const refused = socketProblem(stat);
  if (refused !== undefined) {
    problem = `refused ${path}: ${refused}; it was removed`;
    unlinkIfSame(path, stat);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => { /* 'close' follows */ });
      resolve({ socket, path, id: { ino: stat.ino, dev: stat.dev } });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // Nobody listens: the multiplexer that made it is gone.
      if (error.code === 'ECONNREFUSED') unlinkIfSame(path, stat);
      resolve(undefined);
    });
  });
}

/** Starts the multiplexer in the background (once at a time per folder in this process); true when it listens. */
function startMultiplexer(mux: MuxCommand, dir: string): Promise<boolean> {
  let pending = starting.get(dir);
  if (!pending) {
    pending = new Promise<boolean>((resolve) => {
      const [program, ...args] = mux.argv;
      const child = spawn(program!, [...args, dir], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
      let said = '';
      let finished = false;
      // Once: the multiplexer exits much later (idle), and that is no news.
      const finish = (ok: boolean, why?: string): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (!ok) problem = `connections are not kept between runs: the multiplexer did not start (${why})`;
        child.stdout?.destroy();
        child.unref();
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false, `no answer within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      child.once('error', (error) => finish(false, error.message));
      child.stdout!.on('data', (chunk: Buffer) => {
        said += chunk.toString();
        const line = said.split('\n')[0]!;
        if (said.includes('\n')) finish(line.startsWith('ready '), line);
      });
      child.once('exit', (code) => finish(false, said.trim() || `exit code ${code}`));
    }).finally(() => starting.delete(dir));
    starting.set(dir, pending);
  }
  return pending;
}

function connectError(failure: ConnectFailure, host: string): UnreachableError {
  switch (failure.kind) {
    case 'hostkey': return new HostKeyError(failure.message, host);
    case 'transient': return new TransientUnreachableError(failure.message, host);
    default: return new UnreachableError(failure.message, host);
  }
}
