import type { Module } from '../types.js';

/** The files modules; the registry (../registry.ts) collects every group. */
export const filesModules: Module<any, any>[] = [];
