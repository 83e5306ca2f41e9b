/** -e / --extra-vars: `k=v k2=v2`, `@file.yml` (YAML or JSON), or a JSON/YAML mapping. */
import path from 'node:path';
import { UserError } from '../errors.js';
import { parseKeyValue } from '../loader/kv.js';
import { parseYaml, readYamlFile } from '../loader/yaml.js';
import { errorAt } from '../loader/validate.js';

export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const value of values) {
    const text = value.trim();
    if (text.startsWith('@')) {
      const file = path.resolve(text.slice(1));
      const loaded = readYamlFile(file, text.slice(1));
      const data = loaded.data;
      if (data === null || data === undefined) continue;
      if (typeof data !== 'object' || Array.isArray(data)) throw errorAt(loaded, [], 'extra vars file must hold a mapping');
      Object.assign(out, data);
    } else if (text.startsWith('/') || text.startsWith('.')) {
      throw new UserError(`Please prepend extra_vars filename '${text}' with '@'`);
    } else if (text.startsWith('{') || text.startsWith('[') || text.startsWith('---')) {
      const data = parseYaml(text, '-e argument').data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UserError(`Invalid extra vars data supplied. '${text}' could not be made into a dictionary`);
      Object.assign(out, data);
    } else if (text) {
      Object.assign(out, parseKeyValue(text, { file: '-e argument' }));
    }
  }
  return out;
}
