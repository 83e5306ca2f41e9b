/**
 * The run's connections: one per host, opened on first use and kept for the
 * whole run, with the host's run lock taken as it opens (SSH only) and
 * released as it closes. Each closed connection's statistics are kept for
 * the report.
 */
import { createConnection, settingsFromVars } from '../connection/index.js';
import type { Connection, ConnectionSettings, ConnectionStats } from '../connection/types.js';
import { acquireLock, releaseLock, DEFAULT_LOCK_DIR, DEFAULT_LOCK_TTL_SEC, type LockHolder, type LockOptions } from './lock.js';

export interface PoolOptions {
  acceptNewHostKeys: boolean;
  knownHostsFile?: string;
  /** Tests replace how connections are made. */
  connect?: (settings: ConnectionSettings) => Connection;
  lockTtlSec?: number;
}

export class ConnectionPool {
  private readonly pending = new Map<string, Promise<Connection>>();
  private readonly made = new Map<string, Connection>();
  private readonly locks = new Map<string, { options: LockOptions; holder: LockHolder }>();
  readonly closed: Array<{ host: string } & ConnectionStats> = [];

  constructor(private readonly options: PoolOptions) {}

  /** The host's connection, opened (and locked) on first use; `vars` are the host's connection variables. */
  get(host: string, vars: () => Record<string, unknown>): Promise<Connection> {
    let p = this.pending.get(host);
    if (!p) {
      p = this.open(host, vars());
      this.pending.set(host, p);
      // A failed connect is not cached: the next task may try again (bounded by the connection's own retries).
      p.catch(() => this.pending.delete(host));
    }
    return p;
  }

  /** The connection once `get` has opened it (modules use it after their first command). */
  opened(host: string): Connection {
    const conn = this.made.get(host);
    if (!conn) throw new Error(`internal: no connection to ${host} yet`);
    return conn;
  }

  private async open(host: string, vars: Record<string, unknown>): Promise<Connection> {
    const settings = settingsFromVars(host, vars, { acceptNewHostKeys: this.options.acceptNewHostKeys, knownHostsFile: this.options.knownHostsFile });
    const conn = (this.options.connect ?? createConnection)(settings);
    this.made.set(host, conn);
    await conn.connect();
    // Over SSH, the run holds the host's lock until it closes the connection.
    if (settings.connection === 'ssh') {
      const lock: LockOptions = {
        dir: typeof vars.uxsv_lock_dir === 'string' ? vars.uxsv_lock_dir : DEFAULT_LOCK_DIR,
        ttlSec: this.options.lockTtlSec ?? DEFAULT_LOCK_TTL_SEC,
      };
      this.locks.set(host, { options: lock, holder: await acquireLock(conn, host, lock) });
    }
    return conn;
  }

  /** Closes the host's connection; `reset` also ends a connection kept between runs (meta: reset_connection). */
  async close(host: string, options: { reset?: boolean } = {}): Promise<void> {
    const p = this.pending.get(host);
    this.pending.delete(host);
    const conn = this.made.get(host);
    this.made.delete(host);
    const lock = this.locks.get(host);
    this.locks.delete(host);
    if (conn && lock) await releaseLock(conn, host, lock.options, lock.holder);
    if (conn) {
      this.closed.push({ host, ...conn.stats });
      await conn.close(options).catch(() => undefined);
    } else if (p) await p.then((c) => c.close(options)).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...new Set([...this.pending.keys(), ...this.made.keys()])].map((h) => this.close(h)));
  }
}
