/**
 * A ModuleContext on the local machine (the real LocalConnection) for module
 * unit tests. Modules are driven with the engine's own driver (`runModule`,
 * engine/modules/driver.ts) and templates rendered by the engine's Templar,
 * so tests run the semantics of production.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LocalConnection } from '../../engine/connection/local.js';
import type { ModuleContext } from '../../engine/modules/types.js';
import { Templar } from '../../engine/template/index.js';

export { runModule } from '../../engine/modules/driver.js';

export interface LocalContextOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  filesDir?: string;
  templatesDir?: string;
  host?: string;
}

export function localContext(options: LocalContextOptions = {}): ModuleContext {
  const conn = new LocalConnection(options.host ?? 'localhost');
  const vars = { inventory_hostname: options.host ?? 'localhost', ...(options.vars ?? {}) };
  const templar = new Templar();
  return {
    host: conn.host,
    conn,
    run: (command, execOptions = {}) => {
      const { become: _become, ...rest } = execOptions;
      return conn.exec(command, rest);
    },
    check: options.check ?? false,
    diff: options.diff ?? false,
    vars,
    renderTemplate: (text, source, renderOptions) => templar.render(text, vars, source, renderOptions),
    evaluate: (expr, source) => templar.evaluate(expr, vars, source),
    isTrue: (condition, source) => templar.isTrue(condition, vars, source),
    findFile: (kind, name) => {
      if (isAbsolute(name)) return name;
      const dir = kind === 'files' ? options.filesDir : options.templatesDir;
      const candidate = dir ? join(dir, name) : name;
      if (!existsSync(candidate)) throw new Error(`could not find ${name} (looked in ${candidate})`);
      return candidate;
    },
    connectionFor: async (host) => new LocalConnection(host),
    hostVars: () => vars,
    location: 'test.yml:1',
    verbosity: 0,
  };
}
