import type { Module } from '../types.js';
import { assemble } from './assemble.js';
import { blockinfile } from './blockinfile.js';
import { copy } from './copy.js';
import { template } from './template.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { find } from './find.js';
import { lineinfile } from './lineinfile.js';
import { replace } from './replace.js';
import { slurp } from './slurp.js';
import { stat } from './stat.js';
import { tempfile } from './tempfile.js';

/** The files modules; the registry (../registry.ts) collects every group. */
export const filesModules: Module<any, any>[] = [file, copy, template, lineinfile, blockinfile, replace, stat, slurp, fetch, find, assemble, tempfile];
