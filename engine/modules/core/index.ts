import type { Module } from '../types.js';

/** The core modules; the registry (../registry.ts) collects every group. */
export const coreModules: Module<any, any>[] = [];
