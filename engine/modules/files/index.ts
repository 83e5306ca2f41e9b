import type { Module } from '../types.js';
import { assemble } from './assemble.js';
import { blockinfile } from './blockinfile.js';
import { copy } from './copy.js';
import { template } from './template.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { find } from './find.js';
import { getUrl } from './get-url.js';
import { lineinfile } from './lineinfile.js';
import { replace } from './replace.js';
import { slurp } from './slurp.js';
import { stat } from './stat.js';
import { synchronize } from './synchronize.js';
import { tempfile } from './tempfile.js';
import { unarchive } from './unarchive.js';
import { uri } from './uri.js';

import { expandingPaths } from './paths.js';
import { toBool } from '../lib/args.js';

const remote = (args: Record<string, any>, key = 'remote_src', fallback = false) => {
  try {
    return toBool(args[key], fallback);
  } catch {
    return fallback;
  }
};
const editedFile = ['path', 'dest', 'destfile', 'name'];

/**
 * The files modules; the registry (../registry.ts) collects every group.
 * Path arguments on the host are expanded there (`~`, `$VAR`) as Ansible's
 * `type: path` arguments are.
 */
export const filesModules: Module<any, any>[] = [
  expandingPaths(file, ['path', 'dest', 'name', 'src']),
  expandingPaths(copy, (args) => (remote(args) ? ['dest', 'src'] : ['dest'])),
  expandingPaths(template, ['dest']),
  expandingPaths(lineinfile, editedFile),
  expandingPaths(blockinfile, editedFile),
  expandingPaths(replace, editedFile),
  expandingPaths(stat, ['path', 'dest', 'name']),
  expandingPaths(slurp, ['src', 'path']),
  expandingPaths(fetch, ['src']),
  expandingPaths(find, ['paths', 'path', 'name']),
  expandingPaths(assemble, (args) => (remote(args, 'remote_src', true) ? ['src', 'dest'] : ['dest'])),
  expandingPaths(tempfile, ['path']),
  expandingPaths(getUrl, ['dest', 'tmp_dest']),
  expandingPaths(uri, (args) => ['dest', 'creates', 'removes', ...(remote(args) ? ['src'] : [])]),
  expandingPaths(unarchive, (args) => [...(remote(args) ? ['src'] : []), 'dest', 'creates']),
  // Its paths are rsync's: on the controller, or user@host:path.
  synchronize,
];
