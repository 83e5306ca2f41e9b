/**
 * Ansible's fact cache: with the `jsonfile` cache plugin, each host's facts
 * (gathered ones, and set_fact with `cacheable: true`) are kept in a JSON
 * file, `<connection>/<prefix><host>`, and a later run starts with them
 * while they are younger than the timeout. `--flush-cache` empties it. The
 * default `memory` plugin keeps nothing between runs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Vars } from '../loader/model.js';

export interface FactCacheSettings {
  /** ANSIBLE_CACHE_PLUGIN: 'memory' (default) or 'jsonfile'. */
  plugin: string;
  /** ANSIBLE_CACHE_PLUGIN_CONNECTION: the folder of the jsonfile cache. */
  connection?: string;
  /** ANSIBLE_CACHE_PLUGIN_PREFIX. */
  prefix: string;
  /** ANSIBLE_CACHE_PLUGIN_TIMEOUT, seconds (0: never expires). */
  timeoutSec: number;
}

export function factCacheSettings(env: NodeJS.ProcessEnv): FactCacheSettings {
  return {
    plugin: env.ANSIBLE_CACHE_PLUGIN ?? 'memory',
    connection: env.ANSIBLE_CACHE_PLUGIN_CONNECTION,
    prefix: env.ANSIBLE_CACHE_PLUGIN_PREFIX ?? 'ansible_facts',
    timeoutSec: Number(env.ANSIBLE_CACHE_PLUGIN_TIMEOUT ?? 86400),
  };
}

/** Host names become file names: nothing that could leave the folder. */
function safeName(host: string): boolean {
  return host.length > 0 && host.length < 256 && !host.includes('/') && host !== '.' && host !== '..' && !host.includes('\0');
}

export class FactCache {
  constructor(private readonly settings: FactCacheSettings) {}

  private get enabled(): boolean {
    return this.settings.plugin.replace(/^ansible\.builtin\./, '') === 'jsonfile' && Boolean(this.settings.connection);
  }

  private file(host: string): string | undefined {
    if (!this.enabled || !safeName(host)) return undefined;
    return path.join(path.resolve(this.settings.connection!), `${this.settings.prefix}${host}`);
  }

  /** The cached facts of a host, or undefined (none, expired or unreadable). */
  load(host: string): Vars | undefined {
    const file = this.file(host);
    if (!file || !existsSync(file)) return undefined;
    try {
      if (this.settings.timeoutSec > 0 && Date.now() - statSync(file).mtimeMs > this.settings.timeoutSec * 1000) return undefined;
      const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      return data && typeof data === 'object' && !Array.isArray(data) ? (data as Vars) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Keeps a host's facts (written whole, atomically). */
  save(host: string, facts: Vars): void {
    const file = this.file(host);
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(facts, null, 4), { mode: 0o600 });
    renameSync(temp, file);
  }

  remove(host: string): void {
    const file = this.file(host);
    if (file) rmSync(file, { force: true });
  }
}
