import type { Module } from '../types.js';

/** The system modules; the registry (../registry.ts) collects every group. */
export const systemModules: Module<any, any>[] = [];
